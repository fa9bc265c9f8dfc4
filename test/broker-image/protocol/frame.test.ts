import { describe, expect, it } from 'vitest';
import { FrameDecoder, FrameTooLargeError, framePrefix } from '../../../broker-image/src/protocol/frame.js';

function frame(payload: string): Buffer {
  const body = Buffer.from(payload);
  return Buffer.concat([framePrefix(body.length), body]);
}

const PAYLOADS = ['', 'a', 'hello', 'x'.repeat(300), 'frame four', 'y'.repeat(1000)];
const STREAM = Buffer.concat(PAYLOADS.map(frame));

describe('FrameDecoder', () => {
  it('yields the same frames however the stream is cut into chunks', () => {
    for (const chunkSize of [1, 2, 3, 4, 5, 7, 64, 301, 1000, STREAM.length]) {
      const decoder = new FrameDecoder(1 << 20);
      const frames: string[] = [];
      for (let at = 0; at < STREAM.length; at += chunkSize) {
        for (const f of decoder.push(STREAM.subarray(at, at + chunkSize))) frames.push(f.toString());
      }
      expect(frames, `chunks of ${chunkSize}`).toEqual(PAYLOADS);
    }
  });

  it('assembles a frame spread over chunks in a buffer of its own, from the allocator', () => {
    const allocated: Buffer[] = [];
    const heads: string[] = [];
    const decoder = new FrameDecoder(1 << 20, (size, head) => {
      heads.push(head.toString());
      const buffer = Buffer.alloc(size);
      allocated.push(buffer);
      return buffer;
    });
    const stream = Buffer.concat([frame('first frame'), frame('second')]);
    // The first frame's last byte and the whole second frame arrive together.
    const [head, tail] = [stream.subarray(0, 14), stream.subarray(14)];
    expect(decoder.push(head)).toEqual([]);
    const frames = decoder.push(tail);
    expect(frames.map(String)).toEqual(['first frame', 'second']);
    expect(allocated).toHaveLength(1);
    // The allocator sees what has arrived of the frame (its first bytes tell a request's API key).
    expect(heads).toEqual(['first fram']);
    expect(frames[0]!.buffer).toBe(allocated[0]!.buffer);
    // Overwriting the assembled frame (its buffer reused) leaves the next frame intact.
    allocated[0]!.fill(0);
    expect(frames[1]!.toString()).toBe('second');
  });

  it('refuses a frame above the limit, and a negative size', () => {
    expect(() => new FrameDecoder(10).push(frame('x'.repeat(11)))).toThrow(FrameTooLargeError);
    expect(() => new FrameDecoder(10).push(Buffer.from([0xff, 0xff, 0xff, 0xff]))).toThrow(/negative/);
  });
});
