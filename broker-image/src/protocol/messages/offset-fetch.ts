import { defineApi } from '../schema/api.js';
import { t } from '../schema/fields.js';

/**
 * v8 moved from a single group (top-level topics) to a batch of groups; v9 adds the member id and
 * epoch of a consumer group member. v10 (topic ids) is not served.
 */
export const OffsetFetch = defineApi({
  apiKey: 9,
  name: 'OffsetFetch',
  versions: [1, 9],
  flexibleFrom: 6,
  request: {
    groupId: t.string({ v: '0-7' }),
    // null (v2+) asks for every topic the group has committed offsets for.
    topics: t.array(
      {
        name: t.string({ v: '0-7' }),
        partitionIndexes: t.arrayOf(t.int32(), { v: '0-7' }),
      },
      { v: '0-7', nullable: '2-7' },
    ),
    groups: t.array(
      {
        groupId: t.string({ v: '8+' }),
        memberId: t.string({ v: '9+', nullable: '9+', default: null }),
        memberEpoch: t.int32({ v: '9+', default: -1 }),
        topics: t.array(
          {
            name: t.string({ v: '8+' }),
            partitionIndexes: t.arrayOf(t.int32(), { v: '8+' }),
          },
          { v: '8+', nullable: '8+' },
        ),
      },
      { v: '8+' },
    ),
    requireStable: t.bool({ v: '7+' }),
  },
  response: {
    throttleTimeMs: t.int32({ v: '3+' }),
    topics: t.array(
      {
        name: t.string({ v: '0-7' }),
        partitions: t.array(
          {
            partitionIndex: t.int32({ v: '0-7' }),
            committedOffset: t.int64({ v: '0-7' }),
            committedLeaderEpoch: t.int32({ v: '5-7', default: -1 }),
            metadata: t.string({ v: '0-7', nullable: '0-7' }),
            errorCode: t.int16({ v: '0-7' }),
          },
          { v: '0-7' },
        ),
      },
      { v: '0-7' },
    ),
    errorCode: t.int16({ v: '2-7' }),
    groups: t.array(
      {
        groupId: t.string({ v: '8+' }),
        topics: t.array(
          {
            name: t.string({ v: '8+' }),
            partitions: t.array(
              {
                partitionIndex: t.int32({ v: '8+' }),
                committedOffset: t.int64({ v: '8+' }),
                committedLeaderEpoch: t.int32({ v: '8+', default: -1 }),
                metadata: t.string({ v: '8+', nullable: '8+' }),
                errorCode: t.int16({ v: '8+' }),
              },
              { v: '8+' },
            ),
          },
          { v: '8+' },
        ),
        errorCode: t.int16({ v: '8+' }),
      },
      { v: '8+' },
    ),
  },
});
