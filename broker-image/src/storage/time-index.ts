/**
 * The sparse time index of one segment: (max timestamp so far, offset relative to the segment's
 * base) pairs, appended when the segment's max timestamp grows at an index interval. Derived
 * data, rebuilt like the offset index.
 */
const ENTRY_SIZE = 12;

export interface TimestampOffset {
  readonly timestamp: number;
  readonly offset: number;
}

export class TimeIndex {
  private timestamps = new Float64Array(16);
  private relativeOffsets = new Int32Array(16);
  private count = 0;

  constructor(readonly baseOffset: number) {}

  get entries(): number {
    return this.count;
  }

  get lastEntry(): TimestampOffset | undefined {
    if (this.count === 0) return undefined;
    return {
      timestamp: this.timestamps[this.count - 1]!,
      offset: this.baseOffset + this.relativeOffsets[this.count - 1]!,
    };
  }

  /** Appends when `timestamp` is newer than the last entry. */
  maybeAppend(timestamp: number, offset: number): void {
    const last = this.lastEntry;
    if (last && (timestamp <= last.timestamp || offset <= last.offset)) return;
    if (this.count === this.timestamps.length) {
      const ts = new Float64Array(this.count * 2);
      ts.set(this.timestamps);
      const offs = new Int32Array(this.count * 2);
      offs.set(this.relativeOffsets);
      this.timestamps = ts;
      this.relativeOffsets = offs;
    }
    this.timestamps[this.count] = timestamp;
    this.relativeOffsets[this.count] = offset - this.baseOffset;
    this.count++;
  }

  /**
   * The entry with the largest timestamp at or below `timestamp`: scanning from its offset finds
   * the first record at or after `timestamp`. The segment start when there is none.
   */
  lookup(timestamp: number): TimestampOffset {
    let lo = 0;
    let hi = this.count - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.timestamps[mid]! <= timestamp) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (found < 0) return { timestamp: -1, offset: this.baseOffset };
    return { timestamp: this.timestamps[found]!, offset: this.baseOffset + this.relativeOffsets[found]! };
  }

  truncateTo(offset: number): void {
    const relative = offset - this.baseOffset;
    while (this.count > 0 && this.relativeOffsets[this.count - 1]! >= relative) this.count--;
  }

  clear(): void {
    this.count = 0;
  }

  serialize(): Buffer {
    const out = Buffer.allocUnsafe(this.count * ENTRY_SIZE);
    for (let i = 0; i < this.count; i++) {
      const ts = this.timestamps[i]!;
      const hi = Math.floor(ts / 2 ** 32);
      out.writeInt32BE(hi, i * ENTRY_SIZE);
      out.writeUInt32BE(ts - hi * 2 ** 32, i * ENTRY_SIZE + 4);
      out.writeInt32BE(this.relativeOffsets[i]!, i * ENTRY_SIZE + 8);
    }
    return out;
  }

  static deserialize(baseOffset: number, data: Buffer, nextOffset: number): TimeIndex | undefined {
    if (data.length % ENTRY_SIZE !== 0) return undefined;
    const index = new TimeIndex(baseOffset);
    for (let at = 0; at < data.length; at += ENTRY_SIZE) {
      const timestamp = data.readInt32BE(at) * 2 ** 32 + data.readUInt32BE(at + 4);
      const offset = baseOffset + data.readInt32BE(at + 8);
      const before = index.entries;
      if (offset >= nextOffset) return undefined;
      index.maybeAppend(timestamp, offset);
      if (index.entries === before) return undefined;
    }
    return index;
  }
}
