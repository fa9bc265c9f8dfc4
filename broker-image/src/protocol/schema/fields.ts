import { ALL_VERSIONS, NO_VERSIONS, parseVersionRange, type VersionRange } from './version-range.js';

/**
 * The field declarations every API is written in. A message is an ordered record of fields;
 * each field says in which versions it exists, in which it may be null and, for tagged fields,
 * its tag. The TypeScript type of a decoded message is inferred from its declaration.
 */

export type Kind =
  | 'int8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'float64'
  | 'bool'
  | 'string'
  | 'bytes'
  | 'records'
  | 'uuid'
  | 'array'
  | 'struct';

export interface FieldOptions {
  /** Versions the field exists in, e.g. "3+". Default: every version. */
  readonly v?: string;
  /** Versions in which the value may be null. */
  readonly nullable?: string;
  /** Tag, for a tagged field (flexible versions only). */
  readonly tag?: number;
  /** Versions in which the field is sent as a tagged field. Default: those in `v`. */
  readonly tagged?: string;
  /** Value when absent from a version, or when a tagged field is not sent. */
  readonly default?: unknown;
}

export interface FieldSpec {
  readonly kind: Kind;
  readonly versions: VersionRange;
  readonly nullableVersions: VersionRange;
  readonly tag: number | undefined;
  readonly taggedVersions: VersionRange;
  readonly defaultValue: unknown;
  /** The element of an array field. */
  readonly element?: FieldSpec;
  /** The fields of a struct, or of each element of an array of structs. */
  readonly fields?: Fields;
}

/**
 * A field with its TypeScript value type `T`. `Required` is true when the field exists in every
 * version and has no default, so code that builds the message must always supply it.
 */
export interface Field<T, Required extends boolean = boolean> extends FieldSpec {
  readonly __type?: T;
  readonly __required?: Required;
}

export type Fields = { readonly [name: string]: Field<unknown> };

type ValueOf<F> = F extends Field<infer T> ? T : never;
type IsRequired<F> = F extends Field<unknown, infer R> ? R : false;

/** The decoded form of a message: every field present (absent versions give the default). */
export type Decoded<F extends Fields> = { -readonly [K in keyof F]: ValueOf<F[K]> };

type RequiredKeys<F extends Fields> = { [K in keyof F]: IsRequired<F[K]> extends true ? K : never }[keyof F];

/** What code passes to the encoder: required fields must be given; the rest default. */
export type Encodable<F extends Fields> = { [K in RequiredKeys<F>]: EncodableValue<F[K]> } & {
  [K in Exclude<keyof F, RequiredKeys<F>>]?: EncodableValue<F[K]>;
};

type EncodableValue<F> =
  F extends Field<infer T>
    ? T extends (infer E)[]
      ? EncodableElements<F, E>[]
      : T extends (infer E)[] | null
        ? EncodableElements<F, E>[] | null
        : T extends Buffer | null
          ? T | Buffer[]
          : T extends object | null
            ? F extends StructField<infer S>
              ? Encodable<S> | Extract<T, null>
              : T
            : T
    : never;

type EncodableElements<F, E> = F extends StructField<infer S> ? Encodable<S> : E;

/** Brand carried by struct and array-of-struct fields, naming their element's fields. */
interface StructField<S extends Fields> {
  readonly __struct?: S;
}

type HasDefault<O> = O extends { v: string }
  ? true
  : O extends { default: unknown }
    ? true
    : O extends { tag: number }
      ? true
      : false;
type Req<O> = HasDefault<O> extends true ? false : true;
type Nullable<O, T> = O extends { nullable: string } ? T | null : T;

function spec(kind: Kind, options: FieldOptions | undefined, extra: Partial<FieldSpec> = {}): FieldSpec {
  const versions = options?.v ? parseVersionRange(options.v) : ALL_VERSIONS;
  return {
    kind,
    versions,
    nullableVersions: options?.nullable ? parseVersionRange(options.nullable) : NO_VERSIONS,
    tag: options?.tag,
    taggedVersions:
      options?.tag === undefined
        ? NO_VERSIONS
        : options.tagged
          ? parseVersionRange(options.tagged)
          : versions,
    defaultValue: options?.default,
    ...extra,
  };
}

function scalar<T>(kind: Kind) {
  return <O extends FieldOptions>(options?: O) => spec(kind, options) as Field<Nullable<O, T>, Req<O>>;
}

export const t = {
  int8: scalar<number>('int8'),
  int16: scalar<number>('int16'),
  uint16: scalar<number>('uint16'),
  int32: scalar<number>('int32'),
  uint32: scalar<number>('uint32'),
  /** Kafka's int64, as a number (exact below 2^53). */
  int64: scalar<number>('int64'),
  float64: scalar<number>('float64'),
  bool: scalar<boolean>('bool'),
  string: scalar<string>('string'),
  bytes: scalar<Buffer>('bytes'),
  /** A record set: concatenated RecordBatches, kept as raw bytes. Always nullable. */
  records: <O extends FieldOptions>(options?: O) =>
    spec('records', { nullable: '0+', ...options }) as Field<Buffer | null, Req<O>>,
  /** Kafka's UUID, as its 16 raw bytes. */
  uuid: scalar<Buffer>('uuid'),
  /** An array of structs. */
  array: <S extends Fields, O extends FieldOptions>(fields: S, options?: O) =>
    spec('array', options, { fields }) as Field<Nullable<O, Decoded<S>[]>, Req<O>> & StructField<S>,
  /** An array of scalars, e.g. `t.arrayOf(t.int32())`. */
  arrayOf: <T, O extends FieldOptions>(element: Field<T>, options?: O) =>
    spec('array', options, { element }) as Field<Nullable<O, T[]>, Req<O>>,
  /** A single nested struct. */
  struct: <S extends Fields, O extends FieldOptions>(fields: S, options?: O) =>
    spec('struct', options, { fields }) as Field<Nullable<O, Decoded<S>>, Req<O>> & StructField<S>,
};
