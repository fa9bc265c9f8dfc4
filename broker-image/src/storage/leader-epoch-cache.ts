import { join } from 'node:path';
import { readCheckpoint, writeCheckpoint } from './checkpoint-file.js';
import type { StorageFileSystem } from './file-system.js';

export const LEADER_EPOCH_CHECKPOINT = 'leader-epoch-checkpoint';

export interface EpochEntry {
  readonly epoch: number;
  readonly startOffset: number;
}

/**
 * Which leader epoch wrote which range of the log: (epoch, first offset) pairs, epochs and offsets
 * both increasing. Answers OffsetForLeaderEpoch and tells a follower where to truncate.
 * Persisted in `leader-epoch-checkpoint` whenever it changes.
 */
export class LeaderEpochCache {
  private entries: EpochEntry[];

  constructor(
    private readonly fs: StorageFileSystem,
    private readonly dir: string,
  ) {
    this.entries = readCheckpoint(fs, this.path).map(([epoch, offset]) => ({
      epoch: Number(epoch),
      startOffset: Number(offset),
    }));
  }

  private get path(): string {
    return join(this.dir, LEADER_EPOCH_CHECKPOINT);
  }

  get latestEpoch(): number {
    return this.entries.at(-1)?.epoch ?? -1;
  }

  all(): readonly EpochEntry[] {
    return this.entries;
  }

  /** Notes that `epoch` starts at `startOffset`, when it is newer than the latest. */
  assign(epoch: number, startOffset: number): void {
    if (epoch < 0) return;
    const latest = this.entries.at(-1);
    if (latest && (epoch <= latest.epoch || startOffset < latest.startOffset)) return;
    this.entries.push({ epoch, startOffset });
    this.persist();
  }

  /**
   * The end offset of `requested` (OffsetForLeaderEpoch, and where a follower's log diverges), as
   * Kafka answers it: the latest epoch ends at the log end; an older one at the start offset of
   * the first epoch after it, reported with the largest epoch at or below `requested`. An epoch
   * older than every epoch known here (this log never saw it, or it was cut away by retention)
   * ends where the first known epoch starts, reported as `requested` itself, so a follower of an
   * epoch-0 leader whose data this leader never had truncates there instead of being refused.
   * `(-1, -1)` when nothing is known, or `requested` is undefined (-1) or newer than the latest.
   */
  endOffsetFor(requested: number, logEndOffset: number): { epoch: number; endOffset: number } {
    if (this.entries.length === 0 || requested < 0) return { epoch: -1, endOffset: -1 };
    if (requested === this.latestEpoch) return { epoch: requested, endOffset: logEndOffset };
    const higher = this.entries.findIndex((e) => e.epoch > requested);
    if (higher < 0) return { epoch: -1, endOffset: -1 };
    const endOffset = this.entries[higher]!.startOffset;
    if (higher === 0) return { epoch: requested, endOffset };
    return { epoch: this.entries[higher - 1]!.epoch, endOffset };
  }

  /** The epoch of the record at `offset`. */
  epochForOffset(offset: number): number {
    let epoch = -1;
    for (const e of this.entries) if (e.startOffset <= offset) epoch = e.epoch;
    return epoch;
  }

  /** Removes epochs starting at or after `offset` (the log was cut there). */
  truncateFromEnd(offset: number): void {
    const kept = this.entries.filter((e) => e.startOffset < offset);
    if (kept.length !== this.entries.length) {
      this.entries = kept;
      this.persist();
    }
  }

  /** Drops epochs wholly below the new log start offset; the one spanning it starts there. */
  truncateFromStart(offset: number): void {
    let changed = false;
    while (this.entries.length > 1 && this.entries[1]!.startOffset <= offset) {
      this.entries.shift();
      changed = true;
    }
    const first = this.entries[0];
    if (first && first.startOffset < offset) {
      this.entries[0] = { epoch: first.epoch, startOffset: offset };
      changed = true;
    }
    if (changed) this.persist();
  }

  clear(): void {
    this.entries = [];
    this.persist();
  }

  private persist(): void {
    writeCheckpoint(
      this.fs,
      this.path,
      this.entries.map((e) => `${e.epoch} ${e.startOffset}`),
    );
  }
}
