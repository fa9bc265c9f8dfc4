import type { Logger } from 'pino';
import type { RecordBatch } from '../protocol/records/record-batch.js';
import { buildRecordBatch, recordsOf, type Record } from '../protocol/records/records.js';
import type { CompressionType } from '../protocol/records/compression.js';
import { endTxnMarkerOf } from '../protocol/records/control-records.js';
import type { LogSegment } from './log-segment.js';
import type { PartitionLog } from './partition-log.js';
import type { AbortedTxn } from './transaction-index.js';

export interface CleanResult {
  readonly segmentsBefore: number;
  readonly segmentsAfter: number;
  readonly bytesBefore: number;
  readonly bytesAfter: number;
  readonly recordsRemoved: number;
}

/** Offset deltas are 32-bit: a cleaned segment may span at most this many offsets. */
const MAX_OFFSET_SPAN = 0x7fffffff;

/**
 * Log compaction for topics with `cleanup.policy=compact` (Kafka's log cleaner): keeps, for every
 * key, only its latest record; tombstones (null values) go once older than `delete.retention.ms`.
 * Only whole segments behind the active one and below the high watermark are rewritten, and only
 * when the dirty part (written since the last cleaning) is at least `min.cleanable.dirty.ratio`.
 * Offsets never change; batches keep their producer ids, sequences and last offsets.
 *
 * Transactions, as Kafka's cleaner treats them: nothing at or past the last stable offset is
 * cleaned (an open transaction's batches stay untouched); the batches of aborted transactions (as
 * the `.txnindex` files list them) are removed and their keys never shadow committed records; a
 * COMMIT or ABORT marker stays while records of its transaction remain, and once none do, until
 * it is older than `delete.retention.ms`, like a tombstone.
 */
export class LogCleaner {
  constructor(private readonly logger: Logger) {}

  /** Share of the cleanable bytes written since the last cleaning. */
  dirtyRatio(log: PartitionLog, now: number): number {
    const segments = log.cleanableSegments(now);
    let total = 0;
    let dirty = 0;
    for (const s of segments) {
      total += s.size;
      if (s.baseOffset >= log.firstDirtyOffset) dirty += s.size;
    }
    return total === 0 ? 0 : dirty / total;
  }

  /** Cleans `log` if it is compacted and dirty enough; undefined when there was nothing to do. */
  async maybeClean(log: PartitionLog, now: number): Promise<CleanResult | undefined> {
    if (!log.config.cleanupPolicy.includes('compact')) return undefined;
    if (this.dirtyRatio(log, now) < log.config.minCleanableDirtyRatio || this.dirtyRatio(log, now) === 0)
      return undefined;
    return this.clean(log, now);
  }

  async clean(log: PartitionLog, now: number): Promise<CleanResult | undefined> {
    const segments = log.cleanableSegments(now);
    if (segments.length === 0) return undefined;
    const aborted = new AbortedTransactions(log.allAbortedTransactions());
    const latest = this.buildOffsetMap(segments, aborted);
    const deleteHorizon = now - log.config.deleteRetentionMs;
    /** Producers whose transaction (not yet ended by a marker in the walk) has records kept. */
    const txnsWithRecords = new Set<number>();
    const bytesBefore = segments.reduce((n, s) => n + s.size, 0);
    let recordsRemoved = 0;
    let segmentsAfter = 0;
    let bytesAfter = 0;
    for (const group of groupBySize(segments, log.config.segmentBytes)) {
      const kept: Buffer[] = [];
      const keptMarkers = new Set<number>();
      let removedHere = 0;
      for (const segment of group) {
        for (const batch of segment.batches()) {
          let result: { batch: Buffer | undefined; removed: number };
          if (batch.isControl) {
            result = retainedMarker(batch, txnsWithRecords, deleteHorizon);
            if (result.batch) keptMarkers.add(batch.baseOffset);
          } else if (aborted.contains(batch)) {
            result = { batch: undefined, removed: batch.recordsCount };
          } else {
            result = retainedBatch(batch, latest, deleteHorizon);
            if (result.batch && batch.isTransactional) txnsWithRecords.add(batch.producerId);
          }
          removedHere += result.removed;
          if (result.batch) kept.push(result.batch);
        }
      }
      recordsRemoved += removedHere;
      if (removedHere === 0 && group.length === 1) {
        segmentsAfter++;
        bytesAfter += group[0]!.size;
        continue;
      }
      const abortedKept = group
        .flatMap((segment) => segment.txnIndex.allEntries)
        .filter((txn) => keptMarkers.has(txn.lastOffset));
      const replaced = await log.replaceSegments(group, kept, now, abortedKept);
      if (!replaced) return undefined;
      segmentsAfter++;
      bytesAfter += kept.reduce((n, b) => n + b.length, 0);
    }
    log.firstDirtyOffset = segments.at(-1)!.nextOffset;
    const result = {
      segmentsBefore: segments.length,
      segmentsAfter,
      bytesBefore,
      bytesAfter,
      recordsRemoved,
    };
    this.logger.info({ partition: log.key, ...result }, 'compacted log');
    return result;
  }

  /** key → offset of its latest record, over the segments being cleaned (aborted records aside). */
  private buildOffsetMap(segments: readonly LogSegment[], aborted: AbortedTransactions): Map<string, number> {
    const latest = new Map<string, number>();
    for (const segment of segments) {
      for (const batch of segment.batches()) {
        if (batch.isControl || aborted.contains(batch)) continue;
        for (const record of recordsOf(batch)) {
          if (record.key) latest.set(record.key.toString('latin1'), record.offset);
        }
      }
    }
    return latest;
  }
}

/** The aborted transactions of a log, by producer, to tell which transactional batches were aborted. */
class AbortedTransactions {
  private readonly byProducer = new Map<number, AbortedTxn[]>();

  constructor(txns: readonly AbortedTxn[]) {
    for (const txn of txns) {
      const list = this.byProducer.get(txn.producerId) ?? [];
      list.push(txn);
      this.byProducer.set(txn.producerId, list);
    }
  }

  /** Whether `batch` holds records of a transaction that was aborted. */
  contains(batch: RecordBatch): boolean {
    if (!batch.isTransactional || batch.isControl) return false;
    const txns = this.byProducer.get(batch.producerId);
    return (
      txns?.some((txn) => batch.baseOffset >= txn.firstOffset && batch.baseOffset < txn.lastOffset) ?? false
    );
  }
}

/**
 * A transaction marker is kept while its transaction still has records in the log and, after
 * that, until it is older than the delete horizon; it ends the transaction for the walk either way.
 */
function retainedMarker(
  batch: RecordBatch,
  txnsWithRecords: Set<number>,
  deleteHorizon: number,
): { batch: Buffer | undefined; removed: number } {
  let marker;
  try {
    marker = endTxnMarkerOf(batch);
  } catch {
    marker = undefined;
  }
  // Control batches that are not transaction markers are kept as they are.
  if (!marker) return { batch: Buffer.from(batch.buffer), removed: 0 };
  const hasRecords = txnsWithRecords.delete(batch.producerId) && marker.committed;
  if (hasRecords || batch.maxTimestamp >= deleteHorizon)
    return { batch: Buffer.from(batch.buffer), removed: 0 };
  return { batch: undefined, removed: batch.recordsCount };
}

/**
 * The batch with only the records compaction keeps: the latest of each key, tombstones until the
 * delete horizon. Unchanged batches are kept byte for byte; changed ones are rebuilt with the same
 * base offset, last offset delta, codec, producer fields and leader epoch.
 */
function retainedBatch(
  batch: RecordBatch,
  latest: ReadonlyMap<string, number>,
  deleteHorizon: number,
): { batch: Buffer | undefined; removed: number } {
  const records = recordsOf(batch);
  const keep = (r: Record): boolean =>
    r.key !== null &&
    latest.get(r.key.toString('latin1')) === r.offset &&
    !(r.value === null && r.timestamp < deleteHorizon);
  const retained = records.filter(keep);
  const removed = records.length - retained.length;
  if (removed === 0) return { batch: Buffer.from(batch.buffer), removed: 0 };
  if (retained.length === 0) return { batch: undefined, removed };
  const base = batch.baseOffset;
  const rebuilt = buildRecordBatch(
    retained.map((r) => ({
      key: r.key,
      value: r.value,
      headers: r.headers,
      timestamp: r.timestamp,
      offsetDelta: r.offset - base,
    })),
    {
      baseOffset: base,
      partitionLeaderEpoch: batch.partitionLeaderEpoch,
      compression: batch.compression as CompressionType,
      timestamp: batch.maxTimestamp,
      producerId: batch.producerId,
      producerEpoch: batch.producerEpoch,
      baseSequence: batch.baseSequence,
      transactional: batch.isTransactional,
      logAppendTime: batch.isLogAppendTime,
      lastOffsetDelta: batch.lastOffsetDelta,
    },
  );
  return { batch: rebuilt, removed };
}

/** Consecutive segments whose combined size fits `maxBytes` (and whose offsets fit one segment). */
function groupBySize(segments: readonly LogSegment[], maxBytes: number): LogSegment[][] {
  const groups: LogSegment[][] = [];
  let current: LogSegment[] = [];
  let size = 0;
  for (const s of segments) {
    const span = current.length > 0 ? s.nextOffset - current[0]!.baseOffset : 0;
    if (current.length > 0 && (size + s.size > maxBytes || span > MAX_OFFSET_SPAN)) {
      groups.push(current);
      current = [];
      size = 0;
    }
    current.push(s);
    size += s.size;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}
