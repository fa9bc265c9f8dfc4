import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KafkaError } from '../../../broker-image/src/protocol/errors.js';
import { CompressionType, compress } from '../../../broker-image/src/protocol/records/compression.js';
import { batchesOf } from '../../../broker-image/src/protocol/records/record-batch.js';
import { buildRecordBatch, recordsOf } from '../../../broker-image/src/protocol/records/records.js';
import type { PartitionLog } from '../../../broker-image/src/storage/partition-log.js';
import {
  CODECS,
  decompressionBombs,
  deterministicBytes,
  malformedRecordSets,
  recordBytes,
  valueRecords,
  withPayload,
} from '../../support/poison-batches.js';
import { tempDir } from '../../support/temp-dir.js';
import { append, createLog } from './log-helpers.js';

let dir: { path: string; cleanup: () => void };
beforeEach(() => {
  dir = tempDir();
});
afterEach(() => dir.cleanup());

async function refusedCode(log: PartitionLog, records: Buffer): Promise<string> {
  const end = log.logEndOffset;
  const size = log.size;
  const error = await append(log, records, 0, 1_000_000).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof KafkaError)) throw new Error(`expected a KafkaError, got ${String(error)}`);
  expect(log.logEndOffset).toBe(end);
  expect(log.size).toBe(size);
  return error.code;
}

function valuesIn(log: PartitionLog): string[] {
  const { records } = log.read(0, 1 << 20, log.highWatermark, true);
  return [...batchesOf(records)].flatMap((b) => recordsOf(b).map((r) => r.value!.toString()));
}

describe('appendAsLeader refuses a batch whose records cannot be read back, and writes nothing', () => {
  it('each poison kind, then a good batch lands at the offset the refused ones did not take', async () => {
    const log = createLog(join(dir.path, 't-0'), { maxMessageBytes: 16 * 1024 });
    await append(log, buildRecordBatch(valueRecords('first')), 0, 1_000_000);
    const refusals: [string, string, string][] = [];
    for (const { name, codec } of CODECS) {
      const random = withPayload(deterministicBytes(name, 300), codec);
      refusals.push([`random ${name}`, await refusedCode(log, random), 'INVALID_RECORD']);
      for (const m of malformedRecordSets()) {
        const batch = withPayload(compress(codec, m.records), codec, undefined, m.recordCount);
        refusals.push([`${name}: ${m.name}`, await refusedCode(log, batch), 'INVALID_RECORD']);
      }
    }
    for (const codec of [5, 6, 7]) {
      const batch = withPayload(recordBytes(valueRecords('a', 'b')), codec);
      refusals.push([`codec ${codec}`, await refusedCode(log, batch), 'UNSUPPORTED_COMPRESSION_TYPE']);
    }
    // 64 × max.message.bytes = 1 MiB; snappy cannot expand 16 KiB that far (at most 22 times).
    for (const bomb of decompressionBombs(2 * 1024 * 1024).filter(
      (b) => b.codec !== CompressionType.SNAPPY,
    )) {
      const batch = withPayload(bomb.payload, bomb.codec);
      refusals.push([bomb.name, await refusedCode(log, batch), 'MESSAGE_TOO_LARGE']);
    }
    expect(refusals.map(([what, code]) => [what, code])).toEqual(
      refusals.map(([what, , expected]) => [what, expected]),
    );

    const after = await append(
      log,
      buildRecordBatch(valueRecords('after'), { compression: CompressionType.ZSTD }),
      0,
      1_000_001,
    );
    expect(after.baseOffset).toBe(1);
    expect(valuesIn(log)).toEqual(['first', 'after']);
  });

  it.each([{ name: 'uncompressed', codec: CompressionType.NONE }, ...CODECS])(
    'a compacted topic refuses a $name batch with a keyless record',
    async ({ codec }) => {
      const log = createLog(join(dir.path, 't-0'), { cleanupPolicy: ['compact'] });
      const batch = buildRecordBatch(
        [{ key: Buffer.from('k'), value: Buffer.from('a') }, { value: Buffer.from('b') }],
        {
          compression: codec,
        },
      );
      expect(await refusedCode(log, batch)).toBe('INVALID_RECORD');
      await append(log, buildRecordBatch(valueRecords('keyed'), { compression: codec }), 0, 1_000_000);
      expect(valuesIn(log)).toEqual(['keyed']);
    },
  );
});
