import { defineApi } from '../schema/api.js';
import { t } from '../schema/fields.js';

export const Metadata = defineApi({
  apiKey: 3,
  name: 'Metadata',
  versions: [0, 12],
  flexibleFrom: 9,
  request: {
    // v0 has no null: an empty array asks for every topic; from v1 null does, and empty asks for none.
    topics: t.array(
      {
        topicId: t.uuid({ v: '10+' }),
        name: t.string({ nullable: '10+' }),
      },
      { nullable: '1+' },
    ),
    allowAutoTopicCreation: t.bool({ v: '4+', default: true }),
    includeClusterAuthorizedOperations: t.bool({ v: '8-10' }),
    includeTopicAuthorizedOperations: t.bool({ v: '8+' }),
  },
  response: {
    throttleTimeMs: t.int32({ v: '3+' }),
    brokers: t.array({
      nodeId: t.int32(),
      host: t.string(),
      port: t.int32(),
      rack: t.string({ v: '1+', nullable: '1+', default: null }),
    }),
    clusterId: t.string({ v: '2+', nullable: '2+', default: null }),
    controllerId: t.int32({ v: '1+', default: -1 }),
    topics: t.array({
      errorCode: t.int16(),
      name: t.string({ nullable: '12+' }),
      topicId: t.uuid({ v: '10+' }),
      isInternal: t.bool({ v: '1+' }),
      partitions: t.array({
        errorCode: t.int16(),
        partitionIndex: t.int32(),
        leaderId: t.int32(),
        leaderEpoch: t.int32({ v: '7+', default: -1 }),
        replicaNodes: t.arrayOf(t.int32()),
        isrNodes: t.arrayOf(t.int32()),
        offlineReplicas: t.arrayOf(t.int32(), { v: '5+' }),
      }),
      topicAuthorizedOperations: t.int32({ v: '8+', default: -0x80000000 }),
    }),
    clusterAuthorizedOperations: t.int32({ v: '8-10', default: -0x80000000 }),
  },
});
