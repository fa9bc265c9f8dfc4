import { defineApi } from '../schema/api.js';
import { t } from '../schema/fields.js';

export const DescribeCluster = defineApi({
  apiKey: 60,
  name: 'DescribeCluster',
  versions: [0, 1],
  flexibleFrom: 0,
  request: {
    includeClusterAuthorizedOperations: t.bool(),
    endpointType: t.int8({ v: '1+', default: 1 }),
  },
  response: {
    throttleTimeMs: t.int32(),
    errorCode: t.int16(),
    errorMessage: t.string({ nullable: '0+', default: null }),
    endpointType: t.int8({ v: '1+', default: 1 }),
    clusterId: t.string(),
    controllerId: t.int32({ default: -1 }),
    brokers: t.array({
      brokerId: t.int32(),
      host: t.string(),
      port: t.int32(),
      rack: t.string({ nullable: '0+', default: null }),
    }),
    clusterAuthorizedOperations: t.int32({ default: -0x80000000 }),
  },
});
