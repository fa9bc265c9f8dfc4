import { ProtocolError } from './protocol-error.js';

const TWO_POW_32 = 2 ** 32;

/**
 * Sequential reader over one buffer. Every read checks bounds and throws {@link ProtocolError}
 * on truncation, so a decoder never reads past the frame it was given.
 *
 * int64 values are read as JavaScript numbers: offsets, timestamps and producer ids all stay
 * far below 2^53. Values above that (only Long.MAX_VALUE sentinels in practice) lose precision.
 */
export class Reader {
  offset: number;

  constructor(
    readonly buffer: Buffer,
    offset = 0,
    readonly end = buffer.length,
  ) {
    this.offset = offset;
  }

  get remaining(): number {
    return this.end - this.offset;
  }

  private need(n: number): number {
    const at = this.offset;
    if (n < 0 || at + n > this.end) {
      throw new ProtocolError(`truncated: needed ${n} bytes at ${at}, ${this.end - at} left`);
    }
    this.offset = at + n;
    return at;
  }

  int8(): number {
    return this.buffer.readInt8(this.need(1));
  }

  uint8(): number {
    return this.buffer[this.need(1)]!;
  }

  bool(): boolean {
    return this.buffer[this.need(1)] !== 0;
  }

  int16(): number {
    return this.buffer.readInt16BE(this.need(2));
  }

  uint16(): number {
    return this.buffer.readUInt16BE(this.need(2));
  }

  int32(): number {
    return this.buffer.readInt32BE(this.need(4));
  }

  uint32(): number {
    return this.buffer.readUInt32BE(this.need(4));
  }

  int64(): number {
    const at = this.need(8);
    const hi = this.buffer.readInt32BE(at);
    const lo = this.buffer.readUInt32BE(at + 4);
    return hi * TWO_POW_32 + lo;
  }

  float64(): number {
    return this.buffer.readDoubleBE(this.need(8));
  }

  uuid(): Buffer {
    const at = this.need(16);
    return this.buffer.subarray(at, at + 16);
  }

  /** Unsigned LEB128, at most 5 bytes (32 bits). */
  unsignedVarint(): number {
    let value = 0;
    let shift = 0;
    for (let i = 0; i < 5; i++) {
      const b = this.uint8();
      value |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) return value >>> 0;
      shift += 7;
    }
    throw new ProtocolError('varint is longer than 5 bytes');
  }

  /** Zig-zag encoded signed 32-bit varint. */
  varint(): number {
    const raw = this.unsignedVarint();
    return (raw >>> 1) ^ -(raw & 1);
  }

  /** Zig-zag encoded signed 64-bit varint, as a number (exact up to 2^53). */
  varlong(): number {
    const start = this.offset;
    let value = 0;
    let multiplier = 1;
    for (let i = 0; i < 10; i++) {
      const b = this.uint8();
      value += (b & 0x7f) * multiplier;
      if ((b & 0x80) === 0) {
        // Beyond 2^52 number arithmetic loses the sign bit: decode exactly with bigint.
        if (value >= 2 ** 53) return this.bigVarlong(start);
        // zig-zag: even → value/2, odd → -(value+1)/2
        return value % 2 === 0 ? value / 2 : -(value + 1) / 2;
      }
      multiplier *= 128;
    }
    throw new ProtocolError('varlong is longer than 10 bytes');
  }

  private bigVarlong(start: number): number {
    let raw = 0n;
    let shift = 0n;
    for (let at = start; at < this.offset; at++) {
      raw |= BigInt(this.buffer[at]! & 0x7f) << shift;
      shift += 7n;
    }
    raw = BigInt.asUintN(64, raw);
    return Number((raw >> 1n) ^ -(raw & 1n));
  }

  bytesOf(length: number): Buffer {
    const at = this.need(length);
    return this.buffer.subarray(at, at + length);
  }

  utf8Of(length: number): string {
    const at = this.need(length);
    return this.buffer.toString('utf8', at, at + length);
  }

  skip(length: number): void {
    this.need(length);
  }
}
