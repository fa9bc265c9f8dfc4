import { SegmentIndex } from './segment-index.js';

/**
 * The sparse time index of one segment: (max timestamp so far, offset relative to the segment's
 * base) pairs, appended when the segment's max timestamp grows at an index interval; on disk, 12
 * bytes an entry (a big-endian int64 timestamp and an int32 relative offset), as Kafka's
 * `.timeindex`. Derived data, rebuilt like the offset index.
 */
const ENTRY_SIZE = 12;

export interface TimestampOffset {
  readonly timestamp: number;
  readonly offset: number;
}

export class TimeIndex extends SegmentIndex {
  protected readonly entrySize = ENTRY_SIZE;

  get lastEntry(): TimestampOffset | undefined {
    if (this.entries === 0) return undefined;
    return this.entryAt(this.lastSlot);
  }

  /** Appends when both `timestamp` and `offset` are above the last entry's. */
  maybeAppend(timestamp: number, offset: number): void {
    const last = this.lastEntry;
    if (last && (timestamp <= last.timestamp || offset <= last.offset)) return;
    this.push(timestamp, offset - this.baseOffset);
  }

  /**
   * The entry with the largest timestamp at or below `timestamp`: scanning from its offset finds
   * the first record at or after `timestamp`. The segment start when there is none.
   */
  lookup(timestamp: number): TimestampOffset {
    const found = this.floorSlot(timestamp);
    if (found < 0) return { timestamp: -1, offset: this.baseOffset };
    return this.entryAt(found);
  }

  private entryAt(slot: number): TimestampOffset {
    return { timestamp: this.keyAt(slot), offset: this.baseOffset + this.valueAt(slot) };
  }

  protected relativeOffsetOf(_timestamp: number, relativeOffset: number): number {
    return relativeOffset;
  }

  protected writeEntry(out: Buffer, at: number, timestamp: number, relativeOffset: number): void {
    const hi = Math.floor(timestamp / 2 ** 32);
    out.writeInt32BE(hi, at);
    out.writeUInt32BE(timestamp - hi * 2 ** 32, at + 4);
    out.writeInt32BE(relativeOffset, at + 8);
  }

  protected readEntry(data: Buffer, at: number): readonly [number, number] {
    return [data.readInt32BE(at) * 2 ** 32 + data.readUInt32BE(at + 4), data.readInt32BE(at + 8)];
  }

  /**
   * Loads a serialized index, or returns undefined when it cannot be trusted: a size that is not
   * a whole number of entries, timestamps or offsets that do not increase, an offset at or past
   * `nextOffset` (the segment's end).
   */
  static deserialize(baseOffset: number, data: Buffer, nextOffset: number): TimeIndex | undefined {
    const index = new TimeIndex(baseOffset);
    const loaded = index.load(
      data,
      (timestamp, relative, previous) =>
        baseOffset + relative < nextOffset &&
        (previous === undefined || (timestamp > previous[0] && relative > previous[1])),
    );
    return loaded ? index : undefined;
  }
}
