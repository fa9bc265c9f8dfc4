import { defineApi } from '../schema/api.js';
import { t } from '../schema/fields.js';

/** v0-1 are not served: Kafka 4 removed them (KIP-896). */
export const OffsetForLeaderEpoch = defineApi({
  apiKey: 23,
  name: 'OffsetForLeaderEpoch',
  versions: [2, 4],
  flexibleFrom: 4,
  request: {
    // Absent before v3, so those requests read as -2: a debugging client, not held to the high watermark.
    replicaId: t.int32({ v: '3+', default: -2 }),
    topics: t.array({
      topic: t.string(),
      partitions: t.array({
        partition: t.int32(),
        currentLeaderEpoch: t.int32({ v: '2+', default: -1 }),
        leaderEpoch: t.int32(),
      }),
    }),
  },
  response: {
    throttleTimeMs: t.int32({ v: '2+' }),
    topics: t.array({
      topic: t.string(),
      partitions: t.array({
        errorCode: t.int16(),
        partition: t.int32(),
        leaderEpoch: t.int32({ v: '1+', default: -1 }),
        endOffset: t.int64({ default: -1 }),
      }),
    }),
  },
});
