import type { ReadAllocator } from './read-buffer-pool.js';
import { KafkaError } from '../protocol/errors.js';
import {
  RecordBatch,
  batchesOf,
  validateProducedRecords,
  validateReplicatedRecords,
} from '../protocol/records/record-batch.js';
import {
  buildEndTxnMarkerBatch,
  endTxnMarkerOf,
  type EndTxnMarker,
} from '../protocol/records/control-records.js';
import { producedDecompressionLimit } from '../protocol/records/compression.js';
import { checkProducedRecords, recordsOf } from '../protocol/records/records.js';
import type { CheckpointWarning } from './checkpoint-file.js';
import type { StorageFileSystem } from './file-system.js';
import { LeaderEpochCache } from './leader-epoch-cache.js';
import type { LogConfig } from './log-config.js';
import {
  LOG_SUFFIX,
  LogSegment,
  segmentFileName,
  type BatchLocation,
  type RecoveryResult,
} from './log-segment.js';
import { ProducerStateManager } from './producer-state.js';
import { TXN_INDEX_SUFFIX, type AbortedTxn } from './transaction-index.js';
import { recompressForTopic } from './recompress.js';

import { topicPartitionKey, type TopicPartition } from './topic-partition.js';

export interface AppendResult {
  readonly baseOffset: number;
  readonly lastOffset: number;
  /** The broker's time when the topic uses LogAppendTime, else -1. */
  readonly logAppendTime: number;
  readonly logStartOffset: number;
  readonly recordCount: number;
  readonly bytes: number;
  /** True when every batch was a retry of one already in the log (nothing was written). */
  readonly duplicate: boolean;
}

export interface FetchDataInfo {
  /** Whole batches from the one holding the fetch offset; empty when none are available. */
  readonly records: Buffer;
}

export interface LoadOptions {
  readonly fs: StorageFileSystem;
  readonly dir: string;
  readonly topicPartition: TopicPartition;
  readonly config: LogConfig;
  readonly now: number;
  /** Offset up to which the log is known to be flushed; batches after it are validated. */
  readonly recoveryPoint: number;
  readonly logStartOffset: number;
  /** After a clean shutdown saved indexes are trusted and nothing is re-validated. */
  readonly cleanShutdown: boolean;
  readonly onRecovery?: (segment: LogSegment, result: RecoveryResult) => void;
  /** Where a checkpoint of this log that cannot be read or written is reported. */
  readonly warn?: CheckpointWarning;
}

/**
 * One partition's log (Kafka's UnifiedLog): an ordered list of segments, the last one active.
 * Tracks the log start offset, log end offset, high watermark and recovery point; owns the
 * producer state and the leader epoch cache. Invariants: segments are sorted by base offset,
 * never overlap, and only the active (last) segment is appended to.
 */
export class PartitionLog {
  private segments: LogSegment[];
  private unflushedMessages = 0;
  private lastFlushTime: number;
  private deleted = false;
  logStartOffset: number;
  /** Compaction: offsets below this have been cleaned (Kafka's cleaner checkpoint). */
  firstDirtyOffset = 0;
  /** Offsets below this are known to be on disk (fsynced). */
  recoveryPoint: number;
  private highWatermarkOffset: number;
  readonly producerState: ProducerStateManager;
  readonly leaderEpochCache: LeaderEpochCache;

  private constructor(
    private readonly fs: StorageFileSystem,
    readonly dir: string,
    readonly topicPartition: TopicPartition,
    public config: LogConfig,
    segments: LogSegment[],
    logStartOffset: number,
    recoveryPoint: number,
    now: number,
    warn?: CheckpointWarning,
  ) {
    this.segments = segments;
    this.logStartOffset = logStartOffset;
    this.recoveryPoint = recoveryPoint;
    this.producerState = new ProducerStateManager(fs, dir);
    this.highWatermarkOffset = this.logEndOffset;
    this.lastFlushTime = now;
    this.leaderEpochCache = new LeaderEpochCache(fs, dir, warn);
  }

  get key(): string {
    return topicPartitionKey(this.topicPartition.topic, this.topicPartition.partition);
  }

  /** Creates the directory and first segment of a new partition. */
  static create(
    fs: StorageFileSystem,
    dir: string,
    topicPartition: TopicPartition,
    config: LogConfig,
    now: number,
    warn?: CheckpointWarning,
  ): PartitionLog {
    fs.mkdirSync(dir);
    const segment = LogSegment.create(fs, dir, 0, { indexIntervalBytes: config.indexIntervalBytes }, now);
    return new PartitionLog(fs, dir, topicPartition, config, [segment], 0, 0, now, warn);
  }

  /**
   * Loads a partition at start-up, in named passes: remove leftovers of interrupted work, open the
   * segments, recover those after the recovery point (unless shut down cleanly), rebuild producer
   * state from the latest snapshot plus the log after it.
   */
  static load(options: LoadOptions): PartitionLog {
    const { fs, dir, config, now } = options;
    const segmentOptions = { indexIntervalBytes: config.indexIntervalBytes };

    // Pass 1: leftovers (temporary files from an interrupted atomic write or cleaning), then
    // finish any swap of cleaned data that was complete when the broker stopped.
    for (const name of fs.readdirSync(dir)) {
      if (name.endsWith('.tmp') || name.endsWith('.deleted') || name.endsWith(CLEANED_SUFFIX))
        fs.unlinkSync(`${dir}/${name}`);
    }
    for (const name of fs.readdirSync(dir).filter((n) => n.endsWith(SWAP_SUFFIX)))
      completeSwap(fs, dir, name);

    // Pass 2: open segments; validate everything from the segment holding the recovery point.
    const baseOffsets = fs
      .readdirSync(dir)
      .filter((name) => name.endsWith(LOG_SUFFIX))
      .map((name) => Number(name.slice(0, -LOG_SUFFIX.length)))
      .sort((a, b) => a - b);
    const segments: LogSegment[] = [];
    /** Segments whose batches were re-validated: their aborted-transaction index is rebuilt too. */
    const recovered = new Set<LogSegment>();
    let recovering = false;
    for (let i = 0; i < baseOffsets.length; i++) {
      const base = baseOffsets[i]!;
      const nextBase = baseOffsets[i + 1];
      if (!options.cleanShutdown && (nextBase === undefined || nextBase > options.recoveryPoint))
        recovering = true;
      const { segment, recovery } = LogSegment.open(fs, dir, base, segmentOptions, now, !recovering);
      if (recovery) {
        options.onRecovery?.(segment, recovery);
        recovered.add(segment);
      }
      if (recovery?.truncatedBytes && i < baseOffsets.length - 1) {
        // Everything after a corrupt point is unreliable: later segments go too.
        segments.push(segment);
        for (const later of baseOffsets.slice(i + 1)) {
          const { segment: doomed } = LogSegment.open(fs, dir, later, segmentOptions, now, true);
          doomed.delete();
        }
        break;
      }
      segments.push(segment);
    }
    if (segments.length === 0) {
      segments.push(LogSegment.create(fs, dir, Math.max(options.logStartOffset, 0), segmentOptions, now));
    }
    const first = segments[0]!;
    const logStartOffset = Math.max(options.logStartOffset, first.baseOffset);
    const logEnd = segments.at(-1)!.nextOffset;
    const log = new PartitionLog(
      fs,
      dir,
      options.topicPartition,
      config,
      segments,
      logStartOffset,
      Math.min(options.recoveryPoint, logEnd),
      now,
      options.warn,
    );
    // A missing or unreadable leader epoch checkpoint is rebuilt from the batches' epochs.
    if (log.leaderEpochCache.needsRebuild) log.leaderEpochCache.rebuild(log.batches(), logStartOffset);
    log.leaderEpochCache.truncateFromEnd(logEnd);

    // Pass 3: producer state, from the newest snapshot that precedes every recovered segment (so
    // their aborted-transaction indexes are rebuilt with the transactions open at their start).
    log.producerState.deleteSnapshotsFrom(logEnd + 1);
    const rebuilt = log.segments.filter((s) => recovered.has(s));
    for (const segment of rebuilt) segment.txnIndex.reset();
    const replayBound = Math.min(logEnd, rebuilt[0]?.baseOffset ?? logEnd);
    const from = log.producerState.loadLatestSnapshot(replayBound) ?? logStartOffset;
    log.replayProducerState(from, new Set(rebuilt));
    return log;
  }

  /**
   * Replays the batches from `from` into producer state (loaded as of `from`): data batches
   * update their producer, markers end its transaction; ABORT markers in `rebuild` segments get
   * their aborted-transaction index entry again.
   */
  private replayProducerState(from: number, rebuild: ReadonlySet<LogSegment>): void {
    for (const segment of this.segments) {
      if (segment.nextOffset <= from) continue;
      for (const batch of segment.scan()) {
        if (batch.lastOffset < from) continue;
        if (!batch.isControl) {
          this.producerState.update(batch, batch.maxTimestamp);
          continue;
        }
        const full = segment.readBatchContaining(batch.baseOffset);
        const marker = full && batch.producerId >= 0 ? endTxnMarkerOf(full) : undefined;
        if (marker)
          this.completeTxn(
            marker,
            batch.baseOffset,
            batch.maxTimestamp,
            rebuild.has(segment) ? segment : undefined,
          );
      }
    }
  }

  /** Ends a transaction in producer state; an abort gets an entry in `index`'s `.txnindex`. */
  private completeTxn(
    marker: EndTxnMarker,
    offset: number,
    timestamp: number,
    index: LogSegment | undefined,
  ): void {
    const completed = this.producerState.completeTxn(marker, offset, timestamp);
    if (completed.aborted && index) {
      index.txnIndex.append({
        producerId: completed.producerId,
        firstOffset: completed.firstOffset,
        lastOffset: completed.lastOffset,
        lastStableOffset: this.producerState.lastStableOffsetAfter(completed),
      });
    }
  }

  /** Offsets below this are committed: replicated to the ISR, visible to read_uncommitted consumers. */
  get highWatermark(): number {
    return this.highWatermarkOffset;
  }

  private set highWatermark(offset: number) {
    this.highWatermarkOffset = offset;
    this.producerState.onHighWatermarkUpdated(offset);
  }

  /**
   * The last stable offset: min(high watermark, first unstable offset), never below the log
   * start. read_committed consumers read only below it; compaction and retention stop at it.
   */
  get lastStableOffset(): number {
    const highWatermark = this.highWatermark;
    const firstUnstable = this.producerState.firstUnstableOffset(highWatermark);
    if (firstUnstable === undefined) return highWatermark;
    return Math.max(this.logStartOffset, Math.min(highWatermark, firstUnstable));
  }

  /**
   * The aborted transactions a read_committed consumer needs for [startOffset, upperBoundOffset)
   * (Kafka's collectAbortedTransactions): from the segment holding `startOffset` on, until an
   * entry's last stable offset shows no later segment can matter.
   */
  collectAbortedTransactions(startOffset: number, upperBoundOffset: number): AbortedTxn[] {
    const out: AbortedTxn[] = [];
    for (let i = this.floorSegmentIndex(startOffset); i < this.segments.length; i++) {
      const { found, complete } = this.segments[i]!.txnIndex.collect(startOffset, upperBoundOffset);
      out.push(...found);
      if (complete) break;
    }
    return out;
  }

  /** Every aborted transaction the log's indexes hold, oldest marker first (compaction). */
  allAbortedTransactions(): AbortedTxn[] {
    return this.segments.flatMap((s) => s.txnIndex.allEntries);
  }

  get logEndOffset(): number {
    return this.activeSegment.nextOffset;
  }

  get activeSegment(): LogSegment {
    return this.segments.at(-1)!;
  }

  get segmentCount(): number {
    return this.segments.length;
  }

  get size(): number {
    let total = 0;
    for (const s of this.segments) total += s.size;
    return total;
  }

  get segmentBaseOffsets(): number[] {
    return this.segments.map((s) => s.baseOffset);
  }

  /**
   * Appends a produced record set: validates it, checks idempotent producer sequences, assigns
   * offsets in place, stamps LogAppendTime if the topic uses it, and writes it with one write.
   * Resolves once the data is where `flush.messages` requires it to be.
   */
  async appendAsLeader(produced: Buffer, leaderEpoch: number, now: number): Promise<AppendResult> {
    let records = produced;
    let batches = validateProducedRecords(records, this.config.maxMessageBytes);
    if (batches.length !== 1) {
      throw new KafkaError(
        'INVALID_RECORD',
        'a produce request carries exactly one record batch per partition',
      );
    }
    // Before anything is written: a batch whose records cannot be read back would make every
    // later record of the partition unreadable to consumers.
    checkProducedRecords(batches[0]!, {
      decompression: producedDecompressionLimit(this.config.maxMessageBytes),
      keysRequiredIn: this.config.cleanupPolicy.includes('compact') ? this.key : undefined,
      timestamps:
        this.config.messageTimestampType === 'CreateTime' && !batches[0]!.isLogAppendTime
          ? timestampRange(now, this.config)
          : undefined,
    });
    if (this.config.compressionType !== 'producer') {
      records = recompressForTopic(records, batches, this.config.compressionType);
      if (records !== produced) batches = [...batchesOf(records)];
    }

    const check = this.producerState.check(batches);
    if (check.duplicate) {
      return {
        baseOffset: check.duplicate.firstOffset,
        lastOffset: check.duplicate.lastOffset,
        logAppendTime: this.config.messageTimestampType === 'LogAppendTime' ? check.duplicate.timestamp : -1,
        logStartOffset: this.logStartOffset,
        recordCount: 0,
        bytes: 0,
        duplicate: true,
      };
    }
    const baseOffset = this.logEndOffset;
    let next = baseOffset;
    let recordCount = 0;
    const logAppendTime = this.config.messageTimestampType === 'LogAppendTime';
    for (const batch of batches) {
      batch.assignOffsets(next, leaderEpoch);
      if (logAppendTime) batch.setLogAppendTime(now);
      next = batch.nextOffset;
      recordCount += batch.recordsCount;
    }
    this.appendBatches(records, batches, now);
    this.leaderEpochCache.assign(leaderEpoch, baseOffset);
    // Data batches only here: clients cannot produce control batches.
    for (const batch of batches) this.producerState.update(batch, logAppendTime ? now : batch.maxTimestamp);
    this.unflushedMessages += recordCount;
    if (this.unflushedMessages >= this.config.flushMessages) await this.flush();
    return {
      baseOffset,
      lastOffset: next - 1,
      logAppendTime: logAppendTime ? now : -1,
      logStartOffset: this.logStartOffset,
      recordCount,
      bytes: records.length,
      duplicate: false,
    };
  }

  /**
   * Appends a transaction marker as leader (the transaction coordinator's WriteTxnMarkers): the
   * control batch of {@link buildEndTxnMarkerBatch}, checked against the producer's epoch and
   * coordinator epoch, ends the producer's transaction here; an ABORT also gets an entry in the
   * segment's aborted-transaction index. Followers copy the batch unchanged.
   */
  async appendControlAsLeader(
    marker: EndTxnMarker,
    options: { readonly leaderEpoch: number; readonly now: number; readonly transactionVersion: number },
  ): Promise<AppendResult> {
    const { leaderEpoch, now } = options;
    this.producerState.checkMarker(marker, options.transactionVersion);
    const records = buildEndTxnMarkerBatch(marker, now);
    const batch = new RecordBatch(records);
    const offset = this.logEndOffset;
    batch.assignOffsets(offset, leaderEpoch);
    this.appendBatches(records, [batch], now);
    this.leaderEpochCache.assign(leaderEpoch, offset);
    this.completeTxn(marker, offset, now, this.activeSegment);
    this.unflushedMessages += 1;
    if (this.unflushedMessages >= this.config.flushMessages) await this.flush();
    return {
      baseOffset: offset,
      lastOffset: offset,
      logAppendTime: -1,
      logStartOffset: this.logStartOffset,
      recordCount: 1,
      bytes: records.length,
      duplicate: false,
    };
  }

  /**
   * Appends batches that already carry their offsets (a follower copying its leader), control
   * batches included. Only their framing and CRCs are checked: the leader validated their records
   * before it wrote them.
   */
  appendAsFollower(records: Buffer, now: number): number {
    const batches = validateReplicatedRecords(records);
    if (batches.length === 0) return 0;
    if (batches[0]!.baseOffset < this.logEndOffset) {
      throw new KafkaError(
        'INVALID_RECORD',
        `replicated batch at ${batches[0]!.baseOffset} is below the log end ${this.logEndOffset}`,
      );
    }
    // Markers are read before anything is written: one that cannot be read is refused whole.
    const markers = batches.map((batch) =>
      batch.isControl && batch.producerId >= 0 ? endTxnMarkerOf(batch) : undefined,
    );
    this.appendBatches(records, batches, now);
    batches.forEach((batch, i) => {
      this.leaderEpochCache.assign(batch.partitionLeaderEpoch, batch.baseOffset);
      const marker = markers[i];
      if (marker) this.completeTxn(marker, batch.baseOffset, batch.maxTimestamp, this.activeSegment);
      else if (!batch.isControl) this.producerState.update(batch, batch.maxTimestamp);
      this.unflushedMessages += batch.recordsCount;
    });
    return batches.length;
  }

  private appendBatches(records: Buffer, batches: readonly RecordBatch[], now: number): void {
    const first = batches[0]!;
    const last = batches.at(-1)!;
    this.maybeRoll(records.length, first.baseOffset, last.lastOffset, now);
    this.activeSegment.append(records, batches);
  }

  private maybeRoll(incomingBytes: number, firstOffset: number, lastOffset: number, now: number): void {
    const active = this.activeSegment;
    if (active.isEmpty) return;
    const full = active.size + incomingBytes > this.config.segmentBytes;
    const old = now - active.rollingTimestamp > this.config.segmentMs;
    // Offsets in the index are 32-bit and relative to the segment's base.
    const overflow = lastOffset - active.baseOffset > 0x7fffffff;
    if (full || old || overflow) this.roll(Math.max(firstOffset, active.nextOffset), now);
  }

  /** Sets the high watermark (the partition decides: the ISR's lowest log end, or the log end alone). */
  updateHighWatermark(offset: number): void {
    this.highWatermark = Math.max(this.logStartOffset, Math.min(offset, this.logEndOffset));
  }

  /** A new, empty segment of this log starting at `baseOffset`. */
  private createSegment(baseOffset: number, now: number): LogSegment {
    return LogSegment.create(
      this.fs,
      this.dir,
      baseOffset,
      { indexIntervalBytes: this.config.indexIntervalBytes },
      now,
    );
  }

  /** Starts a new active segment at `baseOffset` (the log end by default). */
  roll(baseOffset = this.logEndOffset, now = Date.now()): void {
    const previous = this.activeSegment;
    if (previous.isEmpty && previous.baseOffset === baseOffset) return;
    previous.persistIndexes();
    this.segments.push(this.createSegment(baseOffset, now));
    this.producerState.takeSnapshot(baseOffset);
    // The rolled segment is complete: make it durable in the background, as Kafka does.
    void previous.flush().catch(() => undefined);
  }

  /**
   * Reads whole batches starting with the one holding `offset`, up to `maxBytes` (but at least one
   * batch when `minOneBatch`), and nothing at or beyond `maxOffset`.
   */
  read(
    offset: number,
    maxBytes: number,
    maxOffset: number,
    minOneBatch: boolean,
    /** Where the data goes (a fetch's pooled buffers); a fresh buffer by default. */
    allocate?: ReadAllocator,
  ): FetchDataInfo {
    if (offset < this.logStartOffset || offset > this.logEndOffset) {
      throw new KafkaError(
        'OFFSET_OUT_OF_RANGE',
        `offset ${offset} is outside [${this.logStartOffset}, ${this.logEndOffset}] of ${this.key}`,
      );
    }
    if (offset >= maxOffset) return { records: EMPTY };
    for (let i = this.floorSegmentIndex(offset); i < this.segments.length; i++) {
      const segment = this.segments[i]!;
      const maxPosition = this.positionOf(segment, maxOffset);
      const data = segment.read(offset, maxBytes, maxPosition, minOneBatch, allocate);
      if (data && data.length > 0) return { records: data };
      if (segment.nextOffset > offset && maxPosition < segment.size) break;
    }
    return { records: EMPTY };
  }

  /** Byte position in `segment` of the first batch at or after `offset` (its size if beyond). */
  private positionOf(segment: LogSegment, offset: number): number {
    if (offset >= segment.nextOffset) return segment.size;
    const batch = segment.translateOffset(offset);
    if (!batch) return segment.size;
    return batch.baseOffset >= offset ? batch.position : batch.position + batch.size;
  }

  private floorSegmentIndex(offset: number): number {
    let lo = 0;
    let hi = this.segments.length - 1;
    let found = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.segments[mid]!.baseOffset <= offset) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  /**
   * The first record at or after `timestamp`, searching segments whose max timestamp reaches it;
   * only below `maxOffset` (the high watermark, or the last stable offset for read_committed).
   */
  offsetForTimestamp(
    timestamp: number,
    maxOffset = this.highWatermark,
  ): { offset: number; timestamp: number } | undefined {
    for (const segment of this.segments) {
      if (segment.maxTimestamp < timestamp) continue;
      const found = segment.findOffsetByTimestamp(timestamp, this.logStartOffset);
      if (found && found.offset < maxOffset) return found;
      if (found) return undefined;
    }
    return undefined;
  }

  /** The record with the largest timestamp (the first such record), below the high watermark. */
  offsetOfMaxTimestamp(): { offset: number; timestamp: number } | undefined {
    let best: { segment: LogSegment; timestamp: number } | undefined;
    for (const segment of this.segments) {
      if (segment.isEmpty) continue;
      if (!best || segment.maxTimestamp > best.timestamp) best = { segment, timestamp: segment.maxTimestamp };
    }
    if (!best || best.timestamp < 0) return undefined;
    for (const batch of best.segment.scan()) {
      if (batch.lastOffset < this.logStartOffset || batch.baseOffset >= this.highWatermark) continue;
      if (batch.maxTimestamp !== best.timestamp) continue;
      const full = best.segment.readBatchContaining(batch.baseOffset);
      if (!full) break;
      for (const record of recordsOf(full)) {
        if (record.timestamp === best.timestamp && record.offset >= this.logStartOffset) {
          return { offset: record.offset, timestamp: record.timestamp };
        }
      }
    }
    return undefined;
  }

  /**
   * Moves the log start offset forward (DeleteRecords) and deletes the segments wholly below it.
   * Never beyond the high watermark.
   */
  deleteRecordsBefore(offset: number): number {
    if (offset > this.highWatermark) {
      throw new KafkaError(
        'OFFSET_OUT_OF_RANGE',
        `cannot delete records up to ${offset}: the high watermark is ${this.highWatermark}`,
      );
    }
    if (offset > this.logStartOffset) {
      this.logStartOffset = offset;
      this.leaderEpochCache.truncateFromStart(offset);
      this.deleteSegmentsWhile(
        (segment, next) => next !== undefined && next.baseOffset <= this.logStartOffset,
      );
    }
    return this.logStartOffset;
  }

  /**
   * Applies retention: segments wholly below the log start offset, then by `retention.ms`
   * (a segment's newest record older than that), then by `retention.bytes`. Returns how many
   * segments were deleted.
   */
  deleteOldSegments(now: number): number {
    let deleted = this.deleteSegmentsWhile(
      (_, next) => next !== undefined && next.baseOffset <= this.logStartOffset,
    );
    if (!this.config.cleanupPolicy.includes('delete')) return deleted;
    if (this.config.retentionMs >= 0) {
      deleted += this.deleteSegmentsWhile(
        (segment) => !segment.isEmpty && now - segment.maxTimestamp > this.config.retentionMs,
      );
    }
    if (this.config.retentionBytes >= 0) {
      let excess = this.size - this.config.retentionBytes;
      deleted += this.deleteSegmentsWhile((segment) => {
        if (excess - segment.size < 0) return false;
        excess -= segment.size;
        return true;
      });
    }
    return deleted;
  }

  /**
   * Deletes segments from the oldest while `predicate` holds and they are below the last stable
   * offset (so neither unreplicated records nor an open transaction's go). If that would take the
   * active segment, a new one is rolled first, so the log always keeps an active segment.
   */
  private deleteSegmentsWhile(
    predicate: (segment: LogSegment, next: LogSegment | undefined) => boolean,
  ): number {
    let count = 0;
    while (this.segments.length > 0) {
      const segment = this.segments[0]!;
      const next = this.segments[1];
      if (segment.nextOffset > this.lastStableOffset && !segment.isEmpty) break;
      if (!predicate(segment, next)) break;
      if (!next) {
        if (segment.isEmpty) break;
        this.roll(this.logEndOffset);
      }
      this.segments.shift();
      segment.delete();
      count++;
    }
    const first = this.segments[0]!;
    if (first.baseOffset > this.logStartOffset) {
      this.logStartOffset = first.baseOffset;
      this.leaderEpochCache.truncateFromStart(this.logStartOffset);
    }
    return count;
  }

  /** Removes everything at or above `offset` (a follower diverged from its new leader). */
  truncateTo(offset: number): void {
    if (offset >= this.logEndOffset) return;
    while (this.segments.length > 1 && this.activeSegment.baseOffset >= offset) {
      this.segments.pop()!.delete();
    }
    const active = this.activeSegment;
    if (active.baseOffset >= offset) {
      active.delete();
      this.segments[this.segments.length - 1] = this.createSegment(offset, Date.now());
      if (this.segments.length === 1) this.logStartOffset = offset;
    } else {
      active.truncateTo(offset);
    }
    this.leaderEpochCache.truncateFromEnd(offset);
    // Producer state as of the cut: the newest snapshot at or below it, plus the batches after it.
    const end = this.logEndOffset;
    this.producerState.deleteSnapshotsFrom(end + 1);
    const from = this.producerState.loadLatestSnapshot(end) ?? this.logStartOffset;
    this.replayProducerState(from, new Set());
    this.highWatermark = Math.min(this.highWatermark, offset);
    this.recoveryPoint = Math.min(this.recoveryPoint, offset);
  }

  /**
   * Discards the whole log and restarts it empty at `offset` (a follower whose leader no longer
   * has the offsets it would continue from).
   */
  truncateFullyAndStartAt(offset: number, now = Date.now()): void {
    for (const segment of this.segments) segment.delete();
    this.segments = [this.createSegment(offset, now)];
    this.logStartOffset = offset;
    this.firstDirtyOffset = offset;
    this.highWatermark = offset;
    this.recoveryPoint = offset;
    this.leaderEpochCache.clear();
    this.producerState.clear();
    this.producerState.deleteSnapshotsFrom(0);
  }

  /** fsyncs the active segment; afterwards everything up to the log end is durable. */
  async flush(now = Date.now()): Promise<void> {
    const upTo = this.logEndOffset;
    this.unflushedMessages = 0;
    this.lastFlushTime = now;
    await Promise.all(this.segments.filter((s) => s.nextOffset > this.recoveryPoint).map((s) => s.flush()));
    if (upTo > this.recoveryPoint) this.recoveryPoint = upTo;
  }

  /** Whether `flush.ms` has passed since the last flush and there is something to flush. */
  flushDue(now: number): boolean {
    return this.logEndOffset > this.recoveryPoint && now - this.lastFlushTime >= this.config.flushMs;
  }

  /** Persists indexes and producer state and closes the files (clean shutdown). */
  close(): void {
    this.producerState.takeSnapshot(this.logEndOffset);
    for (const segment of this.segments) segment.close();
  }

  /** Closes and removes the partition's files and directory. */
  delete(): void {
    for (const segment of this.segments) segment.delete();
    this.segments = [];
    this.fs.rmSync(this.dir);
    this.deleted = true;
  }

  /** Whether this log was deleted (its topic deleted, or its replica moved away). */
  get isDeleted(): boolean {
    return this.deleted;
  }

  /**
   * Segments compaction may rewrite: every segment before the active one that is wholly below
   * the last stable offset (so no open transaction's batches), up to the first holding records
   * younger than `min.compaction.lag.ms`.
   */
  cleanableSegments(now: number): LogSegment[] {
    const out: LogSegment[] = [];
    const lastStableOffset = this.lastStableOffset;
    for (const segment of this.segments.slice(0, -1)) {
      if (segment.nextOffset > lastStableOffset) break;
      if (now - segment.maxTimestamp < this.config.minCompactionLagMs) break;
      out.push(segment);
    }
    return out;
  }

  /**
   * Replaces consecutive `group` segments by one segment holding `batches` (their retained
   * batches, offsets unchanged). Crash-safe in Kafka's way: the data is written to a `.cleaned`
   * file and synced, renamed to `.swap` (now complete), the old segments are deleted, and the
   * swap is renamed into place; a start-up finds and finishes an interrupted swap.
   */
  async replaceSegments(
    group: readonly LogSegment[],
    batches: readonly Buffer[],
    now: number,
    /** The aborted-transaction index entries of the new segment (those whose marker it keeps). */
    abortedTxns: readonly AbortedTxn[] = [],
  ): Promise<boolean> {
    const isCurrent = (): boolean => {
      const index = this.segments.indexOf(group[0]!);
      return (
        index >= 0 &&
        group.every((s, i) => this.segments[index + i] === s) &&
        !group.includes(this.activeSegment)
      );
    };
    if (!isCurrent())
      throw new Error('segments to replace must be consecutive, inactive segments of this log');
    const base = group[0]!.baseOffset;
    const cleanedPath = `${this.dir}/${segmentFileName(base, LOG_SUFFIX)}${CLEANED_SUFFIX}`;
    const fd = this.fs.openSync(cleanedPath, 'w');
    try {
      let position = 0;
      for (const batch of batches) {
        let written = 0;
        while (written < batch.length)
          written += this.fs.writeSync(fd, batch, written, batch.length - written, position + written);
        position += batch.length;
      }
      await this.fs.fsync(fd);
    } finally {
      this.fs.closeSync(fd);
    }
    if (!isCurrent()) {
      // Retention removed some of these segments meanwhile: this cleaning is void.
      this.fs.unlinkSync(cleanedPath);
      return false;
    }
    const index = this.segments.indexOf(group[0]!);
    const swapPath = `${this.dir}/${segmentFileName(base, LOG_SUFFIX)}${SWAP_SUFFIX}`;
    this.fs.renameSync(cleanedPath, swapPath);
    this.fs.syncDirSync(this.dir);
    for (const segment of group) segment.delete();
    this.fs.renameSync(swapPath, `${this.dir}/${segmentFileName(base, LOG_SUFFIX)}`);
    this.fs.syncDirSync(this.dir);
    const { segment } = LogSegment.open(
      this.fs,
      this.dir,
      base,
      { indexIntervalBytes: this.config.indexIntervalBytes },
      now,
      false,
    );
    segment.txnIndex.reset(abortedTxns);
    this.segments.splice(index, group.length, segment);
    return true;
  }

  /** Visits every batch header of the log, oldest first (producer state replay, compaction). */
  *batches(): Generator<BatchLocation & { segment: LogSegment }> {
    for (const segment of this.segments) for (const batch of segment.scan()) yield { ...batch, segment };
  }
}

const EMPTY = Buffer.alloc(0);

const CLEANED_SUFFIX = '.cleaned';
const SWAP_SUFFIX = '.swap';

/**
 * Finishes a swap interrupted by a crash: the `.swap` file holds complete cleaned data for the
 * offsets it covers, so any old segment whose base offset lies in that range is deleted and the
 * swap takes its place.
 */
function completeSwap(fs: StorageFileSystem, dir: string, name: string): void {
  const base = Number(name.slice(0, name.indexOf('.')));
  const swapPath = `${dir}/${name}`;
  let last = base;
  for (const batch of batchesOf(fs.readFileSync(swapPath))) last = batch.lastOffset;
  for (const other of fs.readdirSync(dir)) {
    if (!other.endsWith(LOG_SUFFIX)) continue;
    const otherBase = Number(other.slice(0, -LOG_SUFFIX.length));
    if (otherBase >= base && otherBase <= last) {
      for (const suffix of [LOG_SUFFIX, '.index', '.timeindex', TXN_INDEX_SUFFIX]) {
        const path = `${dir}/${segmentFileName(otherBase, suffix)}`;
        if (fs.existsSync(path)) fs.unlinkSync(path);
      }
    }
  }
  fs.renameSync(swapPath, `${dir}/${segmentFileName(base, LOG_SUFFIX)}`);
  fs.syncDirSync(dir);
}

/** The CreateTime timestamps a leader accepts now (Kafka's message.timestamp.before/after.max.ms). */
function timestampRange(now: number, config: LogConfig): { min: number; max: number } {
  const clamp = (t: number): number =>
    Math.max(Number.MIN_SAFE_INTEGER, Math.min(Number.MAX_SAFE_INTEGER, t));
  return {
    min: clamp(now - config.messageTimestampBeforeMaxMs),
    max: clamp(now + config.messageTimestampAfterMaxMs),
  };
}
