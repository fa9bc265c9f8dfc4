import type { StorageFileSystem } from './file-system.js';

/** One aborted transaction, as Kafka's `.txnindex` records it. */
export interface AbortedTxn {
  readonly producerId: number;
  readonly firstOffset: number;
  /** The offset of the ABORT marker. */
  readonly lastOffset: number;
  /** The last stable offset when the marker was written (Kafka uses it to stop a search early). */
  readonly lastStableOffset: number;
}

export const TXN_INDEX_SUFFIX = '.txnindex';

/** Kafka's entry: version int16 (0), producerId int64, firstOffset, lastOffset, lastStableOffset int64. */
const ENTRY_VERSION = 0;
export const TXN_INDEX_ENTRY_SIZE = 2 + 8 * 4;

const TWO_POW_32 = 2 ** 32;

function readInt64(buffer: Buffer, at: number): number {
  return buffer.readInt32BE(at) * TWO_POW_32 + buffer.readUInt32BE(at + 4);
}

function writeInt64(buffer: Buffer, at: number, value: number): void {
  const hi = Math.floor(value / TWO_POW_32);
  buffer.writeInt32BE(hi, at);
  buffer.writeUInt32BE(value - hi * TWO_POW_32, at + 4);
}

export function encodeAbortedTxn(txn: AbortedTxn): Buffer {
  const out = Buffer.alloc(TXN_INDEX_ENTRY_SIZE);
  out.writeInt16BE(ENTRY_VERSION, 0);
  writeInt64(out, 2, txn.producerId);
  writeInt64(out, 10, txn.firstOffset);
  writeInt64(out, 18, txn.lastOffset);
  writeInt64(out, 26, txn.lastStableOffset);
  return out;
}

/** The entries of a `.txnindex` file; a torn last entry (a crash mid-write) is left out. */
export function decodeAbortedTxns(data: Buffer): AbortedTxn[] {
  const out: AbortedTxn[] = [];
  for (let at = 0; at + TXN_INDEX_ENTRY_SIZE <= data.length; at += TXN_INDEX_ENTRY_SIZE) {
    if (data.readInt16BE(at) !== ENTRY_VERSION) break;
    out.push({
      producerId: readInt64(data, at + 2),
      firstOffset: readInt64(data, at + 10),
      lastOffset: readInt64(data, at + 18),
      lastStableOffset: readInt64(data, at + 26),
    });
  }
  return out;
}

/**
 * The aborted-transaction index of one segment (Kafka's TransactionIndex): an entry for each
 * ABORT marker in the segment, in marker order, appended as the marker is. Like the other indexes
 * it is derived data: rebuilt from the log when the segment is recovered. The file exists only
 * once the segment has an entry.
 */
export class TransactionIndex {
  private entries: AbortedTxn[];
  private fd: number | undefined;

  private constructor(
    private readonly fs: StorageFileSystem,
    readonly path: string,
    entries: AbortedTxn[],
  ) {
    this.entries = entries;
  }

  /** Opens the index at `path`, empty if the file is absent. */
  static open(fs: StorageFileSystem, path: string): TransactionIndex {
    if (!fs.existsSync(path)) return new TransactionIndex(fs, path, []);
    const data = fs.readFileSync(path);
    const entries = decodeAbortedTxns(data);
    const index = new TransactionIndex(fs, path, entries);
    // A torn or unreadable tail goes, so appends continue right after the last whole entry.
    if (data.length !== entries.length * TXN_INDEX_ENTRY_SIZE) index.reset(entries);
    return index;
  }

  get allEntries(): readonly AbortedTxn[] {
    return this.entries;
  }

  get isEmpty(): boolean {
    return this.entries.length === 0;
  }

  /** Appends an entry; markers come in offset order, so entries do too. */
  append(txn: AbortedTxn): void {
    const last = this.entries.at(-1);
    if (last && txn.lastOffset <= last.lastOffset) {
      throw new Error(
        `aborted transaction ending at ${txn.lastOffset} is not after the last one in ${this.path} (${last.lastOffset})`,
      );
    }
    const position = this.entries.length * TXN_INDEX_ENTRY_SIZE;
    const bytes = encodeAbortedTxn(txn);
    const fd = this.openFile();
    let written = 0;
    while (written < bytes.length)
      written += this.fs.writeSync(fd, bytes, written, bytes.length - written, position + written);
    this.entries.push(txn);
  }

  private openFile(): number {
    this.fd ??= this.fs.openSync(this.path, this.fs.existsSync(this.path) ? 'r+' : 'w+');
    return this.fd;
  }

  private closeFile(): void {
    if (this.fd === undefined) return;
    this.fs.closeSync(this.fd);
    this.fd = undefined;
  }

  /** Makes the appended entries durable (with the segment's own flush). */
  async flush(): Promise<void> {
    if (this.fd !== undefined) await this.fs.fsync(this.fd);
  }

  /** Replaces every entry (a rebuilt or cleaned segment). */
  reset(entries: readonly AbortedTxn[] = []): void {
    this.closeFile();
    this.entries = [...entries];
    if (this.entries.length === 0) {
      if (this.fs.existsSync(this.path)) this.fs.unlinkSync(this.path);
      return;
    }
    this.fs.writeFileAtomicSync(this.path, Buffer.concat(this.entries.map(encodeAbortedTxn)));
  }

  /** Drops entries whose marker is at or above `offset` (the segment was truncated there). */
  truncateTo(offset: number): void {
    const kept = this.entries.filter((e) => e.lastOffset < offset);
    if (kept.length !== this.entries.length) this.reset(kept);
  }

  /**
   * Kafka's collectAbortedTxns: the entries overlapping [fetchOffset, upperBoundOffset), and
   * whether the search is complete (an entry's last stable offset reaches the upper bound, so no
   * later segment can hold a transaction that began in the range).
   */
  collect(fetchOffset: number, upperBoundOffset: number): { found: AbortedTxn[]; complete: boolean } {
    const found: AbortedTxn[] = [];
    for (const txn of this.entries) {
      if (txn.lastOffset >= fetchOffset && txn.firstOffset < upperBoundOffset) found.push(txn);
      if (txn.lastStableOffset >= upperBoundOffset) return { found, complete: true };
    }
    return { found, complete: false };
  }

  close(): void {
    this.closeFile();
  }

  delete(): void {
    this.closeFile();
    if (this.fs.existsSync(this.path)) this.fs.unlinkSync(this.path);
  }
}
