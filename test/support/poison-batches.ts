import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { compressSync as snappyCompress } from 'snappy';
import { compress as zstdCompress } from 'zstd-napi';
import { CompressionType, compress } from '../../broker-image/src/protocol/records/compression.js';
import { crc32c } from '../../broker-image/src/protocol/records/crc32c.js';
import {
  ATTRIBUTES_OFFSET,
  COMPRESSION_MASK,
  CRC_OFFSET,
  LAST_OFFSET_DELTA_OFFSET,
  LENGTH_OFFSET,
  LOG_OVERHEAD,
  RECORDS_COUNT_OFFSET,
  RECORDS_OFFSET,
} from '../../broker-image/src/protocol/records/record-batch.js';
import { buildRecordBatch, type NewRecord } from '../../broker-image/src/protocol/records/records.js';

/**
 * Record batches whose header and CRC are right around records no consumer can read back: what a
 * broker must refuse at produce time, or every later record of the partition becomes unreadable.
 */

export const CODECS = [
  { name: 'gzip', codec: CompressionType.GZIP },
  { name: 'snappy', codec: CompressionType.SNAPPY },
  { name: 'lz4', codec: CompressionType.LZ4 },
  { name: 'zstd', codec: CompressionType.ZSTD },
] as const;

/** The same bytes on every run: SHA-256 in counter mode over `seed`. */
export function deterministicBytes(seed: string, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let at = 0, block = 0; at < length; block++) {
    at += createHash('sha256').update(`${seed}:${block}`).digest().copy(out, at);
  }
  return out;
}

/** `records` (uncompressed, as a batch carries them) of a batch built from `values`. */
export function recordBytes(records: readonly NewRecord[]): Buffer {
  return Buffer.from(buildRecordBatch(records).subarray(RECORDS_OFFSET));
}

export function valueRecords(...values: string[]): NewRecord[] {
  return values.map((value) => ({ key: Buffer.from(`key-${value}`), value: Buffer.from(value) }));
}

/**
 * A batch with the header of `template` (its count, offsets and timestamps) around `payload` as its
 * records, its attributes naming `codec` (and its header counting `recordCount`, if given); length
 * and CRC made to match, so only the records are wrong.
 */
export function withPayload(
  payload: Buffer,
  codec: number,
  template: Buffer = buildRecordBatch(valueRecords('a', 'b')),
  recordCount?: number,
): Buffer {
  const batch = Buffer.concat([template.subarray(0, RECORDS_OFFSET), payload]);
  batch.writeInt32BE(batch.length - LOG_OVERHEAD, LENGTH_OFFSET);
  batch.writeInt16BE((batch.readInt16BE(ATTRIBUTES_OFFSET) & ~COMPRESSION_MASK) | codec, ATTRIBUTES_OFFSET);
  if (recordCount !== undefined) {
    batch.writeInt32BE(recordCount, RECORDS_COUNT_OFFSET);
    batch.writeInt32BE(recordCount - 1, LAST_OFFSET_DELTA_OFFSET);
  }
  batch.writeUInt32BE(crc32c(batch.subarray(ATTRIBUTES_OFFSET)), CRC_OFFSET);
  return batch;
}

/** A batch of two records whose payload is `records` compressed with `codec`. */
export function compressedBatch(codec: number, records: Buffer, recordCount = 2): Buffer {
  return withPayload(compress(codec as CompressionType, records), codec, undefined, recordCount);
}

/** Java's snappy-java stream framing ("xerial") around snappy blocks of at most `blockSize`. */
export function xerialSnappy(data: Buffer, blockSize = 32 * 1024): Buffer {
  const header = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1]);
  const parts: Buffer[] = [header];
  for (let at = 0; at < data.length; at += blockSize) {
    const block = snappyCompress(data.subarray(at, at + blockSize));
    const size = Buffer.alloc(4);
    size.writeInt32BE(block.length);
    parts.push(size, block);
  }
  return Buffer.concat(parts);
}

/** Malformed records inside a well-compressed payload, each with the reason Kafka would give. */
export function malformedRecordSets(): { name: string; records: Buffer; recordCount: number }[] {
  const two = recordBytes(valueRecords('a', 'b'));
  const three = recordBytes(valueRecords('a', 'b', 'c'));
  const gapped = recordBytes([{ value: Buffer.from('a') }, { value: Buffer.from('b'), offsetDelta: 2 }]);
  // The first record's length varint (zig-zag 2n) claims two bytes more than the record has.
  const longer = Buffer.from(two);
  longer.writeUInt8(two.readUInt8(0) + 4, 0);
  // A timestamp delta of 2^62 (a 10-byte zig-zag varlong): beyond what a number holds exactly.
  const farFuture = recordBytes(valueRecords('a', 'b'));
  const hugeDelta = Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]);
  const first = farFuture.readUInt8(0) / 2;
  const badTimestamp = Buffer.concat([
    Buffer.from([(first + hugeDelta.length - 1) * 2]),
    farFuture.subarray(1, 2), // attributes
    hugeDelta,
    farFuture.subarray(3), // the rest, after the one-byte timestamp delta 0
  ]);
  return [
    { name: 'fewer records than the header counts', records: two, recordCount: 3 },
    { name: 'more records than the header counts', records: three, recordCount: 2 },
    { name: 'offset deltas 0, 2', records: gapped, recordCount: 2 },
    { name: 'a record length longer than its fields', records: longer, recordCount: 2 },
    {
      name: 'bytes after the last record',
      records: Buffer.concat([two, Buffer.from([0, 0, 0])]),
      recordCount: 2,
    },
    { name: 'a timestamp out of range', records: badTimestamp, recordCount: 2 },
    { name: 'no records at all', records: Buffer.alloc(0), recordCount: 2 },
  ];
}

/**
 * Small payloads that decompress to `bytes` of zeros or more: zstd frames that say their size and
 * one that does not (as Java's zstd-jni writes), a gzip stream, LZ4 frames of 4 MiB blocks, xerial
 * snappy and a raw snappy block claiming it all.
 */
export function decompressionBombs(bytes: number): { name: string; codec: number; payload: Buffer }[] {
  const mib = Buffer.alloc(1024 * 1024);
  const zstdMib = zstdCompress(mib);
  const copies = Math.ceil(bytes / mib.length);
  return [
    {
      name: `zstd: ${copies} frames of 1 MiB`,
      codec: CompressionType.ZSTD,
      payload: Buffer.concat(Array.from({ length: copies }, () => zstdMib)),
    },
    {
      name: 'zstd: one frame without a content size',
      codec: CompressionType.ZSTD,
      payload: zstdFrameOfZeros(bytes),
    },
    { name: 'gzip', codec: CompressionType.GZIP, payload: gzipSync(Buffer.alloc(bytes), { level: 9 }) },
    { name: 'lz4', codec: CompressionType.LZ4, payload: compress(CompressionType.LZ4, Buffer.alloc(bytes)) },
    { name: 'snappy (xerial)', codec: CompressionType.SNAPPY, payload: xerialSnappy(Buffer.alloc(bytes)) },
  ];
}

/**
 * One zstd frame of `bytes` zeros that does not say its content size, built from RLE blocks (the
 * format's own run-length blocks of up to 128 KiB each), so no gigabyte is ever held to build it.
 */
export function zstdFrameOfZeros(bytes: number): Buffer {
  const BLOCK = 128 * 1024;
  // Magic; frame header descriptor 0 (no content size, no checksum, a window descriptor follows);
  // window descriptor 0x38: exponent 7 → a window of 2^(10+7) = 128 KiB.
  const parts = [Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x38])];
  for (let left = bytes; left > 0; left -= BLOCK) {
    const size = Math.min(BLOCK, left);
    const last = left <= BLOCK ? 1 : 0;
    // Block header (24 bits, little-endian): last flag, type 1 (RLE), size; then the repeated byte.
    const header = last | (1 << 1) | (size << 3);
    parts.push(Buffer.from([header & 0xff, (header >> 8) & 0xff, (header >> 16) & 0xff, 0x00]));
  }
  return Buffer.concat(parts);
}
