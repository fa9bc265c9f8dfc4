import type { StorageFileSystem } from './file-system.js';

/**
 * Kafka's checkpoint text format: a version line, a count line, then one entry per line.
 * Used for recovery points, log start offsets and leader epochs. Written atomically.
 */
const VERSION = 0;

export function writeCheckpoint(fs: StorageFileSystem, path: string, entries: readonly string[]): void {
  fs.writeFileAtomicSync(path, `${VERSION}\n${entries.length}\n${entries.map((e) => `${e}\n`).join('')}`);
}

/** Entries of a checkpoint file, or [] when it is missing; throws when it is malformed. */
export function readCheckpoint(fs: StorageFileSystem, path: string): string[][] {
  if (!fs.existsSync(path)) return [];
  const lines = fs.readFileSync(path).toString('utf8').split('\n');
  if (lines[0] !== String(VERSION)) throw new Error(`${path}: unknown checkpoint version "${lines[0]}"`);
  const count = Number(lines[1]);
  if (!Number.isInteger(count) || count < 0) throw new Error(`${path}: bad entry count "${lines[1]}"`);
  const entries = lines.slice(2, 2 + count).map((line) => line.split(' '));
  if (entries.length !== count || entries.some((e) => e.length < 2)) {
    throw new Error(`${path}: expected ${count} entries`);
  }
  return entries;
}

/** A checkpoint of one offset per partition: `<topic> <partition> <offset>`. */
export function writeOffsetCheckpoint(
  fs: StorageFileSystem,
  path: string,
  offsets: Map<string, number>,
): void {
  const lines: string[] = [];
  for (const [key, offset] of offsets) {
    const at = key.lastIndexOf('-');
    lines.push(`${key.slice(0, at)} ${key.slice(at + 1)} ${offset}`);
  }
  writeCheckpoint(fs, path, lines);
}

export function readOffsetCheckpoint(fs: StorageFileSystem, path: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const [topic, partition, offset] of readCheckpoint(fs, path)) {
    out.set(`${topic}-${partition}`, Number(offset));
  }
  return out;
}
