import { readdirSync, statSync, truncateSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { batchesOf, RecordBatch } from '../../../broker-image/src/protocol/records/record-batch.js';
import { recordsOf } from '../../../broker-image/src/protocol/records/records.js';
import { CompressionType } from '../../../broker-image/src/protocol/records/compression.js';
import { nodeFileSystem } from '../../../broker-image/src/storage/file-system.js';
import { PartitionLog } from '../../../broker-image/src/storage/partition-log.js';
import { tempDir } from '../../support/temp-dir.js';
import { append, batchOf, config, createLog } from './log-helpers.js';

let dir: { path: string; cleanup: () => void };
let logDir: string;
beforeEach(() => {
  dir = tempDir();
  logDir = join(dir.path, 't-0');
});
afterEach(() => dir.cleanup());

function valuesRead(log: PartitionLog, from = log.logStartOffset): string[] {
  const out: string[] = [];
  let offset = from;
  while (offset < log.highWatermark) {
    const { records } = log.read(offset, 1 << 20, log.highWatermark, true);
    if (records.length === 0) break;
    for (const batch of batchesOf(records)) {
      for (const r of recordsOf(batch)) if (r.offset >= offset) out.push(r.value!.toString());
      offset = batch.nextOffset;
    }
  }
  return out;
}

function reload(log: PartitionLog, clean: boolean, overrides = {}): PartitionLog {
  if (clean) log.close();
  return PartitionLog.load({
    fs: nodeFileSystem,
    dir: logDir,
    topicPartition: { topic: 't', partition: 0 },
    config: config(overrides),
    now: 2_000_000,
    recoveryPoint: 0,
    logStartOffset: log.logStartOffset,
    cleanShutdown: clean,
  });
}

describe('PartitionLog', () => {
  it('assigns contiguous offsets and reads back whole batches as stored', async () => {
    const log = createLog(logDir);
    const first = await append(log, batchOf(['a', 'b', 'c']), 0, 1000);
    const second = await append(log, batchOf(['d']), 0, 1000);
    expect(first).toMatchObject({ baseOffset: 0, lastOffset: 2, recordCount: 3 });
    expect(second).toMatchObject({ baseOffset: 3, lastOffset: 3 });
    expect(log.logEndOffset).toBe(4);
    expect(valuesRead(log)).toEqual(['a', 'b', 'c', 'd']);
    const { records } = log.read(3, 1 << 20, 4, true);
    expect(new RecordBatch(records).baseOffset).toBe(3);
  });

  it('rolls segments at segment.bytes and finds any offset through the index', async () => {
    const log = createLog(logDir, { segmentBytes: 2000, indexIntervalBytes: 100 });
    for (let i = 0; i < 100; i++) await append(log, batchOf([`value-${i}`]), 0, 1000);
    expect(log.segmentCount).toBeGreaterThan(3);
    const names = readdirSync(logDir).filter((n) => n.endsWith('.log'));
    expect(names[0]).toBe('00000000000000000000.log');
    for (const n of names) expect(n).toMatch(/^\d{20}\.log$/);
    for (const offset of [0, 17, 42, 99]) {
      const { records } = log.read(offset, 1 << 20, log.highWatermark, true);
      const batch = new RecordBatch(records);
      expect(batch.baseOffset).toBe(offset);
      expect(recordsOf(batch)[0]!.value!.toString()).toBe(`value-${offset}`);
    }
  });

  it('finds any offset by scanning far past the last index entry, across the scan reads', async () => {
    // No index entries at all: every lookup scans batch headers from the segment's start, through
    // several reads of growing size.
    const log = createLog(logDir, { indexIntervalBytes: 1 << 30 });
    const batches = 3000;
    for (let i = 0; i < batches; i++) await append(log, batchOf([`value-${i}`]), 0, 1000);
    for (const offset of [0, 1, 40, 41, 700, 2047, 2999]) {
      const { records } = log.read(offset, 1 << 20, log.highWatermark, true);
      const batch = new RecordBatch(records);
      expect(batch.baseOffset).toBe(offset);
      expect(recordsOf(batch)[0]!.value!.toString()).toBe(`value-${offset}`);
    }
    const bounded = log.read(0, 1 << 20, 1500, true);
    expect([...batchesOf(bounded.records)].at(-1)!.lastOffset).toBe(1499);
  });

  it('rolls on log.roll.ms', async () => {
    const log = createLog(logDir, { segmentMs: 1000 });
    await append(log, batchOf(['a'], { timestamp: 1000 }), 0, 1000);
    await append(log, batchOf(['b'], { timestamp: 1500 }), 0, 1500);
    expect(log.segmentCount).toBe(1);
    await append(log, batchOf(['c'], { timestamp: 2500 }), 0, 2500);
    expect(log.segmentCount).toBe(2);
  });

  it('returns at least one whole batch even above the byte limit, and never a partial one', async () => {
    const log = createLog(logDir);
    await append(log, batchOf(['x'.repeat(5000)]), 0, 1000);
    await append(log, batchOf(['y'.repeat(5000)]), 0, 1000);
    const { records } = log.read(0, 100, 2, true);
    expect([...batchesOf(records)]).toHaveLength(1);
    const none = log.read(0, 100, 2, false);
    expect(none.records.length).toBe(0);
    const both = log.read(0, 10_000_000, 2, false);
    expect([...batchesOf(both.records)]).toHaveLength(2);
  });

  it('refuses to read outside the log with OFFSET_OUT_OF_RANGE', async () => {
    const log = createLog(logDir);
    await append(log, batchOf(['a']), 0, 1000);
    expect(() => log.read(5, 100, 1, true)).toThrow(expect.objectContaining({ code: 'OFFSET_OUT_OF_RANGE' }));
  });

  it('deletes whole old segments by retention.bytes and moves the log start offset', async () => {
    const log = createLog(logDir, { segmentBytes: 1000, retentionBytes: 2500 });
    for (let i = 0; i < 60; i++) await append(log, batchOf([`v${i}`.padEnd(50, '.')]), 0, 1000);
    const before = log.segmentCount;
    const deleted = log.deleteOldSegments(1000);
    expect(deleted).toBeGreaterThan(0);
    expect(log.segmentCount).toBe(before - deleted);
    // As Kafka: whole segments go while the log stays at or above retention.bytes without them.
    expect(log.size).toBeGreaterThanOrEqual(2500);
    expect(log.size).toBeLessThan(2500 + 1000);
    expect(log.logStartOffset).toBe(log.segmentBaseOffsets[0]);
    expect(valuesRead(log).at(-1)).toMatch(/^v59/);
  });

  it('deletes segments older than retention.ms, rolling the active segment when it expires too', async () => {
    const log = createLog(logDir, { segmentBytes: 500, retentionMs: 10_000 });
    for (let i = 0; i < 20; i++) await append(log, batchOf([`old-${i}`], { timestamp: 1000 }), 0, 1000);
    log.deleteOldSegments(5000);
    expect(log.logStartOffset).toBe(0);
    log.deleteOldSegments(20_000);
    expect(log.logStartOffset).toBe(20);
    expect(log.logEndOffset).toBe(20);
    await append(log, batchOf(['new']), 0, 20_000);
    expect(valuesRead(log)).toEqual(['new']);
  });

  it('advances the log start offset with DeleteRecords, never past the high watermark', async () => {
    const log = createLog(logDir, { segmentBytes: 300 });
    for (let i = 0; i < 20; i++) await append(log, batchOf([`r${i}`]), 0, 1000);
    expect(log.deleteRecordsBefore(12)).toBe(12);
    expect(log.segmentBaseOffsets[0]).toBeLessThanOrEqual(12);
    expect(valuesRead(log, 12)[0]).toBe('r12');
    expect(() => log.read(11, 100, 20, true)).toThrow(
      expect.objectContaining({ code: 'OFFSET_OUT_OF_RANGE' }),
    );
    expect(() => log.deleteRecordsBefore(21)).toThrow(
      expect.objectContaining({ code: 'OFFSET_OUT_OF_RANGE' }),
    );
  });

  it('finds offsets by timestamp and the record with the largest timestamp', async () => {
    const log = createLog(logDir, { indexIntervalBytes: 1 });
    await append(log, batchOf(['a'], { timestamp: 100 }), 0, 1000);
    await append(log, batchOf(['b'], { timestamp: 300 }), 0, 1000);
    await append(log, batchOf(['c'], { timestamp: 200 }), 0, 1000);
    await append(log, batchOf(['d'], { timestamp: 400 }), 0, 1000);
    expect(log.offsetForTimestamp(250)).toEqual({ offset: 1, timestamp: 300 });
    expect(log.offsetForTimestamp(50)).toEqual({ offset: 0, timestamp: 100 });
    expect(log.offsetForTimestamp(401)).toBeUndefined();
    expect(log.offsetOfMaxTimestamp()).toEqual({ offset: 3, timestamp: 400 });
  });

  it('stamps LogAppendTime and keeps the CRC valid', async () => {
    const log = createLog(logDir, { messageTimestampType: 'LogAppendTime' });
    const result = await append(log, batchOf(['a'], { timestamp: 5 }), 0, 123_456);
    expect(result.logAppendTime).toBe(123_456);
    const batch = new RecordBatch(log.read(0, 1000, 1, true).records);
    expect(batch.isLogAppendTime).toBe(true);
    expect(batch.isValid()).toBe(true);
    expect(recordsOf(batch)[0]!.timestamp).toBe(123_456);
  });
});

describe('PartitionLog recovery', () => {
  async function writeSome(overrides = {}): Promise<PartitionLog> {
    const log = createLog(logDir, { segmentBytes: 1500, ...overrides });
    for (let i = 0; i < 30; i++) await append(log, batchOf([`rec-${i}`, `rec-${i}b`]), 0, 1000);
    return log;
  }

  it('recovers a segment truncated mid-batch', async () => {
    const log = await writeSome();
    const active = join(
      logDir,
      readdirSync(logDir)
        .filter((n) => n.endsWith('.log'))
        .sort()
        .at(-1)!,
    );
    const size = statSync(active).size;
    truncateSync(active, size - 7);
    const recovered = reload(log, false);
    expect(recovered.logEndOffset).toBe(58);
    expect(valuesRead(recovered).at(-1)).toBe('rec-28b');
    const next = await append(recovered, batchOf(['after']), 0, 3000);
    expect(next.baseOffset).toBe(58);
  });

  it('recovers from a flipped byte: the batch and everything after it are cut', async () => {
    const log = await writeSome();
    const files = readdirSync(logDir)
      .filter((n) => n.endsWith('.log'))
      .sort();
    const middle = join(logDir, files[1]!);
    const bytes = readFileSync(middle);
    bytes[bytes.length - 3] = bytes[bytes.length - 3]! ^ 0xff; // inside the last batch of the second segment
    writeFileSync(middle, bytes);
    const recovered = reload(log, false);
    const values = valuesRead(recovered);
    expect(values.length).toBeGreaterThan(0);
    expect(recovered.segmentCount).toBe(2);
    // Offsets stay contiguous from 0 and every surviving batch is intact.
    expect(values).toEqual(values.map((_, i) => `rec-${Math.floor(i / 2)}${i % 2 ? 'b' : ''}`));
  });

  it('trusts saved indexes after a clean shutdown', async () => {
    const log = await writeSome({ indexIntervalBytes: 50 });
    const end = log.logEndOffset;
    const recovered = reload(log, true, { indexIntervalBytes: 50 });
    expect(recovered.logEndOffset).toBe(end);
    expect(valuesRead(recovered)).toHaveLength(60);
  });

  it('rebuilds an index that does not match its segment', async () => {
    const log = await writeSome({ indexIntervalBytes: 50 });
    log.close();
    const index = join(logDir, '00000000000000000000.index');
    writeFileSync(index, Buffer.from([0, 0, 0, 9, 0, 0, 0, 1, 0, 0, 0, 2])); // not a whole number of entries
    const recovered = reload(log, false, { indexIntervalBytes: 50 });
    expect(valuesRead(recovered)).toHaveLength(60);
  });
});

describe('idempotent producer state', () => {
  const producer = { producerId: 7, producerEpoch: 0 };

  it('acknowledges a retried batch without appending it twice', async () => {
    const log = createLog(logDir);
    const first = await append(log, batchOf(['a', 'b'], { ...producer, baseSequence: 0 }), 0, 1000);
    const retry = await append(log, batchOf(['a', 'b'], { ...producer, baseSequence: 0 }), 0, 1000);
    expect(retry).toMatchObject({ duplicate: true, baseOffset: first.baseOffset });
    expect(log.logEndOffset).toBe(2);
  });

  it('refuses a sequence gap with OUT_OF_ORDER_SEQUENCE_NUMBER and a stale epoch with INVALID_PRODUCER_EPOCH', async () => {
    const log = createLog(logDir);
    await append(log, batchOf(['a'], { ...producer, baseSequence: 0 }), 0, 1000);
    await expect(
      append(log, batchOf(['c'], { ...producer, baseSequence: 2 }), 0, 1000),
    ).rejects.toMatchObject({
      code: 'OUT_OF_ORDER_SEQUENCE_NUMBER',
    });
    await append(log, batchOf(['b'], { producerId: 7, producerEpoch: 1, baseSequence: 0 }), 0, 1000);
    await expect(
      append(log, batchOf(['x'], { ...producer, baseSequence: 1 }), 0, 1000),
    ).rejects.toMatchObject({
      code: 'INVALID_PRODUCER_EPOCH',
    });
    expect(log.logEndOffset).toBe(2);
  });

  it('keeps producer state across a crash (rebuilt from the log) and a clean restart (snapshot)', async () => {
    for (const clean of [false, true]) {
      dir.cleanup();
      dir = tempDir();
      logDir = join(dir.path, 't-0');
      const log = createLog(logDir, { segmentBytes: 400 });
      for (let seq = 0; seq < 10; seq++) {
        await append(log, batchOf([`v${seq}`], { ...producer, baseSequence: seq }), 0, 1000);
      }
      const recovered = reload(log, clean, { segmentBytes: 400 });
      const retry = await append(recovered, batchOf(['v9'], { ...producer, baseSequence: 9 }), 0, 1000);
      expect(retry.duplicate).toBe(true);
      await expect(
        append(recovered, batchOf(['gap'], { ...producer, baseSequence: 12 }), 0, 1000),
      ).rejects.toMatchObject({ code: 'OUT_OF_ORDER_SEQUENCE_NUMBER' });
      const next = await append(recovered, batchOf(['v10'], { ...producer, baseSequence: 10 }), 0, 1000);
      expect(next).toMatchObject({ duplicate: false, baseOffset: 10 });
    }
  });
});

describe('compression.type', () => {
  it('stores batches exactly as produced with compression.type=producer', async () => {
    const log = createLog(logDir);
    const produced = batchOf(['a', 'b'], { compression: CompressionType.SNAPPY });
    await append(log, Buffer.from(produced), 0, 1000);
    const stored = log.read(0, 1 << 20, log.highWatermark, true).records;
    expect(stored.subarray(12 + 4 + 1 + 4)).toEqual(produced.subarray(12 + 4 + 1 + 4)); // all but offset, epoch, magic, CRC
    expect(new RecordBatch(stored).compression).toBe(CompressionType.SNAPPY);
  });

  it('recompresses to the topic codec, keeping records and producer fields', async () => {
    const log = createLog(logDir, { compressionType: 'zstd' });
    const produced = batchOf(['a', 'b', 'c'], {
      compression: CompressionType.GZIP,
      producerId: 3,
      producerEpoch: 0,
      baseSequence: 0,
    });
    await append(log, produced, 0, 1000);
    const batch = new RecordBatch(log.read(0, 1 << 20, log.highWatermark, true).records);
    expect(batch.compression).toBe(CompressionType.ZSTD);
    expect(batch.isValid()).toBe(true);
    expect(batch.producerId).toBe(3);
    expect(recordsOf(batch).map((r) => r.value!.toString())).toEqual(['a', 'b', 'c']);
    const retry = await log.appendAsLeader(
      batchOf(['a', 'b', 'c'], {
        compression: CompressionType.GZIP,
        producerId: 3,
        producerEpoch: 0,
        baseSequence: 0,
      }),
      0,
      1000,
    );
    expect(retry.duplicate).toBe(true);
  });
});
