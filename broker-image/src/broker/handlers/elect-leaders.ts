import { electLeader, preferPreferredLeader } from '../../cluster/partition-states.js';
import { ERROR_CODES, KafkaError, errorCodeOf, errorMessageOf } from '../../protocol/errors.js';
import { ElectLeaders } from '../../protocol/messages/elect-leaders.js';
import { AclOperation } from '../../security/acl.js';
import { authorizedCluster } from '../../security/request-authorization.js';
import { defineHandler } from '../api-handler.js';

const PREFERRED = 0;

/**
 * ElectLeaders (`kafka-leader-election`): preferred-replica elections move leadership to each
 * partition's first replica when it is in sync; unclean elections give a leaderless partition any
 * live replica (which may lose data). Partitions already led as asked get ELECTION_NOT_NEEDED.
 */
export const electLeadersHandler = defineHandler(ElectLeaders, async (request, context) => {
  const { services, apiVersion } = context;
  // As Kafka: ALTER on the cluster, else every partition asked for is CLUSTER_AUTHORIZATION_FAILED.
  if (!authorizedCluster(context, AclOperation.ALTER)) {
    return {
      throttleTimeMs: 0,
      errorCode: ERROR_CODES.CLUSTER_AUTHORIZATION_FAILED,
      replicaElectionResults: (request.topicPartitions ?? []).map((t) => ({
        topic: t.topic,
        partitionResult: t.partitions.map((partitionId) => ({
          partitionId,
          errorCode: ERROR_CODES.CLUSTER_AUTHORIZATION_FAILED,
          errorMessage: null,
        })),
      })),
    };
  }
  const type = apiVersion === 0 ? PREFERRED : request.electionType;
  const alive = new Set(services.metadata.brokers().map((b) => b.nodeId));
  const requested =
    request.topicPartitions === null
      ? services.metadata
          .topics()
          .map((t) => ({ topic: t.name, partitions: t.partitions.map((p) => p.partition) }))
      : request.topicPartitions;
  const replicaElectionResults = [];
  for (const { topic: name, partitions } of requested) {
    const partitionResult = [];
    for (const partitionId of partitions) {
      try {
        const state = services.metadata.topic(name)?.partitions[partitionId];
        if (!state)
          throw new KafkaError('UNKNOWN_TOPIC_OR_PARTITION', `${name}-${partitionId} does not exist`);
        const next =
          type === PREFERRED ? preferPreferredLeader(state, alive) : electLeader(state, alive, true);
        if (!next) {
          if (type === PREFERRED && state.leader !== state.replicas[0]) {
            throw new KafkaError(
              'PREFERRED_LEADER_NOT_AVAILABLE',
              `the preferred leader of ${name}-${partitionId} is not in sync`,
            );
          }
          throw new KafkaError('ELECTION_NOT_NEEDED', `${name}-${partitionId} is already led as asked`);
        }
        if (!(await services.metadata.updatePartition(name, next, state.partitionEpoch))) {
          throw new KafkaError('NOT_CONTROLLER', `${name}-${partitionId} changed concurrently; retry`);
        }
        partitionResult.push({ partitionId, errorCode: ERROR_CODES.NONE, errorMessage: null });
      } catch (error) {
        partitionResult.push({
          partitionId,
          errorCode: errorCodeOf(error),
          errorMessage: errorMessageOf(error),
        });
      }
    }
    replicaElectionResults.push({ topic: name, partitionResult });
  }
  return { throttleTimeMs: 0, errorCode: ERROR_CODES.NONE, replicaElectionResults };
});
