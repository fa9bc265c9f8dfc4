import { describe, expect, it } from 'vitest';
import { TimeIndex } from '../../../broker-image/src/storage/time-index.js';

/** Kafka's `.timeindex` layout: per entry, the timestamp (int64) then the relative offset (int32). */
function timeIndexBytes(...entries: [timestamp: number, relativeOffset: number][]): Buffer {
  const out = Buffer.alloc(entries.length * 12);
  entries.forEach(([timestamp, relative], i) => {
    out.writeBigInt64BE(BigInt(timestamp), i * 12);
    out.writeInt32BE(relative, i * 12 + 8);
  });
  return out;
}

function indexOf(baseOffset: number, ...entries: [timestamp: number, offset: number][]): TimeIndex {
  const index = new TimeIndex(baseOffset);
  for (const [timestamp, offset] of entries) index.maybeAppend(timestamp, offset);
  return index;
}

const T = 1_767_225_600_000; // 2026-01-01, beyond 32 bits

describe('TimeIndex', () => {
  it('finds the entry with the largest timestamp at or below one, or the segment start', () => {
    const index = indexOf(100, [T + 10, 105], [T + 20, 112], [T + 30, 130]);
    expect(index.lookup(T)).toEqual({ timestamp: -1, offset: 100 });
    expect(index.lookup(T + 10)).toEqual({ timestamp: T + 10, offset: 105 });
    expect(index.lookup(T + 29)).toEqual({ timestamp: T + 20, offset: 112 });
    expect(index.lookup(T + 1000)).toEqual({ timestamp: T + 30, offset: 130 });
  });

  it('appends only when both the timestamp and the offset grow', () => {
    const index = indexOf(0, [T + 10, 5], [T + 10, 8], [T + 20, 5], [T + 5, 9], [T + 20, 9]);
    expect(index.entries).toBe(2);
    expect(index.lastEntry).toEqual({ timestamp: T + 20, offset: 9 });
    expect(new TimeIndex(0).lastEntry).toBeUndefined();
  });

  it('keeps every entry as it grows past its initial capacity', () => {
    const index = new TimeIndex(0);
    for (let i = 1; i <= 100; i++) index.maybeAppend(T + i * 1000, i * 10);
    expect(index.entries).toBe(100);
    expect(index.sizeInBytes).toBe(1200);
    expect(index.lookup(T + 50_500)).toEqual({ timestamp: T + 50_000, offset: 500 });
  });

  it('drops the entries for offsets at or above one when truncated', () => {
    const index = indexOf(0, [T + 10, 5], [T + 20, 10], [T + 30, 15]);
    index.truncateTo(10);
    expect(index.lastEntry).toEqual({ timestamp: T + 10, offset: 5 });
    index.clear();
    expect(index.entries).toBe(0);
  });

  it("writes Kafka's layout: an 8-byte timestamp and a relative offset, 12 bytes an entry", () => {
    const index = indexOf(1000, [T + 1, 1003], [T + 2 ** 33, 1010]);
    expect(index.serialize()).toEqual(timeIndexBytes([T + 1, 3], [T + 2 ** 33, 10]));
  });

  it('reads back what it wrote, timestamps beyond 32 bits included', () => {
    const index = indexOf(1000, [T + 1, 1003], [T + 2, 1010]);
    const loaded = TimeIndex.deserialize(1000, index.serialize(), 1011)!;
    expect(loaded.lastEntry).toEqual({ timestamp: T + 2, offset: 1010 });
    expect(loaded.serialize()).toEqual(index.serialize());
  });

  it.each([
    ['a partial entry', Buffer.concat([timeIndexBytes([T, 1]), Buffer.alloc(5)])],
    ['timestamps that do not increase', timeIndexBytes([T + 5, 1], [T + 5, 2])],
    ['offsets that do not increase', timeIndexBytes([T + 5, 2], [T + 6, 2])],
    ['an offset at the segment end', timeIndexBytes([T + 5, 1], [T + 6, 10])],
  ])('refuses a file with %s', (_what, data) => {
    expect(TimeIndex.deserialize(0, data, 10)).toBeUndefined();
  });
});
