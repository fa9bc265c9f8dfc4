import { readdirSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { batchesOf } from '../../../broker-image/src/protocol/records/record-batch.js';
import { buildRecordBatch, recordsOf } from '../../../broker-image/src/protocol/records/records.js';
import { CompressionType } from '../../../broker-image/src/protocol/records/compression.js';
import { nodeFileSystem } from '../../../broker-image/src/storage/file-system.js';
import { LogCleaner } from '../../../broker-image/src/storage/log-cleaner.js';
import { PartitionLog } from '../../../broker-image/src/storage/partition-log.js';
import { tempDir } from '../../support/temp-dir.js';
import { append, config, createLog, silentLogger } from './log-helpers.js';

let dir: { path: string; cleanup: () => void };
let logDir: string;
beforeEach(() => {
  dir = tempDir();
  logDir = join(dir.path, 't-0');
});
afterEach(() => dir.cleanup());

const compacted = { cleanupPolicy: ['compact'] as const, segmentBytes: 600, minCleanableDirtyRatio: 0.5 };

function keyed(
  key: string,
  value: string | null,
  timestamp = 1000,
  compression: CompressionType = 0,
): Buffer {
  return buildRecordBatch(
    [{ key: Buffer.from(key), value: value === null ? null : Buffer.from(value), timestamp }],
    {
      compression,
      timestamp,
    },
  );
}

function everything(log: PartitionLog): { offset: number; key: string; value: string | null }[] {
  const out: { offset: number; key: string; value: string | null }[] = [];
  let offset = log.logStartOffset;
  while (offset < log.highWatermark) {
    const { records } = log.read(offset, 1 << 20, log.highWatermark, true);
    if (records.length === 0) break;
    for (const batch of batchesOf(records)) {
      for (const r of recordsOf(batch))
        out.push({ offset: r.offset, key: r.key!.toString(), value: r.value?.toString() ?? null });
      offset = batch.nextOffset;
    }
  }
  return out;
}

describe('LogCleaner', () => {
  it('keeps only the latest record of each key, with offsets unchanged', async () => {
    const log = createLog(logDir, compacted);
    for (let round = 0; round < 10; round++) {
      for (let k = 0; k < 5; k++) await append(log, keyed(`k${k}`, `v${round}`), 0, 1000);
    }
    const before = everything(log);
    const sizeBefore = log.size;
    const result = await new LogCleaner(silentLogger).maybeClean(log, 2000);
    expect(result?.recordsRemoved).toBeGreaterThan(0);
    expect(log.size).toBeLessThan(sizeBefore);
    const after = everything(log);
    // Every key still reads as its latest value; records keep their original offsets.
    const latest = new Map(before.map((r) => [r.key, r]));
    for (const r of after) expect(before.find((b) => b.offset === r.offset)).toEqual(r);
    for (const [key, r] of latest) expect(after.filter((a) => a.key === key).at(-1)).toEqual(r);
    // Appends continue at the same log end.
    const next = await append(log, keyed('k0', 'after'), 0, 3000);
    expect(next.baseOffset).toBe(50);
  });

  it('drops tombstones older than delete.retention.ms, keeps newer ones', async () => {
    const log = createLog(logDir, { ...compacted, deleteRetentionMs: 10_000 });
    await append(log, keyed('gone', 'x', 1000), 0, 1000);
    await append(log, keyed('gone', null, 1000), 0, 1000);
    await append(log, keyed('recent', 'y', 50_000), 0, 50_000);
    await append(log, keyed('recent', null, 50_000), 0, 50_000);
    for (let i = 0; i < 20; i++) await append(log, keyed(`filler${i}`, 'z'.repeat(40), 50_000), 0, 50_000);
    await new LogCleaner(silentLogger).clean(log, 55_000);
    const keys = everything(log).map((r) => `${r.key}=${r.value}`);
    expect(keys).not.toContain('gone=x');
    expect(keys).not.toContain('gone=null');
    expect(keys).toContain('recent=null');
    expect(keys).not.toContain('recent=y');
  });

  it('rebuilds compressed batches with their codec and keeps the CRC valid', async () => {
    const log = createLog(logDir, compacted);
    for (let i = 0; i < 30; i++)
      await append(log, keyed(`k${i % 3}`, `v${i}`, 1000, CompressionType.LZ4), 0, 1000);
    await new LogCleaner(silentLogger).clean(log, 2000);
    const { records } = log.read(log.logStartOffset, 1 << 20, log.highWatermark, true);
    for (const batch of batchesOf(records)) {
      expect(batch.isValid()).toBe(true);
      expect(batch.compression).toBe(CompressionType.LZ4);
    }
  });

  it('refuses records without a key on a compacted topic', async () => {
    const log = createLog(logDir, compacted);
    const noKey = buildRecordBatch([{ key: null, value: Buffer.from('v') }]);
    await expect(log.appendAsLeader(noKey, 0, 1000)).rejects.toMatchObject({ code: 'INVALID_RECORD' });
    expect(log.logEndOffset).toBe(0);
  });

  it('finishes a swap interrupted by a crash: the cleaned data replaces the old segments', async () => {
    const log = createLog(logDir, compacted);
    for (let round = 0; round < 10; round++) {
      for (let k = 0; k < 5; k++) await append(log, keyed(`k${k}`, `v${round}`), 0, 1000);
    }
    const expected = everything(log);
    const latest = new Map(expected.map((r) => [r.key, r.value]));
    log.close();
    // Simulate a crash after the cleaned data was renamed to .swap but before old segments went:
    // the swap holds the first segment's data, compacted to its last record per key.
    const first = readdirSync(logDir)
      .filter((n) => n.endsWith('.log'))
      .sort()[0]!;
    const data = readFileSync(join(logDir, first));
    const batches = [...batchesOf(data)];
    const lastOfKey = new Map<string, Buffer>();
    for (const b of batches) lastOfKey.set(recordsOf(b)[0]!.key!.toString(), Buffer.from(b.buffer));
    const kept = batches.filter((b) => lastOfKey.get(recordsOf(b)[0]!.key!.toString())!.equals(b.buffer));
    writeFileSync(join(logDir, `${first}.swap`), Buffer.concat(kept.map((b) => b.buffer)));
    const reloaded = PartitionLog.load({
      fs: nodeFileSystem,
      dir: logDir,
      topicPartition: { topic: 't', partition: 0 },
      config: config(compacted),
      now: 2000,
      recoveryPoint: 0,
      logStartOffset: 0,
      cleanShutdown: false,
    });
    reloaded.updateHighWatermark(reloaded.logEndOffset);
    expect(readdirSync(logDir).some((n) => n.endsWith('.swap'))).toBe(false);
    const after = everything(reloaded);
    expect(after.length).toBeLessThan(expected.length);
    for (const [key, value] of latest) expect(after.filter((r) => r.key === key).at(-1)?.value).toBe(value);
  });
});
