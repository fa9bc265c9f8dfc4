import { OFFSETS_TOPIC } from '../../groups/coordinator-key.js';
import { ERROR_CODES, errorCodeOf } from '../../protocol/errors.js';
import { WriteTxnMarkers } from '../../protocol/messages/write-txn-markers.js';
import { AclOperation } from '../../security/acl.js';
import { authorizedCluster } from '../../security/request-authorization.js';
import { defineHandler, type RequestContext } from '../api-handler.js';
import type { TxnMarkerEntry } from '../replica-manager.js';

interface MarkerTarget {
  readonly markerIndex: number;
  readonly topic: string;
  readonly partition: number;
  errorCode: number;
}

/** Runs the group coordinator's hook for a marker now in a `__consumer_offsets` partition. */
async function notifyOffsetsPartition(
  context: RequestContext,
  target: MarkerTarget,
  entry: TxnMarkerEntry,
): Promise<void> {
  try {
    await context.services.transactionMarkerHook.onTransactionMarker(
      target.partition,
      entry.marker.producerId,
      entry.marker.producerEpoch,
      entry.marker.committed,
    );
  } catch (error) {
    context.services.logger.warn(
      { err: error, partition: target.partition, producerId: entry.marker.producerId },
      'group coordinator could not complete a transaction marker',
    );
    target.errorCode = errorCodeOf(error);
  }
}

/**
 * WriteTxnMarkers, sent by a transaction coordinator to partition leaders: for each marker, each
 * partition this broker leads gets the COMMIT or ABORT control batch, replicated as acks=all
 * (`request.timeout.ms`); then each partition's error code. A marker in `__consumer_offsets` is
 * handed to the group coordinator's hook once written. As Kafka: CLUSTER_ACTION on the cluster,
 * else every partition is CLUSTER_AUTHORIZATION_FAILED; a partition the metadata does not know is
 * UNKNOWN_TOPIC_OR_PARTITION, one led elsewhere NOT_LEADER_OR_FOLLOWER.
 */
export const writeTxnMarkersHandler = defineHandler(WriteTxnMarkers, async (request, context) => {
  const { services } = context;
  const allowed = authorizedCluster(context, AclOperation.CLUSTER_ACTION);
  const targets: MarkerTarget[] = [];
  const entries: TxnMarkerEntry[] = [];
  const entryTargets: MarkerTarget[] = [];
  request.markers.forEach((m, markerIndex) => {
    for (const topic of m.topics) {
      for (const partition of topic.partitionIndexes) {
        const target: MarkerTarget = { markerIndex, topic: topic.name, partition, errorCode: 0 };
        targets.push(target);
        const metadata = services.metadata.topic(topic.name);
        if (!allowed) target.errorCode = ERROR_CODES.CLUSTER_AUTHORIZATION_FAILED;
        else if (!metadata || partition < 0 || partition >= metadata.partitions.length)
          target.errorCode = ERROR_CODES.UNKNOWN_TOPIC_OR_PARTITION;
        else {
          entries.push({
            topic: topic.name,
            partition,
            marker: {
              producerId: m.producerId,
              producerEpoch: m.producerEpoch,
              coordinatorEpoch: m.coordinatorEpoch,
              committed: m.transactionResult,
            },
            transactionVersion: m.transactionVersion,
          });
          entryTargets.push(target);
        }
      }
    }
  });
  if (entries.length > 0) {
    const results = await services.replicaManager.appendTxnMarkers(
      entries,
      services.config.requestTimeoutMs,
      (topic) => {
        const metadata = services.metadata.topic(topic);
        return metadata ? services.replicaManager.minInsyncReplicas(metadata) : 1;
      },
    );
    const hooks: Promise<void>[] = [];
    results.forEach((result, i) => {
      const target = entryTargets[i]!;
      target.errorCode = result.errorCode;
      if (result.errorCode === ERROR_CODES.NONE && target.topic === OFFSETS_TOPIC)
        hooks.push(notifyOffsetsPartition(context, target, entries[i]!));
    });
    await Promise.all(hooks);
  }
  return {
    markers: request.markers.map((m, markerIndex) => {
      const mine = targets.filter((t) => t.markerIndex === markerIndex);
      const topicNames = [...new Set(mine.map((t) => t.topic))];
      return {
        producerId: m.producerId,
        topics: topicNames.map((name) => ({
          name,
          partitions: mine
            .filter((t) => t.topic === name)
            .map((t) => ({ partitionIndex: t.partition, errorCode: t.errorCode })),
        })),
      };
    }),
  };
});
