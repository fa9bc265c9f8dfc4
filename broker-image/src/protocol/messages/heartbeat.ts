import { defineApi } from '../schema/api.js';
import { t } from '../schema/fields.js';

export const Heartbeat = defineApi({
  apiKey: 12,
  name: 'Heartbeat',
  versions: [0, 4],
  flexibleFrom: 4,
  request: {
    groupId: t.string(),
    generationId: t.int32(),
    memberId: t.string(),
    groupInstanceId: t.string({ v: '3+', nullable: '3+', default: null }),
  },
  response: {
    throttleTimeMs: t.int32({ v: '1+' }),
    errorCode: t.int16(),
  },
});
