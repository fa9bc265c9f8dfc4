import { describe, expect, it } from 'vitest';
import type { BrokerRegistration } from '../../../broker-image/src/cluster/metadata.js';
import { assignReplicas, rackAlternatingOrder } from '../../../broker-image/src/cluster/placement.js';

const broker = (nodeId: number, rack: string | null): BrokerRegistration => ({ nodeId, rack, endpoints: [] });
const zones = (n: number) => Array.from({ length: n }, (_, i) => broker(i + 1, `az-${'abc'[i % 3]}`));

describe('rack-aware placement', () => {
  it('puts every partition’s replicas in distinct zones', () => {
    const brokers = zones(6);
    const rackOf = new Map(brokers.map((b) => [b.nodeId, b.rack]));
    const assignment = assignReplicas({ brokers, partitions: 30, replicationFactor: 3, startIndex: 0 });
    for (const replicas of assignment) {
      expect(new Set(replicas).size).toBe(3);
      expect(new Set(replicas.map((id) => rackOf.get(id))).size).toBe(3);
    }
  });

  it('spreads leaders and replicas evenly', () => {
    const assignment = assignReplicas({
      brokers: zones(6),
      partitions: 60,
      replicationFactor: 3,
      startIndex: 0,
    });
    const leaders = new Map<number, number>();
    const replicas = new Map<number, number>();
    for (const r of assignment) {
      leaders.set(r[0]!, (leaders.get(r[0]!) ?? 0) + 1);
      for (const id of r) replicas.set(id, (replicas.get(id) ?? 0) + 1);
    }
    expect([...leaders.values()]).toEqual([10, 10, 10, 10, 10, 10]);
    expect(Math.max(...replicas.values()) - Math.min(...replicas.values())).toBeLessThanOrEqual(2);
  });

  it('uses every zone before doubling up when the factor exceeds the zones', () => {
    const brokers = [broker(1, 'az-a'), broker(2, 'az-a'), broker(3, 'az-b'), broker(4, 'az-b')];
    const rackOf = new Map(brokers.map((b) => [b.nodeId, b.rack]));
    for (const replicas of assignReplicas({ brokers, partitions: 8, replicationFactor: 3 })) {
      expect(new Set(replicas).size).toBe(3);
      expect(new Set(replicas.map((id) => rackOf.get(id))).size).toBe(2);
    }
  });

  it('refuses more replicas than brokers with INVALID_REPLICATION_FACTOR', () => {
    expect(() => assignReplicas({ brokers: zones(2), partitions: 1, replicationFactor: 3 })).toThrow(
      expect.objectContaining({
        code: 'INVALID_REPLICATION_FACTOR',
        message: 'Replication factor: 3 larger than available brokers: 2.',
      }),
    );
  });

  it('orders brokers so consecutive ones are in different zones', () => {
    const order = rackAlternatingOrder([
      broker(1, 'a'),
      broker(2, 'a'),
      broker(3, 'b'),
      broker(4, 'c'),
      broker(5, 'b'),
    ]);
    expect(order.map((b) => b.rack)).toEqual(['a', 'b', 'c', 'a', 'b']);
  });
});
