/** A connection waiting for room to read its next request. */
export interface RequestMemoryWaiter {
  /** The bytes were reserved on the waiter's behalf; it may read its request now. */
  granted(bytes: number): void;
}

/**
 * The broker-wide budget of request bytes being read or waiting to be served
 * (`queued.max.request.bytes`), as Kafka's memory pool: a request's whole size is reserved when
 * its size prefix arrives, so a request once admitted can always be read to its end, and released
 * once it is served. A connection whose next request does not fit stops reading until enough is
 * released; waiters are let in in the order they came, each as soon as its request fits.
 */
export class RequestMemory {
  private usedBytes = 0;
  private peak = 0;
  private readonly waiting = new Map<RequestMemoryWaiter, number>();

  /** `capacity` is Infinity when unbounded; it is never below the largest request allowed. */
  constructor(readonly capacity: number) {}

  /** Bytes reserved by requests being read or waiting to be served. */
  get used(): number {
    return this.usedBytes;
  }

  /** The most bytes ever reserved at once. */
  get peakUsed(): number {
    return this.peak;
  }

  get waiters(): number {
    return this.waiting.size;
  }

  /**
   * Reserves `bytes` for `waiter`'s next request: true when done at once; false when there is no
   * room, in which case `waiter.granted` is called once there is (unless it cancels first).
   */
  reserve(waiter: RequestMemoryWaiter, bytes: number): boolean {
    if (this.fits(bytes)) {
      this.take(bytes);
      return true;
    }
    this.waiting.set(waiter, bytes);
    return false;
  }

  /** Gives back bytes a request reserved, letting in waiters that now fit. */
  release(bytes: number): void {
    if (bytes <= 0) return;
    this.usedBytes -= bytes;
    if (this.usedBytes < 0) this.usedBytes = 0;
    for (const [waiter, wanted] of [...this.waiting]) {
      if (!this.fits(wanted)) continue;
      this.waiting.delete(waiter);
      this.take(wanted);
      waiter.granted(wanted);
    }
  }

  /** Stops waiting (the connection closed). */
  cancel(waiter: RequestMemoryWaiter): void {
    this.waiting.delete(waiter);
  }

  private fits(bytes: number): boolean {
    return this.usedBytes + bytes <= this.capacity;
  }

  private take(bytes: number): void {
    this.usedBytes += bytes;
    if (this.usedBytes > this.peak) this.peak = this.usedBytes;
  }
}
