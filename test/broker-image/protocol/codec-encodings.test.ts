import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../../broker-image/src/protocol/primitives/protocol-error.js';
import { Reader } from '../../../broker-image/src/protocol/primitives/reader.js';
import { Writer } from '../../../broker-image/src/protocol/primitives/writer.js';
import { decodeMessage, encodeMessage } from '../../../broker-image/src/protocol/schema/codec.js';
import { t, type Encodable, type Fields } from '../../../broker-image/src/protocol/schema/fields.js';

/** The wire form of each kind of field, classic (non-flexible) and compact (flexible), on small declarations. */

const CLASSIC = { version: 0, flexible: false };
const COMPACT = { version: 1, flexible: true };
type Mode = typeof CLASSIC | typeof COMPACT;

function hexOf<F extends Fields>(fields: F, value: Encodable<F>, mode: Mode): string {
  const w = new Writer();
  encodeMessage(fields, value, w, mode.version, mode.flexible);
  return w.toBuffer().toString('hex');
}

function decodeHex<F extends Fields>(fields: F, hex: string, mode: Mode) {
  const r = new Reader(Buffer.from(hex, 'hex'));
  const value = decodeMessage(fields, r, mode.version, mode.flexible);
  expect(r.remaining, 'bytes left after decoding').toBe(0);
  return value;
}

// Every compact message ends with its tagged-field count, 00 when none are sent.
const NO_TAGS = '00';

describe('strings', () => {
  const fields = { s: t.string({ nullable: '0+' }) };

  it.each([
    ['an empty string', '', '0000', '01'],
    ['a multi-byte string, its length in bytes', 'é日', '0005c3a9e697a5', '06c3a9e697a5'],
    ['null', null, 'ffff', '00'],
  ])('%s: classic int16 length %s, compact varint length+1', (_, value, classic, compact) => {
    expect(hexOf(fields, { s: value }, CLASSIC)).toBe(classic);
    expect(hexOf(fields, { s: value }, COMPACT)).toBe(compact + NO_TAGS);
    expect(decodeHex(fields, classic, CLASSIC)).toEqual({ s: value });
    expect(decodeHex(fields, compact + NO_TAGS, COMPACT)).toEqual({ s: value });
  });

  it('writes a compact string of 127 bytes with a two-byte length', () => {
    expect(hexOf({ s: t.string() }, { s: 'x'.repeat(127) }, COMPACT).slice(0, 4)).toBe('8001');
  });

  it('refuses null in a version where the string is not nullable, both ways', () => {
    const strict = { s: t.string({ nullable: '1+' }) };
    expect(() => hexOf(strict, { s: null }, CLASSIC)).toThrow(ProtocolError);
    expect(() => decodeHex(strict, 'ffff', CLASSIC)).toThrow('s: null string where the version allows none');
    expect(decodeHex(strict, NO_TAGS + NO_TAGS, COMPACT)).toEqual({ s: null });
  });

  it('refuses a classic string longer than 32767 bytes', () => {
    expect(() => hexOf({ s: t.string() }, { s: 'é'.repeat(16384) }, CLASSIC)).toThrow(/longer than 32767/);
  });
});

describe('bytes', () => {
  const fields = { b: t.bytes({ nullable: '0+' }) };

  it('writes classic bytes with an int32 length and compact bytes with a varint length+1', () => {
    expect(hexOf(fields, { b: Buffer.from('0102', 'hex') }, CLASSIC)).toBe('000000020102');
    expect(hexOf(fields, { b: Buffer.from('0102', 'hex') }, COMPACT)).toBe('030102' + NO_TAGS);
    expect(hexOf(fields, { b: null }, CLASSIC)).toBe('ffffffff');
    expect(hexOf(fields, { b: null }, COMPACT)).toBe('00' + NO_TAGS);
  });

  it('writes a payload given as chunks as one field', () => {
    const chunks = [Buffer.from('01', 'hex'), Buffer.from('0203', 'hex')];
    expect(hexOf(fields, { b: chunks }, CLASSIC)).toBe('00000003010203');
    expect(hexOf(fields, { b: chunks }, COMPACT)).toBe('04010203' + NO_TAGS);
  });
});

describe('arrays', () => {
  const fields = { a: t.arrayOf(t.int16(), { nullable: '0+' }) };

  it.each([
    ['empty', [], '00000000', '01'],
    ['two elements', [1, -1], '000000020001ffff', '030001ffff'],
    ['null', null, 'ffffffff', '00'],
  ])('%s: classic int32 count %s, compact varint count+1', (_, value, classic, compact) => {
    expect(hexOf(fields, { a: value }, CLASSIC)).toBe(classic);
    expect(hexOf(fields, { a: value }, COMPACT)).toBe(compact + NO_TAGS);
    expect(decodeHex(fields, classic, CLASSIC)).toEqual({ a: value });
    expect(decodeHex(fields, compact + NO_TAGS, COMPACT)).toEqual({ a: value });
  });

  it('refuses null for an array nullable only in later versions, both ways', () => {
    const fromV1 = { a: t.arrayOf(t.int32(), { nullable: '1+' }) };
    expect(() => hexOf(fromV1, { a: null }, CLASSIC)).toThrow(ProtocolError);
    expect(() => decodeHex(fromV1, 'ffffffff', CLASSIC)).toThrow(
      'a: null array where the version allows none',
    );
  });

  it('refuses an element count larger than the bytes left in the frame', () => {
    expect(() => decodeHex(fields, '7fffffff0001', CLASSIC)).toThrow(/exceeds the frame/);
  });

  it('gives each struct element its own tagged-field section in compact versions', () => {
    const structs = { a: t.array({ x: t.int8() }) };
    expect(hexOf(structs, { a: [{ x: 1 }, { x: 2 }] }, COMPACT)).toBe(
      '03' + '01' + NO_TAGS + '02' + NO_TAGS + NO_TAGS,
    );
    expect(hexOf(structs, { a: [{ x: 1 }, { x: 2 }] }, CLASSIC)).toBe('00000002' + '01' + '02');
  });
});

describe('structs', () => {
  it('prefixes a nullable struct with -1 for null and 1 for present', () => {
    const fields = { s: t.struct({ x: t.int16() }, { nullable: '0+' }) };
    expect(hexOf(fields, { s: null }, CLASSIC)).toBe('ff');
    expect(hexOf(fields, { s: { x: 5 } }, CLASSIC)).toBe('010005');
    expect(decodeHex(fields, 'ff', CLASSIC)).toEqual({ s: null });
    expect(decodeHex(fields, '010005', CLASSIC)).toEqual({ s: { x: 5 } });
  });
});

describe('field versions', () => {
  const fields = { old: t.int16({ v: '0' }), added: t.int32({ v: '1+', default: -1 }) };

  it('writes only the fields of the version and decodes the others as their defaults', () => {
    const value = { old: 7, added: 9 };
    expect(hexOf(fields, value, CLASSIC)).toBe('0007');
    expect(hexOf(fields, value, COMPACT)).toBe('00000009' + NO_TAGS);
    expect(decodeHex(fields, '0007', CLASSIC)).toEqual({ old: 7, added: -1 });
    expect(decodeHex(fields, '00000009' + NO_TAGS, COMPACT)).toEqual({ old: 0, added: 9 });
  });
});

describe('tagged fields', () => {
  const fields = {
    plain: t.int8(),
    second: t.string({ tag: 5, v: '1+' }),
    first: t.int32({ tag: 2, v: '1+', default: -1 }),
  };

  it('writes tagged fields after the others, by ascending tag, each as tag, size and value', () => {
    expect(hexOf(fields, { plain: 1, second: 'ab', first: 7 }, COMPACT)).toBe(
      '01' + '02' + '02' + '04' + '00000007' + '05' + '03' + '036162',
    );
  });

  it('leaves out a tagged field at its default, and decodes a missing one as the default', () => {
    expect(hexOf(fields, { plain: 1, second: '', first: -1 }, COMPACT)).toBe('01' + NO_TAGS);
    expect(decodeHex(fields, '01' + NO_TAGS, COMPACT)).toEqual({ plain: 1, second: '', first: -1 });
  });

  it('skips a tag it does not know', () => {
    expect(
      decodeHex(fields, '01' + '02' + '09' + '03' + 'aabbcc' + '02' + '04' + '00000007', COMPACT),
    ).toEqual({
      plain: 1,
      second: '',
      first: 7,
    });
  });

  it('refuses a known tagged field whose size does not match its value', () => {
    expect(() => decodeHex(fields, '01' + '01' + '02' + '05' + '0000000700', COMPACT)).toThrow(
      'tagged field first has a wrong size',
    );
  });
});
