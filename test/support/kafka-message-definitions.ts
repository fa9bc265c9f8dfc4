/**
 * Apache Kafka's own message definitions: the JSON files (common/message/*.json) its code
 * generator reads, as shipped inside the kafka-clients jar that kafka-jars.ts resolves. Read with
 * `unzip` (scripts/install-system-deps.sh installs it).
 */
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { KAFKA_LIBS_DIR, KAFKA_VERSION, kafkaClasspath } from './kafka-jars.js';
import { runCommand } from './run-command.js';
import { tempDir } from './temp-dir.js';

/** One field of a message or struct, as Kafka's JSON writes it. */
export interface KafkaFieldDefinition {
  readonly name: string;
  /** A primitive ("int32", "string", "records"...), a struct's name, or "[]" and either. */
  readonly type: string;
  readonly versions: string;
  readonly nullableVersions?: string;
  readonly taggedVersions?: string;
  readonly tag?: number;
  /** As written: mostly a string ("-1", "null", "0x7fffffff", "true"). */
  readonly default?: string | number | boolean;
  /** A field-level override of the message's flexible versions (only the headers use one). */
  readonly flexibleVersions?: string;
  /** Of a struct or array of structs; filled in from commonStructs when the JSON names one. */
  readonly fields?: readonly KafkaFieldDefinition[];
}

export interface KafkaMessageDefinition {
  readonly apiKey?: number;
  /** "request", "response", "header", "data", "metadata", ... */
  readonly type: string;
  /** E.g. "FetchRequest". */
  readonly name: string;
  readonly validVersions: string;
  readonly flexibleVersions: string;
  readonly latestVersionUnstable?: boolean;
  readonly fields: readonly KafkaFieldDefinition[];
}

interface RawStruct {
  readonly name: string;
  readonly fields: readonly KafkaFieldDefinition[];
}

interface RawMessage extends KafkaMessageDefinition {
  readonly commonStructs?: readonly RawStruct[];
}

/** The primitive types of Kafka's message definitions; any other type names a struct. */
export const KAFKA_PRIMITIVE_TYPES: ReadonlySet<string> = new Set([
  'bool',
  'int8',
  'int16',
  'uint16',
  'int32',
  'uint32',
  'int64',
  'float64',
  'string',
  'bytes',
  'records',
  'uuid',
]);

/** Drops `//` comments (which Kafka's JSON files use freely), leaving string contents alone. */
export function stripJsonComments(text: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      out += c;
      if (c === '\\') out += text[++i] ?? '';
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
      out += c;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
    } else {
      out += c;
    }
  }
  return out;
}

/** Replaces references to a message's commonStructs by the struct's fields. */
function resolveCommonStructs(
  fields: readonly KafkaFieldDefinition[],
  common: ReadonlyMap<string, RawStruct>,
): KafkaFieldDefinition[] {
  return fields.map((field) => {
    const elementType = field.type.startsWith('[]') ? field.type.slice(2) : field.type;
    const nested = field.fields ?? common.get(elementType)?.fields;
    if (KAFKA_PRIMITIVE_TYPES.has(elementType) || !nested) return field;
    return { ...field, fields: resolveCommonStructs(nested, common) };
  });
}

let definitionsPromise: Promise<KafkaMessageDefinition[]> | undefined;

/** Every message definition in the kafka-clients jar of KAFKA_VERSION. */
export function kafkaMessageDefinitions(): Promise<KafkaMessageDefinition[]> {
  definitionsPromise ??= readDefinitions().catch((err: unknown) => {
    definitionsPromise = undefined;
    throw err;
  });
  return definitionsPromise;
}

async function readDefinitions(): Promise<KafkaMessageDefinition[]> {
  await kafkaClasspath();
  const jar = path.join(KAFKA_LIBS_DIR, `kafka-clients-${KAFKA_VERSION}.jar`);
  const dir = tempDir('strata-kafka-messages-');
  try {
    let result;
    try {
      result = await runCommand('unzip', ['-q', '-o', jar, 'common/message/*.json', '-d', dir.path]);
    } catch (err) {
      throw new Error(`kafka-message-definitions: cannot run unzip: ${String(err)}`, { cause: err });
    }
    if (result.code !== 0) {
      throw new Error(`kafka-message-definitions: unzip ${jar} failed (${result.code}): ${result.stderr}`);
    }
    const messageDir = path.join(dir.path, 'common', 'message');
    const files = (await readdir(messageDir)).filter((f) => f.endsWith('.json')).sort();
    if (files.length === 0) throw new Error(`kafka-message-definitions: no message definitions in ${jar}`);
    return await Promise.all(
      files.map(async (file) => {
        const text = await readFile(path.join(messageDir, file), 'utf8');
        let raw: RawMessage;
        try {
          raw = JSON.parse(stripJsonComments(text)) as RawMessage;
        } catch (err) {
          throw new Error(`kafka-message-definitions: cannot parse ${file}: ${String(err)}`, { cause: err });
        }
        const common = new Map((raw.commonStructs ?? []).map((s) => [s.name, s]));
        const { commonStructs: _unused, ...message } = raw;
        return { ...message, fields: resolveCommonStructs(raw.fields ?? [], common) };
      }),
    );
  } finally {
    dir.cleanup();
  }
}

/** The request or response definition of an API key. */
export async function kafkaMessageDefinition(
  apiKey: number,
  type: 'request' | 'response',
): Promise<KafkaMessageDefinition | undefined> {
  return (await kafkaMessageDefinitions()).find((m) => m.apiKey === apiKey && m.type === type);
}
