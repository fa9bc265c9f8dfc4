import { defineApi } from '../schema/api.js';
import { t } from '../schema/fields.js';

/** Broker to broker: a transaction coordinator asks partition leaders to write COMMIT/ABORT markers. */
export const WriteTxnMarkers = defineApi({
  apiKey: 27,
  name: 'WriteTxnMarkers',
  versions: [1, 2],
  flexibleFrom: 1,
  request: {
    markers: t.array({
      producerId: t.int64(),
      producerEpoch: t.int16(),
      /** false = ABORT, true = COMMIT. */
      transactionResult: t.bool(),
      topics: t.array({
        name: t.string(),
        partitionIndexes: t.arrayOf(t.int32()),
      }),
      coordinatorEpoch: t.int32(),
      /** 0/1 the classic transaction protocol, 2 KIP-890's (markers carry a bumped epoch). */
      transactionVersion: t.int8({ v: '2+', default: 0 }),
    }),
  },
  response: {
    markers: t.array({
      producerId: t.int64(),
      topics: t.array({
        name: t.string(),
        partitions: t.array({
          partitionIndex: t.int32(),
          errorCode: t.int16(),
        }),
      }),
    }),
  },
});
