import { describe, expect, it } from 'vitest';
import { RequestMemory } from '../../../broker-image/src/broker/request-memory.js';
import { FrameDecoder, framePrefix } from '../../../broker-image/src/protocol/frame.js';

function frame(payload: string): Buffer {
  const body = Buffer.from(payload);
  return Buffer.concat([framePrefix(body.length), body]);
}

describe('RequestMemory', () => {
  it('admits what fits, and lets waiters in, in order, as bytes are released', () => {
    const memory = new RequestMemory(100);
    const granted: string[] = [];
    const waiter = (name: string) => ({ granted: (bytes: number) => granted.push(`${name}:${bytes}`) });
    const a = waiter('a');
    const b = waiter('b');
    const c = waiter('c');
    expect(memory.reserve(a, 60)).toBe(true);
    expect(memory.reserve(b, 50)).toBe(false);
    expect(memory.reserve(c, 30)).toBe(true);
    expect(memory.used).toBe(90);
    expect(memory.reserve(c, 20)).toBe(false);
    memory.release(30);
    // b (50) does not fit beside a's 60 yet; c's 20 does.
    expect(granted).toEqual(['c:20']);
    memory.release(60);
    expect(granted).toEqual(['c:20', 'b:50']);
    expect(memory.used).toBe(70);
    expect(memory.peakUsed).toBe(90);
  });

  it('forgets a waiter that cancels', () => {
    const memory = new RequestMemory(10);
    const granted: number[] = [];
    const waiter = { granted: (bytes: number) => granted.push(bytes) };
    expect(memory.reserve(waiter, 10)).toBe(true);
    expect(memory.reserve(waiter, 5)).toBe(false);
    memory.cancel(waiter);
    memory.release(10);
    expect(granted).toEqual([]);
    expect(memory.used).toBe(0);
  });
});

describe('FrameDecoder reservations', () => {
  it('reserves each frame when its size arrives and takes nothing more until a refused one is granted', () => {
    const asked: number[] = [];
    let room = 8;
    const decoder = new FrameDecoder(1 << 20, undefined, (size) => {
      asked.push(size);
      if (size > room) return false;
      room -= size;
      return true;
    });
    const stream = Buffer.concat([frame('12345'), frame('abcdefgh'), frame('z')]);
    expect(decoder.push(stream).map(String)).toEqual(['12345']);
    expect(decoder.blocked).toBe(true);
    expect(asked).toEqual([5, 8]);
    expect(decoder.granted().map(String)).toEqual(['abcdefgh', 'z']);
    expect(decoder.blocked).toBe(false);
    // The granted frame is not asked for again.
    expect(asked).toEqual([5, 8, 1]);
  });
});
