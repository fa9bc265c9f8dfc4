import { KafkaError } from '../protocol/errors.js';
import type { BrokerRegistration } from './metadata.js';

/**
 * Rack-aware replica placement, in the spirit of Kafka's: brokers are ordered so racks alternate,
 * leaders go round-robin over that order, and each partition's followers are the next brokers in
 * racks not yet used by it (when there are enough racks), shifted per partition so followers
 * spread too. Pure, so the controller and its tests share it.
 */
export function assignReplicas(options: {
  readonly brokers: readonly BrokerRegistration[];
  readonly partitions: number;
  readonly replicationFactor: number;
  /** Index of the first partition (CreatePartitions continues an existing topic). */
  readonly firstPartition?: number;
  /** Where to start the round-robin; random by default so topics spread their leaders. */
  readonly startIndex?: number;
}): number[][] {
  const { brokers, partitions, replicationFactor } = options;
  if (replicationFactor <= 0)
    throw new KafkaError('INVALID_REPLICATION_FACTOR', 'Replication factor must be larger than 0');
  if (replicationFactor > brokers.length) {
    throw new KafkaError(
      'INVALID_REPLICATION_FACTOR',
      `Replication factor: ${replicationFactor} larger than available brokers: ${brokers.length}.`,
    );
  }
  const ordered = rackAlternatingOrder(brokers);
  const n = ordered.length;
  const racks = new Set(ordered.map((b) => b.rack ?? ''));
  const start = options.startIndex ?? Math.floor(Math.random() * n);
  const first = options.firstPartition ?? 0;
  const assignment: number[][] = [];
  for (let p = first; p < first + partitions; p++) {
    const leaderIndex = (start + p) % n;
    const replicas = [ordered[leaderIndex]!];
    const usedRacks = new Set([ordered[leaderIndex]!.rack ?? '']);
    // Shift followers by how many times the leader round-robin has wrapped.
    const shift = 1 + (Math.floor((start + p) / n) % Math.max(1, n - 1));
    let k = 0;
    while (replicas.length < replicationFactor) {
      const candidate = ordered[(leaderIndex + shift + k) % n]!;
      k++;
      if (replicas.includes(candidate)) continue;
      const rack = candidate.rack ?? '';
      const allRacksUsed = usedRacks.size >= racks.size;
      if (!allRacksUsed && usedRacks.has(rack) && k < n * 2) continue;
      replicas.push(candidate);
      usedRacks.add(rack);
      if (usedRacks.size >= racks.size) usedRacks.clear();
    }
    assignment.push(replicas.map((b) => b.nodeId));
  }
  return assignment;
}

/** Brokers by id, interleaved so consecutive brokers are in different racks where possible. */
export function rackAlternatingOrder(brokers: readonly BrokerRegistration[]): BrokerRegistration[] {
  const byRack = new Map<string, BrokerRegistration[]>();
  for (const b of [...brokers].sort((x, y) => x.nodeId - y.nodeId)) {
    const rack = b.rack ?? '';
    if (!byRack.has(rack)) byRack.set(rack, []);
    byRack.get(rack)!.push(b);
  }
  const queues = [...byRack.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, list]) => list);
  const out: BrokerRegistration[] = [];
  while (out.length < brokers.length) {
    for (const q of queues) {
      const next = q.shift();
      if (next) out.push(next);
    }
  }
  return out;
}
