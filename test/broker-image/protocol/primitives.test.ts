import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../../broker-image/src/protocol/primitives/protocol-error.js';
import { Reader } from '../../../broker-image/src/protocol/primitives/reader.js';
import {
  unsignedVarintSize,
  varintSize,
  varlongSize,
  Writer,
} from '../../../broker-image/src/protocol/primitives/writer.js';

/** Byte vectors from Kafka's ByteUtilsTest, and a BigInt reference for the rest. */

function written(write: (w: Writer) => unknown): string {
  const w = new Writer(4);
  write(w);
  return w.toBuffer().toString('hex');
}

function reader(hex: string): Reader {
  return new Reader(Buffer.from(hex, 'hex'));
}

/** Kafka's zig-zag varlong, computed exactly with BigInt. */
function referenceVarlong(value: bigint): string {
  let zigzag = BigInt.asUintN(64, (value << 1n) ^ (value >> 63n));
  const out: number[] = [];
  while (zigzag >= 0x80n) {
    out.push(Number((zigzag & 0x7fn) | 0x80n));
    zigzag >>= 7n;
  }
  out.push(Number(zigzag));
  return Buffer.from(out).toString('hex');
}

describe('unsigned varint', () => {
  it.each([
    [0, '00'],
    [1, '01'],
    [127, '7f'],
    [128, '8001'],
    [300, 'ac02'],
    [16383, 'ff7f'],
    [16384, '808001'],
    [2 ** 31 - 1, 'ffffffff07'],
    [2 ** 31, '8080808008'],
    [2 ** 32 - 1, 'ffffffff0f'],
  ])('%i is written as %s and read back', (value, hex) => {
    expect(written((w) => w.unsignedVarint(value))).toBe(hex);
    expect(unsignedVarintSize(value)).toBe(hex.length / 2);
    const r = reader(hex);
    expect(r.unsignedVarint()).toBe(value);
    expect(r.remaining).toBe(0);
  });

  it('writes -1 as the 32-bit pattern 0xffffffff, as Java does', () => {
    expect(written((w) => w.unsignedVarint(-1))).toBe('ffffffff0f');
  });

  it('refuses a varint longer than five bytes', () => {
    expect(() => reader('8080808080').unsignedVarint()).toThrow(ProtocolError);
    expect(() => reader('ffffffffff01').unsignedVarint()).toThrow('varint is longer than 5 bytes');
  });

  it('refuses a varint cut off by the end of the buffer', () => {
    expect(() => reader('8080').unsignedVarint()).toThrow(ProtocolError);
  });
});

describe('signed (zig-zag) varint', () => {
  it.each([
    [0, '00'],
    [-1, '01'],
    [1, '02'],
    [63, '7e'],
    [-64, '7f'],
    [64, '8001'],
    [-65, '8101'],
    [8191, 'fe7f'],
    [-8192, 'ff7f'],
    [8192, '808001'],
    [-8193, '818001'],
    [1048575, 'feff7f'],
    [-1048576, 'ffff7f'],
    [134217727, 'feffff7f'],
    [-134217728, 'ffffff7f'],
    [134217728, '8080808001'],
    [-134217729, '8180808001'],
    [2 ** 31 - 1, 'feffffff0f'],
    [-(2 ** 31), 'ffffffff0f'],
  ])('%i is written as %s and read back', (value, hex) => {
    expect(written((w) => w.varint(value))).toBe(hex);
    expect(varintSize(value)).toBe(hex.length / 2);
    expect(reader(hex).varint()).toBe(value);
  });
});

describe('signed (zig-zag) varlong', () => {
  it.each([
    [0, '00'],
    [-1, '01'],
    [1, '02'],
    [-64, '7f'],
    [64, '8001'],
    [2 ** 31 - 1, 'feffffff0f'],
    [-(2 ** 31), 'ffffffff0f'],
  ])('%i is written as %s, as Kafka writes it', (value, hex) => {
    expect(written((w) => w.varlong(value))).toBe(hex);
    expect(reader(hex).varlong()).toBe(value);
  });

  it.each([
    2 ** 31,
    -(2 ** 31) - 1,
    2 ** 32,
    -(2 ** 32),
    2 ** 35 + 5,
    -(2 ** 40) - 3,
    1_700_000_000_000,
    -1_700_000_000_000,
    2 ** 52,
    -(2 ** 52),
    Number.MAX_SAFE_INTEGER,
  ])('%i matches the exact encoding and reads back', (value) => {
    const hex = referenceVarlong(BigInt(value));
    expect(written((w) => w.varlong(value))).toBe(hex);
    expect(varlongSize(value)).toBe(hex.length / 2);
    expect(reader(hex).varlong()).toBe(value);
  });

  // Zig-zag on doubles would lose the sign bit of -2v-1 above 2^53; those values take the exact path.
  it.each([-(2 ** 52) - 1, Number.MIN_SAFE_INTEGER, 2 ** 52 + 1])(
    'keeps the sign and value of %i beyond 2^52',
    (value) => {
      expect(written((w) => w.varlong(value))).toBe(referenceVarlong(BigInt(value)));
      expect(varlongSize(value)).toBe(referenceVarlong(BigInt(value)).length / 2);
      expect(reader(referenceVarlong(BigInt(value))).varlong()).toBe(value);
    },
  );

  it('refuses a varlong longer than ten bytes', () => {
    expect(() => reader('80'.repeat(10) + '01').varlong()).toThrow('varlong is longer than 10 bytes');
  });
});

describe('fixed-width integers', () => {
  it('writes int64 big-endian, negative values in two’s complement', () => {
    expect(written((w) => w.int64(-1))).toBe('ffffffffffffffff');
    expect(written((w) => w.int64(Number.MAX_SAFE_INTEGER))).toBe('001fffffffffffff');
    expect(written((w) => w.int64(Number.MIN_SAFE_INTEGER))).toBe('ffe0000000000001');
    expect(reader('ffe0000000000001').int64()).toBe(Number.MIN_SAFE_INTEGER);
    expect(reader('0000000100000000').int64()).toBe(2 ** 32);
  });

  it('keeps the Long.MAX_VALUE and Long.MIN_VALUE sentinels through a read and a write', () => {
    for (const hex of ['7fffffffffffffff', '8000000000000000']) {
      expect(written((w) => w.int64(reader(hex).int64()))).toBe(hex);
    }
  });

  it('writes the unsigned and signed 16- and 32-bit forms', () => {
    expect(written((w) => w.int8(-2).int16(-2).uint16(0xfffe).int32(-2).uint32(0xfffffffe))).toBe(
      'fe' + 'fffe' + 'fffe' + 'fffffffe' + 'fffffffe',
    );
    const r = reader('fefffefffefffffffefffffffe');
    expect([r.int8(), r.int16(), r.uint16(), r.int32(), r.uint32()]).toEqual([
      -2, -2, 0xfffe, -2, 0xfffffffe,
    ]);
  });

  it('refuses to read past the end of the buffer', () => {
    expect(() => reader('000000').int32()).toThrow(/truncated: needed 4 bytes at 0, 3 left/);
    expect(() => new Reader(Buffer.from('0102', 'hex'), 0, 1).int16()).toThrow(ProtocolError);
  });
});

describe('Writer', () => {
  it('passes large payloads through by reference and still gives one contiguous buffer', () => {
    const payload = Buffer.alloc(4096, 7);
    const w = new Writer(8).int32(payload.length).raw(payload).int8(1);
    expect(w.toChunks()).toContain(payload);
    expect(w.length).toBe(4 + 4096 + 1);
    expect(w.toBuffer()).toEqual(Buffer.concat([Buffer.from('00001000', 'hex'), payload, Buffer.from([1])]));
  });
});
