import { KafkaError } from '../protocol/errors.js';
import type { AppendResult, PartitionLog } from '../storage/partition-log.js';
import { topicPartitionKey } from '../storage/topic-partition.js';
import type { PartitionState } from './metadata.js';

/** What the leader knows of one follower's progress (Kafka's replica state). */
interface FollowerState {
  logEndOffset: number;
  /** Last time the follower was known to have everything the leader had. */
  lastCaughtUpTime: number;
  /** The leader's log end when it answered this follower's previous fetch, and when that was. */
  lastFetchLeaderLogEndOffset: number;
  lastFetchTime: number;
  /** The high watermark when the leader answered this follower's previous fetch. */
  lastFetchHighWatermark: number;
  /** Whether this follower's last fetch reached the high watermark it was last told. */
  caughtUpToHighWatermark: boolean;
}

/**
 * This broker's view of one partition it holds a replica of: the log, whether it leads, the
 * leader epoch, and — as leader — each follower's progress, from which the high watermark (the
 * smallest log end across the ISR) and ISR membership follow. With no followers (a lone broker
 * or RF 1) the high watermark is the log end.
 */
export class Partition {
  private readonly followers = new Map<number, FollowerState>();
  private leaderSince = 0;

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
    const becameLeader = this.isLeader && (!wasLeader || state.leaderEpoch !== previousEpoch);
    if (becameLeader) this.becomeLeader(now);
    if (this.isLeader) this.maybeIncrementHighWatermark();
    return becameLeader;
  }

  /**
   * A new leader epoch starts at the current log end, so followers of an older epoch can tell
   * where their logs diverge; followers get a grace period from now before they count as lagging.
   */
  private becomeLeader(now: number): void {
    this.leaderSince = now;
    this.followers.clear();
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
   * A follower fetched from `fetchOffset` (its log end). It is caught up when that reaches what the
   * leader had at its previous fetch (Kafka's rule, which holds under steady traffic too).
   * Returns whether the high watermark moved.
   */
  updateFollowerFetch(replicaId: number, fetchOffset: number, now: number): boolean {
    const leaderEnd = this.log.logEndOffset;
    const follower = this.followers.get(replicaId) ?? {
      logEndOffset: -1,
      lastCaughtUpTime: this.leaderSince,
      lastFetchLeaderLogEndOffset: -1,
      lastFetchTime: this.leaderSince,
      lastFetchHighWatermark: Number.MAX_SAFE_INTEGER,
      caughtUpToHighWatermark: false,
    };
    if (fetchOffset >= leaderEnd) follower.lastCaughtUpTime = now;
    else if (fetchOffset >= follower.lastFetchLeaderLogEndOffset) {
      follower.lastCaughtUpTime = Math.max(follower.lastCaughtUpTime, follower.lastFetchTime);
    }
    follower.logEndOffset = fetchOffset;
    follower.lastFetchLeaderLogEndOffset = leaderEnd;
    follower.lastFetchTime = now;
    this.followers.set(replicaId, follower);
    const moved = this.maybeIncrementHighWatermark();
    follower.caughtUpToHighWatermark =
      fetchOffset >= Math.min(this.log.highWatermark, follower.lastFetchHighWatermark);
    follower.lastFetchHighWatermark = this.log.highWatermark;
    return moved;
  }

  /** Followers in the ISR that have not caught up for longer than `maxLagMs`. */
  laggingInSyncReplicas(now: number, maxLagMs: number): number[] {
    return this.state.isr.filter((id) => {
      if (id === this.localBrokerId) return false;
      const lastCaughtUp = this.followers.get(id)?.lastCaughtUpTime ?? this.leaderSince;
      return now - lastCaughtUp > maxLagMs;
    });
  }

  /**
   * Replicas outside the ISR that have caught up and may rejoin it: a follower's fetch reached the
   * high watermark of its previous fetch (under steady writes the current one has always moved
   * on) and the start of the current leader epoch.
   */
  caughtUpOutOfSyncReplicas(): number[] {
    const epochStart = this.log.leaderEpochCache.all().at(-1)?.startOffset ?? 0;
    return this.state.replicas.filter((id) => {
      if (id === this.localBrokerId || this.state.isr.includes(id)) return false;
      const follower = this.followers.get(id);
      return follower?.caughtUpToHighWatermark === true && follower.logEndOffset >= epochStart;
    });
  }

  /** High watermark = the smallest log end offset across the ISR (the leader's own included). */
  maybeIncrementHighWatermark(): boolean {
    if (!this.isLeader) return false;
    let hw = this.log.logEndOffset;
    for (const id of this.state.isr) {
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
