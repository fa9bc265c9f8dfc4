/** Makes the buffer a fetch reads log data into. */
export type ReadAllocator = (length: number) => Buffer;

/**
 * Reusable buffers for the log data fetches send. A fetch reads up to a partition's
 * `partitionMaxBytes` (1 MiB by default) from the page cache into memory, and the buffer lives
 * only until the response is on the socket; a fresh buffer per read costs page faults on first
 * touch and garbage-collection work, which the pool spends once. Reads larger than a slab get
 * buffers of their own.
 */
export class ReadBufferPool {
  private readonly free: ArrayBuffer[] = [];
  /** Slabs handed out and not yet returned (for the admin view and tests). */
  outstanding = 0;

  constructor(
    readonly slabBytes = 1024 * 1024,
    /** Free slabs kept for reuse; slabs returned beyond this are left to the garbage collector. */
    private readonly maxFreeSlabs = 64,
  ) {}

  /** A lease for one response: every buffer it allocates goes back to the pool on `release`. */
  lease(): ReadLease {
    return new ReadLease(this);
  }

  get freeSlabs(): number {
    return this.free.length;
  }

  /** @internal A slab (whole) for a read of `length` bytes, or undefined when it is too large. */
  take(length: number): ArrayBuffer | undefined {
    if (length > this.slabBytes) return undefined;
    this.outstanding++;
    return this.free.pop() ?? new ArrayBuffer(this.slabBytes);
  }

  /** @internal */
  give(slab: ArrayBuffer): void {
    this.outstanding--;
    if (this.free.length < this.maxFreeSlabs) this.free.push(slab);
  }
}

/**
 * The buffers one response reads into. Release it only once nothing refers to them any more:
 * after the response was written to the socket (its write callback), or when it never will be.
 */
export class ReadLease {
  private slabs: ArrayBuffer[] = [];

  constructor(private readonly pool: ReadBufferPool) {}

  readonly allocate: ReadAllocator = (length) => {
    const slab = this.pool.take(length);
    if (!slab) return Buffer.allocUnsafe(length);
    this.slabs.push(slab);
    return Buffer.from(slab, 0, length);
  };

  /** Returns the buffers to the pool; safe to call more than once. */
  release(): void {
    const slabs = this.slabs;
    this.slabs = [];
    for (const slab of slabs) this.pool.give(slab);
  }
}
