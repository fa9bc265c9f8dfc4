import { ERROR_CODES, KafkaError, errorCodeOf } from '../../protocol/errors.js';
import { DescribeProducers } from '../../protocol/messages/describe-producers.js';
import { AclOperation } from '../../security/acl.js';
import { authorizedTopic } from '../../security/request-authorization.js';
import { defineHandler } from '../api-handler.js';

/**
 * DescribeProducers: the active producers of each partition, from its leader's producer state
 * (id, epoch, last sequence and timestamp, the coordinator epoch of its last marker, the start of
 * its ongoing transaction). As Kafka: READ on the topic, else TOPIC_AUTHORIZATION_FAILED; a
 * partition unknown to the metadata is UNKNOWN_TOPIC_OR_PARTITION, one led elsewhere
 * NOT_LEADER_OR_FOLLOWER.
 */
export const describeProducersHandler = defineHandler(DescribeProducers, (request, context) => {
  const { services } = context;
  return {
    throttleTimeMs: 0,
    topics: request.topics.map((t) => ({
      name: t.name,
      partitions: t.partitionIndexes.map((partitionIndex) => {
        try {
          if (!authorizedTopic(context, AclOperation.READ, t.name))
            throw new KafkaError(
              'TOPIC_AUTHORIZATION_FAILED',
              `Not authorized to access topics: [${t.name}]`,
            );
          const metadata = services.metadata.topic(t.name);
          if (!metadata || partitionIndex < 0 || partitionIndex >= metadata.partitions.length)
            throw new KafkaError('UNKNOWN_TOPIC_OR_PARTITION', `${t.name}-${partitionIndex} does not exist`);
          const partition = services.replicaManager.leaderPartition(t.name, partitionIndex);
          return {
            partitionIndex,
            errorCode: ERROR_CODES.NONE,
            errorMessage: null,
            activeProducers: partition.log.producerState.activeProducers(),
          };
        } catch (error) {
          return {
            partitionIndex,
            errorCode: errorCodeOf(error),
            errorMessage: error instanceof Error ? error.message : null,
            activeProducers: [],
          };
        }
      }),
    })),
  };
});
