import { join } from 'node:path';
import { KafkaError } from '../protocol/errors.js';
import {
  LENGTH_OFFSET,
  LOG_OVERHEAD,
  RECORD_BATCH_HEADER_SIZE,
  RecordBatch,
} from '../protocol/records/record-batch.js';
import { recordsOf } from '../protocol/records/records.js';
import type { StorageFileSystem } from './file-system.js';
import { OffsetIndex } from './offset-index.js';
import { TimeIndex } from './time-index.js';
import { TXN_INDEX_SUFFIX, TransactionIndex } from './transaction-index.js';
import type { ReadAllocator } from './read-buffer-pool.js';

export const LOG_SUFFIX = '.log';
export const INDEX_SUFFIX = '.index';
export const TIME_INDEX_SUFFIX = '.timeindex';

/** Kafka names segment files by their base offset, zero-padded to 20 digits. */
export function segmentFileName(baseOffset: number, suffix: string): string {
  return String(baseOffset).padStart(20, '0') + suffix;
}

export interface SegmentOptions {
  readonly indexIntervalBytes: number;
}

/** Where a batch lies in a segment file, with the header fields callers need. */
export interface BatchLocation {
  readonly position: number;
  readonly size: number;
  readonly baseOffset: number;
  readonly lastOffset: number;
  readonly maxTimestamp: number;
  readonly partitionLeaderEpoch: number;
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly baseSequence: number;
  readonly lastSequence: number;
  readonly isTransactional: boolean;
  readonly isControl: boolean;
}

export interface RecoveryResult {
  /** Bytes cut from the end of the segment. */
  readonly truncatedBytes: number;
  /** Why the cut was made, when there was one. */
  readonly reason?: string;
}

const SCAN_FIRST_CHUNK = 4 * 1024;
const SCAN_CHUNK = 64 * 1024;
const READ_CHUNK = 1024 * 1024;

/**
 * One segment of a partition's log: `<base offset>.log` plus its offset and time indexes.
 * Appends go at the end; reads return whole batches. Invariants: `size` is the length of the
 * valid data, every batch in [0, size) is whole, `nextOffset` is one past the last batch's last
 * offset (the base offset when empty). Used only from the event loop.
 */
export class LogSegment {
  private fd: number;
  size: number;
  nextOffset: number;
  maxTimestamp = -1;
  offsetOfMaxTimestamp = -1;
  /** Timestamp of the first batch, for `log.roll.ms`; creation time while empty. */
  rollingTimestamp: number;
  private bytesSinceLastIndexEntry = 0;
  private offsetIndex: OffsetIndex;
  private timeIndex: TimeIndex;
  /** The segment's aborted transactions (`.txnindex`); its owner rebuilds it after a recovery. */
  readonly txnIndex: TransactionIndex;

  private constructor(
    private readonly fs: StorageFileSystem,
    readonly dir: string,
    readonly baseOffset: number,
    private readonly options: SegmentOptions,
    fd: number,
    size: number,
    now: number,
  ) {
    this.fd = fd;
    this.size = size;
    this.nextOffset = baseOffset;
    this.rollingTimestamp = now;
    this.offsetIndex = new OffsetIndex(baseOffset);
    this.timeIndex = new TimeIndex(baseOffset);
    this.txnIndex = TransactionIndex.open(fs, join(dir, segmentFileName(baseOffset, TXN_INDEX_SUFFIX)));
  }

  get logPath(): string {
    return join(this.dir, segmentFileName(this.baseOffset, LOG_SUFFIX));
  }
  private get indexPath(): string {
    return join(this.dir, segmentFileName(this.baseOffset, INDEX_SUFFIX));
  }
  private get timeIndexPath(): string {
    return join(this.dir, segmentFileName(this.baseOffset, TIME_INDEX_SUFFIX));
  }

  get isEmpty(): boolean {
    return this.size === 0;
  }

  /** Creates an empty segment; the directory is synced so the new file survives a crash. */
  static create(
    fs: StorageFileSystem,
    dir: string,
    baseOffset: number,
    options: SegmentOptions,
    now: number,
  ): LogSegment {
    const fd = fs.openSync(join(dir, segmentFileName(baseOffset, LOG_SUFFIX)), 'w+');
    fs.syncDirSync(dir);
    const segment = new LogSegment(fs, dir, baseOffset, options, fd, 0, now);
    // A leftover of an earlier segment at this offset describes records that are gone.
    if (!segment.txnIndex.isEmpty) segment.txnIndex.reset();
    return segment;
  }

  /**
   * Opens an existing segment. With `trustIndexes` (after a clean shutdown) saved indexes that pass
   * their sanity checks are used and only the batches after the last index entry are scanned;
   * otherwise (or when the check fails) the whole segment is recovered.
   */
  static open(
    fs: StorageFileSystem,
    dir: string,
    baseOffset: number,
    options: SegmentOptions,
    now: number,
    trustIndexes: boolean,
  ): { segment: LogSegment; recovery?: RecoveryResult } {
    const fd = fs.openSync(join(dir, segmentFileName(baseOffset, LOG_SUFFIX)), 'r+');
    const segment = new LogSegment(fs, dir, baseOffset, options, fd, fs.fstatSize(fd), now);
    if (trustIndexes && segment.loadIndexes()) return { segment };
    return { segment, recovery: segment.recover() };
  }

  private loadIndexes(): boolean {
    if (!this.fs.existsSync(this.indexPath) || !this.fs.existsSync(this.timeIndexPath)) return false;
    const offsets = OffsetIndex.deserialize(this.baseOffset, this.fs.readFileSync(this.indexPath), this.size);
    if (!offsets) return false;
    const start = offsets.lookup(Number.MAX_SAFE_INTEGER);
    let next = this.baseOffset;
    let end = start.position;
    let lastBatch: BatchLocation | undefined;
    for (const batch of this.scan(start.position)) {
      next = batch.lastOffset + 1;
      end = batch.position + batch.size;
      lastBatch = batch;
    }
    if (end !== this.size) return false;
    const times = TimeIndex.deserialize(this.baseOffset, this.fs.readFileSync(this.timeIndexPath), next);
    if (!times) return false;
    this.offsetIndex = offsets;
    this.timeIndex = times;
    this.nextOffset = next;
    const lastTime = times.lastEntry;
    if (lastTime) {
      this.maxTimestamp = lastTime.timestamp;
      this.offsetOfMaxTimestamp = lastTime.offset;
    }
    if (lastBatch && lastBatch.maxTimestamp > this.maxTimestamp) {
      this.maxTimestamp = lastBatch.maxTimestamp;
      this.offsetOfMaxTimestamp = lastBatch.lastOffset;
    }
    this.rollingTimestamp = this.firstBatch()?.maxTimestamp ?? this.rollingTimestamp;
    return true;
  }

  /**
   * Validates every batch from the start (size, magic, CRC, offsets that only grow), rebuilds both
   * indexes, and truncates the file at the first invalid byte.
   */
  recover(onBatch?: (batch: BatchLocation) => void): RecoveryResult {
    this.offsetIndex.clear();
    this.timeIndex.clear();
    this.maxTimestamp = -1;
    this.offsetOfMaxTimestamp = -1;
    this.bytesSinceLastIndexEntry = 0;
    this.nextOffset = this.baseOffset;
    let position = 0;
    let reason: string | undefined;
    let first = true;
    while (position < this.size) {
      const problem = this.validateBatchAt(position);
      if (typeof problem === 'string') {
        reason = problem;
        break;
      }
      const batch = problem;
      if (batch.baseOffset < this.nextOffset) {
        reason = `batch at position ${position} has offset ${batch.baseOffset} below ${this.nextOffset}`;
        break;
      }
      if (first) {
        this.rollingTimestamp = batch.maxTimestamp;
        first = false;
      }
      this.indexBatch(batch);
      onBatch?.(batch);
      position += batch.size;
    }
    const truncatedBytes = this.size - position;
    if (truncatedBytes > 0) {
      this.fs.ftruncateSync(this.fd, position);
      this.size = position;
    }
    return { truncatedBytes, reason };
  }

  /** Reads and checks the batch at `position`: the batch, or why it is not valid. */
  private validateBatchAt(position: number): BatchLocation | string {
    if (this.size - position < RECORD_BATCH_HEADER_SIZE) return `torn batch header at position ${position}`;
    const header = this.readAt(position, RECORD_BATCH_HEADER_SIZE);
    const size = LOG_OVERHEAD + header.readInt32BE(LENGTH_OFFSET);
    if (size < RECORD_BATCH_HEADER_SIZE) return `invalid batch length at position ${position}`;
    if (position + size > this.size) return `torn batch at position ${position}`;
    const batch = new RecordBatch(this.readAt(position, size));
    if (batch.magic !== 2) return `invalid magic ${batch.magic} at position ${position}`;
    if (!batch.isValid()) return `CRC mismatch at position ${position}`;
    if (batch.lastOffsetDelta < 0) return `invalid last offset delta at position ${position}`;
    return locationOf(batch, position);
  }

  private indexBatch(batch: BatchLocation): void {
    if (batch.maxTimestamp > this.maxTimestamp) {
      this.maxTimestamp = batch.maxTimestamp;
      this.offsetOfMaxTimestamp = batch.lastOffset;
    }
    if (this.bytesSinceLastIndexEntry > this.options.indexIntervalBytes) {
      this.offsetIndex.append(batch.lastOffset, batch.position);
      this.timeIndex.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp);
      this.bytesSinceLastIndexEntry = 0;
    }
    this.bytesSinceLastIndexEntry += batch.size;
    this.nextOffset = batch.lastOffset + 1;
  }

  /**
   * Appends whole batches (offsets already assigned). On a write error the file is cut back to its
   * previous length, so no partial batch stays behind, and KAFKA_STORAGE_ERROR is thrown.
   */
  append(records: Buffer, batches: readonly RecordBatch[]): void {
    const position = this.size;
    try {
      let written = 0;
      while (written < records.length) {
        written += this.fs.writeSync(this.fd, records, written, records.length - written, position + written);
      }
    } catch (error) {
      try {
        this.fs.ftruncateSync(this.fd, position);
      } catch {
        // The tail stays torn on disk; recovery cuts it at the next start.
      }
      throw new KafkaError(
        'KAFKA_STORAGE_ERROR',
        `write to ${this.logPath} failed: ${(error as Error).message}`,
      );
    }
    if (this.size === 0) this.rollingTimestamp = batches[0]?.maxTimestamp ?? this.rollingTimestamp;
    let at = position;
    for (const batch of batches) {
      this.indexBatch(locationOf(batch, at));
      at += batch.sizeInBytes;
    }
    this.size = position + records.length;
  }

  private readAt(position: number, length: number, allocate: ReadAllocator = Buffer.allocUnsafe): Buffer {
    const out = allocate(length);
    let read = 0;
    while (read < length) {
      const n = this.fs.readSync(this.fd, out, read, length - read, position + read);
      if (n === 0) break;
      read += n;
    }
    return read === length ? out : out.subarray(0, read);
  }

  /** Walks batch headers from `position` to the end of the valid data. */
  *scan(position = 0): Generator<BatchLocation> {
    let chunk: Buffer = Buffer.alloc(0);
    let chunkStart = position;
    // Most scans stop at the first batch or two after an index entry (a fetch looking up its
    // offset): read a little first, and more only as the scan goes on.
    let chunkSize = SCAN_FIRST_CHUNK;
    while (position < this.size) {
      if (position + RECORD_BATCH_HEADER_SIZE > chunkStart + chunk.length) {
        chunkStart = position;
        chunk = this.readAt(position, Math.min(chunkSize, this.size - position));
        chunkSize = Math.min(chunkSize * 4, SCAN_CHUNK);
        if (chunk.length < RECORD_BATCH_HEADER_SIZE) return;
      }
      const header = new RecordBatch(chunk.subarray(position - chunkStart));
      const location = locationOf(header, position);
      if (location.size < RECORD_BATCH_HEADER_SIZE) return;
      yield location;
      position += location.size;
    }
  }

  /** Every whole batch from `position` on, read in large chunks (compaction, loading). */
  *batches(position = 0): Generator<RecordBatch> {
    let at = position;
    while (at < this.size) {
      const chunk = this.readAt(at, Math.min(READ_CHUNK, this.size - at));
      const whole = wholeBatchesLength(chunk);
      if (whole === 0) {
        // A batch larger than the chunk: read exactly that batch.
        if (chunk.length < LOG_OVERHEAD) return;
        const size = LOG_OVERHEAD + chunk.readInt32BE(LENGTH_OFFSET);
        if (size < RECORD_BATCH_HEADER_SIZE || at + size > this.size) return;
        yield new RecordBatch(this.readAt(at, size));
        at += size;
        continue;
      }
      let inChunk = 0;
      while (inChunk < whole) {
        const size = LOG_OVERHEAD + chunk.readInt32BE(inChunk + LENGTH_OFFSET);
        yield new RecordBatch(chunk.subarray(inChunk, inChunk + size));
        inChunk += size;
      }
      at += whole;
    }
  }

  private firstBatch(): BatchLocation | undefined {
    for (const batch of this.scan(0)) return batch;
    return undefined;
  }

  /** The first batch whose last offset is at or above `offset`, searching from the index. */
  translateOffset(offset: number): BatchLocation | undefined {
    const start = this.offsetIndex.lookup(offset);
    for (const batch of this.scan(start.position)) {
      if (batch.lastOffset >= offset) return batch;
    }
    return undefined;
  }

  /**
   * Whole batches from the one holding `offset`, up to `maxBytes` — but always the first batch
   * when `minOneBatch`, however large — and never past `maxPosition`.
   */
  read(
    offset: number,
    maxBytes: number,
    maxPosition: number,
    minOneBatch: boolean,
    allocate?: ReadAllocator,
  ): Buffer | undefined {
    const first = this.translateOffset(offset);
    if (!first || first.position >= maxPosition) return undefined;
    const available = Math.min(maxPosition, this.size) - first.position;
    if (first.size > maxBytes) {
      return minOneBatch ? this.readAt(first.position, first.size, allocate) : undefined;
    }
    const data = this.readAt(first.position, Math.min(maxBytes, available), allocate);
    return data.subarray(0, wholeBatchesLength(data));
  }

  /** The offset and timestamp of the first record at or after `timestamp`, if any here. */
  findOffsetByTimestamp(
    timestamp: number,
    startingOffset: number,
  ): { offset: number; timestamp: number } | undefined {
    const indexed = this.timeIndex.lookup(timestamp);
    const from = this.translateOffset(Math.max(indexed.offset, startingOffset));
    if (!from) return undefined;
    for (const batch of this.scan(from.position)) {
      if (batch.maxTimestamp < timestamp) continue;
      const full = new RecordBatch(this.readAt(batch.position, batch.size));
      let records;
      try {
        records = recordsOf(full);
      } catch {
        // Records that cannot be read: the batch as a whole is the answer.
        return { offset: Math.max(batch.baseOffset, startingOffset), timestamp: batch.maxTimestamp };
      }
      for (const record of records) {
        if (record.timestamp >= timestamp && record.offset >= startingOffset) {
          return { offset: record.offset, timestamp: record.timestamp };
        }
      }
    }
    return undefined;
  }

  /** Reads the whole batch holding `offset` (for records-level lookups). */
  readBatchContaining(offset: number): RecordBatch | undefined {
    const location = this.translateOffset(offset);
    if (!location || location.baseOffset > offset) return undefined;
    return new RecordBatch(this.readAt(location.position, location.size));
  }

  /** Removes every batch whose base offset is at or above `offset`; returns the bytes cut. */
  truncateTo(offset: number): number {
    const cut = this.translateOffset(offset);
    if (!cut) return 0;
    // The batch holding `offset` starts below it: keep it whole (truncation is at batch boundaries).
    const position = cut.baseOffset >= offset ? cut.position : cut.position + cut.size;
    const removed = this.size - position;
    if (removed <= 0) return 0;
    this.fs.ftruncateSync(this.fd, position);
    this.size = position;
    this.offsetIndex.truncateTo(offset);
    this.timeIndex.truncateTo(offset);
    // Recompute what the remaining batches say.
    this.recover();
    this.txnIndex.truncateTo(this.nextOffset);
    return removed;
  }

  async flush(): Promise<void> {
    await Promise.all([this.fs.fsync(this.fd), this.txnIndex.flush()]);
  }

  /** Writes both indexes out (they are derived data; a crash before this just means a rebuild). */
  persistIndexes(): void {
    this.fs.writeFileAtomicSync(this.indexPath, this.offsetIndex.serialize());
    this.fs.writeFileAtomicSync(this.timeIndexPath, this.timeIndex.serialize());
  }

  close(): void {
    this.persistIndexes();
    this.txnIndex.close();
    this.fs.closeSync(this.fd);
  }

  /** Closes and deletes the segment's files. */
  delete(): void {
    this.txnIndex.delete();
    this.fs.closeSync(this.fd);
    for (const path of [this.logPath, this.indexPath, this.timeIndexPath]) {
      if (this.fs.existsSync(path)) this.fs.unlinkSync(path);
    }
  }
}

function locationOf(batch: RecordBatch, position: number): BatchLocation {
  return {
    position,
    size: batch.sizeInBytes,
    baseOffset: batch.baseOffset,
    lastOffset: batch.lastOffset,
    maxTimestamp: batch.maxTimestamp,
    partitionLeaderEpoch: batch.partitionLeaderEpoch,
    producerId: batch.producerId,
    producerEpoch: batch.producerEpoch,
    baseSequence: batch.baseSequence,
    lastSequence: batch.lastSequence,
    isTransactional: batch.isTransactional,
    isControl: batch.isControl,
  };
}

/** Length of the whole batches at the start of `data`. */
export function wholeBatchesLength(data: Buffer): number {
  let at = 0;
  while (at + LOG_OVERHEAD <= data.length) {
    const size = LOG_OVERHEAD + data.readInt32BE(at + LENGTH_OFFSET);
    if (size < RECORD_BATCH_HEADER_SIZE || at + size > data.length) break;
    at += size;
  }
  return at;
}
