import { describe, expect, it } from 'vitest';
import { OffsetIndex } from '../../../broker-image/src/storage/offset-index.js';

/** Kafka's `.index` layout: per entry, the relative offset then the position, big-endian int32s. */
function indexBytes(...entries: [relativeOffset: number, position: number][]): Buffer {
  const out = Buffer.alloc(entries.length * 8);
  entries.forEach(([relative, position], i) => {
    out.writeInt32BE(relative, i * 8);
    out.writeInt32BE(position, i * 8 + 4);
  });
  return out;
}

function indexOf(baseOffset: number, ...entries: [offset: number, position: number][]): OffsetIndex {
  const index = new OffsetIndex(baseOffset);
  for (const [offset, position] of entries) index.append(offset, position);
  return index;
}

describe('OffsetIndex', () => {
  it('finds the entry at or below an offset, or the segment start', () => {
    const index = indexOf(100, [110, 4096], [125, 8192], [140, 12288]);
    expect(index.lookup(99)).toEqual({ offset: 100, position: 0 });
    expect(index.lookup(109)).toEqual({ offset: 100, position: 0 });
    expect(index.lookup(110)).toEqual({ offset: 110, position: 4096 });
    expect(index.lookup(124)).toEqual({ offset: 110, position: 4096 });
    expect(index.lookup(125)).toEqual({ offset: 125, position: 8192 });
    expect(index.lookup(Number.MAX_SAFE_INTEGER)).toEqual({ offset: 140, position: 12288 });
    expect(new OffsetIndex(7).lookup(50)).toEqual({ offset: 7, position: 0 });
  });

  it('ignores an entry whose offset is not above the last one', () => {
    const index = indexOf(0, [10, 100], [10, 200], [5, 300]);
    expect(index.entries).toBe(1);
    expect(index.lookup(20)).toEqual({ offset: 10, position: 100 });
  });

  it('reports its last offset, the base offset while empty', () => {
    const index = new OffsetIndex(42);
    expect(index.lastOffset).toBe(42);
    index.append(50, 10);
    expect(index.lastOffset).toBe(50);
  });

  it('keeps every entry as it grows past its initial capacity', () => {
    const index = new OffsetIndex(1000);
    for (let i = 1; i <= 1000; i++) index.append(1000 + i * 3, i * 64);
    expect(index.entries).toBe(1000);
    expect(index.sizeInBytes).toBe(8000);
    expect(index.lookup(1000 + 500 * 3 + 2)).toEqual({ offset: 1000 + 500 * 3, position: 500 * 64 });
    expect(index.lastOffset).toBe(4000);
  });

  it('drops the entries at or above an offset when truncated', () => {
    const index = indexOf(0, [10, 100], [20, 200], [30, 300]);
    index.truncateTo(20);
    expect(index.entries).toBe(1);
    expect(index.lookup(35)).toEqual({ offset: 10, position: 100 });
    index.truncateTo(5);
    expect(index.entries).toBe(0);
    index.append(15, 150);
    expect(index.lookup(15)).toEqual({ offset: 15, position: 150 });
  });

  it('forgets everything when cleared', () => {
    const index = indexOf(0, [10, 100]);
    index.clear();
    expect(index.entries).toBe(0);
    expect(index.serialize()).toHaveLength(0);
  });

  it("writes Kafka's layout: relative offset and position, 8 bytes an entry", () => {
    const index = indexOf(1_000_000, [1_000_017, 4096], [1_000_300, 70_000]);
    expect(index.serialize()).toEqual(indexBytes([17, 4096], [300, 70_000]));
  });

  it('reads back what it wrote', () => {
    const index = indexOf(500, [510, 100], [520, 200]);
    const loaded = OffsetIndex.deserialize(500, index.serialize(), 1000)!;
    expect(loaded.entries).toBe(2);
    expect(loaded.lookup(515)).toEqual({ offset: 510, position: 100 });
    expect(loaded.serialize()).toEqual(index.serialize());
    expect(OffsetIndex.deserialize(500, Buffer.alloc(0), 0)!.entries).toBe(0);
  });

  it.each([
    ['a partial entry', Buffer.concat([indexBytes([1, 10]), Buffer.alloc(4)]), 1000],
    ['offsets that do not increase', indexBytes([5, 10], [5, 20]), 1000],
    ['positions that do not increase', indexBytes([5, 20], [6, 20]), 1000],
    ['a negative relative offset', indexBytes([-1, 10]), 1000],
    ['a position beyond the segment', indexBytes([5, 10], [6, 1000]), 1000],
  ])('refuses a file with %s', (_what, data, segmentSize) => {
    expect(OffsetIndex.deserialize(0, data, segmentSize)).toBeUndefined();
  });
});
