import { defineApi } from '../schema/api.js';
import { t } from '../schema/fields.js';

export const CreatePartitions = defineApi({
  apiKey: 37,
  name: 'CreatePartitions',
  versions: [0, 3],
  flexibleFrom: 2,
  request: {
    topics: t.array({
      name: t.string(),
      count: t.int32(),
      assignments: t.array({ brokerIds: t.arrayOf(t.int32()) }, { nullable: '0+' }),
    }),
    timeoutMs: t.int32(),
    validateOnly: t.bool(),
  },
  response: {
    throttleTimeMs: t.int32(),
    results: t.array({
      name: t.string(),
      errorCode: t.int16(),
      errorMessage: t.string({ nullable: '0+', default: null }),
    }),
  },
});
