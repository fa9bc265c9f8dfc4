import { join } from 'node:path';
import { integerOf, readCheckpoint, tryWriteCheckpoint, type CheckpointWarning } from './checkpoint-file.js';
import type { StorageFileSystem } from './file-system.js';

export const LEADER_EPOCH_CHECKPOINT = 'leader-epoch-checkpoint';

export interface EpochEntry {
  readonly epoch: number;
  readonly startOffset: number;
}

/**
 * Which leader epoch wrote which range of the log: (epoch, first offset) pairs, epochs and offsets
 * both increasing. Answers OffsetForLeaderEpoch and tells a follower where to truncate.
 * Persisted in `leader-epoch-checkpoint` whenever it changes, best-effort: when that write fails
 * (a full disk) the old file, now stale, is removed, and the next start rebuilds the entries from
 * the log (`rebuild`), as it does when the file is missing or unreadable.
 */
export class LeaderEpochCache {
  private entries: EpochEntry[];
  /** The checkpoint was missing or unreadable: the log's batches are the only record of epochs. */
  private readonly lost: 'missing' | 'unreadable' | undefined;

  constructor(
    private readonly fs: StorageFileSystem,
    private readonly dir: string,
    private readonly warn?: CheckpointWarning,
  ) {
    const read = readCheckpoint(fs, this.path, parseEpochEntry);
    const ordered =
      'entries' in read && read.entries.every((e, i, all) => i === 0 || follows(all[i - 1]!, e));
    if ('unreadable' in read || ('entries' in read && !ordered)) {
      const reason = 'unreadable' in read ? read.unreadable : 'epochs or offsets out of order';
      warn?.('unreadable leader epoch checkpoint: rebuilding it from the log', { file: this.path, reason });
      this.lost = 'unreadable';
    } else if ('absent' in read) {
      this.lost = 'missing';
    }
    this.entries = 'entries' in read && ordered ? read.entries : [];
  }

  /** Whether the entries must be rebuilt from the log (the checkpoint was missing or unreadable). */
  get needsRebuild(): boolean {
    return this.lost !== undefined && this.entries.length === 0;
  }

  /**
   * Rebuilds the entries from the log's batches: each RecordBatch header carries the leader epoch
   * that wrote it, so the first batch of every epoch (from the log start) gives its entry. An
   * epoch that started with no record written in it, or whose batches compaction removed, is not
   * seen; OffsetForLeaderEpoch then answers from the epoch before it, as if it never was.
   */
  rebuild(
    batches: Iterable<{ partitionLeaderEpoch: number; baseOffset: number; lastOffset: number }>,
    logStartOffset: number,
  ): void {
    const rebuilt: EpochEntry[] = [];
    for (const batch of batches) {
      if (batch.lastOffset < logStartOffset) continue;
      const entry = {
        epoch: batch.partitionLeaderEpoch,
        startOffset: Math.max(batch.baseOffset, logStartOffset),
      };
      const latest = rebuilt.at(-1);
      if (entry.epoch >= 0 && (!latest || follows(latest, entry))) rebuilt.push(entry);
    }
    this.entries = rebuilt;
    // A missing file and no epochs is the state of a new log: nothing to write.
    if (rebuilt.length > 0 || this.lost === 'unreadable') this.persist();
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
    const error = tryWriteCheckpoint(
      this.fs,
      this.path,
      this.entries.map((e) => `${e.epoch} ${e.startOffset}`),
    );
    if (!error) return;
    // The file on disk lacks this change: it must not be trusted by the next start.
    try {
      if (this.fs.existsSync(this.path)) this.fs.unlinkSync(this.path);
    } catch {
      // An unreadable leftover is treated as missing too.
    }
    this.warn?.('could not write the leader epoch checkpoint: the next start rebuilds it from the log', {
      file: this.path,
      err: error,
    });
  }
}

function parseEpochEntry(fields: string[]): EpochEntry | undefined {
  if (fields.length !== 2) return undefined;
  const epoch = integerOf(fields[0]!);
  const startOffset = integerOf(fields[1]!);
  if (epoch === undefined || epoch < 0 || startOffset === undefined || startOffset < 0) return undefined;
  return { epoch, startOffset };
}

/** Whether `next` may follow `previous`: a newer epoch, starting no earlier. */
function follows(previous: EpochEntry, next: EpochEntry): boolean {
  return next.epoch > previous.epoch && next.startOffset >= previous.startOffset;
}
