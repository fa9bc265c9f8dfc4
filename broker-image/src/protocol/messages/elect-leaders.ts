import { defineApi } from '../schema/api.js';
import { t } from '../schema/fields.js';

export const ElectLeaders = defineApi({
  apiKey: 43,
  name: 'ElectLeaders',
  versions: [0, 2],
  flexibleFrom: 2,
  request: {
    // Absent in v0, where only preferred-replica election (0) exists.
    electionType: t.int8({ v: '1+' }),
    topicPartitions: t.array({ topic: t.string(), partitions: t.arrayOf(t.int32()) }, { nullable: '0+' }),
    timeoutMs: t.int32({ default: 60000 }),
  },
  response: {
    throttleTimeMs: t.int32(),
    errorCode: t.int16({ v: '1+' }),
    replicaElectionResults: t.array({
      topic: t.string(),
      partitionResult: t.array({
        partitionId: t.int32(),
        errorCode: t.int16(),
        errorMessage: t.string({ nullable: '0+' }),
      }),
    }),
  },
});
