import { defineApi } from '../schema/api.js';
import { t } from '../schema/fields.js';

export const DescribeProducers = defineApi({
  apiKey: 61,
  name: 'DescribeProducers',
  versions: [0, 0],
  flexibleFrom: 0,
  request: {
    topics: t.array({
      name: t.string(),
      partitionIndexes: t.arrayOf(t.int32()),
    }),
  },
  response: {
    throttleTimeMs: t.int32(),
    topics: t.array({
      name: t.string(),
      partitions: t.array({
        partitionIndex: t.int32(),
        errorCode: t.int16(),
        errorMessage: t.string({ nullable: '0+', default: null }),
        activeProducers: t.array({
          producerId: t.int64(),
          producerEpoch: t.int32(),
          lastSequence: t.int32({ default: -1 }),
          lastTimestamp: t.int64({ default: -1 }),
          coordinatorEpoch: t.int32(),
          currentTxnStartOffset: t.int64({ default: -1 }),
        }),
      }),
    }),
  },
});
