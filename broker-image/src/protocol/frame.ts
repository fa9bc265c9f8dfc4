import { ProtocolError } from './primitives/protocol-error.js';

/**
 * Splits a byte stream into Kafka frames: a 4-byte big-endian size, then that many bytes.
 * Pure: the connection pushes what the socket read and takes whole frames out.
 */
const EMPTY = Buffer.alloc(0);

export class FrameDecoder {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Size of the frame whose prefix has been taken, until it is complete; -1 between frames. */
  private size = -1;
  /** Where the frame in progress is being assembled, once it was found spread over chunks. */
  private assembling: Buffer | undefined;
  private filled = 0;
  /** The next frame's reservation was refused; nothing is taken until {@link granted}. */
  private waiting = false;
  /** The next frame's reservation was made since it was refused. */
  private reservedAhead = false;

  constructor(
    private readonly maxFrameBytes: number,
    /**
     * Where a frame that arrived in several chunks is assembled (a fresh buffer by default);
     * `head` is what has arrived of the frame so far, at least its first two bytes when non-empty.
     */
    private readonly allocate: (size: number, head: Buffer) => Buffer = (size) => Buffer.allocUnsafe(size),
    /**
     * Reserves room for a frame of `size` bytes when its size prefix arrives. False when there is
     * none yet: the decoder takes nothing more until {@link granted} says the room was reserved.
     */
    private readonly reserve: (size: number) => boolean = () => true,
  ) {}

  /** True while the next frame waits for the room a refused reservation asked for. */
  get blocked(): boolean {
    return this.waiting;
  }

  /** Adds bytes and returns every frame now complete (without its size prefix). */
  push(chunk: Buffer): Buffer[] {
    if (chunk.length > 0) {
      this.pending.push(chunk);
      this.pendingBytes += chunk.length;
    }
    const frames: Buffer[] = [];
    while (!this.waiting) {
      if (this.size < 0 && !this.takePrefix()) break;
      const size = this.size;
      if (this.assembling === undefined) {
        const first = this.pending[0];
        if (size === 0 || (first !== undefined && first.length >= size)) {
          // All in one chunk: a view of it.
          frames.push(first ? first.subarray(0, size) : EMPTY);
          this.consume(size);
          this.size = -1;
          continue;
        }
        // Spread over chunks: assembled, as its bytes arrive, in a buffer of exactly the frame
        // (never shared with the bytes of the next frame, so it can be reused once served); the
        // allocator is asked once the first two bytes (a request's API key) are here.
        if (this.pendingBytes < Math.min(2, size)) break;
        this.assembling = this.allocate(size, this.head(size));
        this.filled = 0;
      }
      const frame = this.assembling;
      while (this.filled < size && this.pendingBytes > 0) {
        const chunk = this.pending[0]!;
        const n = Math.min(chunk.length, size - this.filled);
        chunk.copy(frame, this.filled, 0, n);
        this.filled += n;
        this.consume(n);
      }
      if (this.filled < size) break;
      frames.push(frame);
      this.assembling = undefined;
      this.size = -1;
    }
    return frames;
  }

  /** The reservation refused for the next frame was made since: returns the frames now complete. */
  granted(): Buffer[] {
    if (!this.waiting) return [];
    this.waiting = false;
    this.reservedAhead = true;
    return this.push(EMPTY);
  }

  /** Reads and checks the next size prefix and reserves its frame; false when it cannot yet. */
  private takePrefix(): boolean {
    if (this.pendingBytes < 4) return false;
    const size = this.peekSize();
    if (size < 0) throw new ProtocolError(`negative frame size ${size}`);
    if (size > this.maxFrameBytes) throw new FrameTooLargeError(size, this.maxFrameBytes);
    if (this.reservedAhead) this.reservedAhead = false;
    else if (!this.reserve(size)) {
      this.waiting = true;
      return false;
    }
    this.consume(4);
    this.size = size;
    return true;
  }

  /** What has arrived of a frame of `size` bytes, at least two bytes when `size` is. */
  private head(size: number): Buffer {
    if (this.pending[0]!.length < 2 && size >= 2) {
      this.pending.splice(0, 2, Buffer.concat(this.pending.slice(0, 2)));
    }
    const first = this.pending[0]!;
    return first.length >= 2 ? first.subarray(0, Math.min(first.length, size)) : EMPTY;
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
