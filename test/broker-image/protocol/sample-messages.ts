import type { FieldSpec, Fields } from '../../../broker-image/src/protocol/schema/fields.js';
import { inRange } from '../../../broker-image/src/protocol/schema/version-range.js';

/**
 * Sample messages generated from an API's own field declarations, for round-trip tests: every
 * field on the wire in a version gets a value that is not its default, so a field the encoder
 * drops or the decoder misreads cannot go unnoticed.
 */

/** A seeded source of numbers in [0, 1) (mulberry32), so every sample is reproducible. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = state;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 0x1_0000_0000;
  };
}

/** A seed from a label, so each (API, version, direction) draws its own sequence. */
export function seedOf(label: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < label.length; i++) hash = Math.imul(hash ^ label.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

export interface SampleOptions {
  readonly version: number;
  /** Whether the version is flexible (compact encodings, tagged fields). */
  readonly flexible: boolean;
  /** Chance that a field nullable in this version is null. */
  readonly nullChance: number;
  /** Chance that a tagged field is left at its default, and so is not sent. */
  readonly unsentTagChance: number;
}

export interface Sample {
  /** What the encoder is given: a value for every declared field, also those absent from the version. */
  readonly input: Record<string, unknown>;
  /** What decoding must give back: fields not on the wire in the version at their defaults. */
  readonly expected: Record<string, unknown>;
}

interface Context extends SampleOptions {
  readonly random: () => number;
}

interface Value {
  readonly input: unknown;
  readonly expected: unknown;
}

export function sampleMessage(fields: Fields, random: () => number, options: SampleOptions): Sample {
  return sampleStruct(fields, { ...options, random });
}

/** The value a field decodes to when it is not on the wire (as Kafka's generated code defines it). */
export function defaultOf(spec: FieldSpec): unknown {
  if (spec.defaultValue !== undefined) return spec.defaultValue;
  switch (spec.kind) {
    case 'bool':
      return false;
    case 'string':
      return '';
    case 'bytes':
      return Buffer.alloc(0);
    case 'records':
      return null;
    case 'uuid':
      return Buffer.alloc(16);
    case 'array':
      return [];
    case 'struct':
      return Object.fromEntries(Object.entries(spec.fields!).map(([name, f]) => [name, defaultOf(f)]));
    default:
      return 0;
  }
}

/** Whether the field is written in this version (a tagged field only in flexible versions). */
function onWire(spec: FieldSpec, ctx: Context): boolean {
  if (!inRange(spec.versions, ctx.version)) return false;
  return !isTaggedIn(spec, ctx.version) || ctx.flexible;
}

function isTaggedIn(spec: FieldSpec, version: number): boolean {
  return spec.tag !== undefined && inRange(spec.taggedVersions, version);
}

function sampleStruct(fields: Fields, ctx: Context): Sample {
  const input: Record<string, unknown> = {};
  const expected: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(fields)) {
    if (!onWire(spec, ctx)) {
      // Given anyway: the encoder must leave it out, and the decoder give the default back.
      input[name] = sampleValue(spec, ctx).input;
      expected[name] = defaultOf(spec);
      continue;
    }
    if (isTaggedIn(spec, ctx.version) && ctx.random() < ctx.unsentTagChance) {
      // Left out, or given its default explicitly: either way the encoder must not send it.
      if (ctx.random() < 0.5) input[name] = defaultOf(spec);
      expected[name] = defaultOf(spec);
      continue;
    }
    const nullable = inRange(spec.nullableVersions, ctx.version);
    // A tagged field whose default is null would not be sent when null; keep tagged fields sent.
    const nullSendable = !isTaggedIn(spec, ctx.version) || defaultOf(spec) !== null;
    if (nullable && nullSendable && ctx.random() < ctx.nullChance) {
      input[name] = null;
      expected[name] = null;
      continue;
    }
    const value = sampleValue(spec, ctx);
    input[name] = value.input;
    expected[name] = value.expected;
  }
  return { input, expected };
}

const INTEGER_RANGES = {
  int8: [-0x80, 0x7f],
  int16: [-0x8000, 0x7fff],
  uint16: [0, 0xffff],
  int32: [-0x8000_0000, 0x7fff_ffff],
  uint32: [0, 0xffff_ffff],
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
} as const;

/** A non-null value of the field's kind that differs from its default. */
function sampleValue(spec: FieldSpec, ctx: Context): Value {
  const same = (v: unknown): Value => ({ input: v, expected: v });
  const fallback = defaultOf(spec);
  switch (spec.kind) {
    case 'int8':
    case 'int16':
    case 'uint16':
    case 'int32':
    case 'uint32':
    case 'int64':
      return same(integerOtherThan(fallback, INTEGER_RANGES[spec.kind], ctx.random));
    case 'float64':
      return same((ctx.random() - 0.5) * 2 ** 40);
    case 'bool':
      return same(fallback !== true);
    case 'string':
      return same(sampleString(ctx.random));
    case 'uuid': {
      const id = randomBytes(16, ctx.random);
      id[0] = 1 + (id[0]! % 255);
      return same(id);
    }
    case 'bytes':
    case 'records':
      return sampleBytes(spec, ctx);
    case 'struct':
      return sampleStruct(spec.fields!, ctx);
    case 'array': {
      const length = 1 + Math.floor(ctx.random() * 3);
      const items = Array.from({ length }, () =>
        spec.fields ? sampleStruct(spec.fields, ctx) : sampleValue(spec.element!, ctx),
      );
      return { input: items.map((i) => i.input), expected: items.map((i) => i.expected) };
    }
  }
}

function integerOtherThan(
  avoid: unknown,
  [min, max]: readonly [number, number],
  random: () => number,
): number {
  // Edge values now and then: the limits of the type, zero and -1.
  const candidates = random() < 0.1 ? [min, max, 0, -1].filter((c) => c >= min) : [];
  for (const candidate of candidates) if (candidate !== avoid) return candidate;
  for (;;) {
    const value = max - min < 2 ** 32 ? min + Math.floor(random() * (max - min + 1)) : wideInteger(random);
    if (value !== avoid) return value;
  }
}

/** A safe integer with all 53 bits drawn (one draw gives only 32). */
function wideInteger(random: () => number): number {
  const high = Math.floor(random() * 2 ** 22) - 2 ** 21;
  const low = Math.floor(random() * 2 ** 32);
  return high * 2 ** 32 + low;
}

/** One- to four-byte UTF-8 characters, so byte lengths and character counts differ. */
const ALPHABET = ['a', 'Z', '7', '-', '.', '_', ' ', 'é', 'ß', 'Ж', 'λ', '日', '本', '€', '🚀', '𝄞'];

function sampleString(random: () => number): string {
  const length = 1 + Math.floor(random() * 12);
  let s = '';
  for (let i = 0; i < length; i++) s += ALPHABET[Math.floor(random() * ALPHABET.length)];
  return s;
}

function randomBytes(length: number, random: () => number): Buffer {
  const b = Buffer.alloc(length);
  for (let i = 0; i < length; i++) b[i] = Math.floor(random() * 256);
  return b;
}

function sampleBytes(spec: FieldSpec, ctx: Context): Value {
  // Record sets are sometimes large enough for the writer to pass them through by reference.
  const large = spec.kind === 'records' && ctx.random() < 0.3;
  const bytes = randomBytes(
    large ? 1500 + Math.floor(ctx.random() * 600) : 1 + Math.floor(ctx.random() * 16),
    ctx.random,
  );
  // The encoder also takes a payload as a list of chunks, written back to back.
  if (ctx.random() < 0.25) {
    const cut = Math.floor(ctx.random() * bytes.length);
    return { input: [bytes.subarray(0, cut), bytes.subarray(cut)], expected: bytes };
  }
  return { input: bytes, expected: bytes };
}
