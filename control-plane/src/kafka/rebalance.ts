/**
 * Balanced replica placement for a changed set of brokers (scale-out, scale-in): pure, so it is
 * tested without a cluster. It moves as few replicas as it can: replicas on brokers that stay are
 * kept; replicas on leaving brokers move to the least-loaded brokers; then replicas move from the
 * most to the least loaded broker until counts differ by at most one. A partition's replicas stay
 * in distinct zones whenever there are enough zones, and its first replica (the preferred leader)
 * is chosen so leaders spread evenly too.
 */

export interface PartitionReplicas {
  readonly topic: string;
  readonly partition: number;
  readonly replicas: readonly number[];
}

export interface BrokerPlacement {
  readonly id: number;
  readonly rack: string | null;
}

export function balancedAssignment(
  partitions: readonly PartitionReplicas[],
  brokers: readonly BrokerPlacement[],
): PartitionReplicas[] {
  const ids = brokers.map((b) => b.id).sort((a, b) => a - b);
  const rackOf = new Map(brokers.map((b) => [b.id, b.rack ?? '']));
  const zoneCount = new Set(brokers.map((b) => b.rack ?? '')).size;
  const load = new Map(ids.map((id) => [id, 0]));
  const result = partitions.map((p) => ({
    topic: p.topic,
    partition: p.partition,
    replicas: p.replicas.filter((id) => load.has(id)),
  }));
  for (const p of result) for (const id of p.replicas) load.set(id, load.get(id)! + 1);

  /** Whether `candidate` may join `replicas` without sharing a zone that could be avoided. */
  const fits = (replicas: readonly number[], candidate: number, factor: number): boolean => {
    if (replicas.includes(candidate)) return false;
    const used = new Set(replicas.map((id) => rackOf.get(id)));
    if (!used.has(rackOf.get(candidate))) return true;
    return used.size >= Math.min(zoneCount, factor);
  };
  const byLoad = (): number[] => [...ids].sort((a, b) => load.get(a)! - load.get(b)! || a - b);

  // Replicas that were on leaving brokers go to the least-loaded brokers.
  partitions.forEach((original, i) => {
    const p = result[i]!;
    const factor = Math.min(original.replicas.length, ids.length);
    while (p.replicas.length < factor) {
      const candidate =
        byLoad().find((id) => fits(p.replicas, id, factor)) ??
        byLoad().find((id) => !p.replicas.includes(id))!;
      p.replicas.push(candidate);
      load.set(candidate, load.get(candidate)! + 1);
    }
  });

  // Even out replica counts: move one replica at a time from a more to a less loaded broker (two
  // or more apart), the most loaded first; zones decide which pairs can trade.
  const moveOne = (): boolean => {
    const order = byLoad();
    for (const most of [...order].reverse()) {
      for (const least of order) {
        if (load.get(most)! - load.get(least)! <= 1) break;
        const movable = result.find(
          (p) =>
            p.replicas.includes(most) &&
            fits(
              p.replicas.filter((id) => id !== most),
              least,
              p.replicas.length,
            ),
        );
        if (!movable) continue;
        movable.replicas[movable.replicas.indexOf(most)] = least;
        load.set(most, load.get(most)! - 1);
        load.set(least, load.get(least)! + 1);
        return true;
      }
    }
    return false;
  };
  while (moveOne());

  // Preferred leaders: each partition's first replica is its least-leading replica so far.
  const leaders = new Map(ids.map((id) => [id, 0]));
  for (const p of result) {
    const first = p.replicas.reduce(
      (best, id) => (leaders.get(id)! < leaders.get(best)! ? id : best),
      p.replicas[0]!,
    );
    p.replicas.splice(p.replicas.indexOf(first), 1);
    p.replicas.unshift(first);
    leaders.set(first, leaders.get(first)! + 1);
  }
  return result;
}

/** The partitions whose replica list (order included) changes. */
export function movesBetween(
  current: readonly PartitionReplicas[],
  target: readonly PartitionReplicas[],
): PartitionReplicas[] {
  const before = new Map(current.map((p) => [`${p.topic}\u0000${p.partition}`, p.replicas.join(',')]));
  return target.filter((p) => before.get(`${p.topic}\u0000${p.partition}`) !== p.replicas.join(','));
}
