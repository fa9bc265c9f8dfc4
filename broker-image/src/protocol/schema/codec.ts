import { ProtocolError } from '../primitives/protocol-error.js';
import type { Reader } from '../primitives/reader.js';
import { Writer } from '../primitives/writer.js';
import type { Decoded, Encodable, FieldSpec, Fields } from './fields.js';
import { inRange } from './version-range.js';

/**
 * The one codec engine behind every API: given a message's field declarations and a version,
 * it builds (once, then caches) a plan of what is on the wire in that version and interprets it.
 */

interface FieldPlan {
  readonly name: string;
  readonly spec: FieldSpec;
  readonly nullable: boolean;
  /** Plan of the struct, or of each struct element of an array. */
  readonly struct?: StructPlan;
  readonly elementSpec?: FieldSpec;
}

interface StructPlan {
  /** Every declared field in declaration order, for building complete objects. */
  readonly all: readonly { name: string; spec: FieldSpec; struct?: StructPlan }[];
  /** Untagged fields on the wire in this version, in order. */
  readonly untagged: readonly FieldPlan[];
  /** Tagged fields of this version, by ascending tag. */
  readonly tagged: readonly (FieldPlan & { tag: number })[];
  readonly flexible: boolean;
}

const planCache = new WeakMap<Fields, Map<number, StructPlan>>();

function planFor(fields: Fields, version: number, flexible: boolean): StructPlan {
  let byVersion = planCache.get(fields);
  if (!byVersion) {
    byVersion = new Map();
    planCache.set(fields, byVersion);
  }
  const key = flexible ? version + 0x10000 : version;
  let plan = byVersion.get(key);
  if (!plan) {
    plan = buildPlan(fields, version, flexible);
    byVersion.set(key, plan);
  }
  return plan;
}

function buildPlan(fields: Fields, version: number, flexible: boolean): StructPlan {
  const all: { name: string; spec: FieldSpec; struct?: StructPlan }[] = [];
  const untagged: FieldPlan[] = [];
  const tagged: (FieldPlan & { tag: number })[] = [];
  for (const [name, spec] of Object.entries(fields)) {
    const struct = spec.fields ? planFor(spec.fields, version, flexible) : undefined;
    all.push({ name, spec, struct });
    if (!inRange(spec.versions, version)) continue;
    const plan: FieldPlan = {
      name,
      spec,
      nullable: inRange(spec.nullableVersions, version),
      struct,
      elementSpec: spec.element,
    };
    if (spec.tag !== undefined && inRange(spec.taggedVersions, version)) {
      if (flexible) tagged.push({ ...plan, tag: spec.tag });
    } else {
      untagged.push(plan);
    }
  }
  tagged.sort((a, b) => a.tag - b.tag);
  return { all, untagged, tagged, flexible };
}

export function defaultValue(spec: FieldSpec, struct?: StructPlan): unknown {
  if (spec.defaultValue !== undefined) {
    const d = spec.defaultValue;
    return Array.isArray(d) ? [...d] : d;
  }
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
      return struct ? defaultStruct(struct) : {};
    default:
      return 0;
  }
}

function defaultStruct(plan: StructPlan): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of plan.all) out[f.name] = defaultValue(f.spec, f.struct);
  return out;
}

// ---------------------------------------------------------------------------------------------
// decoding

export function decodeMessage<F extends Fields>(
  fields: F,
  reader: Reader,
  version: number,
  flexible: boolean,
): Decoded<F> {
  return decodeStruct(reader, planFor(fields, version, flexible)) as Decoded<F>;
}

function decodeStruct(r: Reader, plan: StructPlan): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of plan.all) out[f.name] = undefined;
  for (const f of plan.untagged) out[f.name] = decodeValue(r, f, f.spec, plan.flexible);
  if (plan.flexible) {
    const count = r.unsignedVarint();
    for (let i = 0; i < count; i++) {
      const tag = r.unsignedVarint();
      const size = r.unsignedVarint();
      const known = plan.tagged.find((f) => f.tag === tag);
      if (!known) {
        r.skip(size);
        continue;
      }
      const end = r.offset + size;
      out[known.name] = decodeValue(r, known, known.spec, true);
      if (r.offset !== end) throw new ProtocolError(`tagged field ${known.name} has a wrong size`);
    }
  }
  for (const f of plan.all) if (out[f.name] === undefined) out[f.name] = defaultValue(f.spec, f.struct);
  return out;
}

function nullCheck(plan: FieldPlan, what: string): null {
  if (!plan.nullable) throw new ProtocolError(`${plan.name}: null ${what} where the version allows none`);
  return null;
}

function decodeValue(r: Reader, plan: FieldPlan, spec: FieldSpec, flexible: boolean): unknown {
  switch (spec.kind) {
    case 'int8':
      return r.int8();
    case 'int16':
      return r.int16();
    case 'uint16':
      return r.uint16();
    case 'int32':
      return r.int32();
    case 'uint32':
      return r.uint32();
    case 'int64':
      return r.int64();
    case 'float64':
      return r.float64();
    case 'bool':
      return r.bool();
    case 'uuid':
      return r.uuid();
    case 'string': {
      const length = flexible ? r.unsignedVarint() - 1 : r.int16();
      if (length < 0) return nullCheck(plan, 'string');
      return r.utf8Of(length);
    }
    case 'bytes':
    case 'records': {
      const length = flexible ? r.unsignedVarint() - 1 : r.int32();
      if (length < 0) return nullCheck(plan, 'bytes');
      return r.bytesOf(length);
    }
    case 'struct': {
      if (plan.nullable && r.int8() < 0) return null;
      return decodeStruct(r, plan.struct!);
    }
    case 'array': {
      const length = flexible ? r.unsignedVarint() - 1 : r.int32();
      if (length < 0) return nullCheck(plan, 'array');
      // Each element takes at least one byte; refuse counts the frame cannot hold.
      if (length > r.remaining) throw new ProtocolError(`${plan.name}: array of ${length} exceeds the frame`);
      const items = new Array<unknown>(length);
      if (plan.struct) {
        for (let i = 0; i < length; i++) items[i] = decodeStruct(r, plan.struct);
      } else {
        const element = plan.elementSpec!;
        const elementPlan: FieldPlan = { name: plan.name, spec: element, nullable: false };
        for (let i = 0; i < length; i++) items[i] = decodeValue(r, elementPlan, element, flexible);
      }
      return items;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// encoding

export function encodeMessage<F extends Fields>(
  fields: F,
  value: Encodable<F>,
  writer: Writer,
  version: number,
  flexible: boolean,
): void {
  encodeStruct(writer, planFor(fields, version, flexible), value as Record<string, unknown>);
}

function encodeStruct(w: Writer, plan: StructPlan, value: Record<string, unknown>): void {
  for (const f of plan.untagged) encodeValue(w, f, f.spec, valueOrDefault(value, f), plan.flexible);
  if (!plan.flexible) return;
  const present = plan.tagged.filter((f) => {
    const v = value[f.name];
    return v !== undefined && !isDefault(v, f);
  });
  w.unsignedVarint(present.length);
  for (const f of present) {
    const body = new Writer(64);
    encodeValue(body, f, f.spec, value[f.name], true);
    const bytes = body.toBuffer();
    w.unsignedVarint(f.tag);
    w.unsignedVarint(bytes.length);
    w.raw(bytes);
  }
}

function valueOrDefault(value: Record<string, unknown>, f: FieldPlan): unknown {
  const v = value[f.name];
  return v === undefined ? defaultValue(f.spec, f.struct) : v;
}

function isDefault(v: unknown, f: FieldPlan): boolean {
  return sameValue(v, defaultValue(f.spec, f.struct));
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  // Byte fields may be given as a list of chunks.
  if (Array.isArray(a) && Buffer.isBuffer(b)) return a.every(Buffer.isBuffer) && Buffer.concat(a).equals(b);
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return a.equals(b);
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const keys = Object.keys(b);
    return keys.every((k) => sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
  }
  return false;
}

function encodeNull(w: Writer, plan: FieldPlan, flexible: boolean, kind: string): void {
  if (!plan.nullable) throw new ProtocolError(`${plan.name}: null ${kind} where the version allows none`);
  if (kind === 'string') {
    if (flexible) w.unsignedVarint(0);
    else w.int16(-1);
  } else if (flexible) w.unsignedVarint(0);
  else w.int32(-1);
}

function encodeValue(w: Writer, plan: FieldPlan, spec: FieldSpec, v: unknown, flexible: boolean): void {
  switch (spec.kind) {
    case 'int8':
      w.int8(v as number);
      return;
    case 'int16':
      w.int16(v as number);
      return;
    case 'uint16':
      w.uint16(v as number);
      return;
    case 'int32':
      w.int32(v as number);
      return;
    case 'uint32':
      w.uint32(v as number);
      return;
    case 'int64':
      w.int64(v as number);
      return;
    case 'float64':
      w.float64(v as number);
      return;
    case 'bool':
      w.bool(v as boolean);
      return;
    case 'uuid': {
      const b = v as Buffer;
      if (b.length !== 16) throw new ProtocolError(`${plan.name}: a UUID has 16 bytes`);
      w.raw(b);
      return;
    }
    case 'string': {
      if (v === null) return encodeNull(w, plan, flexible, 'string');
      const s = v as string;
      const length = Buffer.byteLength(s, 'utf8');
      if (flexible) w.unsignedVarint(length + 1);
      else {
        if (length > 0x7fff) throw new ProtocolError(`${plan.name}: string longer than 32767 bytes`);
        w.int16(length);
      }
      w.utf8(s, length);
      return;
    }
    case 'bytes':
    case 'records': {
      if (v === null) return encodeNull(w, plan, flexible, 'bytes');
      if (Array.isArray(v)) {
        const parts = v as Buffer[];
        let length = 0;
        for (const p of parts) length += p.length;
        if (flexible) w.unsignedVarint(length + 1);
        else w.int32(length);
        for (const p of parts) w.raw(p);
        return;
      }
      const b = v as Buffer;
      if (flexible) w.unsignedVarint(b.length + 1);
      else w.int32(b.length);
      w.raw(b);
      return;
    }
    case 'struct': {
      if (plan.nullable) {
        if (v === null) {
          w.int8(-1);
          return;
        }
        w.int8(1);
      }
      encodeStruct(w, plan.struct!, v as Record<string, unknown>);
      return;
    }
    case 'array': {
      if (v === null) return encodeNull(w, plan, flexible, 'array');
      const items = v as unknown[];
      if (flexible) w.unsignedVarint(items.length + 1);
      else w.int32(items.length);
      if (plan.struct) {
        for (const item of items) encodeStruct(w, plan.struct, item as Record<string, unknown>);
      } else {
        const element = plan.elementSpec!;
        const elementPlan: FieldPlan = { name: plan.name, spec: element, nullable: false };
        for (const item of items) encodeValue(w, elementPlan, element, item, flexible);
      }
      return;
    }
  }
}
