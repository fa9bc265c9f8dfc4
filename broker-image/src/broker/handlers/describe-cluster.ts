import { ERROR_CODES } from '../../protocol/errors.js';
import { DescribeCluster } from '../../protocol/messages/describe-cluster.js';
import { AclOperation, ResourceType, CLUSTER_NAME } from '../../security/acl.js';
import { authorizedCluster, authorizedOperations } from '../../security/request-authorization.js';
import { defineHandler } from '../api-handler.js';
import { ALL_CLUSTER_OPERATIONS } from './authorized-operations.js';

const BROKERS_ENDPOINT_TYPE = 1;

/** DescribeCluster: the cluster id, controller and brokers (the admin client's describeCluster). */
export const describeClusterHandler = defineHandler(DescribeCluster, (request, context) => {
  const { services, listener } = context;
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
    // As Kafka: the operations only with DESCRIBE on the cluster (else none).
    clusterAuthorizedOperations: request.includeClusterAuthorizedOperations
      ? authorizedCluster(context, AclOperation.DESCRIBE)
        ? authorizedOperations(context, ResourceType.CLUSTER, CLUSTER_NAME, ALL_CLUSTER_OPERATIONS)
        : 0
      : -0x80000000,
  };
});
