import { ERROR_CODES } from '../../protocol/errors.js';
import { DescribeCluster } from '../../protocol/messages/describe-cluster.js';
import { defineHandler } from '../api-handler.js';
import { ALL_CLUSTER_OPERATIONS } from './authorized-operations.js';

const BROKERS_ENDPOINT_TYPE = 1;

/** DescribeCluster: the cluster id, controller and brokers (the admin client's describeCluster). */
export const describeClusterHandler = defineHandler(DescribeCluster, (request, { services, listener }) => {
  if (request.endpointType !== BROKERS_ENDPOINT_TYPE) {
    return {
      throttleTimeMs: 0,
      errorCode: ERROR_CODES.UNSUPPORTED_ENDPOINT_TYPE,
      errorMessage: 'only broker endpoints are served',
      endpointType: request.endpointType,
      clusterId: services.metadata.clusterId,
      brokers: [],
    };
  }
  return {
    throttleTimeMs: 0,
    errorCode: ERROR_CODES.NONE,
    errorMessage: null,
    endpointType: BROKERS_ENDPOINT_TYPE,
    clusterId: services.metadata.clusterId,
    controllerId: services.metadata.controllerId(),
    brokers: services.metadata.brokers().flatMap((b) => {
      const endpoint = b.endpoints.find((e) => e.listener === listener.name);
      return endpoint ? [{ brokerId: b.nodeId, host: endpoint.host, port: endpoint.port, rack: b.rack }] : [];
    }),
    clusterAuthorizedOperations: request.includeClusterAuthorizedOperations
      ? ALL_CLUSTER_OPERATIONS
      : -0x80000000,
  };
});
