import { defineApi } from '../schema/api.js';
import { t } from '../schema/fields.js';

/** Versions 0-2 are advertised (old librdkafka checks features by them) but refused. */
export const Produce = defineApi({
  apiKey: 0,
  name: 'Produce',
  versions: [0, 9],
  flexibleFrom: 9,
  request: {
    transactionalId: t.string({ v: '3+', nullable: '3+', default: null }),
    acks: t.int16(),
    timeoutMs: t.int32(),
    topicData: t.array({
      name: t.string(),
      partitionData: t.array({
        index: t.int32(),
        records: t.records(),
      }),
    }),
  },
  response: {
    responses: t.array({
      name: t.string(),
      partitionResponses: t.array({
        index: t.int32(),
        errorCode: t.int16(),
        baseOffset: t.int64(),
        logAppendTimeMs: t.int64({ v: '2+', default: -1 }),
        logStartOffset: t.int64({ v: '5+', default: -1 }),
        recordErrors: t.array(
          { batchIndex: t.int32(), batchIndexErrorMessage: t.string({ nullable: '8+', default: null }) },
          { v: '8+' },
        ),
        errorMessage: t.string({ v: '8+', nullable: '8+', default: null }),
      }),
    }),
    throttleTimeMs: t.int32({ v: '1+' }),
  },
});
