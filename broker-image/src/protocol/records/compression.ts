import { createRequire } from 'node:module';
import { gunzipSync, gzipSync } from 'node:zlib';
import { compressFrameSync, uncompressSync as lz4Uncompress } from 'lz4-napi';
import { compressSync as snappyCompress, uncompressSync as snappyUncompress } from 'snappy';
import { compress as zstdCompress } from 'zstd-napi';
import type * as ZstdBinding from 'zstd-napi/binding.js';
import { KafkaError, type ErrorName } from '../errors.js';

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

/**
 * How many times `max.message.bytes` a produced batch's records may decompress to. Generous for real
 * producers (a Java producer's batch.size counts compressed bytes, so a full batch of repetitive
 * records can expand several times over max.message.bytes), small enough that a bomb is refused.
 */
export const PRODUCED_EXPANSION_LIMIT = 64;

/** How far decompression may go, what a batch beyond it is answered, and why (for the message). */
export interface DecompressionLimit {
  readonly bytes: number;
  readonly error: ErrorName;
  readonly origin: string;
}

/** The limit where the broker reads back stored batches (fetch down-paths, compaction, recompression). */
export const STORED_BATCH_LIMIT: DecompressionLimit = {
  bytes: MAX_DECOMPRESSED_BYTES,
  error: 'INVALID_RECORD',
  origin: 'the most the broker decompresses of one batch',
};

/**
 * The limit for a produced batch on a topic with this `max.message.bytes`: MESSAGE_TOO_LARGE, which a
 * Java producer answers by splitting the batch and retrying the halves.
 */
export function producedDecompressionLimit(maxMessageBytes: number): DecompressionLimit {
  const scaled = maxMessageBytes * PRODUCED_EXPANSION_LIMIT;
  if (scaled >= MAX_DECOMPRESSED_BYTES) return { ...STORED_BATCH_LIMIT, error: 'MESSAGE_TOO_LARGE' };
  return {
    bytes: scaled,
    error: 'MESSAGE_TOO_LARGE',
    origin: `${PRODUCED_EXPANSION_LIMIT} × max.message.bytes (${maxMessageBytes})`,
  };
}

/** Java's snappy-java writes this framing ("xerial") around snappy blocks. */
const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_SIZE = 16;

class TooLarge extends Error {
  constructor(readonly size: string) {
    super(`decompresses to ${size} bytes`);
  }
}

/** Corrupt compressed data: the codec's own words, or ours where we parse the framing. */
class Malformed extends Error {}

/**
 * A snappy element of n bytes yields at most 64 / 3 of them (a 3-byte copy of 64), so a block that
 * claims more than this is corrupt, whatever the limit.
 */
const SNAPPY_MAX_RATIO = 22;

/** Snappy's raw format starts with the uncompressed length as a varint. */
function snappyLength(block: Buffer): number {
  let value = 0;
  for (let i = 0, shift = 1; i < 5 && i < block.length; i++, shift *= 128) {
    value += (block[i]! & 0x7f) * shift;
    if ((block[i]! & 0x80) === 0) {
      if (value > block.length * SNAPPY_MAX_RATIO + 64)
        throw new Malformed(`snappy block of ${block.length} bytes claims ${value}`);
      return value;
    }
  }
  throw new Malformed('invalid snappy length');
}

function unsnappy(data: Buffer, limit: number): Buffer {
  if (data.length >= XERIAL_HEADER_SIZE && data.subarray(0, 8).equals(XERIAL_MAGIC)) {
    const blocks: Buffer[] = [];
    let total = 0;
    let at = XERIAL_HEADER_SIZE;
    while (at < data.length) {
      if (at + 4 > data.length) throw new Malformed('snappy block size cut short');
      const size = data.readInt32BE(at);
      at += 4;
      if (size <= 0 || at + size > data.length) throw new Malformed(`snappy block of ${size} bytes overruns`);
      const block = data.subarray(at, at + size);
      total += snappyLength(block);
      if (total > limit) throw new TooLarge(`more than ${limit}`);
      blocks.push(snappyUncompress(block) as Buffer);
      at += size;
    }
    return Buffer.concat(blocks, total);
  }
  const length = snappyLength(data);
  if (length > limit) throw new TooLarge(String(length));
  return snappyUncompress(data) as Buffer;
}

/** LZ4 frame format: magic, a descriptor (FLG, BD, optional content size, HC), blocks, end mark. */
const LZ4_MAGIC = 0x184d2204;
const LZ4_VERSION = 1;
const LZ4_BLOCK_INDEPENDENCE = 0x20;
const LZ4_BLOCK_CHECKSUM = 0x10;
const LZ4_CONTENT_SIZE = 0x08;
const LZ4_CONTENT_CHECKSUM = 0x04;
/** Reserved bits of FLG (including the dictionary id flag, which Kafka's codec reserves) and BD. */
const LZ4_FLG_RESERVED = 0x03;
const LZ4_BD_RESERVED = 0x8f;
const LZ4_UNCOMPRESSED_BLOCK = 0x80000000;
/** One byte of an LZ4 block expands to fewer than 255 (match length bytes of 255 each). */
const LZ4_MAX_RATIO = 255;

/**
 * Decompresses the one LZ4 frame of a Kafka batch block by block, so the output is counted against
 * the limit as it grows (a frame need not say its content size, and one of 1 MiB can hold 250 MiB).
 * Frames Kafka's own codec refuses are refused too: linked blocks, reserved bits, another version.
 * Checksums are not verified: the batch CRC already covers these bytes.
 */
function unlz4(data: Buffer, limit: number): Buffer {
  let at = 0;
  const need = (n: number): void => {
    if (at + n > data.length) throw new Malformed('LZ4 frame cut short');
  };
  need(7);
  if (data.readUInt32LE(0) !== LZ4_MAGIC) throw new Malformed('not an LZ4 frame (invalid magic bytes)');
  const flags = data[4]!;
  const blockMaxId = (data[5]! >> 4) & 0x07;
  if (flags >> 6 !== LZ4_VERSION || flags & LZ4_FLG_RESERVED || data[5]! & LZ4_BD_RESERVED || blockMaxId < 4)
    throw new Malformed('unsupported LZ4 frame descriptor');
  if (!(flags & LZ4_BLOCK_INDEPENDENCE)) throw new Malformed('dependent LZ4 block streams are unsupported');
  const blockMax = 1 << (8 + 2 * blockMaxId);
  at = 6;
  let declared: number | undefined;
  if (flags & LZ4_CONTENT_SIZE) {
    need(8);
    declared = data.readUInt32LE(at) + data.readUInt32LE(at + 4) * 2 ** 32;
    if (declared > limit) throw new TooLarge(String(declared));
    at += 8;
  }
  at += 1; // header checksum
  const out: Buffer[] = [];
  let total = 0;
  for (;;) {
    need(4);
    const word = data.readUInt32LE(at);
    at += 4;
    if (word === 0) break;
    const size = (word & ~LZ4_UNCOMPRESSED_BLOCK) >>> 0;
    if (size > blockMax) throw new Malformed(`LZ4 block of ${size} bytes exceeds its frame's ${blockMax}`);
    need(size);
    const block = data.subarray(at, at + size);
    at += size;
    if (flags & LZ4_BLOCK_CHECKSUM) at += 4;
    let chunk = block;
    if (!(word & LZ4_UNCOMPRESSED_BLOCK)) {
      // lz4-napi's block format: the most the block may decompress to, then the block.
      const room = Math.min(blockMax, size * LZ4_MAX_RATIO + 16);
      const sized = Buffer.allocUnsafe(4 + size);
      sized.writeUInt32LE(room, 0);
      block.copy(sized, 4);
      chunk = lz4Uncompress(sized);
    }
    total += chunk.length;
    if (total > limit) throw new TooLarge(`more than ${limit}`);
    out.push(chunk);
  }
  if (flags & LZ4_CONTENT_CHECKSUM) at += 4;
  need(0);
  if (at !== data.length) throw new Malformed(`${data.length - at} bytes after the LZ4 frame`);
  if (declared !== undefined && total !== declared)
    throw new Malformed(`LZ4 frame says ${declared} bytes but holds ${total}`);
  return out.length === 1 ? out[0]! : Buffer.concat(out, total);
}

/** One decompression context, reused: creating one per batch costs more than decompressing 16 KiB. */
let zstdContext: ZstdBinding.DCtx | undefined;

function unzstd(data: Buffer, limit: number): Buffer {
  const known = zstd.getFrameContentSize(data);
  if (known !== null && known > limit) throw new TooLarge(String(known));
  const context = (zstdContext ??= new zstd.DCtx());
  // Whatever a previous (perhaps failed) batch left in it; decompression is synchronous, so no
  // other batch can be using it meanwhile.
  context.reset(zstd.ResetDirective.sessionOnly);
  if (known !== null && zstd.findFrameCompressedSize(data) === data.length) {
    // One frame that says its size (librdkafka's): decompress straight into a buffer of that size.
    const out = Buffer.allocUnsafe(known);
    const produced = context.decompress(out, data);
    if (produced !== known) throw new Malformed(`zstd frame says ${known} bytes but holds ${produced}`);
    return out;
  }
  const chunks: Buffer[] = [];
  let total = 0;
  let input = data;
  for (;;) {
    const out = Buffer.allocUnsafe(zstd.dStreamOutSize());
    const [remaining, produced, consumed] = context.decompressStream(out, input);
    total += produced;
    if (total > limit) throw new TooLarge(`more than ${limit}`);
    if (produced > 0) chunks.push(out.subarray(0, produced));
    input = input.subarray(consumed);
    if (remaining === 0 && input.length === 0) break;
    if (produced === 0 && consumed === 0) throw new Malformed('truncated zstd frame');
  }
  return Buffer.concat(chunks, total);
}

/** Whether `type` is one of the codecs a batch's attributes may name (0-4; 5-7 are undefined). */
export function isKnownCompression(type: number): type is CompressionType {
  return type >= CompressionType.NONE && type <= CompressionType.ZSTD;
}

/**
 * Decompresses a batch's records, refusing more than `limit` allows: the limit's error for too
 * much output, CORRUPT_MESSAGE for data the codec cannot read, UNSUPPORTED_COMPRESSION_TYPE for a
 * codec id Kafka does not define.
 */
export function decompress(
  type: number,
  data: Buffer,
  limit: DecompressionLimit = STORED_BATCH_LIMIT,
): Buffer {
  try {
    switch (type) {
      case CompressionType.NONE:
        return data;
      case CompressionType.GZIP:
        return gunzipSync(data, { maxOutputLength: limit.bytes });
      case CompressionType.SNAPPY:
        return unsnappy(data, limit.bytes);
      case CompressionType.LZ4:
        return unlz4(data, limit.bytes);
      case CompressionType.ZSTD:
        return unzstd(data, limit.bytes);
    }
  } catch (error) {
    const tooLarge =
      error instanceof TooLarge
        ? error.size
        : (error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE'
          ? `more than ${limit.bytes}`
          : undefined;
    if (tooLarge !== undefined) {
      throw new KafkaError(
        limit.error,
        `records decompress to ${tooLarge} bytes, more than the ${limit.bytes} allowed (${limit.origin})`,
      );
    }
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
