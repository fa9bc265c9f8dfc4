import { ERROR_CODES } from '../../protocol/errors.js';
import { Fetch } from '../../protocol/messages/fetch.js';
import { AclOperation } from '../../security/acl.js';
import { authorizedCluster, authorizedTopic } from '../../security/request-authorization.js';
import { defineHandler } from '../api-handler.js';
import type { FetchPartitionResult } from '../replica-manager.js';

/**
 * Fetch, for consumers (up to the high watermark, or under read_committed the last stable offset,
 * with the aborted transactions among the records) and follower replicas (`replicaId` ≥ 0: up to the
 * log end, told where their log diverges): whole stored batches from each partition, long-polling
 * up to `maxWaitMs` for `minBytes`. Incremental fetch sessions are declined (session id 0), which
 * every client handles by sending full fetch requests.
 *
 * As Kafka: a consumer needs READ on each topic, a follower CLUSTER_ACTION on the cluster; a
 * partition refused is TOPIC_AUTHORIZATION_FAILED.
 */
export const fetchHandler = defineHandler(Fetch, async (request, context) => {
  const { services, afterResponse } = context;
  const followerAllowed = request.replicaId < 0 || authorizedCluster(context, AclOperation.CLUSTER_ACTION);
  const readable = new Map<string, boolean>();
  const allowed = (topic: string): boolean => {
    if (request.replicaId >= 0) return followerAllowed;
    let answer = readable.get(topic);
    if (answer === undefined) {
      answer = authorizedTopic(context, AclOperation.READ, topic);
      readable.set(topic, answer);
    }
    return answer;
  };
  const requested = request.topics.flatMap((t) =>
    t.partitions.map((p) => ({
      topic: t.topic,
      partition: p.partition,
      fetchOffset: p.fetchOffset,
      partitionMaxBytes: p.partitionMaxBytes,
      currentLeaderEpoch: p.currentLeaderEpoch,
      lastFetchedEpoch: p.lastFetchedEpoch,
    })),
  );
  const partitions = requested.filter((p) => allowed(p.topic));
  const lease = services.readBuffers.lease();
  afterResponse(() => lease.release());
  // With nothing it may read, the answer is at once (no long poll).
  const fetched =
    partitions.length === 0 && requested.length > 0
      ? []
      : await services.replicaManager.fetchMessages({
          allocate: lease.allocate,
          replicaId: request.replicaId,
          isolationLevel: request.isolationLevel,
          maxWaitMs: request.maxWaitMs,
          minBytes: request.minBytes,
          maxBytes: request.maxBytes,
          partitions,
        });
  let next = 0;
  const results = requested.map((p): FetchPartitionResult =>
    allowed(p.topic)
      ? fetched[next++]!
      : {
          topic: p.topic,
          partition: p.partition,
          errorCode: ERROR_CODES.TOPIC_AUTHORIZATION_FAILED,
          highWatermark: -1,
          lastStableOffset: -1,
          logStartOffset: -1,
          records: Buffer.alloc(0),
        },
  );
  let i = 0;
  return {
    throttleTimeMs: 0,
    errorCode: 0,
    sessionId: 0,
    responses: request.topics.map((t) => ({
      topic: t.topic,
      partitions: t.partitions.map(() => {
        const r = results[i++]!;
        return {
          partitionIndex: r.partition,
          errorCode: r.errorCode,
          highWatermark: r.highWatermark,
          lastStableOffset: r.lastStableOffset,
          logStartOffset: r.logStartOffset,
          abortedTransactions: r.abortedTransactions ? [...r.abortedTransactions] : null,
          preferredReadReplica: -1,
          records: r.records,
          ...(r.divergingEpoch ? { divergingEpoch: r.divergingEpoch } : {}),
        };
      }),
    })),
  };
});
