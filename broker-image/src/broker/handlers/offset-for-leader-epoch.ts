import { ERROR_CODES, KafkaError, errorCodeOf } from '../../protocol/errors.js';
import { OffsetForLeaderEpoch } from '../../protocol/messages/offset-for-leader-epoch.js';
import { AclOperation } from '../../security/acl.js';
import { authorizedCluster, authorizedTopic } from '../../security/request-authorization.js';
import { defineHandler } from '../api-handler.js';

/**
 * OffsetForLeaderEpoch: the end offset of a leader epoch on this leader (the start of the next
 * epoch, or the log end for the latest), with the largest epoch at or below the one asked for.
 * Consumers use it to check their position after a leader change (KIP-320).
 *
 * As Kafka: a follower (replicaId ≥ 0) needs CLUSTER_ACTION on the cluster, a consumer DESCRIBE
 * on each topic.
 */
export const offsetForLeaderEpochHandler = defineHandler(OffsetForLeaderEpoch, (request, context) => {
  const { services } = context;
  const follower = request.replicaId >= 0;
  const clusterRefused = follower && !authorizedCluster(context, AclOperation.CLUSTER_ACTION);
  return {
    throttleTimeMs: 0,
    topics: request.topics.map((t) => ({
      topic: t.topic,
      partitions: t.partitions.map((p) => {
        try {
          if (clusterRefused) throw new KafkaError('CLUSTER_AUTHORIZATION_FAILED');
          if (!follower && !authorizedTopic(context, AclOperation.DESCRIBE, t.topic))
            throw new KafkaError('TOPIC_AUTHORIZATION_FAILED');
          const partition = services.replicaManager.leaderPartition(t.topic, p.partition);
          partition.validateLeaderEpoch(p.currentLeaderEpoch);
          const log = partition.log;
          const { epoch, endOffset } = log.leaderEpochCache.endOffsetFor(p.leaderEpoch, log.logEndOffset);
          return { errorCode: ERROR_CODES.NONE, partition: p.partition, leaderEpoch: epoch, endOffset };
        } catch (error) {
          return { errorCode: errorCodeOf(error), partition: p.partition, leaderEpoch: -1, endOffset: -1 };
        }
      }),
    })),
  };
});
