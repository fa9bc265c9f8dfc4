import { describe, expect, it } from 'vitest';
import {
  balancedAssignment,
  movesBetween,
  type PartitionReplicas,
} from '../../control-plane/src/kafka/rebalance.js';

/** The partition placement a scale-out or scale-in moves to: balanced, zone-aware, few moves. */

const zones = ['az-a', 'az-b', 'az-c'];
const brokers = (count: number) =>
  Array.from({ length: count }, (_, i) => ({ id: i + 1, rack: zones[i % zones.length]! }));

/** Kafka's own placement on `count` brokers: round-robin, replicas on consecutive brokers. */
function roundRobin(topic: string, partitions: number, factor: number, count: number): PartitionReplicas[] {
  return Array.from({ length: partitions }, (_, p) => ({
    topic,
    partition: p,
    replicas: Array.from({ length: factor }, (_, r) => ((p + r) % count) + 1),
  }));
}

function counts(assignment: readonly PartitionReplicas[], ids: readonly number[]) {
  const replicas = new Map(ids.map((id) => [id, 0]));
  const leaders = new Map(ids.map((id) => [id, 0]));
  for (const p of assignment) {
    for (const id of p.replicas) replicas.set(id, replicas.get(id)! + 1);
    leaders.set(p.replicas[0]!, leaders.get(p.replicas[0]!)! + 1);
  }
  const spread = (m: Map<number, number>) => Math.max(...m.values()) - Math.min(...m.values());
  return { replicas, leaders, replicaSpread: spread(replicas), leaderSpread: spread(leaders) };
}

const rackOf = (id: number) => zones[(id - 1) % zones.length];

describe('balanced assignment', () => {
  it('scale-out 3 → 6: replicas and leaders spread evenly, in three zones, each partition still RF 3', () => {
    const before = [
      ...roundRobin('orders', 12, 3, 3),
      ...roundRobin('clicks', 6, 3, 3),
      ...roundRobin('__consumer_offsets', 50, 3, 3),
    ];
    const after = balancedAssignment(before, brokers(6));
    const { replicaSpread, leaderSpread, replicas } = counts(after, [1, 2, 3, 4, 5, 6]);
    expect(replicaSpread).toBeLessThanOrEqual(1);
    expect(leaderSpread).toBeLessThanOrEqual(1);
    expect([...replicas.values()].reduce((a, b) => a + b)).toBe(68 * 3);
    for (const p of after) {
      expect(new Set(p.replicas).size).toBe(3);
      expect(new Set(p.replicas.map(rackOf)).size).toBe(3);
    }
  });

  it('scale-out moves only about the share the new brokers take', () => {
    const before = roundRobin('orders', 30, 3, 3);
    const after = balancedAssignment(before, brokers(6));
    // Replicas now on a broker that did not hold them: half of the 90 end up on brokers 4-6.
    let moved = 0;
    after.forEach((p, i) => (moved += p.replicas.filter((id) => !before[i]!.replicas.includes(id)).length));
    expect(moved).toBe(45);
  });

  it('scale-in 6 → 3: nothing left on the leaving brokers, still balanced and zone-aware', () => {
    const before = roundRobin('orders', 24, 3, 6);
    const after = balancedAssignment(before, brokers(3));
    for (const p of after) {
      expect(p.replicas.every((id) => id <= 3)).toBe(true);
      expect(new Set(p.replicas.map(rackOf)).size).toBe(3);
    }
    const { replicaSpread, leaderSpread } = counts(after, [1, 2, 3]);
    expect(replicaSpread).toBe(0);
    expect(leaderSpread).toBeLessThanOrEqual(1);
  });

  it('keeps a balanced assignment as it is', () => {
    const balanced = balancedAssignment(roundRobin('orders', 12, 3, 3), brokers(6));
    expect(movesBetween(balanced, balancedAssignment(balanced, brokers(6)))).toEqual([]);
  });

  it('places single-replica partitions evenly too', () => {
    const after = balancedAssignment(roundRobin('logs', 12, 1, 3), brokers(6));
    expect(counts(after, [1, 2, 3, 4, 5, 6]).replicaSpread).toBe(0);
  });

  it('lists as moves exactly the partitions whose replica list or order changes', () => {
    const current = [
      { topic: 't', partition: 0, replicas: [1, 2, 3] },
      { topic: 't', partition: 1, replicas: [2, 3, 1] },
      { topic: 't', partition: 2, replicas: [3, 1, 2] },
    ];
    const target = [
      { topic: 't', partition: 0, replicas: [1, 2, 3] },
      { topic: 't', partition: 1, replicas: [3, 2, 1] },
      { topic: 't', partition: 2, replicas: [4, 1, 2] },
    ];
    expect(movesBetween(current, target)).toEqual(target.slice(1));
  });
});
