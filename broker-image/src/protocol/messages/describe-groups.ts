import { defineApi } from '../schema/api.js';
import { t } from '../schema/fields.js';

export const DescribeGroups = defineApi({
  apiKey: 15,
  name: 'DescribeGroups',
  versions: [0, 5],
  flexibleFrom: 5,
  request: {
    groups: t.arrayOf(t.string()),
    includeAuthorizedOperations: t.bool({ v: '3+' }),
  },
  response: {
    throttleTimeMs: t.int32({ v: '1+' }),
    groups: t.array({
      errorCode: t.int16(),
      groupId: t.string(),
      groupState: t.string(),
      protocolType: t.string(),
      protocolData: t.string(),
      members: t.array({
        memberId: t.string(),
        groupInstanceId: t.string({ v: '4+', nullable: '4+', default: null }),
        clientId: t.string(),
        clientHost: t.string(),
        memberMetadata: t.bytes(),
        memberAssignment: t.bytes(),
      }),
      // INT32_MIN: operations not requested.
      authorizedOperations: t.int32({ v: '3+', default: -0x80000000 }),
    }),
  },
});
