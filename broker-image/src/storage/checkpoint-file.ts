import type { StorageFileSystem } from './file-system.js';

/**
 * Kafka's checkpoint text format: a version line, a count line, then one entry per line.
 * Used for recovery points, log start offsets, high watermarks, cleaner offsets and leader
 * epochs. Written atomically.
 *
 * Checkpoints are derived state: a broker must be able to start without them (a full recovery),
 * so a read gives what the file holds, that it is absent, or why it cannot be used, and the
 * caller treats the last two alike.
 */
const VERSION = 0;

export type CheckpointRead<T> =
  | { readonly entries: T[] }
  | { readonly absent: true }
  /** Present but not usable (malformed, or the read failed): why. */
  | { readonly unreadable: string };

export function writeCheckpoint(fs: StorageFileSystem, path: string, entries: readonly string[]): void {
  fs.writeFileAtomicSync(path, `${VERSION}\n${entries.length}\n${entries.map((e) => `${e}\n`).join('')}`);
}

/**
 * Writes a checkpoint, or returns the error that stopped it: nothing stops on a checkpoint that
 * could not be written (a full disk), and the partial temp file is already gone.
 */
export function tryWriteCheckpoint(
  fs: StorageFileSystem,
  path: string,
  entries: readonly string[],
): Error | undefined {
  try {
    writeCheckpoint(fs, path, entries);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}

/**
 * Reads a checkpoint whose entries `parseEntry` turns from their space-separated fields into
 * values (undefined for a malformed entry). Never throws.
 */
export function readCheckpoint<T>(
  fs: StorageFileSystem,
  path: string,
  parseEntry: (fields: string[]) => T | undefined,
): CheckpointRead<T> {
  let text: string;
  try {
    if (!fs.existsSync(path)) return { absent: true };
    text = fs.readFileSync(path).toString('utf8');
  } catch (error) {
    return { unreadable: `cannot be read: ${(error as Error).message}` };
  }
  const lines = text.split('\n');
  if (lines[0] !== String(VERSION)) return { unreadable: `unknown checkpoint version ${quoted(lines[0])}` };
  const count = integerOf(lines[1] ?? '');
  if (count === undefined || count < 0) return { unreadable: `bad entry count ${quoted(lines[1])}` };
  // Each entry ends with a newline: `count` lines, then the empty remainder after the last.
  const body = lines.slice(2);
  if (body.length !== count + 1 || body[count] !== '') {
    const found = body.filter((line) => line !== '').length;
    return { unreadable: `expected ${count} entries, found ${found} lines (truncated or extended)` };
  }
  const entries: T[] = [];
  for (let i = 0; i < count; i++) {
    const line = lines[2 + i]!;
    const entry = parseEntry(line.split(' '));
    if (entry === undefined) return { unreadable: `malformed entry ${i + 1}: ${quoted(line)}` };
    entries.push(entry);
  }
  return { entries };
}

/** A decimal integer (a safe one), or undefined. */
export function integerOf(text: string): number | undefined {
  if (!/^-?\d{1,16}$/.test(text)) return undefined;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : undefined;
}

function quoted(text: string | undefined): string {
  if (text === undefined) return '(missing)';
  const shown = text.length > 40 ? `${text.slice(0, 40)}…` : text;
  return JSON.stringify(shown);
}

/** A checkpoint of one offset per partition: `<topic> <partition> <offset>`. */
export function offsetCheckpointEntries(offsets: Map<string, number>): string[] {
  const lines: string[] = [];
  for (const [key, offset] of offsets) {
    const at = key.lastIndexOf('-');
    lines.push(`${key.slice(0, at)} ${key.slice(at + 1)} ${offset}`);
  }
  return lines;
}

/** Offsets by partition key (`<topic>-<partition>`). */
export function readOffsetCheckpoint(fs: StorageFileSystem, path: string): CheckpointRead<[string, number]> {
  return readCheckpoint(fs, path, (fields) => {
    if (fields.length !== 3 || fields[0] === '') return undefined;
    const partition = integerOf(fields[1]!);
    const offset = integerOf(fields[2]!);
    if (partition === undefined || partition < 0 || offset === undefined || offset < 0) return undefined;
    return [`${fields[0]}-${partition}`, offset];
  });
}

/** Where a storage component reports a checkpoint it could not read or write (to a logger). */
export type CheckpointWarning = (message: string, details: Record<string, unknown>) => void;
