import { join } from 'node:path';
import { KafkaError } from '../protocol/errors.js';
import { crc32c } from '../protocol/records/crc32c.js';
import { NO_PRODUCER_EPOCH, type RecordBatch } from '../protocol/records/record-batch.js';
import type { StorageFileSystem } from './file-system.js';
import type { BatchLocation } from './log-segment.js';

/** Kafka keeps the last five batches per producer, matching max.in.flight.requests=5. */
const RETAINED_BATCHES = 5;
const INT32_MAX = 0x7fffffff;
export const SNAPSHOT_SUFFIX = '.snapshot';

export interface ProducerBatch {
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly firstOffset: number;
  readonly lastOffset: number;
  readonly timestamp: number;
}

interface ProducerEntry {
  producerEpoch: number;
  batches: ProducerBatch[];
  lastTimestamp: number;
}

/** The outcome of checking a produced record set against producer state. */
export type ProducerCheck = { readonly duplicate: ProducerBatch } | { readonly duplicate: undefined };

function inSequence(lastSeq: number, nextSeq: number): boolean {
  return nextSeq === lastSeq + 1 || (nextSeq === 0 && lastSeq === INT32_MAX);
}

/**
 * Per-partition state of idempotent producers: for each producer id its epoch and last batches'
 * sequence numbers, so a retried batch is recognised as a duplicate and a gap is refused.
 * Rebuilt at start-up from the latest snapshot plus the batches after it.
 */
export class ProducerStateManager {
  private readonly producers = new Map<number, ProducerEntry>();

  constructor(
    private readonly fs: StorageFileSystem,
    private readonly dir: string,
  ) {}

  get producerCount(): number {
    return this.producers.size;
  }

  /**
   * Checks each producer batch of a record set in order (as Kafka's ProducerAppendInfo does):
   * a stale epoch or a sequence gap throws; a batch already appended is reported as a duplicate.
   */
  check(batches: readonly RecordBatch[]): ProducerCheck {
    const pending = new Map<number, { epoch: number; lastSeq: number }>();
    for (const batch of batches) {
      const producerId = batch.producerId;
      if (producerId < 0) continue;
      const epoch = batch.producerEpoch;
      const entry = this.producers.get(producerId);
      const currentEpoch = pending.get(producerId)?.epoch ?? entry?.producerEpoch ?? NO_PRODUCER_EPOCH;
      if (epoch < currentEpoch) {
        throw new KafkaError(
          'INVALID_PRODUCER_EPOCH',
          `producer ${producerId} epoch ${epoch} is older than the current epoch ${currentEpoch}`,
        );
      }
      if (entry && epoch === entry.producerEpoch) {
        const duplicate = entry.batches.find(
          (b) => b.firstSeq === batch.baseSequence && b.lastSeq === batch.lastSequence,
        );
        if (duplicate) return { duplicate };
      }
      const firstSeq = batch.baseSequence;
      if (epoch !== currentEpoch) {
        if (firstSeq !== 0 && currentEpoch !== NO_PRODUCER_EPOCH) {
          throw new KafkaError(
            'OUT_OF_ORDER_SEQUENCE_NUMBER',
            `producer ${producerId}: new epoch ${epoch} must start at sequence 0, got ${firstSeq}`,
          );
        }
      } else {
        const lastSeq = pending.get(producerId)?.lastSeq ?? entry?.batches.at(-1)?.lastSeq;
        if (lastSeq !== undefined && !inSequence(lastSeq, firstSeq)) {
          throw new KafkaError(
            'OUT_OF_ORDER_SEQUENCE_NUMBER',
            `producer ${producerId} epoch ${epoch}: expected sequence ${lastSeq + 1 > INT32_MAX ? 0 : lastSeq + 1}, got ${firstSeq}`,
          );
        }
      }
      pending.set(producerId, { epoch, lastSeq: batch.lastSequence });
    }
    return { duplicate: undefined };
  }

  /** Records a batch that is now in the log (appended, or replayed at start-up). */
  update(batch: BatchLocation | RecordBatch, timestamp: number): void {
    const producerId = batch.producerId;
    if (producerId < 0) return;
    let entry = this.producers.get(producerId);
    if (!entry || batch.producerEpoch !== entry.producerEpoch) {
      entry = { producerEpoch: batch.producerEpoch, batches: [], lastTimestamp: timestamp };
      this.producers.set(producerId, entry);
    }
    entry.batches.push({
      firstSeq: batch.baseSequence,
      lastSeq: batch.lastSequence,
      firstOffset: batch.baseOffset,
      lastOffset: batch.lastOffset,
      timestamp,
    });
    if (entry.batches.length > RETAINED_BATCHES) entry.batches.shift();
    entry.lastTimestamp = timestamp;
  }

  /** Forgets producers idle for longer than `producer.id.expiration.ms`. */
  expire(now: number, expirationMs: number): void {
    for (const [producerId, entry] of this.producers) {
      if (now - entry.lastTimestamp > expirationMs) this.producers.delete(producerId);
    }
  }

  /** Drops batches at or above `offset` (after a truncation); producers left empty are removed. */
  truncateTo(offset: number): void {
    for (const [producerId, entry] of this.producers) {
      entry.batches = entry.batches.filter((b) => b.lastOffset < offset);
      if (entry.batches.length === 0) this.producers.delete(producerId);
    }
  }

  clear(): void {
    this.producers.clear();
  }

  // -------------------------------------------------------------------------------------------
  // snapshots: `<offset>.snapshot`, the state of every producer up to (not including) `offset`

  private snapshotPath(offset: number): string {
    return join(this.dir, String(offset).padStart(20, '0') + SNAPSHOT_SUFFIX);
  }

  snapshotOffsets(): number[] {
    return this.fs
      .readdirSync(this.dir)
      .filter((name) => name.endsWith(SNAPSHOT_SUFFIX))
      .map((name) => Number(name.slice(0, -SNAPSHOT_SUFFIX.length)))
      .filter((offset) => Number.isInteger(offset))
      .sort((a, b) => a - b);
  }

  /** Writes a snapshot of the state as of `offset` and keeps only the newest few. */
  takeSnapshot(offset: number): void {
    const body = JSON.stringify({
      version: 1,
      producers: [...this.producers].map(([id, e]) => [id, e.producerEpoch, e.lastTimestamp, e.batches]),
    });
    const data = Buffer.from(body, 'utf8');
    const crc = Buffer.allocUnsafe(4);
    crc.writeUInt32BE(crc32c(data), 0);
    this.fs.writeFileAtomicSync(this.snapshotPath(offset), Buffer.concat([crc, data]));
    const offsets = this.snapshotOffsets();
    for (const old of offsets.slice(0, Math.max(0, offsets.length - 2)))
      this.fs.unlinkSync(this.snapshotPath(old));
  }

  /** Removes snapshots taken at or above `offset` (they describe a log that was cut). */
  deleteSnapshotsFrom(offset: number): void {
    for (const o of this.snapshotOffsets()) if (o >= offset) this.fs.unlinkSync(this.snapshotPath(o));
  }

  /**
   * Loads the newest valid snapshot at or below `maxOffset` and returns its offset (where replay
   * must start), or `undefined` when none is usable and the whole log must be replayed.
   */
  loadLatestSnapshot(maxOffset: number): number | undefined {
    this.producers.clear();
    for (const offset of this.snapshotOffsets().reverse()) {
      if (offset > maxOffset) continue;
      const raw = this.fs.readFileSync(this.snapshotPath(offset));
      if (raw.length < 4 || raw.readUInt32BE(0) !== crc32c(raw.subarray(4))) continue;
      const parsed = JSON.parse(raw.subarray(4).toString('utf8')) as {
        producers: [number, number, number, ProducerBatch[]][];
      };
      for (const [id, epoch, lastTimestamp, batches] of parsed.producers) {
        this.producers.set(id, { producerEpoch: epoch, lastTimestamp, batches });
      }
      return offset;
    }
    return undefined;
  }
}
