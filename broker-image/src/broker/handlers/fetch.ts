import { Fetch } from '../../protocol/messages/fetch.js';
import { defineHandler } from '../api-handler.js';

/**
 * Fetch, for consumers (up to the high watermark) and follower replicas (`replicaId` ≥ 0: up to the
 * log end, told where their log diverges): whole stored batches from each partition, long-polling
 * up to `maxWaitMs` for `minBytes`. Incremental fetch sessions are declined (session id 0), which
 * every client handles by sending full fetch requests.
 */
export const fetchHandler = defineHandler(Fetch, async (request, { services, afterResponse }) => {
  const partitions = request.topics.flatMap((t) =>
    t.partitions.map((p) => ({
      topic: t.topic,
      partition: p.partition,
      fetchOffset: p.fetchOffset,
      partitionMaxBytes: p.partitionMaxBytes,
      currentLeaderEpoch: p.currentLeaderEpoch,
      lastFetchedEpoch: p.lastFetchedEpoch,
    })),
  );
  const lease = services.readBuffers.lease();
  afterResponse(() => lease.release());
  const results = await services.replicaManager.fetchMessages({
    allocate: lease.allocate,
    replicaId: request.replicaId,
    maxWaitMs: request.maxWaitMs,
    minBytes: request.minBytes,
    maxBytes: request.maxBytes,
    partitions,
  });
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
          abortedTransactions: null,
          preferredReadReplica: -1,
          records: r.records,
          ...(r.divergingEpoch ? { divergingEpoch: r.divergingEpoch } : {}),
        };
      }),
    })),
  };
});
