import { cancelReassignment, startReassignment } from '../../cluster/partition-states.js';
import { ERROR_CODES, KafkaError, errorCodeOf, errorMessageOf } from '../../protocol/errors.js';
import { AlterPartitionReassignments } from '../../protocol/messages/alter-partition-reassignments.js';
import { AclOperation } from '../../security/acl.js';
import { authorizedCluster } from '../../security/request-authorization.js';
import { defineHandler } from '../api-handler.js';

/**
 * AlterPartitionReassignments (what `kafka-reassign-partitions --execute` sends): records each
 * partition's target replicas; the controller adds the new replicas, waits for them to join the
 * ISR, moves leadership if the leader leaves, then drops the old ones. `replicas: null` cancels a
 * reassignment in progress.
 */
export const alterPartitionReassignmentsHandler = defineHandler(
  AlterPartitionReassignments,
  async (request, context) => {
    const { services } = context;
    // As Kafka: ALTER on the cluster.
    if (!authorizedCluster(context, AclOperation.ALTER)) {
      return {
        throttleTimeMs: 0,
        errorCode: ERROR_CODES.CLUSTER_AUTHORIZATION_FAILED,
        errorMessage: 'Cluster authorization failed.',
        responses: request.topics.map((t) => ({
          name: t.name,
          partitions: t.partitions.map((p) => ({
            partitionIndex: p.partitionIndex,
            errorCode: ERROR_CODES.CLUSTER_AUTHORIZATION_FAILED,
            errorMessage: 'Cluster authorization failed.',
          })),
        })),
      };
    }
    const brokers = new Set(services.metadata.brokers().map((b) => b.nodeId));
    const responses = [];
    for (const t of request.topics) {
      const partitions = [];
      for (const p of t.partitions) {
        try {
          const topic = services.metadata.topic(t.name);
          const state = topic?.partitions[p.partitionIndex];
          if (!topic || !state)
            throw new KafkaError(
              'UNKNOWN_TOPIC_OR_PARTITION',
              `${t.name}-${p.partitionIndex} does not exist`,
            );
          let next;
          if (p.replicas === null) {
            next = cancelReassignment(state);
            if (!next)
              throw new KafkaError(
                'NO_REASSIGNMENT_IN_PROGRESS',
                `no reassignment of ${t.name}-${p.partitionIndex} is in progress`,
              );
          } else {
            const target = p.replicas;
            if (target.length === 0)
              throw new KafkaError('INVALID_REPLICA_ASSIGNMENT', 'the target replica list is empty');
            if (new Set(target).size !== target.length)
              throw new KafkaError('INVALID_REPLICA_ASSIGNMENT', 'the target lists a broker twice');
            const unknown = target.find((id) => !brokers.has(id));
            if (unknown !== undefined)
              throw new KafkaError('INVALID_REPLICA_ASSIGNMENT', `broker ${unknown} is not registered`);
            next = startReassignment(state, target);
          }
          if (!(await services.metadata.updatePartition(t.name, next, state.partitionEpoch))) {
            throw new KafkaError(
              'REASSIGNMENT_IN_PROGRESS',
              `${t.name}-${p.partitionIndex} changed concurrently; retry`,
            );
          }
          services.logger.info(
            { topic: t.name, partition: p.partitionIndex, target: p.replicas },
            'reassignment recorded',
          );
          partitions.push({
            partitionIndex: p.partitionIndex,
            errorCode: ERROR_CODES.NONE,
            errorMessage: null,
          });
        } catch (error) {
          partitions.push({
            partitionIndex: p.partitionIndex,
            errorCode: errorCodeOf(error),
            errorMessage: errorMessageOf(error),
          });
        }
      }
      responses.push({ name: t.name, partitions });
    }
    return { throttleTimeMs: 0, errorCode: ERROR_CODES.NONE, errorMessage: null, responses };
  },
);
