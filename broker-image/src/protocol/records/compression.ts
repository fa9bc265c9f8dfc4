import { createRequire } from 'node:module';
import { gunzipSync, gzipSync } from 'node:zlib';
import { compressFrameSync, decompressFrameSync } from 'lz4-napi';
import { compressSync as snappyCompress, uncompressSync as snappyUncompress } from 'snappy';
import { compress as zstdCompress } from 'zstd-napi';
import type * as ZstdBinding from 'zstd-napi/binding.js';
import { KafkaError } from '../errors.js';

const zstd = createRequire(import.meta.url)('zstd-napi/binding') as typeof ZstdBinding;

/** The compression codec ids of a RecordBatch's attributes (bits 0-2). */
export const CompressionType = {
  NONE: 0,
  GZIP: 1,
  SNAPPY: 2,
  LZ4: 3,
  ZSTD: 4,
} as const;
export type CompressionType = (typeof CompressionType)[keyof typeof CompressionType];

export const COMPRESSION_NAMES: Record<string, CompressionType> = {
  none: 0,
  uncompressed: 0,
  gzip: 1,
  snappy: 2,
  lz4: 3,
  zstd: 4,
};

/**
 * The most one batch's records may decompress to. Kafka streams through compressed batches; the
 * broker decompresses whole batches where it must read records, so it refuses decompression bombs
 * (a few KB of zstd can expand to gigabytes) instead of exhausting its memory.
 */
export const MAX_DECOMPRESSED_BYTES = 128 * 1024 * 1024;

/** Java's snappy-java writes this framing ("xerial") around snappy blocks. */
const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_SIZE = 16;
/** LZ4 frames: magic, then a flags byte whose bit 3 says an 8-byte content size follows. */
const LZ4_CONTENT_SIZE_FLAG = 0x08;

function tooLarge(size: number | string): KafkaError {
  return new KafkaError(
    'INVALID_RECORD',
    `records decompress to ${size} bytes, more than the ${MAX_DECOMPRESSED_BYTES} allowed`,
  );
}

/** Snappy's raw format starts with the uncompressed length as a varint. */
function snappyLength(block: Buffer): number {
  let value = 0;
  for (let i = 0, shift = 1; i < 5 && i < block.length; i++, shift *= 128) {
    value += (block[i]! & 0x7f) * shift;
    if ((block[i]! & 0x80) === 0) return value;
  }
  throw new Error('invalid snappy length');
}

function unsnappy(data: Buffer, limit: number): Buffer {
  if (data.length >= XERIAL_HEADER_SIZE && data.subarray(0, 8).equals(XERIAL_MAGIC)) {
    const blocks: Buffer[] = [];
    let total = 0;
    let at = XERIAL_HEADER_SIZE;
    while (at + 4 <= data.length) {
      const size = data.readInt32BE(at);
      at += 4;
      const block = data.subarray(at, at + size);
      total += snappyLength(block);
      if (total > limit) throw tooLarge(`more than ${total}`);
      blocks.push(snappyUncompress(block) as Buffer);
      at += size;
    }
    return Buffer.concat(blocks);
  }
  const length = snappyLength(data);
  if (length > limit) throw tooLarge(length);
  return snappyUncompress(data) as Buffer;
}

/**
 * LZ4 frames say their content size when the producer knew it; otherwise the output is bounded by
 * LZ4's maximum ratio over a batch that itself is at most `max.message.bytes`.
 */
function unlz4(data: Buffer, limit: number): Buffer {
  if (data.length >= 14 && (data[4]! & LZ4_CONTENT_SIZE_FLAG) !== 0) {
    const size = data.readUInt32LE(6) + data.readUInt32LE(10) * 2 ** 32;
    if (size > limit) throw tooLarge(size);
  }
  const out = decompressFrameSync(data);
  if (out.length > limit) throw tooLarge(out.length);
  return out;
}

function unzstd(data: Buffer, limit: number): Buffer {
  const known = zstd.getFrameContentSize(data);
  if (known !== null && known > limit) throw tooLarge(known);
  const context = new zstd.DCtx();
  const chunks: Buffer[] = [];
  let total = 0;
  let input = data;
  for (;;) {
    const out = Buffer.allocUnsafe(zstd.dStreamOutSize());
    const [remaining, produced, consumed] = context.decompressStream(out, input);
    total += produced;
    if (total > limit) throw tooLarge(`more than ${total}`);
    if (produced > 0) chunks.push(out.subarray(0, produced));
    input = input.subarray(consumed);
    if (remaining === 0 && input.length === 0) break;
    if (produced === 0 && consumed === 0) throw new Error('truncated zstd frame');
  }
  return Buffer.concat(chunks, total);
}

/** Decompresses a batch's records, refusing more than `limit` bytes of output. */
export function decompress(type: number, data: Buffer, limit = MAX_DECOMPRESSED_BYTES): Buffer {
  try {
    switch (type) {
      case CompressionType.NONE:
        return data;
      case CompressionType.GZIP:
        return gunzipSync(data, { maxOutputLength: limit });
      case CompressionType.SNAPPY:
        return unsnappy(data, limit);
      case CompressionType.LZ4:
        return unlz4(data, limit);
      case CompressionType.ZSTD:
        return unzstd(data, limit);
    }
  } catch (error) {
    if (error instanceof KafkaError) throw error;
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE')
      throw tooLarge(`more than ${limit}`);
    throw new KafkaError('CORRUPT_MESSAGE', `cannot decompress records: ${(error as Error).message}`);
  }
  throw new KafkaError('UNSUPPORTED_COMPRESSION_TYPE', `unknown compression type ${type}`);
}

export function compress(type: CompressionType, data: Buffer): Buffer {
  switch (type) {
    case CompressionType.NONE:
      return data;
    case CompressionType.GZIP:
      return gzipSync(data);
    case CompressionType.SNAPPY:
      return snappyCompress(data);
    case CompressionType.LZ4:
      return compressFrameSync(data);
    case CompressionType.ZSTD:
      return zstdCompress(data);
  }
}
