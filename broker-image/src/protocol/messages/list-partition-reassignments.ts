import { defineApi } from '../schema/api.js';
import { t } from '../schema/fields.js';

export const ListPartitionReassignments = defineApi({
  apiKey: 46,
  name: 'ListPartitionReassignments',
  versions: [0, 0],
  flexibleFrom: 0,
  request: {
    timeoutMs: t.int32({ default: 60000 }),
    topics: t.array(
      { name: t.string(), partitionIndexes: t.arrayOf(t.int32()) },
      { nullable: '0+', default: null },
    ),
  },
  response: {
    throttleTimeMs: t.int32(),
    errorCode: t.int16(),
    errorMessage: t.string({ nullable: '0+' }),
    topics: t.array({
      name: t.string(),
      partitions: t.array({
        partitionIndex: t.int32(),
        replicas: t.arrayOf(t.int32()),
        addingReplicas: t.arrayOf(t.int32()),
        removingReplicas: t.arrayOf(t.int32()),
      }),
    }),
  },
});
