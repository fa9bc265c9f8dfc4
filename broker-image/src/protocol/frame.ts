import { ProtocolError } from './primitives/protocol-error.js';

/**
 * Splits a byte stream into Kafka frames: a 4-byte big-endian size, then that many bytes.
 * Pure: the connection pushes what the socket read and takes whole frames out.
 */
const EMPTY = Buffer.alloc(0);

export class FrameDecoder {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(
    private readonly maxFrameBytes: number,
    /**
     * Where a frame that arrived in several chunks is assembled (a fresh buffer by default);
     * `head` is what has arrived of the frame so far, at least its first two bytes when non-empty.
     */
    private readonly allocate: (size: number, head: Buffer) => Buffer = (size) => Buffer.allocUnsafe(size),
  ) {}

  /** Adds bytes and returns every frame now complete (without its size prefix). */
  push(chunk: Buffer): Buffer[] {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    const frames: Buffer[] = [];
    while (this.pendingBytes >= 4) {
      const head = this.peekSize();
      if (head < 0) throw new ProtocolError(`negative frame size ${head}`);
      if (head > this.maxFrameBytes) {
        throw new FrameTooLargeError(head, this.maxFrameBytes);
      }
      if (this.pendingBytes < 4 + head) break;
      frames.push(this.takeFrame(head));
    }
    return frames;
  }

  /**
   * Takes the size prefix and the `size` bytes after it off the pending chunks: a view when they
   * are all in the first chunk, else a buffer of exactly the frame (never shared with the bytes
   * of the next frame, so the frame's buffer can be reused once the frame is served).
   */
  private takeFrame(size: number): Buffer {
    const first = this.pending[0]!;
    if (first.length >= 4 + size) {
      const frame = first.subarray(4, 4 + size);
      this.consume(4 + size);
      return frame;
    }
    this.consume(4);
    const head = this.pending[0]!.length >= 2 ? this.pending[0]! : EMPTY;
    const frame = this.allocate(size, head);
    let filled = 0;
    while (filled < size) {
      const chunk = this.pending[0]!;
      const n = Math.min(chunk.length, size - filled);
      chunk.copy(frame, filled, 0, n);
      filled += n;
      this.consume(n);
    }
    return frame;
  }

  /** Drops `n` bytes from the front of the pending chunks. */
  private consume(n: number): void {
    this.pendingBytes -= n;
    while (n > 0) {
      const chunk = this.pending[0]!;
      if (chunk.length <= n) {
        this.pending.shift();
        n -= chunk.length;
      } else {
        this.pending[0] = chunk.subarray(n);
        n = 0;
      }
    }
  }

  private peekSize(): number {
    const first = this.pending[0]!;
    if (first.length >= 4) return first.readInt32BE(0);
    const joined = Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [joined];
    return joined.readInt32BE(0);
  }
}

export class FrameTooLargeError extends ProtocolError {
  constructor(
    readonly size: number,
    readonly limit: number,
  ) {
    super(`frame of ${size} bytes exceeds socket.request.max.bytes (${limit})`);
  }
}

/** A 4-byte size prefix for a frame of `size` bytes. */
export function framePrefix(size: number): Buffer {
  const prefix = Buffer.allocUnsafe(4);
  prefix.writeInt32BE(size, 0);
  return prefix;
}
