import { defineApi } from '../schema/api.js';
import { t } from '../schema/fields.js';

export const JoinGroup = defineApi({
  apiKey: 11,
  name: 'JoinGroup',
  versions: [0, 7],
  flexibleFrom: 6,
  request: {
    groupId: t.string(),
    sessionTimeoutMs: t.int32(),
    rebalanceTimeoutMs: t.int32({ v: '1+', default: -1 }),
    memberId: t.string(),
    groupInstanceId: t.string({ v: '5+', nullable: '5+', default: null }),
    protocolType: t.string(),
    protocols: t.array({
      name: t.string(),
      metadata: t.bytes(),
    }),
  },
  response: {
    throttleTimeMs: t.int32({ v: '2+' }),
    errorCode: t.int16(),
    generationId: t.int32({ default: -1 }),
    protocolType: t.string({ v: '7+', nullable: '7+', default: null }),
    // Present in every version, but only nullable from v7.
    protocolName: t.string({ nullable: '7+' }),
    leader: t.string(),
    memberId: t.string(),
    members: t.array({
      memberId: t.string(),
      groupInstanceId: t.string({ v: '5+', nullable: '5+', default: null }),
      metadata: t.bytes(),
    }),
  },
});
