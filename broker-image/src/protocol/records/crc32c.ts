import { crc32c as nativeCrc32c } from '@node-rs/crc32';

/** CRC-32C (Castagnoli), as RecordBatch v2 uses it. */
export function crc32c(data: Buffer): number {
  return nativeCrc32c(data) >>> 0;
}
