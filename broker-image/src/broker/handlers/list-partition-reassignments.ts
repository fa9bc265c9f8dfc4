import { ERROR_CODES } from '../../protocol/errors.js';
import { ListPartitionReassignments } from '../../protocol/messages/list-partition-reassignments.js';
import { AclOperation } from '../../security/acl.js';
import { authorizedCluster } from '../../security/request-authorization.js';
import { defineHandler } from '../api-handler.js';

/** ListPartitionReassignments: partitions with replicas being added or removed (all, or those asked for). */
export const listPartitionReassignmentsHandler = defineHandler(
  ListPartitionReassignments,
  (request, context) => {
    const { services } = context;
    // As Kafka: DESCRIBE on the cluster.
    if (!authorizedCluster(context, AclOperation.DESCRIBE)) {
      return {
        throttleTimeMs: 0,
        errorCode: ERROR_CODES.CLUSTER_AUTHORIZATION_FAILED,
        errorMessage: 'Cluster authorization failed.',
        topics: [],
      };
    }
    const wanted =
      request.topics === null
        ? null
        : new Map(request.topics.map((t) => [t.name, new Set(t.partitionIndexes)]));
    const topics = [];
    for (const topic of services.metadata.topics()) {
      if (wanted && !wanted.has(topic.name)) continue;
      const partitions = topic.partitions
        .filter((p) => p.addingReplicas.length > 0 || p.removingReplicas.length > 0)
        .filter((p) => !wanted || wanted.get(topic.name)!.has(p.partition))
        .map((p) => ({
          partitionIndex: p.partition,
          replicas: [...p.replicas],
          addingReplicas: [...p.addingReplicas],
          removingReplicas: [...p.removingReplicas],
        }));
      if (partitions.length > 0) topics.push({ name: topic.name, partitions });
    }
    return { throttleTimeMs: 0, errorCode: ERROR_CODES.NONE, errorMessage: null, topics };
  },
);
