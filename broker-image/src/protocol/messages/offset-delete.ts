import { defineApi } from '../schema/api.js';
import { t } from '../schema/fields.js';

export const OffsetDelete = defineApi({
  apiKey: 47,
  name: 'OffsetDelete',
  versions: [0, 0],
  request: {
    groupId: t.string(),
    topics: t.array({
      name: t.string(),
      partitions: t.array({
        partitionIndex: t.int32(),
      }),
    }),
  },
  response: {
    // Unlike most responses, errorCode comes before throttleTimeMs.
    errorCode: t.int16(),
    throttleTimeMs: t.int32(),
    topics: t.array({
      name: t.string(),
      partitions: t.array({
        partitionIndex: t.int32(),
        errorCode: t.int16(),
      }),
    }),
  },
});
