import { SegmentIndex } from './segment-index.js';

/**
 * The sparse offset index of one segment: (offset relative to the segment's base, byte position)
 * pairs, one per `log.index.interval.bytes` of log; on disk, 8 bytes an entry (two big-endian
 * int32s), as Kafka's `.index`. Kept in memory; written out when the segment is closed or rolled.
 */
const ENTRY_SIZE = 8;

export interface IndexPosition {
  readonly offset: number;
  readonly position: number;
}

export class OffsetIndex extends SegmentIndex {
  protected readonly entrySize = ENTRY_SIZE;

  /** The last indexed offset, or the base offset when the index is empty. */
  get lastOffset(): number {
    return this.entries === 0 ? this.baseOffset : this.baseOffset + this.keyAt(this.lastSlot);
  }

  /** Indexes `offset` at `position`, unless an entry at or above that offset is already there. */
  append(offset: number, position: number): void {
    const relative = offset - this.baseOffset;
    if (this.entries > 0 && relative <= this.keyAt(this.lastSlot)) return;
    this.push(relative, position);
  }

  /** The entry with the largest offset at or below `offset`, or the segment start. */
  lookup(offset: number): IndexPosition {
    const found = this.floorSlot(offset - this.baseOffset);
    if (found < 0) return { offset: this.baseOffset, position: 0 };
    return { offset: this.baseOffset + this.keyAt(found), position: this.valueAt(found) };
  }

  protected relativeOffsetOf(relativeOffset: number): number {
    return relativeOffset;
  }

  protected writeEntry(out: Buffer, at: number, relativeOffset: number, position: number): void {
    out.writeInt32BE(relativeOffset, at);
    out.writeInt32BE(position, at + 4);
  }

  protected readEntry(data: Buffer, at: number): readonly [number, number] {
    return [data.readInt32BE(at), data.readInt32BE(at + 4)];
  }

  /**
   * Loads a serialized index, or returns undefined when it cannot be trusted: a size that is not
   * a whole number of entries, offsets or positions that do not increase (or are negative),
   * positions beyond the segment.
   */
  static deserialize(baseOffset: number, data: Buffer, segmentSize: number): OffsetIndex | undefined {
    const index = new OffsetIndex(baseOffset);
    const loaded = index.load(data, (relative, position, previous) => {
      const [beforeRelative, beforePosition] = previous ?? [-1, -1];
      return relative > beforeRelative && position > beforePosition && position < segmentSize;
    });
    return loaded ? index : undefined;
  }
}
