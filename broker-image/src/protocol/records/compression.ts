import { gunzipSync, gzipSync } from 'node:zlib';
import { compressFrameSync, decompressFrameSync } from 'lz4-napi';
import { compressSync as snappyCompress, uncompressSync as snappyUncompress } from 'snappy';
import { compress as zstdCompress, decompress as zstdDecompress } from 'zstd-napi';
import { KafkaError } from '../errors.js';

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

/** Java's snappy-java writes this framing ("xerial") around snappy blocks. */
const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_SIZE = 16;

function unsnappy(data: Buffer): Buffer {
  if (data.length >= XERIAL_HEADER_SIZE && data.subarray(0, 8).equals(XERIAL_MAGIC)) {
    const blocks: Buffer[] = [];
    let at = XERIAL_HEADER_SIZE;
    while (at + 4 <= data.length) {
      const size = data.readInt32BE(at);
      at += 4;
      blocks.push(snappyUncompress(data.subarray(at, at + size)) as Buffer);
      at += size;
    }
    return Buffer.concat(blocks);
  }
  return snappyUncompress(data) as Buffer;
}

export function decompress(type: number, data: Buffer): Buffer {
  try {
    switch (type) {
      case CompressionType.NONE:
        return data;
      case CompressionType.GZIP:
        return gunzipSync(data);
      case CompressionType.SNAPPY:
        return unsnappy(data);
      case CompressionType.LZ4:
        return decompressFrameSync(data);
      case CompressionType.ZSTD:
        return zstdDecompress(data);
    }
  } catch (error) {
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
