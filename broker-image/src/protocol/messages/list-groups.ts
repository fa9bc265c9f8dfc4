import { defineApi } from '../schema/api.js';
import { t } from '../schema/fields.js';

export const ListGroups = defineApi({
  apiKey: 16,
  name: 'ListGroups',
  versions: [0, 5],
  flexibleFrom: 3,
  request: {
    statesFilter: t.arrayOf(t.string(), { v: '4+' }),
    typesFilter: t.arrayOf(t.string(), { v: '5+' }),
  },
  response: {
    throttleTimeMs: t.int32({ v: '1+' }),
    errorCode: t.int16(),
    groups: t.array({
      groupId: t.string(),
      protocolType: t.string(),
      groupState: t.string({ v: '4+' }),
      // "Classic" or "Consumer".
      groupType: t.string({ v: '5+' }),
    }),
  },
});
