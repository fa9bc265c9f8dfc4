import { defineApi } from '../schema/api.js';
import { t } from '../schema/fields.js';

/**
 * KIP-848's heartbeat: a consumer group member joins (memberEpoch 0), heartbeats with its epoch and
 * leaves (-1, or -2 for a static member that will come back). Null fields mean "unchanged since the
 * last heartbeat". From v1 the client generates its member id.
 */
export const ConsumerGroupHeartbeat = defineApi({
  apiKey: 68,
  name: 'ConsumerGroupHeartbeat',
  versions: [0, 1],
  flexibleFrom: 0,
  request: {
    groupId: t.string(),
    memberId: t.string(),
    memberEpoch: t.int32(),
    instanceId: t.string({ nullable: '0+', default: null }),
    rackId: t.string({ nullable: '0+', default: null }),
    rebalanceTimeoutMs: t.int32({ default: -1 }),
    subscribedTopicNames: t.arrayOf(t.string(), { nullable: '0+', default: null }),
    subscribedTopicRegex: t.string({ v: '1+', nullable: '1+', default: null }),
    serverAssignor: t.string({ nullable: '0+', default: null }),
    topicPartitions: t.array(
      {
        topicId: t.uuid(),
        partitions: t.arrayOf(t.int32()),
      },
      { nullable: '0+', default: null },
    ),
  },
  response: {
    throttleTimeMs: t.int32(),
    errorCode: t.int16(),
    errorMessage: t.string({ nullable: '0+', default: null }),
    memberId: t.string({ nullable: '0+', default: null }),
    memberEpoch: t.int32(),
    heartbeatIntervalMs: t.int32(),
    assignment: t.struct(
      {
        topicPartitions: t.array({
          topicId: t.uuid(),
          partitions: t.arrayOf(t.int32()),
        }),
      },
      { nullable: '0+', default: null },
    ),
  },
});
