import { existsSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { batchesOf } from '../../../broker-image/src/protocol/records/record-batch.js';
import { buildRecordBatch, recordsOf } from '../../../broker-image/src/protocol/records/records.js';
import { nodeFileSystem } from '../../../broker-image/src/storage/file-system.js';
import { LogSegment, segmentFileName } from '../../../broker-image/src/storage/log-segment.js';
import { tempDir } from '../../support/temp-dir.js';

let dir: { path: string; cleanup: () => void };
beforeEach(() => {
  dir = tempDir();
});
afterEach(() => dir.cleanup());

const T = 1_767_225_600_000;

/** A batch of `count` records from `baseOffset`, record i stamped `timestamp + i`. */
function batch(baseOffset: number, count: number, timestamp = T + baseOffset): Buffer {
  const records = Array.from({ length: count }, (_, i) => ({
    key: null,
    value: Buffer.from(`v${baseOffset + i}`),
    timestamp: timestamp + i,
  }));
  return buildRecordBatch(records, { baseOffset });
}

function appendTo(segment: LogSegment, ...buffers: Buffer[]): void {
  const records = Buffer.concat(buffers);
  segment.append(records, [...batchesOf(records)]);
}

/** Ten batches of five records each from `base`; 0 as the index interval indexes every batch. */
function filledSegment(base = 0, indexIntervalBytes = 0): LogSegment {
  const segment = LogSegment.create(nodeFileSystem, dir.path, base, { indexIntervalBytes }, T);
  for (let i = 0; i < 10; i++) appendTo(segment, batch(base + i * 5, 5));
  return segment;
}

/** The size of the i-th batch of {@link filledSegment}, and where it starts. */
const sizeOf = (i: number, base = 0) => batch(base + i * 5, 5).length;
const positionOf = (i: number, base = 0) =>
  Array.from({ length: i }, (_, j) => sizeOf(j, base)).reduce((a, b) => a + b, 0);

function valuesIn(records: Buffer | undefined): string[] {
  if (!records) return [];
  return [...batchesOf(records)].flatMap((b) => recordsOf(b).map((r) => r.value!.toString()));
}

const logFile = (base = 0) => join(dir.path, segmentFileName(base, '.log'));
const indexFile = (base = 0) => join(dir.path, segmentFileName(base, '.index'));
const timeIndexFile = (base = 0) => join(dir.path, segmentFileName(base, '.timeindex'));

describe('LogSegment', () => {
  it('names its files by the base offset, zero-padded to 20 digits', () => {
    const segment = LogSegment.create(nodeFileSystem, dir.path, 1234, { indexIntervalBytes: 4096 }, T);
    segment.close();
    expect(existsSync(join(dir.path, '00000000000000001234.log'))).toBe(true);
    expect(existsSync(join(dir.path, '00000000000000001234.index'))).toBe(true);
    expect(existsSync(join(dir.path, '00000000000000001234.timeindex'))).toBe(true);
  });

  it('tracks its size, next offset and max timestamp as batches are appended', () => {
    const segment = filledSegment(100);
    expect(segment.size).toBe(statSync(logFile(100)).size);
    expect(segment.nextOffset).toBe(150);
    expect(segment.maxTimestamp).toBe(T + 145 + 4);
    expect(segment.offsetOfMaxTimestamp).toBe(149);
    expect(segment.rollingTimestamp).toBe(T + 104);
    segment.close();
  });

  it('reads whole batches from the one holding an offset, within the byte limit', () => {
    const segment = filledSegment();
    expect(valuesIn(segment.read(12, sizeOf(2) + sizeOf(3), segment.size, false))).toEqual(
      Array.from({ length: 10 }, (_, i) => `v${10 + i}`),
    );
    // Less than one batch: nothing, unless at least one batch is asked for.
    expect(segment.read(12, sizeOf(2) - 1, segment.size, false)).toBeUndefined();
    expect(valuesIn(segment.read(12, sizeOf(2) - 1, segment.size, true))).toHaveLength(5);
    // Never past maxPosition (the high watermark's position).
    expect(valuesIn(segment.read(20, 1 << 20, positionOf(6), true))).toHaveLength(10);
    expect(segment.read(30, 1 << 20, positionOf(6), true)).toBeUndefined();
    expect(segment.read(50, 1 << 20, segment.size, true)).toBeUndefined();
    segment.close();
  });

  it('finds the batch holding an offset with or without index entries', () => {
    for (const interval of [0, 1 << 20]) {
      const segment = filledSegment(0, interval);
      expect(segment.translateOffset(23)).toMatchObject({ baseOffset: 20, lastOffset: 24 });
      expect(segment.readBatchContaining(49)?.baseOffset).toBe(45);
      expect(segment.translateOffset(50)).toBeUndefined();
      segment.delete();
    }
  });

  it('finds the first record at or after a timestamp', () => {
    const segment = filledSegment();
    expect(segment.findOffsetByTimestamp(T + 17, 0)).toEqual({ offset: 17, timestamp: T + 17 });
    expect(segment.findOffsetByTimestamp(0, 0)).toEqual({ offset: 0, timestamp: T });
    expect(segment.findOffsetByTimestamp(T + 17, 30)).toEqual({ offset: 30, timestamp: T + 30 });
    expect(segment.findOffsetByTimestamp(T + 1000, 0)).toBeUndefined();
    segment.close();
  });

  it('truncates at a batch boundary and recomputes what the remaining batches say', () => {
    const segment = filledSegment();
    expect(segment.truncateTo(20)).toBe(positionOf(10) - positionOf(4));
    expect(segment.nextOffset).toBe(20);
    expect(segment.maxTimestamp).toBe(T + 19);
    // An offset inside a batch keeps that batch whole.
    expect(segment.truncateTo(12)).toBe(sizeOf(3));
    expect(segment.nextOffset).toBe(15);
    expect(segment.truncateTo(15)).toBe(0);
    expect(statSync(logFile()).size).toBe(positionOf(3));
    appendTo(segment, batch(15, 5));
    expect(valuesIn(segment.read(15, 1 << 20, segment.size, true))).toEqual([
      'v15',
      'v16',
      'v17',
      'v18',
      'v19',
    ]);
    segment.close();
  });

  it('reopens after a clean close from its saved indexes', () => {
    filledSegment().close();
    const index = readFileSync(indexFile());
    expect(index.length).toBeGreaterThan(0);
    const { segment, recovery } = LogSegment.open(
      nodeFileSystem,
      dir.path,
      0,
      { indexIntervalBytes: 0 },
      T,
      true,
    );
    expect(recovery).toBeUndefined();
    expect(segment.nextOffset).toBe(50);
    expect(segment.maxTimestamp).toBe(T + 49);
    expect(segment.rollingTimestamp).toBe(T + 4);
    expect(valuesIn(segment.read(40, 1 << 20, segment.size, true))).toHaveLength(10);
    segment.close();
    expect(readFileSync(indexFile())).toEqual(index);
  });

  it.each([
    ['a missing offset index', () => rmIndex()],
    ['a torn offset index', () => writeFileSync(indexFile(), Buffer.alloc(5))],
    ['a time index pointing past the log', () => writeFileSync(timeIndexFile(), timeEntry(T, 999))],
  ])('rebuilds from the log after a clean close with %s', (_what, damage) => {
    filledSegment().close();
    damage();
    const { segment, recovery } = LogSegment.open(
      nodeFileSystem,
      dir.path,
      0,
      { indexIntervalBytes: 0 },
      T,
      true,
    );
    expect(recovery).toEqual({ truncatedBytes: 0, reason: undefined });
    expect(segment.nextOffset).toBe(50);
    expect(segment.findOffsetByTimestamp(T + 33, 0)).toEqual({ offset: 33, timestamp: T + 33 });
    segment.close();
  });

  it('recovers a segment torn mid-batch: cuts at the last whole batch and says why', () => {
    filledSegment().close();
    const size = statSync(logFile()).size;
    truncateSync(logFile(), size - 7);
    const { segment, recovery } = LogSegment.open(
      nodeFileSystem,
      dir.path,
      0,
      { indexIntervalBytes: 0 },
      T,
      true,
    );
    expect(recovery).toEqual({
      truncatedBytes: sizeOf(9) - 7,
      reason: `torn batch at position ${positionOf(9)}`,
    });
    expect(segment.size).toBe(positionOf(9));
    expect(statSync(logFile()).size).toBe(positionOf(9));
    expect(segment.nextOffset).toBe(45);
    segment.close();
  });

  it('recovers a segment with a corrupted batch: cuts it and everything after', () => {
    filledSegment().close();
    const bytes = readFileSync(logFile());
    bytes[positionOf(3) + 70] = bytes[positionOf(3) + 70]! ^ 0xff;
    writeFileSync(logFile(), bytes);
    const { segment, recovery } = LogSegment.open(
      nodeFileSystem,
      dir.path,
      0,
      { indexIntervalBytes: 0 },
      T,
      false,
    );
    expect(recovery).toEqual({
      truncatedBytes: positionOf(10) - positionOf(3),
      reason: `CRC mismatch at position ${positionOf(3)}`,
    });
    expect(segment.nextOffset).toBe(15);
    segment.close();
  });

  it('recovers a segment whose offsets go backwards', () => {
    const segment = LogSegment.create(nodeFileSystem, dir.path, 0, { indexIntervalBytes: 0 }, T);
    appendTo(segment, batch(0, 5), batch(5, 5));
    const overlap = batch(3, 5);
    appendTo(segment, overlap);
    segment.close();
    const reopened = LogSegment.open(nodeFileSystem, dir.path, 0, { indexIntervalBytes: 0 }, T, false);
    expect(reopened.recovery).toEqual({
      truncatedBytes: overlap.length,
      reason: `batch at position ${positionOf(2)} has offset 3 below 10`,
    });
    reopened.segment.close();
  });

  it('reads every batch back in large chunks, batches larger than a chunk included', () => {
    const segment = LogSegment.create(nodeFileSystem, dir.path, 0, { indexIntervalBytes: 4096 }, T);
    const big = buildRecordBatch([{ value: Buffer.alloc(1536 * 1024, 7) }], { baseOffset: 0 });
    appendTo(segment, big, batch(1, 3), batch(4, 2));
    expect([...segment.batches()].map((b) => [b.baseOffset, b.lastOffset])).toEqual([
      [0, 0],
      [1, 3],
      [4, 5],
    ]);
    expect([...segment.scan()].map((b) => b.baseOffset)).toEqual([0, 1, 4]);
    segment.delete();
    expect(existsSync(logFile())).toBe(false);
  });
});

function rmIndex(): void {
  nodeFileSystem.unlinkSync(indexFile());
}

function timeEntry(timestamp: number, relativeOffset: number): Buffer {
  const out = Buffer.alloc(12);
  out.writeBigInt64BE(BigInt(timestamp));
  out.writeInt32BE(relativeOffset, 8);
  return out;
}
