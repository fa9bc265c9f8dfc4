import type { Logger } from 'pino';
import { ERROR_CODES } from '../protocol/errors.js';
import { Fetch } from '../protocol/messages/fetch.js';
import type { DecodedResponseOf } from '../protocol/schema/api.js';
import { topicPartitionKey } from '../storage/topic-partition.js';
import type { Clock } from '../util/clock.js';
import { BrokerClient, type BrokerClientSecurity } from './broker-client.js';
import type { BrokerRegistration } from './metadata.js';
import type { Partition } from './partition.js';

/** The Fetch version followers use: flexible, with leader epochs and divergence detection. */
const REPLICA_FETCH_VERSION = 12;

export interface ReplicaFetcherOptions {
  readonly nodeId: number;
  readonly interBrokerListener: string;
  /** TLS and SASL towards the inter-broker listener, when it has them. */
  readonly security?: BrokerClientSecurity;
  readonly fetchMaxBytes: number;
  readonly fetchWaitMaxMs: number;
  readonly fetchMinBytes: number;
  readonly fetchBackoffMs: number;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Called after a follower append, so the broker can wake anything waiting on the partition. */
  readonly onProgress: (partition: Partition) => void;
}

/**
 * Follows one leader broker: a loop of Fetch requests (as replica `nodeId`) for every partition
 * this broker follows on that leader, appending what arrives with the leader's offsets, taking the
 * leader's high watermark and log start offset, and truncating when the leader says the logs
 * diverged (a new leader epoch wrote different data from ours).
 */
class ReplicaFetcher {
  readonly partitions = new Map<string, Partition>();
  private stopped = false;
  private wake: (() => void) | undefined;
  private lastFailure: string | undefined;
  private fetches = 0;
  private inFlightSince: number | undefined;
  private lastResponseAt: number | undefined;
  /** Per partition: the leader's high watermark and the error in its last answer, and when it last moved us on. */
  private readonly progress = new Map<
    string,
    { leaderHighWatermark: number; errorCode: number; lastProgressAt: number | null; truncations: number }
  >();
  private readonly client: BrokerClient;

  constructor(
    readonly leader: BrokerRegistration,
    private readonly options: ReplicaFetcherOptions,
  ) {
    const endpoint =
      leader.endpoints.find((e) => e.listener === options.interBrokerListener) ?? leader.endpoints[0]!;
    this.client = new BrokerClient(
      endpoint.host,
      endpoint.port,
      `strata-replica-fetcher-${options.nodeId}`,
      undefined,
      options.security,
    );
    void this.run();
  }

  /** What /replication on the admin endpoint shows of this fetcher. */
  describe(): unknown {
    return {
      leader: this.leader.nodeId,
      partitions: [...this.partitions.keys()].sort(),
      fetches: this.fetches,
      inFlightMs: this.inFlightSince === undefined ? null : this.options.clock.now() - this.inFlightSince,
      lastResponseAt: this.lastResponseAt ?? null,
      // Each partition's place against its leader, so a follower that stopped moving is visible.
      partitionStates: [...this.partitions.values()]
        .map((p) => {
          const progress = this.progress.get(p.key);
          return {
            partition: p.key,
            logEndOffset: p.log.logEndOffset,
            leaderHighWatermark: progress?.leaderHighWatermark ?? null,
            lagBehindLeaderHighWatermark:
              progress === undefined ? null : Math.max(0, progress.leaderHighWatermark - p.log.logEndOffset),
            lastErrorCode: progress?.errorCode ?? null,
            lastProgressAt: progress?.lastProgressAt ?? null,
            truncations: progress?.truncations ?? 0,
          };
        })
        .sort((a, b) => (a.partition < b.partition ? -1 : 1)),
      lastFailure: this.lastFailure ?? null,
      stopped: this.stopped,
    };
  }

  add(partition: Partition): void {
    this.partitions.set(partition.key, partition);
    this.wake?.();
  }

  remove(key: string): void {
    this.partitions.delete(key);
    this.progress.delete(key);
  }

  stop(): void {
    this.stopped = true;
    this.wake?.();
    this.client.close();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      if (this.partitions.size === 0) {
        await this.sleep(this.options.fetchBackoffMs);
        continue;
      }
      try {
        const backoff = await this.fetchOnce();
        if (backoff) await this.sleep(this.options.fetchBackoffMs);
      } catch (error) {
        if (this.stopped) return;
        // A new kind of failure is a warning; the same one again (a leader still down) is not news.
        const message = (error as Error).message;
        const level = message === this.lastFailure ? 'debug' : 'warn';
        this.lastFailure = message;
        this.options.logger[level](
          { err: error, leader: this.leader.nodeId },
          'replica fetch failed; backing off',
        );
        await this.sleep(this.options.fetchBackoffMs);
        continue;
      }
      this.lastFailure = undefined;
    }
  }

  /** One fetch round; true when the fetcher should back off before the next. */
  private async fetchOnce(): Promise<boolean> {
    // A partition whose log is gone (its topic deleted) must not stall the others on this leader.
    for (const [key, partition] of this.partitions) {
      if (!partition.log.isDeleted) continue;
      this.partitions.delete(key);
      this.options.logger.warn(
        { partition: key, leader: this.leader.nodeId },
        'stopped following a deleted partition',
      );
    }
    if (this.partitions.size === 0) return true;
    const partitions = [...this.partitions.values()];
    const byTopic = new Map<string, Partition[]>();
    for (const p of partitions) {
      const list = byTopic.get(p.topic) ?? [];
      list.push(p);
      byTopic.set(p.topic, list);
    }
    this.inFlightSince = this.options.clock.now();
    this.fetches++;
    const response = await this.client
      .request(
        Fetch,
        REPLICA_FETCH_VERSION,
        {
          replicaId: this.options.nodeId,
          maxWaitMs: this.options.fetchWaitMaxMs,
          minBytes: this.options.fetchMinBytes,
          maxBytes: this.options.fetchMaxBytes,
          isolationLevel: 0,
          sessionId: 0,
          sessionEpoch: -1,
          topics: [...byTopic].map(([topic, list]) => ({
            topic,
            partitions: list.map((p) => ({
              partition: p.index,
              currentLeaderEpoch: p.leaderEpoch,
              fetchOffset: p.log.logEndOffset,
              lastFetchedEpoch: p.log.leaderEpochCache.latestEpoch,
              logStartOffset: p.log.logStartOffset,
              partitionMaxBytes: this.options.fetchMaxBytes,
            })),
          })),
          forgottenTopicsData: [],
          rackId: '',
        },
        this.options.fetchWaitMaxMs + 30_000,
      )
      .finally(() => (this.inFlightSince = undefined));
    this.lastResponseAt = this.options.clock.now();
    let backoff = false;
    for (const topic of response.responses) {
      for (const data of topic.partitions) {
        const partition = this.partitions.get(topicPartitionKey(topic.topic, data.partitionIndex));
        if (!partition || partition.isLeader) continue;
        if (!this.handle(partition, data)) backoff = true;
      }
    }
    return backoff;
  }

  /** Applies one partition's answer; false when it was an error worth backing off for. */
  private handle(partition: Partition, data: FetchedPartition): boolean {
    const log = partition.log;
    const before = log.logEndOffset;
    const progress = this.progress.get(partition.key) ?? {
      leaderHighWatermark: -1,
      errorCode: 0,
      lastProgressAt: null,
      truncations: 0,
    };
    this.progress.set(partition.key, progress);
    progress.leaderHighWatermark = data.highWatermark;
    progress.errorCode = data.errorCode;
    try {
      return this.apply(partition, data, progress);
    } finally {
      if (log.logEndOffset > before) progress.lastProgressAt = this.options.clock.now();
    }
  }

  private apply(partition: Partition, data: FetchedPartition, progress: { truncations: number }): boolean {
    const log = partition.log;
    if (data.errorCode === ERROR_CODES.OFFSET_OUT_OF_RANGE) {
      if (log.logEndOffset < data.logStartOffset) {
        // The leader no longer has what we would continue from: start over at its log start.
        log.truncateFullyAndStartAt(data.logStartOffset, this.options.clock.now());
      } else {
        log.truncateTo(Math.max(data.highWatermark, log.logStartOffset));
      }
      this.options.logger.warn(
        { partition: partition.key, logEndOffset: log.logEndOffset },
        'follower offset out of range; truncated',
      );
      return true;
    }
    if (data.errorCode !== ERROR_CODES.NONE) return false;
    if (data.divergingEpoch.epoch >= 0 || data.divergingEpoch.endOffset >= 0) {
      progress.truncations++;
      truncateDivergedLog(partition, data.divergingEpoch, this.options.logger);
      return true;
    }
    if (data.records && data.records.length > 0) log.appendAsFollower(data.records, this.options.clock.now());
    if (data.logStartOffset > log.logStartOffset && data.logStartOffset <= log.logEndOffset) {
      log.updateHighWatermark(Math.max(log.highWatermark, data.logStartOffset));
      log.deleteRecordsBefore(data.logStartOffset);
    }
    log.updateHighWatermark(Math.min(data.highWatermark, log.logEndOffset));
    this.options.onProgress(partition);
    return true;
  }
}

/**
 * Cuts a follower's log where the leader says it diverges: at the end offset of the last epoch
 * both logs share. When the leader knows no such epoch (it answers -1, -1: ours is newer than any
 * it has), we cut to our high watermark, below which every replica agrees, and drop our epochs
 * above it, as Kafka's followers do; the next fetch then asks again from there.
 */
function truncateDivergedLog(
  partition: Partition,
  diverging: { readonly epoch: number; readonly endOffset: number },
  logger: Logger,
): void {
  const log = partition.log;
  const to =
    diverging.endOffset < 0
      ? Math.max(log.highWatermark, log.logStartOffset)
      : Math.max(Math.min(diverging.endOffset, log.logEndOffset), log.logStartOffset);
  if (to < log.logEndOffset) {
    logger.info(
      { partition: partition.key, from: log.logEndOffset, to, epoch: diverging.epoch },
      'truncating a diverged follower log',
    );
    log.truncateTo(to);
  }
  // Epochs the leader does not share end here too, whether or not there were records to cut.
  log.leaderEpochCache.truncateFromEnd(diverging.endOffset < 0 ? to : Math.min(to, diverging.endOffset));
  if (diverging.endOffset < 0) {
    const unknown = log.leaderEpochCache.all().at(-1);
    if (unknown && unknown.epoch >= partition.leaderEpoch)
      log.leaderEpochCache.truncateFromEnd(unknown.startOffset);
  }
}

type FetchedPartition = DecodedResponseOf<typeof Fetch>['responses'][number]['partitions'][number];

/**
 * The fetchers of one broker: one per leader it follows partitions on, started and stopped as
 * leadership moves.
 */
export class ReplicaFetcherManager {
  private readonly fetchers = new Map<number, ReplicaFetcher>();

  constructor(private readonly options: ReplicaFetcherOptions) {}

  /** Follows `partition` on `leader` (and stops following it anywhere else). */
  follow(partition: Partition, leader: BrokerRegistration): void {
    for (const [id, fetcher] of this.fetchers) if (id !== leader.nodeId) fetcher.remove(partition.key);
    let fetcher = this.fetchers.get(leader.nodeId);
    if (fetcher && !sameEndpoints(fetcher.leader, leader)) {
      fetcher.stop();
      this.fetchers.delete(leader.nodeId);
      fetcher = undefined;
    }
    if (!fetcher) {
      fetcher = new ReplicaFetcher(leader, this.options);
      this.fetchers.set(leader.nodeId, fetcher);
    }
    fetcher.add(partition);
  }

  /** Stops following `key` (it became leader, lost its leader, or moved away). */
  unfollow(key: string): void {
    for (const fetcher of this.fetchers.values()) fetcher.remove(key);
    for (const [id, fetcher] of this.fetchers) {
      if (fetcher.partitions.size === 0) {
        fetcher.stop();
        this.fetchers.delete(id);
      }
    }
  }

  describe(): unknown[] {
    return [...this.fetchers.values()].map((f) => f.describe());
  }

  shutdown(): void {
    for (const fetcher of this.fetchers.values()) fetcher.stop();
    this.fetchers.clear();
  }
}

function sameEndpoints(a: BrokerRegistration, b: BrokerRegistration): boolean {
  return JSON.stringify(a.endpoints) === JSON.stringify(b.endpoints);
}
