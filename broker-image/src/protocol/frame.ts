import { ProtocolError } from './primitives/protocol-error.js';

/**
 * Splits a byte stream into Kafka frames: a 4-byte big-endian size, then that many bytes.
 * Pure: the connection pushes what the socket read and takes whole frames out.
 */
export class FrameDecoder {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(private readonly maxFrameBytes: number) {}

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
      const all =
        this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
      frames.push(all.subarray(4, 4 + head));
      const rest = all.subarray(4 + head);
      this.pending = rest.length > 0 ? [rest] : [];
      this.pendingBytes = rest.length;
    }
    return frames;
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
