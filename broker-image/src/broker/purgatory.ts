interface Waiter {
  readonly condition: () => boolean;
  readonly keys: readonly string[];
  finish(satisfied: boolean): void;
}

/**
 * Delayed operations keyed by partition (Kafka's purgatory): a fetch waiting for data or an
 * acks=all produce waiting for replicas registers a condition; an append or a follower's progress
 * on a partition notifies its key and the waiters whose condition now holds complete at once.
 * No polling: a waiter is only re-checked when one of its keys is notified, or at its deadline.
 */
export class Purgatory {
  private readonly watchers = new Map<string, Set<Waiter>>();

  /** Resolves true as soon as `condition` holds, false if `timeoutMs` passes first. */
  waitUntil(keys: readonly string[], timeoutMs: number, condition: () => boolean): Promise<boolean> {
    if (holds(condition)) return Promise.resolve(true);
    if (timeoutMs <= 0 || keys.length === 0) return Promise.resolve(false);
    return new Promise((resolve) => {
      let done = false;
      const waiter: Waiter = {
        condition,
        keys,
        finish: (satisfied) => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          for (const key of keys) {
            const set = this.watchers.get(key);
            set?.delete(waiter);
            if (set?.size === 0) this.watchers.delete(key);
          }
          resolve(satisfied);
        },
      };
      const timer = setTimeout(() => waiter.finish(holds(condition)), timeoutMs);
      for (const key of keys) {
        let set = this.watchers.get(key);
        if (!set) {
          set = new Set();
          this.watchers.set(key, set);
        }
        set.add(waiter);
      }
    });
  }

  /** Something changed for `key`: complete the waiters whose condition now holds. */
  notify(key: string): void {
    const set = this.watchers.get(key);
    if (!set) return;
    for (const waiter of [...set]) if (holds(waiter.condition)) waiter.finish(true);
  }

  get size(): number {
    let n = 0;
    for (const set of this.watchers.values()) n += set.size;
    return n;
  }

  /** Completes every waiter now (shutdown), each with its condition's current value. */
  completeAll(): void {
    for (const set of [...this.watchers.values()])
      for (const waiter of [...set]) waiter.finish(holds(waiter.condition));
  }
}

/**
 * A condition that throws (its partition vanished under it) counts as met: the waiting request is
 * answered now and reports the partition's state itself, instead of the error escaping a timer.
 */
function holds(condition: () => boolean): boolean {
  try {
    return condition();
  } catch {
    return true;
  }
}
