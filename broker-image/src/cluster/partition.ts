import { KafkaError } from '../protocol/errors.js';
import type { EndTxnMarker } from '../protocol/records/control-records.js';
import type { AppendResult, PartitionLog } from '../storage/partition-log.js';
import { topicPartitionKey } from '../storage/topic-partition.js';
import type { PartitionState } from './metadata.js';

/** What the leader knows of one follower's progress (Kafka's replica state). */
interface FollowerState {
  /** The follower's registration (broker epoch) this progress was reported by. */
  readonly brokerEpoch: number;
  logEndOffset: number;
  /** Last time the follower was known to have everything the leader had. */
  lastCaughtUpTime: number;
  /** The leader's log end when it answered this follower's previous fetch, and when that was. */
  lastFetchLeaderLogEndOffset: number;
  lastFetchTime: number;
}

/** The broker epoch of a follower whose registration went away or changed. */
const FORGOTTEN = -2;

/** What a follower's fetch did to the partition, as the leader saw it. */
export interface FollowerFetchOutcome {
  /** The high watermark moved: parked acks=all produces and consumer fetches may complete. */
  readonly highWatermarkMoved: boolean;
  /**
   * The fetch came from a new incarnation of the follower (it registered again) whose log ends
   * below the high watermark: it may have lost records it had acknowledged, so it must leave the
   * ISR and rejoin by the usual rule.
   */
  readonly restartedBehind: boolean;
}

/**
 * This broker's view of one partition it holds a replica of: the log, whether it leads, the
 * leader epoch, and — as leader — each follower's progress, from which the high watermark (the
 * smallest log end across the ISR) and ISR membership follow. With no followers (a lone broker
 * or RF 1) the high watermark is the log end.
 *
 * Invariant: every replica in the ISR holds every record below the high watermark, so any of them
 * can lead without losing an acknowledged record. Hence a follower rejoins the ISR only when its
 * log end, as it just reported it, reaches the leader's current high watermark and the start of
 * the current leader epoch (Kafka's rule); while that expansion is being written, the high
 * watermark is computed over the ISR with the rejoining replica in it (Kafka's "maximal ISR"), so
 * it cannot move past a replica that is about to count as in sync.
 */
export class Partition {
  private readonly followers = new Map<number, FollowerState>();
  private leaderSince = 0;
  /** Replicas an ISR expansion in flight adds; they count for the high watermark meanwhile. */
  private pendingIsrAdditions: readonly number[] = [];

  constructor(
    readonly topic: string,
    readonly topicId: Buffer,
    readonly index: number,
    readonly log: PartitionLog,
    private readonly localBrokerId: number,
    public state: PartitionState,
    now: number,
  ) {
    if (this.isLeader) this.becomeLeader(now);
  }

  get isLeader(): boolean {
    return this.state.leader === this.localBrokerId;
  }

  get leaderEpoch(): number {
    return this.state.leaderEpoch;
  }

  get key(): string {
    return topicPartitionKey(this.topic, this.index);
  }

  /** Applies a new state from the controller; returns whether this broker just became leader. */
  updateState(state: PartitionState, now: number): boolean {
    const wasLeader = this.isLeader;
    const previousEpoch = this.state.leaderEpoch;
    this.state = state;
    for (const id of this.followers.keys()) if (!state.replicas.includes(id)) this.followers.delete(id);
    this.pendingIsrAdditions = this.pendingIsrAdditions.filter(
      (id) => state.replicas.includes(id) && !state.isr.includes(id),
    );
    const becameLeader = this.isLeader && (!wasLeader || state.leaderEpoch !== previousEpoch);
    if (becameLeader) this.becomeLeader(now);
    if (this.isLeader) this.maybeIncrementHighWatermark();
    return becameLeader;
  }

  /**
   * A new leader epoch starts at the current log end, so followers of an older epoch can tell
   * where their logs diverge; followers get a grace period from now before they count as lagging,
   * and start with no progress: what they reported to an earlier leader term proves nothing now.
   */
  private becomeLeader(now: number): void {
    this.leaderSince = now;
    this.followers.clear();
    this.pendingIsrAdditions = [];
    this.log.leaderEpochCache.assign(this.state.leaderEpoch, this.log.logEndOffset);
  }

  /** Checks a client's view of the leader epoch against ours (KIP-320). */
  validateLeaderEpoch(currentLeaderEpoch: number): void {
    if (currentLeaderEpoch < 0) return;
    if (currentLeaderEpoch < this.state.leaderEpoch) {
      throw new KafkaError(
        'FENCED_LEADER_EPOCH',
        `leader epoch ${currentLeaderEpoch} is older than ${this.state.leaderEpoch}`,
      );
    }
    if (currentLeaderEpoch > this.state.leaderEpoch) {
      throw new KafkaError(
        'UNKNOWN_LEADER_EPOCH',
        `leader epoch ${currentLeaderEpoch} is newer than ${this.state.leaderEpoch}`,
      );
    }
  }

  requireLeader(): void {
    if (!this.isLeader) {
      throw new KafkaError(
        'NOT_LEADER_OR_FOLLOWER',
        `broker ${this.localBrokerId} is not the leader of ${this.topic}-${this.index} (leader: ${this.state.leader})`,
      );
    }
  }

  /**
   * Appends as leader. acks=all is refused up front when the ISR is smaller than
   * `min.insync.replicas`.
   */
  async appendRecordsToLeader(
    records: Buffer,
    acks: number,
    minInsyncReplicas: number,
    now: number,
  ): Promise<AppendResult> {
    this.requireLeader();
    if (acks === -1 && this.state.isr.length < minInsyncReplicas) {
      throw new KafkaError(
        'NOT_ENOUGH_REPLICAS',
        `the in-sync replicas of ${this.topic}-${this.index} (${this.state.isr.length}) are fewer than min.insync.replicas (${minInsyncReplicas})`,
      );
    }
    const result = await this.log.appendAsLeader(records, this.state.leaderEpoch, now);
    this.maybeIncrementHighWatermark();
    return result;
  }

  /**
   * Appends a transaction marker as leader, with acks=all's up-front check of the ISR against
   * `min.insync.replicas` (a marker is always written with acks=all).
   */
  async appendTxnMarkerToLeader(
    marker: EndTxnMarker,
    options: {
      readonly minInsyncReplicas: number;
      readonly transactionVersion: number;
      readonly now: number;
    },
  ): Promise<AppendResult> {
    this.requireLeader();
    if (this.state.isr.length < options.minInsyncReplicas) {
      throw new KafkaError(
        'NOT_ENOUGH_REPLICAS',
        `the in-sync replicas of ${this.topic}-${this.index} (${this.state.isr.length}) are fewer than min.insync.replicas (${options.minInsyncReplicas})`,
      );
    }
    const result = await this.log.appendControlAsLeader(marker, {
      leaderEpoch: this.state.leaderEpoch,
      now: options.now,
      transactionVersion: options.transactionVersion,
    });
    this.maybeIncrementHighWatermark();
    return result;
  }

  /**
   * A follower fetched from `fetchOffset` (its log end), registered under `brokerEpoch`. A fetch
   * from a new registration of the follower (it restarted, or lost its lease and came back)
   * starts its progress afresh. It is caught up when the offset reaches what the leader had at its
   * previous fetch (Kafka's rule, which holds under steady traffic too).
   */
  updateFollowerFetch(
    replicaId: number,
    fetchOffset: number,
    brokerEpoch: number,
    now: number,
  ): FollowerFetchOutcome {
    const leaderEnd = this.log.logEndOffset;
    const known = this.followers.get(replicaId);
    const restarted = known !== undefined && known.brokerEpoch !== brokerEpoch;
    const follower: FollowerState =
      known && !restarted
        ? known
        : {
            brokerEpoch,
            logEndOffset: -1,
            // A restarted follower keeps the lag it had: restarting does not make it caught up.
            lastCaughtUpTime: known?.lastCaughtUpTime ?? this.leaderSince,
            lastFetchLeaderLogEndOffset: -1,
            lastFetchTime: now,
          };
    if (fetchOffset >= leaderEnd) follower.lastCaughtUpTime = now;
    else if (
      follower.lastFetchLeaderLogEndOffset >= 0 &&
      fetchOffset >= follower.lastFetchLeaderLogEndOffset
    ) {
      follower.lastCaughtUpTime = Math.max(follower.lastCaughtUpTime, follower.lastFetchTime);
    }
    follower.logEndOffset = fetchOffset;
    follower.lastFetchLeaderLogEndOffset = leaderEnd;
    follower.lastFetchTime = now;
    this.followers.set(replicaId, follower);
    const restartedBehind =
      restarted && this.state.isr.includes(replicaId) && fetchOffset < this.log.highWatermark;
    return { highWatermarkMoved: this.maybeIncrementHighWatermark(), restartedBehind };
  }

  /**
   * Forgets the progress of followers whose registration is gone or changed (`brokerEpochOf`
   * answers undefined for a broker that is not registered): a new incarnation starts afresh.
   */
  forgetStaleFollowers(brokerEpochOf: (nodeId: number) => number | undefined): void {
    for (const [id, follower] of this.followers) {
      if (follower.brokerEpoch === FORGOTTEN || brokerEpochOf(id) === follower.brokerEpoch) continue;
      // Kept as "no progress" with its lag, so its next fetch is known to come from a new incarnation.
      this.followers.set(id, {
        brokerEpoch: FORGOTTEN,
        logEndOffset: -1,
        lastCaughtUpTime: follower.lastCaughtUpTime,
        lastFetchLeaderLogEndOffset: -1,
        lastFetchTime: follower.lastFetchTime,
      });
    }
  }

  /**
   * Whether a follower is in sync by Kafka's rule: its log end, as its last fetch of this leader
   * term reported it, reaches the current high watermark and the start of the current leader
   * epoch. Only this makes it eligible to join the ISR or to take leadership in a controlled
   * shutdown.
   */
  isFollowerInSync(replicaId: number): boolean {
    if (replicaId === this.localBrokerId) return this.isLeader;
    const follower = this.followers.get(replicaId);
    if (!follower) return false;
    const epochStart = this.log.leaderEpochCache.all().at(-1)?.startOffset ?? 0;
    return follower.logEndOffset >= this.log.highWatermark && follower.logEndOffset >= epochStart;
  }

  /**
   * Followers in the ISR that have not caught up for longer than `maxLagMs`. A follower whose last
   * fetch reached the log end is never lagging (Kafka's rule): with no new records its next fetch
   * may wait in purgatory for longer than that.
   */
  laggingInSyncReplicas(now: number, maxLagMs: number): number[] {
    const leaderEnd = this.log.logEndOffset;
    return this.state.isr.filter((id) => {
      if (id === this.localBrokerId) return false;
      const follower = this.followers.get(id);
      if (follower && follower.logEndOffset === leaderEnd) return false;
      const lastCaughtUp = follower?.lastCaughtUpTime ?? this.leaderSince;
      return now - lastCaughtUp > maxLagMs;
    });
  }

  /**
   * Notes an ISR expansion being written: until it is applied or fails, the added replicas count
   * for the high watermark, so it never moves past what they hold.
   */
  expandingIsr(additions: readonly number[]): void {
    this.pendingIsrAdditions = [...new Set([...this.pendingIsrAdditions, ...additions])];
  }

  /** An ISR expansion was refused or raced: its replicas no longer hold back the high watermark. */
  isrExpansionEnded(additions: readonly number[]): void {
    this.pendingIsrAdditions = this.pendingIsrAdditions.filter((id) => !additions.includes(id));
  }

  /** The ISR the high watermark is computed over: the written one plus any expansion in flight. */
  get maximalIsr(): readonly number[] {
    if (this.pendingIsrAdditions.length === 0) return this.state.isr;
    return [...new Set([...this.state.isr, ...this.pendingIsrAdditions])];
  }

  /** High watermark = the smallest log end offset across the (maximal) ISR, the leader's own included. */
  maybeIncrementHighWatermark(): boolean {
    if (!this.isLeader) return false;
    let hw = this.log.logEndOffset;
    for (const id of this.maximalIsr) {
      if (id === this.localBrokerId) continue;
      hw = Math.min(hw, this.followers.get(id)?.logEndOffset ?? this.log.highWatermark);
    }
    if (hw > this.log.highWatermark) {
      this.log.updateHighWatermark(hw);
      return true;
    }
    return false;
  }
}
