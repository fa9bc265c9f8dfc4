/**
 * The sparse offset index of one segment: (offset relative to the segment's base, byte position)
 * pairs, one per `log.index.interval.bytes` of log. Derived data: never checksummed, rebuilt from
 * the log when missing or inconsistent. Kept in memory; written out when the segment is closed
 * or rolled. Not safe for concurrent use (the event loop owns it).
 */
const ENTRY_SIZE = 8;

export interface IndexPosition {
  readonly offset: number;
  readonly position: number;
}

export class OffsetIndex {
  private relativeOffsets = new Int32Array(16);
  private positions = new Int32Array(16);
  private count = 0;

  constructor(readonly baseOffset: number) {}

  get entries(): number {
    return this.count;
  }

  get sizeInBytes(): number {
    return this.count * ENTRY_SIZE;
  }

  /** The last indexed offset, or the base offset when the index is empty. */
  get lastOffset(): number {
    return this.count === 0 ? this.baseOffset : this.baseOffset + this.relativeOffsets[this.count - 1]!;
  }

  append(offset: number, position: number): void {
    const relative = offset - this.baseOffset;
    if (this.count > 0 && relative <= this.relativeOffsets[this.count - 1]!) return;
    if (this.count === this.positions.length) this.grow();
    this.relativeOffsets[this.count] = relative;
    this.positions[this.count] = position;
    this.count++;
  }

  private grow(): void {
    const offsets = new Int32Array(this.count * 2);
    offsets.set(this.relativeOffsets);
    const positions = new Int32Array(this.count * 2);
    positions.set(this.positions);
    this.relativeOffsets = offsets;
    this.positions = positions;
  }

  /** The entry with the largest offset at or below `offset`, or the segment start. */
  lookup(offset: number): IndexPosition {
    const relative = offset - this.baseOffset;
    let lo = 0;
    let hi = this.count - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.relativeOffsets[mid]! <= relative) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (found < 0) return { offset: this.baseOffset, position: 0 };
    return { offset: this.baseOffset + this.relativeOffsets[found]!, position: this.positions[found]! };
  }

  /** Drops entries for offsets at or above `offset`. */
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
      out.writeInt32BE(this.relativeOffsets[i]!, i * ENTRY_SIZE);
      out.writeInt32BE(this.positions[i]!, i * ENTRY_SIZE + 4);
    }
    return out;
  }

  /**
   * Loads a serialized index, or returns undefined when it cannot be trusted: a size that is not
   * a whole number of entries, offsets that do not increase, positions beyond the segment.
   */
  static deserialize(baseOffset: number, data: Buffer, segmentSize: number): OffsetIndex | undefined {
    if (data.length % ENTRY_SIZE !== 0) return undefined;
    const index = new OffsetIndex(baseOffset);
    let lastRelative = -1;
    let lastPosition = -1;
    for (let at = 0; at < data.length; at += ENTRY_SIZE) {
      const relative = data.readInt32BE(at);
      const position = data.readInt32BE(at + 4);
      if (relative <= lastRelative || position <= lastPosition || position >= segmentSize) return undefined;
      index.append(baseOffset + relative, position);
      lastRelative = relative;
      lastPosition = position;
    }
    return index;
  }
}
