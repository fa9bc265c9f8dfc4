import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { Compressor } from 'zstd-napi';
import { KafkaError, type RecordValidationError } from '../../../broker-image/src/protocol/errors.js';
import {
  CompressionType,
  compress,
  decompress,
  producedDecompressionLimit,
  type DecompressionLimit,
} from '../../../broker-image/src/protocol/records/compression.js';
import { RecordBatch } from '../../../broker-image/src/protocol/records/record-batch.js';
import {
  buildRecordBatch,
  checkProducedRecords,
  recordsOf,
  type ProducedRecordsCheck,
} from '../../../broker-image/src/protocol/records/records.js';
import {
  CODECS,
  decompressionBombs,
  deterministicBytes,
  malformedRecordSets,
  recordBytes,
  valueRecords,
  withPayload,
  xerialSnappy,
  zstdFrameOfZeros,
} from '../../support/poison-batches.js';

/** The `lz4` package kafkajs-lz4 compresses with (frames of any block size, a content checksum). */
const lz4js = createRequire(import.meta.url)('lz4') as {
  encode(data: Buffer, options?: { blockMaxSize?: number }): Buffer;
};

const CHECK: ProducedRecordsCheck = { decompression: producedDecompressionLimit(1024 * 1024) };

function refusal(batch: Buffer, check: ProducedRecordsCheck = CHECK): KafkaError {
  try {
    checkProducedRecords(new RecordBatch(batch), check);
  } catch (error) {
    if (error instanceof KafkaError) return error;
    throw error;
  }
  throw new Error('the batch was accepted');
}

const ALL_CODECS = [{ name: 'uncompressed', codec: CompressionType.NONE }, ...CODECS];

describe('checkProducedRecords accepts what producers write', () => {
  const records = valueRecords(...Array.from({ length: 50 }, (_, i) => `value ${i} `.repeat(i * 20)));

  it.each(ALL_CODECS)('a well-formed $name batch', ({ codec }) => {
    const batch = buildRecordBatch(records, { compression: codec });
    expect(() => checkProducedRecords(new RecordBatch(batch), CHECK)).not.toThrow();
    expect(recordsOf(new RecordBatch(batch)).map((r) => r.value!.toString())).toEqual(
      records.map((r) => r.value!.toString()),
    );
  });

  it.each([
    {
      name: 'snappy in xerial framing of 1 KiB blocks (snappy-java)',
      codec: CompressionType.SNAPPY,
      frame: (b: Buffer) => xerialSnappy(b, 1024),
    },
    {
      name: 'zstd without a content size (zstd-jni streams)',
      codec: CompressionType.ZSTD,
      frame: (b: Buffer) => {
        const compressor = new Compressor();
        compressor.setParameters({ contentSizeFlag: false });
        return compressor.compress(b);
      },
    },
    {
      name: 'lz4 in 64 KiB blocks with a content checksum (kafkajs-lz4)',
      codec: CompressionType.LZ4,
      frame: (b: Buffer) => lz4js.encode(b, { blockMaxSize: 64 * 1024 }),
    },
    {
      name: 'lz4 with its content size in the frame',
      codec: CompressionType.LZ4,
      frame: (b: Buffer) => {
        const frame = compress(CompressionType.LZ4, b);
        const size = Buffer.alloc(8);
        size.writeUInt32LE(b.length, 0);
        // FLG gets the content size bit; the 8 bytes follow BD (the header checksum is not read).
        const flagged = Buffer.concat([frame.subarray(0, 6), size, frame.subarray(6)]);
        flagged[4] = flagged[4]! | 0x08;
        return flagged;
      },
    },
  ])('$name', ({ codec, frame }) => {
    const raw = recordBytes(records);
    const batch = withPayload(frame(raw), codec, buildRecordBatch(records));
    expect(() => checkProducedRecords(new RecordBatch(batch), CHECK)).not.toThrow();
  });

  it.each(ALL_CODECS)(
    '$name records of exactly the decompression limit, and not a byte over',
    ({ codec }) => {
      const big = [{ key: Buffer.from('k'), value: Buffer.alloc(300_000, 'limit ') }];
      const raw = recordBytes(big);
      const batch = withPayload(compress(codec, raw), codec, buildRecordBatch(big));
      const limit = (bytes: number): ProducedRecordsCheck => ({
        decompression: { bytes, error: 'MESSAGE_TOO_LARGE', origin: 'the test' },
      });
      expect(() => checkProducedRecords(new RecordBatch(batch), limit(raw.length))).not.toThrow();
      if (codec === CompressionType.NONE) return; // nothing is decompressed
      expect(refusal(batch, limit(raw.length - 1)).code).toBe('MESSAGE_TOO_LARGE');
    },
  );
});

describe('checkProducedRecords refuses what no consumer could read', () => {
  it.each([5, 6, 7])(
    'compression codec %i, which Kafka does not define: UNSUPPORTED_COMPRESSION_TYPE',
    (codec) => {
      const batch = withPayload(recordBytes(valueRecords('a', 'b')), codec);
      const error = refusal(batch);
      expect(error.code).toBe('UNSUPPORTED_COMPRESSION_TYPE');
      expect(error.errorCode).toBe(76);
    },
  );

  it.each(CODECS)('random bytes said to be $name: INVALID_RECORD', ({ name, codec }) => {
    for (const size of [1, 7, 64, 1000]) {
      const error = refusal(withPayload(deterministicBytes(`${name}-${size}`, size), codec));
      expect(error.code, `${size} random bytes`).toBe('INVALID_RECORD');
      expect(error.message).toContain(name);
    }
  });

  const malformed = malformedRecordSets();
  describe.each(ALL_CODECS)('$name', ({ codec }) => {
    it.each(malformed)('$name: INVALID_RECORD', ({ records, recordCount }) => {
      const batch = withPayload(compress(codec, records), codec, undefined, recordCount);
      expect(refusal(batch).code).toBe('INVALID_RECORD');
    });
  });

  it.each(ALL_CODECS)('$name on a compacted topic: a record without a key is INVALID_RECORD', ({ codec }) => {
    const batch = buildRecordBatch(
      [{ key: Buffer.from('k'), value: Buffer.from('a') }, { value: Buffer.from('b') }],
      {
        compression: codec,
      },
    );
    const error = refusal(batch, { ...CHECK, keysRequiredIn: 'compacted-0' });
    expect(error.code).toBe('INVALID_RECORD');
    const message = 'Compacted topic cannot accept message without key in topic partition compacted-0.';
    expect(error.message).toBe(
      `One or more records have been rejected due to 1 record errors in total, and only showing the first three errors at most: [RecordError(batchIndex=1, message='${message}')]`,
    );
    expect((error as RecordValidationError).recordErrors).toEqual([{ batchIndex: 1, message }]);
    expect(() => checkProducedRecords(new RecordBatch(batch), CHECK)).not.toThrow();
  });
});

describe('decompression is bounded', () => {
  const limit = producedDecompressionLimit(16 * 1024); // 64 × 16 KiB = 1 MiB

  it.each(decompressionBombs(4 * 1024 * 1024))(
    '$name: 4 MiB of zeros over a 1 MiB limit is MESSAGE_TOO_LARGE, naming max.message.bytes',
    ({ codec, payload }) => {
      const error = refusal(withPayload(payload, codec), { decompression: limit });
      expect(error.code).toBe('MESSAGE_TOO_LARGE');
      expect(error.message).toContain('1048576');
      expect(error.message).toContain('64 × max.message.bytes (16384)');
    },
  );

  it.each([
    { name: 'one zstd frame without a content size', payload: zstdFrameOfZeros(2 ** 30) },
    { name: '1024 zstd frames of 1 MiB', payload: decompressionBombs(2 ** 30)[0]!.payload },
  ])('$name, a gigabyte from a few KiB, is refused at the limit', ({ payload }) => {
    expect(payload.length).toBeLessThan(64 * 1024);
    const error = refusal(withPayload(payload, CompressionType.ZSTD), CHECK);
    expect(error.code).toBe('MESSAGE_TOO_LARGE');
    expect(error.message).toContain(`${64 * 1024 * 1024}`);
  });

  it('a raw snappy block claiming more than snappy can expand to is corrupt, not decompressed', () => {
    // varint 2^34: 16 GiB from a six-byte block.
    const claim = Buffer.from([0x80, 0x80, 0x80, 0x80, 0x40, 0x00]);
    expect(() => decompress(CompressionType.SNAPPY, claim)).toThrow(/claims/);
  });

  it('stored batches keep the broker-wide limit, with INVALID_RECORD', () => {
    const stored: DecompressionLimit = { bytes: 1024, error: 'INVALID_RECORD', origin: 'the test' };
    expect(() =>
      decompress(CompressionType.GZIP, compress(CompressionType.GZIP, Buffer.alloc(2048)), stored),
    ).toThrow(expect.objectContaining({ code: 'INVALID_RECORD' }));
  });
});

describe('LZ4 frames Kafka cannot read are refused as corrupt', () => {
  const frame = compress(CompressionType.LZ4, Buffer.from('hello hello hello hello'));
  it.each([
    { name: 'linked (dependent) blocks', edit: (f: Buffer) => (f[4] = f[4]! & ~0x20) },
    { name: 'another frame version', edit: (f: Buffer) => (f[4] = (f[4]! & 0x3f) | 0x80) },
    { name: 'a reserved FLG bit', edit: (f: Buffer) => (f[4] = f[4]! | 0x02) },
    { name: 'a block size over the frame maximum', edit: (f: Buffer) => f.writeUInt32LE(0x7fffffff, 7) },
  ])('$name', ({ edit }) => {
    const edited = Buffer.from(frame);
    edit(edited);
    expect(() => decompress(CompressionType.LZ4, edited)).toThrow(
      expect.objectContaining({ code: 'CORRUPT_MESSAGE' }),
    );
  });

  it('bytes after the end mark', () => {
    const trailing = Buffer.concat([frame, Buffer.from([1, 2, 3])]);
    expect(() => decompress(CompressionType.LZ4, trailing)).toThrow(/after the LZ4 frame/);
  });

  it('a frame cut short', () => {
    expect(() => decompress(CompressionType.LZ4, frame.subarray(0, frame.length - 3))).toThrow(/cut short/);
  });
});
