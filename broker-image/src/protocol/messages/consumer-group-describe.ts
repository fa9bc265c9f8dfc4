import { defineApi } from '../schema/api.js';
import { t } from '../schema/fields.js';

const assignment = () =>
  t.struct({
    topicPartitions: t.array({
      topicId: t.uuid(),
      topicName: t.string(),
      partitions: t.arrayOf(t.int32()),
    }),
  });

/** KIP-848's DescribeGroups for consumer groups: epochs, assignor, members' current and target assignments. */
export const ConsumerGroupDescribe = defineApi({
  apiKey: 69,
  name: 'ConsumerGroupDescribe',
  versions: [0, 1],
  flexibleFrom: 0,
  request: {
    groupIds: t.arrayOf(t.string()),
    includeAuthorizedOperations: t.bool(),
  },
  response: {
    throttleTimeMs: t.int32(),
    groups: t.array({
      errorCode: t.int16(),
      errorMessage: t.string({ nullable: '0+', default: null }),
      groupId: t.string(),
      groupState: t.string(),
      groupEpoch: t.int32(),
      assignmentEpoch: t.int32(),
      assignorName: t.string(),
      members: t.array({
        memberId: t.string(),
        instanceId: t.string({ nullable: '0+', default: null }),
        rackId: t.string({ nullable: '0+', default: null }),
        memberEpoch: t.int32(),
        clientId: t.string(),
        clientHost: t.string(),
        subscribedTopicNames: t.arrayOf(t.string()),
        subscribedTopicRegex: t.string({ nullable: '0+', default: null }),
        assignment: assignment(),
        targetAssignment: assignment(),
        // 0: a classic member of a consumer group, 1: a consumer-protocol member (-1 unknown).
        memberType: t.int8({ v: '1+', default: -1 }),
      }),
      // INT32_MIN: operations not requested.
      authorizedOperations: t.int32({ default: -0x80000000 }),
    }),
  },
});
