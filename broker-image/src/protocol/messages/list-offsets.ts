import { defineApi } from '../schema/api.js';
import { t } from '../schema/fields.js';

/** v0 (maxNumOffsets, oldStyleOffsets) is not served. */
export const ListOffsets = defineApi({
  apiKey: 2,
  name: 'ListOffsets',
  versions: [1, 7],
  flexibleFrom: 6,
  request: {
    replicaId: t.int32(),
    isolationLevel: t.int8({ v: '2+' }),
    topics: t.array({
      name: t.string(),
      partitions: t.array({
        partitionIndex: t.int32(),
        currentLeaderEpoch: t.int32({ v: '4+', default: -1 }),
        timestamp: t.int64(),
      }),
    }),
  },
  response: {
    throttleTimeMs: t.int32({ v: '2+' }),
    topics: t.array({
      name: t.string(),
      partitions: t.array({
        partitionIndex: t.int32(),
        errorCode: t.int16(),
        timestamp: t.int64({ v: '1+', default: -1 }),
        offset: t.int64({ v: '1+', default: -1 }),
        leaderEpoch: t.int32({ v: '4+', default: -1 }),
      }),
    }),
  },
});
