import { join } from 'node:path';
import { KafkaError } from '../protocol/errors.js';
import { crc32c } from '../protocol/records/crc32c.js';
import type { EndTxnMarker } from '../protocol/records/control-records.js';
import { NO_PRODUCER_EPOCH, NO_SEQUENCE, type RecordBatch } from '../protocol/records/record-batch.js';
import type { StorageFileSystem } from './file-system.js';
import type { BatchLocation } from './log-segment.js';

/** Kafka keeps the last five batches per producer, matching max.in.flight.requests=5. */
const RETAINED_BATCHES = 5;
const INT32_MAX = 0x7fffffff;
export const SNAPSHOT_SUFFIX = '.snapshot';
const SNAPSHOT_VERSION = 2;
/** The transaction protocol from which a marker carries an epoch bumped past the data's (KIP-890). */
const TRANSACTION_VERSION_2 = 2;

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
  /** The epoch of the transaction coordinator that wrote this producer's last marker; -1 before any. */
  coordinatorEpoch: number;
  /** The first offset of the producer's ongoing transaction in this partition. */
  currentTxnFirstOffset: number | undefined;
}

/** A transaction a marker ended: its first data offset and the marker's offset. */
export interface CompletedTxn {
  readonly producerId: number;
  readonly firstOffset: number;
  /** The offset of the COMMIT or ABORT marker. */
  readonly lastOffset: number;
  readonly aborted: boolean;
}

/** What DescribeProducers reports of one producer. */
export interface ActiveProducer {
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly lastSequence: number;
  readonly lastTimestamp: number;
  readonly coordinatorEpoch: number;
  /** -1 when the producer has no ongoing transaction here. */
  readonly currentTxnStartOffset: number;
}

/** The outcome of checking a produced record set against producer state. */
export type ProducerCheck = { readonly duplicate: ProducerBatch } | { readonly duplicate: undefined };

/** A header of a data batch, as appended or replayed. */
type DataBatch = Pick<
  BatchLocation | RecordBatch,
  | 'producerId'
  | 'producerEpoch'
  | 'baseSequence'
  | 'lastSequence'
  | 'baseOffset'
  | 'lastOffset'
  | 'isTransactional'
>;

function inSequence(lastSeq: number, nextSeq: number): boolean {
  return nextSeq === lastSeq + 1 || (nextSeq === 0 && lastSeq === INT32_MAX);
}

type SnapshotEntry = [
  id: number,
  epoch: number,
  lastTimestamp: number,
  batches: ProducerBatch[],
  coordinatorEpoch?: number,
  currentTxnFirstOffset?: number | null,
];

/**
 * Per-partition state of idempotent and transactional producers (Kafka's ProducerStateManager):
 * for each producer id its epoch, its last batches' sequence numbers (so a retried batch is
 * recognised as a duplicate and a gap is refused), the coordinator epoch of its last marker and
 * the first offset of its ongoing transaction. A transactional batch opens a transaction, a
 * COMMIT or ABORT marker ends it. The first unstable offset is the first offset of the oldest
 * transaction that is open, or ended by a marker the high watermark has not yet passed.
 * Rebuilt at start-up from the latest `<offset>.snapshot` plus the batches after it.
 */
export class ProducerStateManager {
  private readonly producers = new Map<number, ProducerEntry>();
  /** producer id → first offset of its open transaction, oldest first (transactions open in log order). */
  private readonly ongoingTxns = new Map<number, number>();
  /** Ended transactions whose marker is not yet below the high watermark, in marker order. */
  private unreplicatedTxns: CompletedTxn[] = [];

  constructor(
    private readonly fs: StorageFileSystem,
    private readonly dir: string,
  ) {}

  get producerCount(): number {
    return this.producers.size;
  }

  /**
   * Checks each producer batch of a record set in order (as Kafka's ProducerAppendInfo does):
   * a stale epoch (INVALID_PRODUCER_EPOCH), a sequence gap, or a plain batch from a producer
   * inside a transaction (INVALID_TXN_STATE) throws; a batch already appended is reported as a
   * duplicate.
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
      if (entry?.currentTxnFirstOffset !== undefined && !batch.isTransactional) {
        throw new KafkaError(
          'INVALID_TXN_STATE',
          `expected a transactional write from producer ${producerId}, which has a transaction open since offset ${entry.currentTxnFirstOffset}`,
        );
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

  /**
   * Checks a marker the transaction coordinator asks the leader to write: its producer epoch must
   * not be older than the producer's (with transaction version 2 it must be newer: the coordinator
   * bumps the epoch as it ends each transaction), and its coordinator epoch not older than that of
   * the producer's last marker (TRANSACTION_COORDINATOR_FENCED: a coordinator that lost its
   * `__transaction_state` partition).
   */
  checkMarker(marker: EndTxnMarker, transactionVersion: number): void {
    const entry = this.producers.get(marker.producerId);
    if (!entry) return;
    const current = entry.producerEpoch;
    const strict = transactionVersion >= TRANSACTION_VERSION_2;
    if (strict ? marker.producerEpoch <= current : marker.producerEpoch < current) {
      throw new KafkaError(
        'INVALID_PRODUCER_EPOCH',
        `marker epoch ${marker.producerEpoch} of producer ${marker.producerId} is ${strict ? 'not newer than' : 'older than'} its current epoch ${current}`,
      );
    }
    if (entry.coordinatorEpoch > marker.coordinatorEpoch) {
      throw new KafkaError(
        'TRANSACTION_COORDINATOR_FENCED',
        `marker of producer ${marker.producerId} comes from coordinator epoch ${marker.coordinatorEpoch}, older than ${entry.coordinatorEpoch}`,
      );
    }
  }

  private entryFor(producerId: number, producerEpoch: number, timestamp: number): ProducerEntry {
    let entry = this.producers.get(producerId);
    if (!entry) {
      entry = {
        producerEpoch,
        batches: [],
        lastTimestamp: timestamp,
        coordinatorEpoch: -1,
        currentTxnFirstOffset: undefined,
      };
      this.producers.set(producerId, entry);
    } else if (producerEpoch !== entry.producerEpoch) {
      // A new epoch starts its sequences afresh; an open transaction stays open until its marker.
      entry.producerEpoch = producerEpoch;
      entry.batches = [];
    }
    return entry;
  }

  /** Records a data batch that is now in the log (appended, or replayed at start-up). */
  update(batch: DataBatch, timestamp: number): void {
    const producerId = batch.producerId;
    if (producerId < 0) return;
    const entry = this.entryFor(producerId, batch.producerEpoch, timestamp);
    entry.batches.push({
      firstSeq: batch.baseSequence,
      lastSeq: batch.lastSequence,
      firstOffset: batch.baseOffset,
      lastOffset: batch.lastOffset,
      timestamp,
    });
    if (entry.batches.length > RETAINED_BATCHES) entry.batches.shift();
    entry.lastTimestamp = timestamp;
    if (batch.isTransactional && entry.currentTxnFirstOffset === undefined) {
      entry.currentTxnFirstOffset = batch.baseOffset;
      this.ongoingTxns.set(producerId, batch.baseOffset);
    }
  }

  /**
   * Records a COMMIT or ABORT marker now in the log at `offset`: the producer's transaction ends
   * (one without data here ends at the marker itself, as Kafka's does). Returns the transaction.
   */
  completeTxn(marker: EndTxnMarker, offset: number, timestamp: number): CompletedTxn {
    const entry = this.entryFor(marker.producerId, marker.producerEpoch, timestamp);
    const firstOffset = entry.currentTxnFirstOffset ?? offset;
    entry.currentTxnFirstOffset = undefined;
    entry.coordinatorEpoch = marker.coordinatorEpoch;
    entry.lastTimestamp = timestamp;
    this.ongoingTxns.delete(marker.producerId);
    const completed: CompletedTxn = {
      producerId: marker.producerId,
      firstOffset,
      lastOffset: offset,
      aborted: !marker.committed,
    };
    this.unreplicatedTxns.push(completed);
    return completed;
  }

  /**
   * Kafka's lastStableOffset(completedTxn), the bound an aborted-transaction index entry records:
   * the first offset of the oldest other open transaction, or just past the marker.
   */
  lastStableOffsetAfter(completed: CompletedTxn): number {
    for (const [producerId, firstOffset] of this.ongoingTxns)
      if (producerId !== completed.producerId) return firstOffset;
    return completed.lastOffset + 1;
  }

  /** The high watermark moved: ended transactions whose marker is below it are stable. */
  onHighWatermarkUpdated(highWatermark: number): void {
    let drop = 0;
    while (drop < this.unreplicatedTxns.length && this.unreplicatedTxns[drop]!.lastOffset < highWatermark)
      drop++;
    if (drop > 0) this.unreplicatedTxns = this.unreplicatedTxns.slice(drop);
  }

  /**
   * The first offset a read_committed consumer may not pass yet: of the oldest open transaction,
   * or of an ended one whose marker is not below `highWatermark`; undefined when there is none.
   */
  firstUnstableOffset(highWatermark: number): number | undefined {
    let first: number | undefined;
    for (const firstOffset of this.ongoingTxns.values()) {
      first = firstOffset;
      break;
    }
    for (const txn of this.unreplicatedTxns) {
      if (txn.lastOffset < highWatermark) continue;
      if (first === undefined || txn.firstOffset < first) first = txn.firstOffset;
    }
    return first;
  }

  /** The first offset of `producerId`'s ongoing transaction here, if it has one. */
  ongoingTxnFirstOffset(producerId: number): number | undefined {
    return this.ongoingTxns.get(producerId);
  }

  activeProducers(): ActiveProducer[] {
    return [...this.producers].map(([producerId, e]) => ({
      producerId,
      producerEpoch: e.producerEpoch,
      lastSequence: e.batches.at(-1)?.lastSeq ?? NO_SEQUENCE,
      lastTimestamp: e.lastTimestamp,
      coordinatorEpoch: e.coordinatorEpoch,
      currentTxnStartOffset: e.currentTxnFirstOffset ?? -1,
    }));
  }

  /**
   * Forgets producers idle for longer than `producer.id.expiration.ms`; never one with a
   * transaction open (its marker must still find it), as Kafka does.
   */
  expire(now: number, expirationMs: number): void {
    for (const [producerId, entry] of this.producers) {
      if (entry.currentTxnFirstOffset === undefined && now - entry.lastTimestamp > expirationMs)
        this.producers.delete(producerId);
    }
  }

  clear(): void {
    this.producers.clear();
    this.ongoingTxns.clear();
    this.unreplicatedTxns = [];
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

  /**
   * Writes a snapshot of the state as of `offset` and keeps only the newest few. Transactions
   * ended but not yet below the high watermark are not in it: after a restart their markers count
   * as replicated, as in Kafka.
   */
  takeSnapshot(offset: number): void {
    const producers: SnapshotEntry[] = [...this.producers].map(([id, e]) => [
      id,
      e.producerEpoch,
      e.lastTimestamp,
      e.batches,
      e.coordinatorEpoch,
      e.currentTxnFirstOffset ?? null,
    ]);
    const data = Buffer.from(JSON.stringify({ version: SNAPSHOT_VERSION, producers }), 'utf8');
    const crc = Buffer.allocUnsafe(4);
    crc.writeUInt32BE(crc32c(data), 0);
    this.fs.writeFileAtomicSync(this.snapshotPath(offset), Buffer.concat([crc, data]));
    const offsets = this.snapshotOffsets();
    for (const old of offsets.slice(0, Math.max(0, offsets.length - RETAINED_SNAPSHOTS)))
      this.fs.unlinkSync(this.snapshotPath(old));
  }

  /** Removes snapshots taken at or above `offset` (they describe a log that was cut). */
  deleteSnapshotsFrom(offset: number): void {
    for (const o of this.snapshotOffsets()) if (o >= offset) this.fs.unlinkSync(this.snapshotPath(o));
  }

  /**
   * Loads the newest valid snapshot at or below `maxOffset` and returns its offset (where replay
   * must start), or `undefined` when none is usable and the whole log must be replayed (the state
   * is then empty).
   */
  loadLatestSnapshot(maxOffset: number): number | undefined {
    this.clear();
    for (const offset of this.snapshotOffsets().reverse()) {
      if (offset > maxOffset) continue;
      const raw = this.fs.readFileSync(this.snapshotPath(offset));
      if (raw.length < 4 || raw.readUInt32BE(0) !== crc32c(raw.subarray(4))) continue;
      let parsed: { producers: SnapshotEntry[] };
      try {
        parsed = JSON.parse(raw.subarray(4).toString('utf8')) as { producers: SnapshotEntry[] };
      } catch {
        continue;
      }
      const open: [number, number][] = [];
      for (const [id, epoch, lastTimestamp, batches, coordinatorEpoch, txnFirstOffset] of parsed.producers) {
        const currentTxnFirstOffset = typeof txnFirstOffset === 'number' ? txnFirstOffset : undefined;
        this.producers.set(id, {
          producerEpoch: epoch,
          lastTimestamp,
          batches,
          coordinatorEpoch: coordinatorEpoch ?? -1,
          currentTxnFirstOffset,
        });
        if (currentTxnFirstOffset !== undefined) open.push([id, currentTxnFirstOffset]);
      }
      for (const [id, first] of open.sort((a, b) => a[1] - b[1])) this.ongoingTxns.set(id, first);
      return offset;
    }
    return undefined;
  }
}

/** Snapshots kept per partition: the newest few, so a recovery can start before the last roll. */
const RETAINED_SNAPSHOTS = 3;
