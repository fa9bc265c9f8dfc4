import { beforeAll, describe, expect, it } from 'vitest';
import { Fetch } from '../../../broker-image/src/protocol/messages/fetch.js';
import { API_LIST } from '../../../broker-image/src/protocol/registry.js';
import { isFlexible, type ApiDefinition } from '../../../broker-image/src/protocol/schema/api.js';
import { defaultValue } from '../../../broker-image/src/protocol/schema/codec.js';
import { t, type FieldSpec, type Fields } from '../../../broker-image/src/protocol/schema/fields.js';
import { inRange, parseVersionRange } from '../../../broker-image/src/protocol/schema/version-range.js';
import { KAFKA_VERSION } from '../../support/kafka-jars.js';
import {
  KAFKA_PRIMITIVE_TYPES,
  kafkaMessageDefinitions,
  type KafkaFieldDefinition,
  type KafkaMessageDefinition,
} from '../../support/kafka-message-definitions.js';

/**
 * Every API Strata declares (the registry ApiVersions is built from) against Apache Kafka's own
 * message definitions, for each version Strata serves: the versions lie within Kafka's
 * validVersions and are flexible where Kafka's are; each field Kafka defines in a version is
 * declared, and no other, in the same order, with the same type, versions, nullable versions,
 * tagged versions and tag, default and nested fields.
 *
 * A difference reads `<Api> <request|response> <field path>: <aspect> (<what each side says>)`.
 * Those Strata makes on purpose are listed, each in full, in DELIBERATE with the reason.
 */

const DELIBERATE: Readonly<Record<string, string>> = {
  "Produce request (message): versions (0-2 served, outside Kafka's validVersions 3-13)":
    'v0-2 are advertised and refused, as Kafka does outside validVersions for old librdkafka (KAFKA-18659)',
  "Produce response (message): versions (0-2 served, outside Kafka's validVersions 3-13)":
    'as for the request: v0-2 are answered only with UNSUPPORTED_VERSION',
};

type Direction = 'request' | 'response';

interface Difference {
  readonly key: string;
  readonly detail: string;
}

/** "4-7, 9" for [4, 5, 6, 7, 9]; "none" for []. */
function formatVersions(versions: readonly number[]): string {
  if (versions.length === 0) return 'none';
  const parts: string[] = [];
  let start = versions[0]!;
  let prev = start;
  for (const v of [...versions.slice(1), Number.NaN]) {
    if (v === prev + 1) {
      prev = v;
      continue;
    }
    parts.push(start === prev ? `${start}` : `${start}-${prev}`);
    start = v;
    prev = v;
  }
  return parts.join(', ');
}

function sameVersions(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** Kafka's PascalCase field names, as Strata writes them. */
function strataName(kafkaName: string): string {
  return kafkaName.charAt(0).toLowerCase() + kafkaName.slice(1);
}

function inKafkaRange(spec: string | undefined, version: number): boolean {
  return spec !== undefined && inRange(parseVersionRange(spec), version);
}

/** The type as both sides can name it: a primitive, "struct", "[]<primitive>" or "[]struct". */
function kafkaType(field: KafkaFieldDefinition): string {
  const array = field.type.startsWith('[]');
  const element = array ? field.type.slice(2) : field.type;
  const name = KAFKA_PRIMITIVE_TYPES.has(element) ? element : 'struct';
  return array ? `[]${name}` : name;
}

function strataType(spec: FieldSpec): string {
  if (spec.kind !== 'array') return spec.kind;
  return spec.element ? `[]${strataType(spec.element)}` : '[]struct';
}

/** The value Kafka gives a field it does not read from the wire (absent version, tag not sent). */
function kafkaDefault(field: KafkaFieldDefinition): unknown {
  const type = kafkaType(field);
  const given = field.default;
  if (given === 'null') return null;
  if (type.startsWith('[]')) return [];
  switch (type) {
    case 'bool':
      return given === undefined ? false : given === true || given === 'true';
    case 'string':
      return given === undefined ? '' : String(given);
    case 'bytes':
      return Buffer.alloc(0);
    case 'uuid':
      return Buffer.alloc(16);
    case 'records':
      return null;
    default: {
      if (given === undefined) return 0;
      const text = String(given).trim();
      const negative = text.startsWith('-');
      const magnitude = Number(negative ? text.slice(1) : text);
      return negative ? -magnitude : magnitude;
    }
  }
}

function sameDefault(a: unknown, b: unknown): boolean {
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return a.equals(b);
  if (Array.isArray(a) && Array.isArray(b)) return a.length === 0 && b.length === 0;
  return a === b;
}

function formatValue(value: unknown): string {
  if (Buffer.isBuffer(value)) return `<${value.length} bytes>`;
  return JSON.stringify(value);
}

class Comparison {
  readonly differences: Difference[] = [];

  constructor(
    private readonly api: ApiDefinition,
    private readonly direction: Direction,
    private readonly kafka: KafkaMessageDefinition,
  ) {}

  private differ(path: string, aspect: string, detail: string): void {
    this.differences.push({
      key: `${this.api.name} ${this.direction} ${path}: ${aspect}`,
      detail,
    });
  }

  private kafkaFlexible(version: number): boolean {
    return inKafkaRange(this.kafka.flexibleVersions, version);
  }

  compareMessage(served: readonly number[], fields: Fields): void {
    const valid = parseVersionRange(this.kafka.validVersions);
    const outside = served.filter((v) => !inRange(valid, v));
    if (outside.length > 0) {
      this.differ(
        '(message)',
        'versions',
        `${formatVersions(outside)} served, outside Kafka's validVersions ${this.kafka.validVersions}`,
      );
    }
    if (this.kafka.latestVersionUnstable === true && served.includes(valid.max)) {
      this.differ('(message)', 'unstable', `Strata serves v${valid.max}, which Kafka marks unstable`);
    }
    const strataFlexible = served.filter((v) => isFlexible(this.api, v));
    const kafkaFlexible = served.filter((v) => this.kafkaFlexible(v));
    if (!sameVersions(strataFlexible, kafkaFlexible)) {
      this.differ(
        '(message)',
        'flexibleVersions',
        `Kafka flexible in ${formatVersions(kafkaFlexible)}, Strata in ${formatVersions(strataFlexible)}`,
      );
    }
    this.compareFields('', fields, this.kafka.fields, served);
  }

  /** Compares the fields of one struct, in the versions (of those served) the struct exists in. */
  private compareFields(
    prefix: string,
    strata: Fields,
    kafka: readonly KafkaFieldDefinition[],
    context: readonly number[],
  ): void {
    const kafkaByName = new Map(kafka.map((f) => [strataName(f.name), f]));
    const names = [...kafkaByName.keys(), ...Object.keys(strata).filter((n) => !kafkaByName.has(n))];
    for (const name of names) {
      const path = prefix + name;
      const k = kafkaByName.get(name);
      const s = Object.hasOwn(strata, name) ? strata[name] : undefined;
      const kVersions = k ? context.filter((v) => inKafkaRange(k.versions, v)) : [];
      const sVersions = s ? context.filter((v) => inRange(s.versions, v)) : [];
      if (!k) {
        if (sVersions.length > 0)
          this.differ(path, 'extra', `not in Kafka; Strata has it in ${formatVersions(sVersions)}`);
        continue;
      }
      if (!s) {
        if (kVersions.length > 0)
          this.differ(path, 'missing', `Kafka has it in ${formatVersions(kVersions)}`);
        continue;
      }
      this.compareField(path, s, k, kVersions, sVersions);
    }
    this.compareOrder(prefix, strata, kafka, context);
  }

  private compareField(
    path: string,
    s: FieldSpec,
    k: KafkaFieldDefinition,
    kVersions: readonly number[],
    sVersions: readonly number[],
  ): void {
    if (!sameVersions(kVersions, sVersions)) {
      this.differ(
        path,
        'versions',
        `Kafka ${formatVersions(kVersions)}, Strata ${formatVersions(sVersions)}`,
      );
    }
    const both = kVersions.filter((v) => sVersions.includes(v));
    if (both.length === 0) return;
    if (k.flexibleVersions !== undefined) {
      this.differ(path, 'flexibleVersions', `Kafka overrides them for the field: ${k.flexibleVersions}`);
    }
    const kType = kafkaType(k);
    const sType = strataType(s);
    if (kType !== sType) this.differ(path, 'type', `Kafka ${k.type}, Strata ${sType}`);

    const kNullable = both.filter((v) => inKafkaRange(k.nullableVersions, v));
    const sNullable = both.filter((v) => inRange(s.nullableVersions, v));
    if (!sameVersions(kNullable, sNullable)) {
      this.differ(
        path,
        'nullable',
        `Kafka nullable in ${formatVersions(kNullable)}, Strata in ${formatVersions(sNullable)}`,
      );
    }

    const kTagged = both.filter((v) => this.kafkaFlexible(v) && inKafkaRange(k.taggedVersions, v));
    const sTagged = both.filter(
      (v) => isFlexible(this.api, v) && s.tag !== undefined && inRange(s.taggedVersions, v),
    );
    if (!sameVersions(kTagged, sTagged)) {
      this.differ(
        path,
        'tagged',
        `Kafka tagged in ${formatVersions(kTagged)}, Strata in ${formatVersions(sTagged)}`,
      );
    } else if (kTagged.length > 0 && k.tag !== s.tag) {
      this.differ(path, 'tag', `Kafka tag ${k.tag}, Strata tag ${s.tag}`);
    }

    if (kType !== 'struct' && kType === sType) {
      const kDefault = kafkaDefault(k);
      const sDefault = defaultValue(s);
      if (!sameDefault(kDefault, sDefault)) {
        this.differ(path, 'default', `Kafka ${formatValue(kDefault)}, Strata ${formatValue(sDefault)}`);
      }
    }

    const kFields = k.fields;
    const sFields = s.fields;
    if (kFields && sFields) {
      this.compareFields(`${path}${sType.startsWith('[]') ? '[]' : ''}.`, sFields, kFields, both);
    } else if (kFields && !KAFKA_PRIMITIVE_TYPES.has(k.type.replace(/^\[\]/, ''))) {
      this.differ(path, 'type', `Kafka ${k.type} has fields, Strata declares none`);
    }
  }

  /** Untagged fields are on the wire in declaration order: the order must be Kafka's. */
  private compareOrder(
    prefix: string,
    strata: Fields,
    kafka: readonly KafkaFieldDefinition[],
    context: readonly number[],
  ): void {
    const mismatched = new Map<string, number[]>();
    for (const v of context) {
      const kOrder = kafka
        .filter(
          (f) => inKafkaRange(f.versions, v) && !(this.kafkaFlexible(v) && inKafkaRange(f.taggedVersions, v)),
        )
        .map((f) => strataName(f.name));
      const sOrder = Object.entries(strata)
        .filter(
          ([, f]) =>
            inRange(f.versions, v) &&
            !(isFlexible(this.api, v) && f.tag !== undefined && inRange(f.taggedVersions, v)),
        )
        .map(([name]) => name);
      const common = new Set(kOrder.filter((n) => sOrder.includes(n)));
      const kCommon = kOrder.filter((n) => common.has(n));
      const sCommon = sOrder.filter((n) => common.has(n));
      if (kCommon.join() !== sCommon.join()) {
        const detail = `Kafka ${kCommon.join(', ')}; Strata ${sCommon.join(', ')}`;
        mismatched.set(detail, [...(mismatched.get(detail) ?? []), v]);
      }
    }
    for (const [detail, versions] of mismatched) {
      this.differ(
        prefix === '' ? '(message)' : prefix.slice(0, -1),
        'order',
        `in ${formatVersions(versions)}: ${detail}`,
      );
    }
  }
}

function describeDifference(d: Difference): string {
  return `${d.key} (${d.detail})`;
}

function differencesOf(api: ApiDefinition, definitions: readonly KafkaMessageDefinition[]): Difference[] {
  const served = Array.from({ length: api.maxVersion - api.minVersion + 1 }, (_, i) => api.minVersion + i);
  const out: Difference[] = [];
  for (const direction of ['request', 'response'] as const) {
    const kafka = definitions.find((m) => m.apiKey === api.apiKey && m.type === direction);
    const expectedName = `${api.name}${direction === 'request' ? 'Request' : 'Response'}`;
    if (!kafka) {
      out.push({
        key: `${api.name} ${direction} (message): missing`,
        detail: `Kafka has no ${expectedName}`,
      });
      continue;
    }
    if (kafka.name !== expectedName) {
      out.push({
        key: `${api.name} ${direction} (message): name`,
        detail: `API key ${api.apiKey} is Kafka's ${kafka.name}`,
      });
    }
    const comparison = new Comparison(api, direction, kafka);
    comparison.compareMessage(served, api[direction]);
    out.push(...comparison.differences);
  }
  return out;
}

describe(`API declarations against Kafka ${KAFKA_VERSION}'s message definitions`, () => {
  let definitions: KafkaMessageDefinition[];
  beforeAll(async () => {
    definitions = await kafkaMessageDefinitions();
  });

  it.each(API_LIST.map((api) => ({ api, title: `${api.name} (key ${api.apiKey})` })))(
    '$title matches, apart from its deliberate differences',
    ({ api }) => {
      const unexplained = differencesOf(api, definitions)
        .map(describeDifference)
        .filter((d) => !Object.hasOwn(DELIBERATE, d));
      expect(unexplained).toEqual([]);
    },
  );

  it('lists as deliberate only differences that are still there', () => {
    const found = new Set(API_LIST.flatMap((api) => differencesOf(api, definitions)).map(describeDifference));
    expect(Object.keys(DELIBERATE).filter((key) => !found.has(key))).toEqual([]);
  });
});

describe('the comparison with Kafka', () => {
  const { topics, ...rest } = Fetch.request;
  const topicFields = topics.fields!;
  const partitions = topicFields.partitions!.fields!;
  /** Fetch with its request's fields replaced. */
  const fetchWith = (request: Fields, changes: Partial<ApiDefinition> = {}): ApiDefinition => ({
    ...Fetch,
    ...changes,
    request,
  });
  const cases: { change: string; api: ApiDefinition; key: string }[] = [
    {
      change: 'a served version Kafka does not define',
      api: fetchWith(Fetch.request, { maxVersion: 19 }),
      key: 'Fetch request (message): versions',
    },
    {
      change: 'another first flexible version',
      api: fetchWith(Fetch.request, { flexibleFrom: 11 }),
      key: 'Fetch request (message): flexibleVersions',
    },
    {
      change: 'a field of another type',
      api: fetchWith({ ...Fetch.request, maxWaitMs: t.int64() }),
      key: 'Fetch request maxWaitMs: type',
    },
    {
      change: 'a field in other versions',
      api: fetchWith({ ...Fetch.request, maxBytes: t.int32({ v: '5+', default: 0x7fffffff }) }),
      key: 'Fetch request maxBytes: versions',
    },
    {
      change: 'a field nullable in other versions',
      api: fetchWith({ ...Fetch.request, rackId: t.string({ v: '11+', nullable: '11+' }) }),
      key: 'Fetch request rackId: nullable',
    },
    {
      change: 'a tagged field declared untagged',
      api: fetchWith({ ...Fetch.request, clusterId: t.string({ v: '12+', nullable: '12+', default: null }) }),
      key: 'Fetch request clusterId: tagged',
    },
    {
      change: 'another tag',
      api: fetchWith({
        ...Fetch.request,
        clusterId: t.string({ v: '12+', nullable: '12+', default: null, tag: 3 }),
      }),
      key: 'Fetch request clusterId: tag',
    },
    {
      change: 'another default',
      api: fetchWith({ ...Fetch.request, sessionEpoch: t.int32({ v: '7+', default: 0 }) }),
      key: 'Fetch request sessionEpoch: default',
    },
    {
      change: 'a field left out',
      api: fetchWith((({ minBytes: _minBytes, ...others }) => others)(Fetch.request)),
      key: 'Fetch request minBytes: missing',
    },
    {
      change: 'a field Kafka does not have',
      api: fetchWith({ ...Fetch.request, extraField: t.int32() }),
      key: 'Fetch request extraField: extra',
    },
    {
      change: 'fields in another order',
      api: fetchWith({ topics, ...rest }),
      key: 'Fetch request (message): order',
    },
    {
      change: 'a nested field of another type',
      api: fetchWith({
        ...Fetch.request,
        topics: t.array({ ...topicFields, partitions: t.array({ ...partitions, fetchOffset: t.int32() }) }),
      }),
      key: 'Fetch request topics[].partitions[].fetchOffset: type',
    },
  ];
  let definitions: KafkaMessageDefinition[];
  beforeAll(async () => {
    definitions = await kafkaMessageDefinitions();
  });

  it.each(cases)('finds $change', ({ api, key }) => {
    expect(differencesOf(api, definitions).map((d) => d.key)).toContain(key);
  });
});
