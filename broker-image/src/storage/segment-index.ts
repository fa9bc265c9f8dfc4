/**
 * What a segment's sparse indexes have in common (Kafka's `AbstractIndex`): fixed-size entries of
 * a search key that strictly increases and a 32-bit value, held in memory as two columns, found by
 * binary search on the key, cut back by offset, written out and read back as big-endian entries.
 * Derived data: never checksummed; a file that fails its checks is rebuilt from the log.
 * Not safe for concurrent use (the event loop owns it).
 *
 * A subclass says what its key and value are (the offset index: relative offset → byte position;
 * the time index: timestamp → relative offset), how an entry is laid out on disk, and which
 * column holds the relative offset that truncation compares.
 */
export abstract class SegmentIndex {
  private keys = new Float64Array(16);
  private values = new Int32Array(16);
  private count = 0;

  /** Bytes one entry takes on disk. */
  protected abstract readonly entrySize: number;

  constructor(readonly baseOffset: number) {}

  get entries(): number {
    return this.count;
  }

  get sizeInBytes(): number {
    return this.count * this.entrySize;
  }

  /** The relative offset an entry stands for, which {@link truncateTo} compares. */
  protected abstract relativeOffsetOf(key: number, value: number): number;

  /** Writes one entry at `at`. */
  protected abstract writeEntry(out: Buffer, at: number, key: number, value: number): void;

  /** Reads the entry at `at`, as [key, value]. */
  protected abstract readEntry(data: Buffer, at: number): readonly [key: number, value: number];

  protected keyAt(i: number): number {
    return this.keys[i]!;
  }

  protected valueAt(i: number): number {
    return this.values[i]!;
  }

  /** Index of the last entry, or -1 when empty. */
  protected get lastSlot(): number {
    return this.count - 1;
  }

  /** Appends an entry; the caller has checked that its key is above the last one's. */
  protected push(key: number, value: number): void {
    if (this.count === this.keys.length) this.grow();
    this.keys[this.count] = key;
    this.values[this.count] = value;
    this.count++;
  }

  private grow(): void {
    const keys = new Float64Array(this.count * 2);
    keys.set(this.keys);
    const values = new Int32Array(this.count * 2);
    values.set(this.values);
    this.keys = keys;
    this.values = values;
  }

  /** The slot of the entry with the largest key at or below `key`, or -1 when there is none. */
  protected floorSlot(key: number): number {
    let lo = 0;
    let hi = this.count - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.keys[mid]! <= key) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  /** Drops the entries for offsets at or above `offset`. */
  truncateTo(offset: number): void {
    const relative = offset - this.baseOffset;
    while (
      this.count > 0 &&
      this.relativeOffsetOf(this.keys[this.count - 1]!, this.values[this.count - 1]!) >= relative
    ) {
      this.count--;
    }
  }

  clear(): void {
    this.count = 0;
  }

  serialize(): Buffer {
    const out = Buffer.allocUnsafe(this.count * this.entrySize);
    for (let i = 0; i < this.count; i++) {
      this.writeEntry(out, i * this.entrySize, this.keys[i]!, this.values[i]!);
    }
    return out;
  }

  /**
   * Fills this (empty) index from serialized entries, each accepted by `accept` (given the entry
   * and the one before it, if any). False when the data cannot be trusted: a size that is not a
   * whole number of entries, or an entry `accept` refuses.
   */
  protected load(
    data: Buffer,
    accept: (key: number, value: number, previous: readonly [number, number] | undefined) => boolean,
  ): boolean {
    if (data.length % this.entrySize !== 0) return false;
    let previous: readonly [number, number] | undefined;
    for (let at = 0; at < data.length; at += this.entrySize) {
      const [key, value] = this.readEntry(data, at);
      if (!accept(key, value, previous)) return false;
      this.push(key, value);
      previous = [key, value];
    }
    return true;
  }
}
