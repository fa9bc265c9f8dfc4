import { defineApi } from '../schema/api.js';
import { t } from '../schema/fields.js';

export const InitProducerId = defineApi({
  apiKey: 22,
  name: 'InitProducerId',
  versions: [0, 4],
  flexibleFrom: 2,
  request: {
    transactionalId: t.string({ nullable: '0+' }),
    transactionTimeoutMs: t.int32(),
    producerId: t.int64({ v: '3+', default: -1 }),
    producerEpoch: t.int16({ v: '3+', default: -1 }),
  },
  response: {
    throttleTimeMs: t.int32(),
    errorCode: t.int16(),
    producerId: t.int64({ default: -1 }),
    producerEpoch: t.int16(),
  },
});
