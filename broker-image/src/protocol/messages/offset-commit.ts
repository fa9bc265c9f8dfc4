import { defineApi } from '../schema/api.js';
import { t } from '../schema/fields.js';

/**
 * v0-1 are not served (v1's per-partition commitTimestamp is therefore not declared). From v9 a
 * consumer group member sends its member epoch in generationIdOrMemberEpoch. v10 (topic ids) is not served.
 */
export const OffsetCommit = defineApi({
  apiKey: 8,
  name: 'OffsetCommit',
  versions: [2, 9],
  flexibleFrom: 8,
  request: {
    groupId: t.string(),
    generationIdOrMemberEpoch: t.int32({ v: '1+', default: -1 }),
    memberId: t.string({ v: '1+' }),
    groupInstanceId: t.string({ v: '7+', nullable: '7+', default: null }),
    retentionTimeMs: t.int64({ v: '2-4', default: -1 }),
    topics: t.array({
      name: t.string(),
      partitions: t.array({
        partitionIndex: t.int32(),
        committedOffset: t.int64(),
        committedLeaderEpoch: t.int32({ v: '6+', default: -1 }),
        committedMetadata: t.string({ nullable: '0+' }),
      }),
    }),
  },
  response: {
    throttleTimeMs: t.int32({ v: '3+' }),
    topics: t.array({
      name: t.string(),
      partitions: t.array({
        partitionIndex: t.int32(),
        errorCode: t.int16(),
      }),
    }),
  },
});
