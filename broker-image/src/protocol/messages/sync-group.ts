import { defineApi } from '../schema/api.js';
import { t } from '../schema/fields.js';

export const SyncGroup = defineApi({
  apiKey: 14,
  name: 'SyncGroup',
  versions: [0, 5],
  flexibleFrom: 4,
  request: {
    groupId: t.string(),
    generationId: t.int32(),
    memberId: t.string(),
    groupInstanceId: t.string({ v: '3+', nullable: '3+', default: null }),
    protocolType: t.string({ v: '5+', nullable: '5+', default: null }),
    protocolName: t.string({ v: '5+', nullable: '5+', default: null }),
    assignments: t.array({
      memberId: t.string(),
      assignment: t.bytes(),
    }),
  },
  response: {
    throttleTimeMs: t.int32({ v: '1+' }),
    errorCode: t.int16(),
    protocolType: t.string({ v: '5+', nullable: '5+', default: null }),
    protocolName: t.string({ v: '5+', nullable: '5+', default: null }),
    assignment: t.bytes(),
  },
});
