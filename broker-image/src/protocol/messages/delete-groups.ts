import { defineApi } from '../schema/api.js';
import { t } from '../schema/fields.js';

export const DeleteGroups = defineApi({
  apiKey: 42,
  name: 'DeleteGroups',
  versions: [0, 2],
  flexibleFrom: 2,
  request: {
    groupsNames: t.arrayOf(t.string()),
  },
  response: {
    throttleTimeMs: t.int32(),
    results: t.array({
      groupId: t.string(),
      errorCode: t.int16(),
    }),
  },
});
