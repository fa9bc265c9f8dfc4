import { defineApi } from '../schema/api.js';
import { t } from '../schema/fields.js';

export const DeleteRecords = defineApi({
  apiKey: 21,
  name: 'DeleteRecords',
  versions: [0, 2],
  flexibleFrom: 2,
  request: {
    topics: t.array({
      name: t.string(),
      partitions: t.array({
        partitionIndex: t.int32(),
        offset: t.int64(),
      }),
    }),
    timeoutMs: t.int32(),
  },
  response: {
    throttleTimeMs: t.int32(),
    topics: t.array({
      name: t.string(),
      partitions: t.array({
        partitionIndex: t.int32(),
        lowWatermark: t.int64(),
        errorCode: t.int16(),
      }),
    }),
  },
});
