import { defineApi } from '../schema/api.js';
import { t } from '../schema/fields.js';

export const LeaveGroup = defineApi({
  apiKey: 13,
  name: 'LeaveGroup',
  versions: [0, 4],
  flexibleFrom: 4,
  request: {
    groupId: t.string(),
    memberId: t.string({ v: '0-2' }),
    // v3+ removes a batch of members instead of the single memberId.
    members: t.array(
      {
        memberId: t.string({ v: '3+' }),
        groupInstanceId: t.string({ v: '3+', nullable: '3+', default: null }),
      },
      { v: '3+' },
    ),
  },
  response: {
    throttleTimeMs: t.int32({ v: '1+' }),
    errorCode: t.int16(),
    members: t.array(
      {
        memberId: t.string({ v: '3+' }),
        // Nullable, yet Kafka gives it no null default.
        groupInstanceId: t.string({ v: '3+', nullable: '3+' }),
        errorCode: t.int16({ v: '3+' }),
      },
      { v: '3+' },
    ),
  },
});
