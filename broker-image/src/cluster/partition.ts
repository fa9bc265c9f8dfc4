import { KafkaError } from '../protocol/errors.js';
import type { AppendResult, PartitionLog } from '../storage/partition-log.js';
import type { PartitionState } from './metadata.js';

/**
 * This broker's view of one partition it holds a replica of: the log, whether it leads, the
 * leader epoch, and the high watermark rule. With no followers (a lone broker or RF 1) the high
 * watermark follows the log end; the replication layer feeds follower progress in through
 * {@link Partition.updateFollowerState}.
 */
export class Partition {
  private readonly followerEnds = new Map<number, { logEndOffset: number; lastCaughtUpTime: number }>();

  constructor(
    readonly topic: string,
    readonly topicId: Buffer,
    readonly index: number,
    readonly log: PartitionLog,
    private readonly localBrokerId: number,
    public state: PartitionState,
  ) {}

  get isLeader(): boolean {
    return this.state.leader === this.localBrokerId;
  }

  get leaderEpoch(): number {
    return this.state.leaderEpoch;
  }

  /** Applies a new state from the controller. */
  updateState(state: PartitionState): void {
    this.state = state;
    for (const id of this.followerEnds.keys()) if (!state.replicas.includes(id)) this.followerEnds.delete(id);
    if (this.isLeader) this.maybeIncrementHighWatermark();
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

  /** A follower fetched up to `logEndOffset`. */
  updateFollowerState(replicaId: number, logEndOffset: number, now: number): void {
    const caughtUp = logEndOffset >= this.log.logEndOffset;
    const previous = this.followerEnds.get(replicaId);
    this.followerEnds.set(replicaId, {
      logEndOffset,
      lastCaughtUpTime: caughtUp ? now : (previous?.lastCaughtUpTime ?? 0),
    });
    this.maybeIncrementHighWatermark();
  }

  followerState(replicaId: number): { logEndOffset: number; lastCaughtUpTime: number } | undefined {
    return this.followerEnds.get(replicaId);
  }

  /** High watermark = the smallest log end offset across the ISR (the leader's own included). */
  maybeIncrementHighWatermark(): boolean {
    let hw = this.log.logEndOffset;
    for (const id of this.state.isr) {
      if (id === this.localBrokerId) continue;
      hw = Math.min(hw, this.followerEnds.get(id)?.logEndOffset ?? this.log.highWatermark);
    }
    if (hw > this.log.highWatermark) {
      this.log.updateHighWatermark(hw);
      return true;
    }
    return false;
  }
}
