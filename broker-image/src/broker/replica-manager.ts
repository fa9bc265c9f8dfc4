import type { ReadAllocator } from '../storage/read-buffer-pool.js';
import type { Logger } from 'pino';
import type { BrokerConfig } from '../config/broker-config.js';
import { logConfigFor, topicConfigValue } from '../config/topic-configs.js';
import type { PartitionState, TopicMetadata } from '../cluster/metadata.js';
import { Partition } from '../cluster/partition.js';
import {
  ERROR_CODES,
  KafkaError,
  RecordValidationError,
  errorCodeOf,
  type RecordError,
} from '../protocol/errors.js';
import type { EndTxnMarker } from '../protocol/records/control-records.js';
import type { LogManager } from '../storage/log-manager.js';
import type { PartitionLog } from '../storage/partition-log.js';
import { batchesOf } from '../protocol/records/record-batch.js';
import { topicPartitionKey } from '../storage/topic-partition.js';
import type { Clock } from '../util/clock.js';
import type { BrokerMetrics } from '../admin/metrics.js';
import { Purgatory } from './purgatory.js';

export interface ProduceEntry {
  readonly topic: string;
  readonly partition: number;
  readonly records: Buffer | null;
}

export interface ProducePartitionResult {
  readonly errorCode: number;
  readonly errorMessage: string | null;
  readonly baseOffset: number;
  readonly logAppendTime: number;
  readonly logStartOffset: number;
  /** The records of a refused batch that broke a rule, by index (KIP-467). */
  readonly recordErrors?: readonly RecordError[];
}

/** One transaction marker for one partition this broker should lead (WriteTxnMarkers). */
export interface TxnMarkerEntry {
  readonly topic: string;
  readonly partition: number;
  readonly marker: EndTxnMarker;
  /** The transaction protocol the marker ends a transaction of (2: its epoch is a bumped one). */
  readonly transactionVersion: number;
}

export interface TxnMarkerResult {
  readonly errorCode: number;
  readonly errorMessage: string | null;
  /** The marker's offset when it was written. */
  readonly offset: number;
}

export interface FetchPartitionRequest {
  readonly topic: string;
  readonly partition: number;
  readonly fetchOffset: number;
  readonly partitionMaxBytes: number;
  readonly currentLeaderEpoch: number;
  /** A follower's latest epoch (Fetch v12+), to detect where its log diverges; -1 if none. */
  readonly lastFetchedEpoch: number;
}

export interface FetchPartitionResult {
  readonly topic: string;
  readonly partition: number;
  readonly errorCode: number;
  readonly highWatermark: number;
  readonly lastStableOffset: number;
  readonly logStartOffset: number;
  readonly records: Buffer | null;
  /** read_committed: the aborted transactions overlapping the records (null for read_uncommitted). */
  readonly abortedTransactions?: readonly { producerId: number; firstOffset: number }[] | null;
  /** For a follower whose log diverged: the epoch and end offset to truncate to. */
  readonly divergingEpoch?: { epoch: number; endOffset: number };
}

export interface FetchParams {
  /** -1 for consumers; a broker id for a follower replica. */
  readonly replicaId: number;
  /** 0 read_uncommitted (up to the high watermark), 1 read_committed (up to the last stable offset). */
  readonly isolationLevel?: number;
  readonly maxWaitMs: number;
  readonly minBytes: number;
  readonly maxBytes: number;
  readonly partitions: readonly FetchPartitionRequest[];
  /** Where the log data is read into (the response's pooled buffers); fresh buffers by default. */
  readonly allocate?: ReadAllocator;
}

/** Proposes a partition state change (an ISR change) to the controller's store; false if it raced. */
export type PartitionStateWriter = (
  topic: string,
  state: PartitionState,
  expectedPartitionEpoch: number,
) => Promise<boolean>;

const EMPTY_RECORDS = Buffer.alloc(0);

/** Fetch's and ListOffsets' isolation_level for read_committed. */
export const READ_COMMITTED = 1;

/**
 * The aborted transactions a read_committed consumer needs to skip in `records` read from
 * `fetchOffset`: those overlapping [fetchOffset, the offset after the last batch), as Kafka sends.
 */
function abortedTransactionsIn(
  log: PartitionLog,
  fetchOffset: number,
  records: Buffer,
): { producerId: number; firstOffset: number }[] {
  let upperBound: number | undefined;
  for (const batch of batchesOf(records)) upperBound = batch.nextOffset;
  if (upperBound === undefined) return [];
  return log
    .collectAbortedTransactions(fetchOffset, upperBound)
    .map((txn) => ({ producerId: txn.producerId, firstOffset: txn.firstOffset }));
}

/** Room a transaction marker needs on disk: one small control batch. */
const RECORD_BATCH_OVERHEAD_ESTIMATE = 128;

const STORAGE_ERROR_CODES = new Set(['ENOSPC', 'EIO', 'EROFS', 'EDQUOT', 'EBADF']);

/**
 * Serves produce and fetch over the partitions this broker holds (Kafka's ReplicaManager):
 * creates and removes partition logs as topics come and go in the metadata, appends as leader,
 * reads up to the high watermark, and parks acks=all produces and long-poll fetches in purgatory.
 */
export interface ReplicaManagerOptions {
  readonly config: BrokerConfig;
  readonly logManager: LogManager;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: BrokerMetrics;
  /** Absent for a lone broker, whose ISR never changes. */
  readonly writePartitionState?: PartitionStateWriter;
  /**
   * The broker epoch of a registered broker (a new one each time it registers), or undefined when
   * it is not registered: only registered brokers may join an ISR.
   */
  readonly brokerEpochOf?: (nodeId: number) => number | undefined;
}

/** Records appended as leader: where, in which leader epoch, and the offset after the last. */
interface AppendedAsLeader {
  readonly partition: Partition;
  readonly leaderEpoch: number;
  readonly endOffset: number;
}

/** A follower not registered (as the leader sees the metadata) reports progress under this epoch. */
const UNREGISTERED = -1;

/** The least time between two ISR changes a leader proposes for one partition. */
const ISR_CHANGE_MIN_INTERVAL_MS = 200;

/**
 * Serves produce and fetch over the partitions this broker holds (Kafka's ReplicaManager):
 * creates and removes partition logs as topics come and go in the metadata, appends as leader,
 * reads up to the high watermark, and parks acks=all produces and long-poll fetches in purgatory.
 * As leader it also proposes ISR changes: a lagging follower leaves, a follower in sync by
 * Kafka's rule (see Partition) rejoins — one change in flight per partition, none retried on the
 * state it raced against, and at most one per ISR_CHANGE_MIN_INTERVAL_MS.
 */
export class ReplicaManager {
  private readonly partitions = new Map<string, Partition>();
  readonly fetchPurgatory = new Purgatory();
  readonly producePurgatory = new Purgatory();
  private readonly config: BrokerConfig;
  private readonly logManager: LogManager;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly metrics: BrokerMetrics;
  private readonly writePartitionState: PartitionStateWriter | undefined;
  private readonly brokerEpochOf: (nodeId: number) => number | undefined;

  constructor(options: ReplicaManagerOptions) {
    this.config = options.config;
    this.logManager = options.logManager;
    this.clock = options.clock;
    this.logger = options.logger;
    this.metrics = options.metrics;
    this.writePartitionState = options.writePartitionState;
    this.brokerEpochOf = options.brokerEpochOf ?? (() => 0);
  }

  getPartition(topic: string, partition: number): Partition | undefined {
    return this.partitions.get(topicPartitionKey(topic, partition));
  }

  allPartitions(): IterableIterator<Partition> {
    return this.partitions.values();
  }

  /** The partition, if this broker leads it; otherwise the error the client should see. */
  leaderPartition(topic: string, partition: number): Partition {
    const p = this.getPartition(topic, partition);
    if (!p) throw new KafkaError('UNKNOWN_TOPIC_OR_PARTITION', `${topic}-${partition} is not hosted here`);
    p.requireLeader();
    return p;
  }

  /** Brings local partitions in line with a topic's metadata. */
  applyTopic(topic: TopicMetadata): void {
    const logConfig = logConfigFor(topic.configs, this.config);
    for (const state of topic.partitions) {
      const key = topicPartitionKey(topic.name, state.partition);
      const existing = this.partitions.get(key);
      if (!state.replicas.includes(this.config.nodeId)) {
        if (existing) this.removePartition(topic.name, state.partition);
        continue;
      }
      if (existing) {
        existing.log.config = logConfig;
        existing.updateState(state, this.clock.now());
        this.notifyProgress(existing);
        continue;
      }
      const log =
        this.logManager.getLog({ topic: topic.name, partition: state.partition }) ??
        this.logManager.createLog({ topic: topic.name, partition: state.partition }, logConfig);
      log.config = logConfig;
      const partition = new Partition(
        topic.name,
        topic.topicId,
        state.partition,
        log,
        this.config.nodeId,
        state,
        this.clock.now(),
      );
      this.partitions.set(key, partition);
      partition.maybeIncrementHighWatermark();
    }
  }

  /** Removes a deleted topic's partitions and their data. */
  removeTopic(topic: TopicMetadata): void {
    for (const state of topic.partitions) this.removePartition(topic.name, state.partition);
  }

  private removePartition(topic: string, partition: number): void {
    const key = topicPartitionKey(topic, partition);
    this.partitions.delete(key);
    this.logManager.deleteLog({ topic, partition });
    this.fetchPurgatory.notify(key);
    this.producePurgatory.notify(key);
  }

  minInsyncReplicas(topic: TopicMetadata): number {
    return Number(topicConfigValue('min.insync.replicas', topic.configs, this.config));
  }

  /**
   * Appends each partition's records as leader. With acks=-1, waits until the ISR has them all or
   * `timeoutMs` passes (REQUEST_TIMED_OUT for the partitions still short).
   */
  async appendRecords(
    acks: number,
    timeoutMs: number,
    entries: readonly ProduceEntry[],
    minInsyncReplicasOf: (topic: string) => number,
  ): Promise<ProducePartitionResult[]> {
    const now = this.clock.now();
    const results = await Promise.all(
      entries.map(async (entry): Promise<ProducePartitionResult & { appended?: AppendedAsLeader }> => {
        try {
          if (acks !== 0 && acks !== 1 && acks !== -1) {
            throw new KafkaError('INVALID_REQUIRED_ACKS', `acks must be 0, 1 or -1, not ${acks}`);
          }
          if (!entry.records || entry.records.length === 0) {
            throw new KafkaError(
              'INVALID_RECORD',
              'the produce request carries no records for this partition',
            );
          }
          const partition = this.leaderPartition(entry.topic, entry.partition);
          const leaderEpoch = partition.leaderEpoch;
          this.logManager.ensureCapacity(entry.records.length);
          const result = await this.appendOrStorageError(
            partition,
            entry.records,
            acks,
            minInsyncReplicasOf(entry.topic),
            now,
          );
          this.fetchPurgatory.notify(topicPartitionKey(entry.topic, entry.partition));
          if (!result.duplicate) this.metrics.recordsIn(entry.topic, result.recordCount, result.bytes);
          return {
            errorCode: ERROR_CODES.NONE,
            errorMessage: null,
            baseOffset: result.baseOffset,
            logAppendTime: result.logAppendTime,
            logStartOffset: result.logStartOffset,
            appended: { partition, leaderEpoch, endOffset: result.lastOffset + 1 },
          };
        } catch (error) {
          return this.appendFailure(error, entry, 'append failed');
        }
      }),
    );
    if (acks !== -1) return results;
    return this.awaitReplication(results, timeoutMs, (i) => minInsyncReplicasOf(entries[i]!.topic));
  }

  /** A partition's answer to an append that failed; errors that are not Kafka's are logged. */
  private appendFailure(
    error: unknown,
    entry: { readonly topic: string; readonly partition: number },
    what: string,
  ): ProducePartitionResult {
    if (!(error instanceof KafkaError))
      this.logger.error({ err: error, topic: entry.topic, partition: entry.partition }, what);
    return {
      errorCode: errorCodeOf(error),
      errorMessage: error instanceof Error ? error.message : null,
      baseOffset: -1,
      logAppendTime: -1,
      logStartOffset: -1,
      ...(error instanceof RecordValidationError ? { recordErrors: error.recordErrors } : {}),
    };
  }

  /**
   * Appends transaction markers as leader, each as a control batch, and waits (acks=all) until
   * the ISR has them or `timeoutMs` passes. One result per entry, in order.
   */
  async appendTxnMarkers(
    entries: readonly TxnMarkerEntry[],
    timeoutMs: number,
    minInsyncReplicasOf: (topic: string) => number,
  ): Promise<TxnMarkerResult[]> {
    const now = this.clock.now();
    const appended: (ProducePartitionResult & { appended?: AppendedAsLeader })[] = [];
    // One after another: two markers of one partition must land in the order given.
    for (const entry of entries) {
      try {
        const partition = this.leaderPartition(entry.topic, entry.partition);
        const leaderEpoch = partition.leaderEpoch;
        this.logManager.ensureCapacity(RECORD_BATCH_OVERHEAD_ESTIMATE);
        const result = await partition.appendTxnMarkerToLeader(entry.marker, {
          minInsyncReplicas: minInsyncReplicasOf(entry.topic),
          transactionVersion: entry.transactionVersion,
          now,
        });
        this.fetchPurgatory.notify(topicPartitionKey(entry.topic, entry.partition));
        appended.push({
          errorCode: ERROR_CODES.NONE,
          errorMessage: null,
          baseOffset: result.baseOffset,
          logAppendTime: -1,
          logStartOffset: result.logStartOffset,
          appended: { partition, leaderEpoch, endOffset: result.lastOffset + 1 },
        });
      } catch (error) {
        appended.push(this.appendFailure(error, entry, 'transaction marker append failed'));
      }
    }
    const results = await this.awaitReplication(appended, timeoutMs, (i) =>
      minInsyncReplicasOf(entries[i]!.topic),
    );
    return results.map((r) => ({
      errorCode: r.errorCode,
      errorMessage: r.errorMessage,
      offset: r.baseOffset,
    }));
  }

  /** acks=all: waits until each appended partition's high watermark passes its records. */
  private async awaitReplication(
    results: readonly (ProducePartitionResult & { appended?: AppendedAsLeader })[],
    timeoutMs: number,
    minInsyncReplicasAt: (index: number) => number,
  ): Promise<ProducePartitionResult[]> {
    const waiting = results.flatMap((r) => (r.appended ? [r.appended] : []));
    // Done when every partition's high watermark passed its records, or it is led elsewhere now.
    const settled = (a: AppendedAsLeader): boolean =>
      !this.stillLeadsAsAppended(a) || a.partition.log.highWatermark >= a.endOffset;
    await this.producePurgatory.waitUntil(
      waiting.map((a) => a.partition.key),
      timeoutMs,
      () => waiting.every(settled),
    );
    return results.map(({ appended, ...result }, i) => {
      if (!appended) return result;
      // The high watermark of a term this broker no longer leads says nothing of these records:
      // as a follower it may have cut them and taken other records at the same offsets.
      if (!this.stillLeadsAsAppended(appended)) {
        return {
          ...result,
          errorCode: ERROR_CODES.NOT_LEADER_OR_FOLLOWER,
          errorMessage: `leadership of ${appended.partition.key} moved before the records were replicated`,
        };
      }
      const p = appended.partition;
      if (p.state.isr.length < minInsyncReplicasAt(i)) {
        return {
          ...result,
          errorCode: ERROR_CODES.NOT_ENOUGH_REPLICAS_AFTER_APPEND,
          errorMessage:
            'the in-sync replicas shrank below min.insync.replicas while the records were replicated',
        };
      }
      if (p.log.highWatermark >= appended.endOffset) return result;
      return {
        ...result,
        errorCode: ERROR_CODES.REQUEST_TIMED_OUT,
        errorMessage: 'the in-sync replicas did not acknowledge in time',
      };
    });
  }

  /** Whether this broker still leads the partition it appended to, in the same leader epoch. */
  private stillLeadsAsAppended(appended: AppendedAsLeader): boolean {
    const p = appended.partition;
    return this.getPartition(p.topic, p.index) === p && p.isLeader && p.leaderEpoch === appended.leaderEpoch;
  }

  private async appendOrStorageError(
    partition: Partition,
    records: Buffer,
    acks: number,
    minInsyncReplicas: number,
    now: number,
  ): ReturnType<Partition['appendRecordsToLeader']> {
    try {
      return await partition.appendRecordsToLeader(records, acks, minInsyncReplicas, now);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code && STORAGE_ERROR_CODES.has(code)) {
        this.logger.error({ err: error, partition: partition.log.key }, 'storage error on append');
        throw new KafkaError('KAFKA_STORAGE_ERROR', `storage error: ${(error as Error).message}`);
      }
      throw error;
    }
  }

  /**
   * Reads each partition from its fetch offset: consumers up to the high watermark, followers up to
   * the log end. Returns at once with `minBytes` or an error; otherwise waits up to `maxWaitMs` for
   * appends to bring enough data.
   */
  async fetchMessages(params: FetchParams): Promise<FetchPartitionResult[]> {
    const first = this.readPartitions(params);
    const bytes = first.reduce((n, r) => n + (r.records?.length ?? 0), 0);
    const anyError = first.some((r) => r.errorCode !== ERROR_CODES.NONE);
    if (params.maxWaitMs <= 0 || bytes >= params.minBytes || anyError || params.partitions.length === 0) {
      this.countBytesOut(first);
      return first;
    }
    const watched = params.partitions.map((p) => ({
      request: p,
      partition: this.getPartition(p.topic, p.partition),
    }));
    const visibleEnd = (partition: Partition | undefined): number =>
      partition ? this.fetchUpperBound(partition, params) : 0;
    const startEnds = watched.map(({ partition }) => visibleEnd(partition));
    const startSizes = watched.map(({ partition }) => partition?.log.size ?? 0);
    const enoughData = (): boolean => {
      // A partition that went away (deleted, moved) or changed hands answers the fetch at once.
      if (
        watched.some(
          ({ partition, request }) => partition !== this.getPartition(request.topic, request.partition),
        )
      ) {
        return true;
      }
      let available = bytes;
      watched.forEach(({ partition }, i) => {
        if (!partition) return;
        if (visibleEnd(partition) > startEnds[i]!)
          available += Math.max(1, partition.log.size - startSizes[i]!);
      });
      return available >= params.minBytes;
    };
    await this.fetchPurgatory.waitUntil(
      params.partitions.map((p) => topicPartitionKey(p.topic, p.partition)),
      params.maxWaitMs,
      enoughData,
    );
    const results = this.readPartitions(params);
    this.countBytesOut(results);
    return results;
  }

  /** Where a fetch stops: followers at the log end, consumers at the high watermark or the LSO. */
  private fetchUpperBound(partition: Partition, params: FetchParams): number {
    const log = partition.log;
    if (params.replicaId >= 0) return log.logEndOffset;
    return params.isolationLevel === READ_COMMITTED ? log.lastStableOffset : log.highWatermark;
  }

  private countBytesOut(results: readonly FetchPartitionResult[]): void {
    for (const r of results)
      if (r.records && r.records.length > 0) this.metrics.bytesOut(r.topic, r.records.length);
  }

  private readPartitions(params: FetchParams): FetchPartitionResult[] {
    let remaining = params.maxBytes;
    let minOneBatch = true;
    return params.partitions.map((request) => {
      const partition = this.getPartition(request.topic, request.partition);
      try {
        if (!partition)
          throw new KafkaError(
            'UNKNOWN_TOPIC_OR_PARTITION',
            `${request.topic}-${request.partition} is not hosted here`,
          );
        partition.requireLeader();
        partition.validateLeaderEpoch(request.currentLeaderEpoch);
        const log = partition.log;
        const divergingEpoch =
          params.replicaId >= 0 ? this.followerFetch(partition, params.replicaId, request) : undefined;
        let records: Buffer = EMPTY_RECORDS;
        if (!divergingEpoch) {
          const upper = this.fetchUpperBound(partition, params);
          const limit = Math.max(0, Math.min(request.partitionMaxBytes, remaining));
          records = log.read(request.fetchOffset, limit, upper, minOneBatch, params.allocate).records;
          if (records.length > 0) {
            remaining = Math.max(0, remaining - records.length);
            minOneBatch = false;
          }
        }
        const readCommitted = params.replicaId < 0 && params.isolationLevel === READ_COMMITTED;
        return {
          topic: request.topic,
          partition: request.partition,
          errorCode: ERROR_CODES.NONE,
          highWatermark: log.highWatermark,
          lastStableOffset: log.lastStableOffset,
          logStartOffset: log.logStartOffset,
          records,
          abortedTransactions: readCommitted
            ? abortedTransactionsIn(log, request.fetchOffset, records)
            : null,
          ...(divergingEpoch ? { divergingEpoch } : {}),
        };
      } catch (error) {
        if (!(error instanceof KafkaError))
          this.logger.error(
            { err: error, partition: `${request.topic}-${request.partition}` },
            'read failed',
          );
        return {
          topic: request.topic,
          partition: request.partition,
          errorCode: errorCodeOf(error),
          highWatermark: partition?.log.highWatermark ?? -1,
          lastStableOffset: partition?.log.lastStableOffset ?? -1,
          logStartOffset: partition?.log.logStartOffset ?? -1,
          // An empty record set, as Kafka sends: librdkafka rejects a null one, and would never
          // act on the error (an out-of-range position would never be reset).
          records: EMPTY_RECORDS,
        };
      }
    });
  }

  /**
   * A follower's fetch: if its log diverged from ours (its last epoch ends earlier here, or is not
   * ours), the epoch and end offset it must truncate to; otherwise its progress is recorded, which
   * may move the high watermark (completing acks=all produces) and let it rejoin the ISR.
   */
  private followerFetch(
    partition: Partition,
    replicaId: number,
    request: FetchPartitionRequest,
  ): { epoch: number; endOffset: number } | undefined {
    if (!partition.state.replicas.includes(replicaId)) {
      throw new KafkaError(
        'NOT_LEADER_OR_FOLLOWER',
        `broker ${replicaId} is not a replica of ${partition.key}`,
      );
    }
    const log = partition.log;
    if (request.lastFetchedEpoch >= 0 && log.leaderEpochCache.latestEpoch >= 0) {
      const { epoch, endOffset } = log.leaderEpochCache.endOffsetFor(
        request.lastFetchedEpoch,
        log.logEndOffset,
      );
      // Kafka's test: the follower's last epoch ends earlier here, or only an older epoch is known.
      if (endOffset < request.fetchOffset || epoch < request.lastFetchedEpoch) return { epoch, endOffset };
    }
    const brokerEpoch = this.brokerEpochOf(replicaId);
    const outcome = partition.updateFollowerFetch(
      replicaId,
      request.fetchOffset,
      brokerEpoch ?? UNREGISTERED,
      this.clock.now(),
    );
    if (outcome.highWatermarkMoved) this.notifyProgress(partition);
    const isr = partition.state.isr;
    if (outcome.restartedBehind) {
      this.proposeIsr(
        partition,
        { remove: [replicaId] },
        'follower registered again behind the high watermark',
      );
    } else if (
      brokerEpoch !== undefined &&
      !isr.includes(replicaId) &&
      partition.isFollowerInSync(replicaId)
    ) {
      this.proposeIsr(partition, { add: [replicaId] }, 'caught up');
    }
    return undefined;
  }

  /** The high watermark moved: parked produces and consumer fetches may complete. */
  private notifyProgress(partition: Partition): void {
    this.producePurgatory.notify(partition.key);
    this.fetchPurgatory.notify(partition.key);
  }

  private readonly isrProposals = new Set<string>();
  /** Per partition: when the leader last proposed an ISR change, and the state it last raced on. */
  private readonly lastIsrProposal = new Map<string, { at: number; racedOnEpoch?: number }>();

  /**
   * Asks the controller's store to change a partition's ISR: one proposal in flight per partition,
   * none again on a partition epoch a proposal already raced against (the newer state is on its
   * way), and none sooner than ISR_CHANGE_MIN_INTERVAL_MS after the previous one. Replicas being
   * added hold back the high watermark until the change is applied or fails.
   */
  private proposeIsr(
    partition: Partition,
    change: { readonly add?: readonly number[]; readonly remove?: readonly number[] },
    reason: string,
  ): void {
    if (!this.writePartitionState || this.isrProposals.has(partition.key)) return;
    const state = partition.state;
    const now = this.clock.now();
    const last = this.lastIsrProposal.get(partition.key);
    if (last && (last.racedOnEpoch === state.partitionEpoch || now - last.at < ISR_CHANGE_MIN_INTERVAL_MS))
      return;
    const add = (change.add ?? []).filter((id) => !state.isr.includes(id));
    const remove = change.remove ?? [];
    const isr = [...state.isr.filter((id) => !remove.includes(id)), ...add];
    if (isr.length === 0 || (add.length === 0 && isr.length === state.isr.length)) return;
    this.isrProposals.add(partition.key);
    this.lastIsrProposal.set(partition.key, { at: now });
    partition.expandingIsr(add);
    this.writePartitionState(partition.topic, { ...state, isr }, state.partitionEpoch)
      .then((written) => {
        if (written) {
          this.logger.info({ partition: partition.key, isr, previous: state.isr, reason }, 'ISR changed');
          if (add.length > 0) this.metrics.isrChanged('expand');
          if (remove.length > 0) this.metrics.isrChanged('shrink');
        } else {
          this.lastIsrProposal.set(partition.key, { at: now, racedOnEpoch: state.partitionEpoch });
        }
      })
      .catch((error: unknown) =>
        this.logger.warn({ err: error, partition: partition.key }, 'ISR change not written'),
      )
      .finally(() => {
        this.isrProposals.delete(partition.key);
        partition.isrExpansionEnded(add);
        if (partition.maybeIncrementHighWatermark()) this.notifyProgress(partition);
      });
  }

  /**
   * The registered brokers changed: followers that went away or registered again (a restart, a
   * lost lease) lose the progress they reported, so only fetches of their new incarnation count.
   */
  brokersChanged(): void {
    for (const partition of this.partitions.values())
      if (partition.isLeader) partition.forgetStaleFollowers(this.brokerEpochOf);
  }

  /**
   * Who may take over a partition this broker leads when it stops cleanly: the first replica (in
   * preference order) that is registered, in the ISR and in sync by Kafka's rule; undefined when
   * none is, and the controller elects once this broker is gone.
   */
  controlledShutdownSuccessor(topic: string, state: PartitionState): number | undefined {
    const partition = this.getPartition(topic, state.partition);
    if (!partition?.isLeader) return undefined;
    return state.replicas.find(
      (id) =>
        id !== this.config.nodeId &&
        state.isr.includes(id) &&
        this.brokerEpochOf(id) !== undefined &&
        partition.isFollowerInSync(id),
    );
  }

  /**
   * Leader housekeeping, run periodically: followers that have not caught up within
   * `replica.lag.time.max.ms` leave the ISR (the leader always stays).
   */
  shrinkIsrs(): void {
    const now = this.clock.now();
    for (const partition of this.partitions.values()) {
      if (!partition.isLeader) continue;
      const lagging = partition.laggingInSyncReplicas(now, this.config.replicaLagTimeMaxMs);
      if (lagging.length > 0) this.proposeIsr(partition, { remove: lagging }, 'followers lagging');
    }
  }

  shutdown(): void {
    this.fetchPurgatory.completeAll();
    this.producePurgatory.completeAll();
  }
}
