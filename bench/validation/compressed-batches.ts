/**
 * What validating a produced batch's records costs, per codec, against the uncompressed fast path:
 *
 *   node --import ./bench/register.mjs bench/validation/compressed-batches.ts [--seconds 1] [--rounds 5]
 *
 * For batches of 16 KiB and 1 MiB of records (JSON-like text, compressing 3-6 times), times
 * `checkProducedRecords` alone (decompressing with the produce limit, then walking every record) and
 * `PartitionLog.appendAsLeader` as a whole (validation, offsets, the write to a temporary log, no
 * fsync). Prints the median of the rounds in MB/s of records (uncompressed bytes) and µs per batch;
 * also LZ4 through lz4-napi's unbounded frame decoder, the price of decoding block by block.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { decompressFrameSync } from 'lz4-napi';
import {
  CompressionType,
  producedDecompressionLimit,
} from '../../broker-image/src/protocol/records/compression.js';
import { RecordBatch } from '../../broker-image/src/protocol/records/record-batch.js';
import { buildRecordBatch, checkProducedRecords } from '../../broker-image/src/protocol/records/records.js';
import { nodeFileSystem } from '../../broker-image/src/storage/file-system.js';
import { DEFAULT_LOG_CONFIG } from '../../broker-image/src/storage/log-config.js';
import { PartitionLog } from '../../broker-image/src/storage/partition-log.js';

const { values: args } = parseArgs({
  options: { seconds: { type: 'string', default: '1' }, rounds: { type: 'string', default: '5' } },
});
const SECONDS = Number(args.seconds);
const ROUNDS = Number(args.rounds);

const CODECS = [
  { name: 'uncompressed', codec: CompressionType.NONE },
  { name: 'gzip', codec: CompressionType.GZIP },
  { name: 'snappy', codec: CompressionType.SNAPPY },
  { name: 'lz4', codec: CompressionType.LZ4 },
  { name: 'zstd', codec: CompressionType.ZSTD },
] as const;
const BATCH_BYTES = [16 * 1024, 1024 * 1024];
const CHECK = { decompression: producedDecompressionLimit(DEFAULT_LOG_CONFIG.maxMessageBytes) };

/** A small deterministic generator, so every run measures the same bytes. */
function* pseudoRandom(seed: number): Generator<number> {
  let state = seed >>> 0;
  for (;;) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    yield state;
  }
}

/** Records of about 200 bytes: a JSON event with a few varying fields. */
function records(totalBytes: number): { key: Buffer; value: Buffer }[] {
  const random = pseudoRandom(totalBytes);
  const next = (): number => random.next().value as number;
  const out: { key: Buffer; value: Buffer }[] = [];
  for (let size = 0, i = 0; size < totalBytes; i++) {
    const value = Buffer.from(
      JSON.stringify({
        id: i,
        user: `user-${next() % 5000}`,
        event: ['view', 'click', 'purchase', 'scroll'][next() % 4],
        at: 1_700_000_000_000 + (next() % 86_400_000),
        amount: (next() % 100_000) / 100,
        session: (next() >>> 0).toString(36) + (next() >>> 0).toString(36),
      }),
    );
    const key = Buffer.from(`user-${next() % 5000}`);
    out.push({ key, value });
    size += key.length + value.length + 8;
  }
  return out;
}

/** Runs `work` for `SECONDS`, `ROUNDS` times; the median round's batches per second. */
function measure(work: () => void): number {
  for (let i = 0; i < 20; i++) work(); // warm up the JIT and the codec
  const rates: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    let batches = 0;
    const start = process.hrtime.bigint();
    const deadline = start + BigInt(Math.round(SECONDS * 1e9));
    let now = start;
    while (now < deadline) {
      work();
      batches++;
      if ((batches & 7) === 0) now = process.hrtime.bigint();
    }
    now = process.hrtime.bigint();
    rates.push(batches / (Number(now - start) / 1e9));
  }
  rates.sort((a, b) => a - b);
  return rates[Math.floor(rates.length / 2)]!;
}

interface Row {
  readonly codec: string;
  readonly batch: string;
  readonly ratio: number;
  readonly validate: number;
  readonly append: number | undefined;
  readonly uncompressedBytes: number;
}

/** Appends `batch` over and over to a fresh log in a temporary directory (rolled at 64 MiB). */
async function appendRate(batch: Buffer): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'strata-bench-validation-'));
  try {
    const config = {
      ...DEFAULT_LOG_CONFIG,
      maxMessageBytes: 4 * 1024 * 1024,
      segmentBytes: 64 * 1024 * 1024,
      retentionBytes: 128 * 1024 * 1024,
    };
    const log = PartitionLog.create(
      nodeFileSystem,
      join(dir, 't-0'),
      { topic: 't', partition: 0 },
      config,
      0,
    );
    let appended = 0;
    const rate = measure(() => {
      // appendAsLeader resolves synchronously unless flush.messages asks for an fsync (never here).
      void log.appendAsLeader(batch, 0, Date.now());
      log.updateHighWatermark(log.logEndOffset);
      if (++appended % 256 === 0) log.deleteOldSegments(Date.now());
    });
    log.close();
    return rate;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  for (const batchBytes of BATCH_BYTES) {
    const recs = records(batchBytes);
    const uncompressed = buildRecordBatch(recs);
    for (const { name, codec } of CODECS) {
      const batch = buildRecordBatch(recs, { compression: codec });
      const view = new RecordBatch(batch);
      const validate = measure(() => checkProducedRecords(view, CHECK));
      const append = await appendRate(batch);
      rows.push({
        codec: name,
        batch: `${batchBytes / 1024} KiB`,
        ratio: uncompressed.length / batch.length,
        validate,
        append,
        uncompressedBytes: uncompressed.length,
      });
      if (codec === CompressionType.LZ4) {
        const payload = view.recordsPayload;
        rows.push({
          codec: 'lz4 (unbounded decoder)',
          batch: `${batchBytes / 1024} KiB`,
          ratio: uncompressed.length / batch.length,
          validate: measure(() => decompressFrameSync(payload)),
          append: undefined,
          uncompressedBytes: uncompressed.length,
        });
      }
    }
  }
  const mbps = (perSecond: number, bytes: number): string => ((perSecond * bytes) / 1e6).toFixed(0);
  const micros = (perSecond: number): string => (1e6 / perSecond).toFixed(1);
  console.log(`Validating produced batches: median of ${ROUNDS} rounds of ${SECONDS} s, ${process.version}`);
  console.log(
    'MB/s counts the records uncompressed; "unbounded decoder" is decompression alone, for reference.\n',
  );
  console.log(
    '| records | codec | ratio | validate MB/s | validate µs/batch | append MB/s | append µs/batch |',
  );
  console.log(
    '| ------- | ----- | ----: | ------------: | ----------------: | ----------: | --------------: |',
  );
  for (const r of rows) {
    const append =
      r.append === undefined ? ['–', '–'] : [mbps(r.append, r.uncompressedBytes), micros(r.append)];
    console.log(
      `| ${r.batch} | ${r.codec} | ${r.ratio.toFixed(1)} | ${mbps(r.validate, r.uncompressedBytes)} | ${micros(r.validate)} | ${append[0]} | ${append[1]} |`,
    );
  }
}

await main();
