/** Makes the buffer a fetch reads log data into. */
export type ReadAllocator = (length: number) => Buffer;

/**
 * Reusable buffers for the bulk bytes a broker moves: the log data a fetch reads from the page
 * cache before it goes out on the socket, and produce requests assembled from the socket's
 * chunks before they are appended. Each lives only until its request is served, and a fresh
 * buffer each time costs page faults on first touch and garbage collection, which the pool pays
 * once. Anything larger than a slab gets a buffer of its own.
 */
export class ReadBufferPool {
  private readonly free: ArrayBuffer[] = [];
  /** Slabs handed out and not yet returned; a release of anything else is ignored. */
  private readonly issued = new WeakSet<ArrayBuffer>();

  constructor(
    readonly slabBytes = 1024 * 1024,
    /** Free slabs kept for reuse; slabs returned beyond this are left to the garbage collector. */
    private readonly maxFreeSlabs = 64,
  ) {}

  get freeSlabs(): number {
    return this.free.length;
  }

  /** A buffer of `length` bytes on a slab of its own, or undefined when it is larger than a slab. */
  acquire(length: number): Buffer | undefined {
    if (length > this.slabBytes) return undefined;
    const slab = this.free.pop() ?? new ArrayBuffer(this.slabBytes);
    this.issued.add(slab);
    return Buffer.from(slab, 0, length);
  }

  /**
   * Gives back the slab under a buffer `acquire` returned. Only once nothing refers to the
   * buffer any more (the response written, the request served); a second release is ignored.
   */
  release(buffer: Buffer): void {
    const slab = buffer.buffer as ArrayBuffer;
    if (!this.issued.has(slab)) return;
    this.issued.delete(slab);
    if (this.free.length < this.maxFreeSlabs) this.free.push(slab);
  }

  /** A lease for one response: every buffer it allocates goes back to the pool on `release`. */
  lease(): ReadLease {
    return new ReadLease(this);
  }
}

/**
 * The buffers one response reads into. Release it only once nothing refers to them any more:
 * after the response was written to the socket (its write callback), or when it never will be.
 */
export class ReadLease {
  private buffers: Buffer[] = [];

  constructor(private readonly pool: ReadBufferPool) {}

  readonly allocate: ReadAllocator = (length) => {
    const buffer = this.pool.acquire(length);
    if (!buffer) return Buffer.allocUnsafe(length);
    this.buffers.push(buffer);
    return buffer;
  };

  /** Returns the buffers to the pool; safe to call more than once. */
  release(): void {
    const buffers = this.buffers;
    this.buffers = [];
    for (const buffer of buffers) this.pool.release(buffer);
  }
}
