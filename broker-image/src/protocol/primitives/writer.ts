const TWO_POW_32 = 2 ** 32;
const INT64_MAX_HI = 0x7fffffff;

/** Buffers at least this large are passed through by reference instead of copied. */
const ZERO_COPY_THRESHOLD = 1024;

/**
 * Appends encoded values to a growing scratch buffer. Large byte payloads (record batches) are
 * not copied: the scratch buffer is cut and the payload is kept as its own chunk, so a fetch
 * response is written to the socket as a list of buffers with one vectored write.
 */
export class Writer {
  private scratch: Buffer;
  private position = 0;
  private start = 0;
  private readonly chunks: Buffer[] = [];
  private chunkedLength = 0;

  constructor(initialSize = 256) {
    this.scratch = Buffer.allocUnsafe(initialSize);
  }

  /** Total bytes written so far. */
  get length(): number {
    return this.chunkedLength + (this.position - this.start);
  }

  private ensure(n: number): number {
    if (this.position + n > this.scratch.length) {
      const pending = this.position - this.start;
      const next = Buffer.allocUnsafe(Math.max(this.scratch.length * 2, pending + n, 256));
      this.scratch.copy(next, 0, this.start, this.position);
      this.scratch = next;
      this.start = 0;
      this.position = pending;
    }
    const at = this.position;
    this.position += n;
    return at;
  }

  private byte(value: number): void {
    const at = this.ensure(1);
    this.scratch[at] = value;
  }

  int8(value: number): this {
    const at = this.ensure(1);
    this.scratch.writeInt8(value, at);
    return this;
  }

  uint8(value: number): this {
    this.byte(value);
    return this;
  }

  bool(value: boolean): this {
    this.byte(value ? 1 : 0);
    return this;
  }

  int16(value: number): this {
    const at = this.ensure(2);
    this.scratch.writeInt16BE(value, at);
    return this;
  }

  uint16(value: number): this {
    const at = this.ensure(2);
    this.scratch.writeUInt16BE(value, at);
    return this;
  }

  int32(value: number): this {
    const at = this.ensure(4);
    this.scratch.writeInt32BE(value, at);
    return this;
  }

  uint32(value: number): this {
    const at = this.ensure(4);
    this.scratch.writeUInt32BE(value, at);
    return this;
  }

  /** Writes a number as int64; values at or above 2^63 are written as Long.MAX_VALUE. */
  int64(value: number): this {
    const at = this.ensure(8);
    if (value >= 2 ** 63) {
      this.scratch.writeInt32BE(INT64_MAX_HI, at);
      this.scratch.writeUInt32BE(0xffffffff, at + 4);
      return this;
    }
    const hi = Math.floor(value / TWO_POW_32);
    const lo = value - hi * TWO_POW_32;
    this.scratch.writeInt32BE(hi, at);
    this.scratch.writeUInt32BE(lo, at + 4);
    return this;
  }

  float64(value: number): this {
    const at = this.ensure(8);
    this.scratch.writeDoubleBE(value, at);
    return this;
  }

  unsignedVarint(value: number): this {
    let v = value >>> 0;
    while (v >= 0x80) {
      this.byte((v & 0x7f) | 0x80);
      v >>>= 7;
    }
    this.byte(v);
    return this;
  }

  varint(value: number): this {
    return this.unsignedVarint(((value << 1) ^ (value >> 31)) >>> 0);
  }

  varlong(value: number): this {
    // Zig-zag in number arithmetic (non-negative → 2v, negative → -2v - 1) is exact below 2^52.
    if (Math.abs(value) >= 2 ** 52) return this.bigVarlong(BigInt(value));
    let v = value >= 0 ? value * 2 : -value * 2 - 1;
    while (v >= 0x80) {
      this.byte((v % 128) | 0x80);
      v = Math.floor(v / 128);
    }
    this.byte(v);
    return this;
  }

  private bigVarlong(value: bigint): this {
    let v = BigInt.asUintN(64, (value << 1n) ^ (value >> 63n));
    while (v >= 0x80n) {
      this.byte(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.byte(Number(v));
    return this;
  }

  /** Raw bytes; large buffers are kept by reference. */
  raw(bytes: Buffer): this {
    if (bytes.length >= ZERO_COPY_THRESHOLD) {
      this.cut();
      this.chunks.push(bytes);
      this.chunkedLength += bytes.length;
    } else if (bytes.length > 0) {
      const at = this.ensure(bytes.length);
      bytes.copy(this.scratch, at);
    }
    return this;
  }

  utf8(value: string, byteLength: number): this {
    const at = this.ensure(byteLength);
    this.scratch.write(value, at, byteLength, 'utf8');
    return this;
  }

  private cut(): void {
    if (this.position > this.start) {
      const piece = this.scratch.subarray(this.start, this.position);
      this.chunks.push(piece);
      this.chunkedLength += piece.length;
      this.start = this.position;
    }
  }

  /** The encoded bytes as a list of buffers (no copy of large payloads). */
  toChunks(): Buffer[] {
    this.cut();
    return this.chunks;
  }

  /** The encoded bytes as one contiguous buffer. */
  toBuffer(): Buffer {
    const chunks = this.toChunks();
    return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, this.chunkedLength);
  }
}

/** Bytes an unsigned varint takes. */
export function unsignedVarintSize(value: number): number {
  let v = value >>> 0;
  let size = 1;
  while (v >= 0x80) {
    v >>>= 7;
    size++;
  }
  return size;
}

export function varintSize(value: number): number {
  return unsignedVarintSize(((value << 1) ^ (value >> 31)) >>> 0);
}

export function varlongSize(value: number): number {
  if (Math.abs(value) >= 2 ** 52) {
    const big = BigInt(value);
    let raw = BigInt.asUintN(64, (big << 1n) ^ (big >> 63n));
    let bytes = 1;
    while (raw >= 0x80n) {
      raw >>= 7n;
      bytes++;
    }
    return bytes;
  }
  let v = value >= 0 ? value * 2 : -value * 2 - 1;
  let size = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 128);
    size++;
  }
  return size;
}
