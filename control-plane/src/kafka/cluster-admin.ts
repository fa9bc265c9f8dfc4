import {
  Connection,
  alterPartitionReassignmentsV0,
  listPartitionReassignmentsV0,
  metadataV12,
} from '@platformatic/kafka';
import { electLeadersV2 } from './elect-leaders.js';
import type { PartitionReplicas } from './rebalance.js';

const ELECTION_NOT_NEEDED = 84;

export interface PartitionView extends PartitionReplicas {
  readonly leader: number;
  readonly isr: readonly number[];
}

export interface ClusterView {
  readonly brokers: { id: number; rack: string | null }[];
  readonly partitions: PartitionView[];
}

function hostPort(address: string): [string, number] {
  const at = address.lastIndexOf(':');
  return [address.slice(0, at), Number(address.slice(at + 1))];
}

/**
 * The control plane's view of a running cluster through the Kafka protocol, with an ordinary
 * Kafka client library's connections and requests: brokers and partitions (Metadata), partition
 * moves (AlterPartitionReassignments, ListPartitionReassignments — what kafka-reassign-partitions
 * uses) and preferred-leader elections. Each request takes its own connection to the first
 * bootstrap broker that answers, so there is nothing to close.
 */
export class ClusterAdmin {
  constructor(private readonly bootstrap: readonly string[]) {}

  /** Brokers and every partition, internal topics (__consumer_offsets) included. */
  async describe(): Promise<ClusterView> {
    const metadata = await this.withConnection((c) => metadataV12.api.async(c, null, false, false));
    const partitions: PartitionView[] = [];
    for (const t of metadata.topics) {
      if (t.errorCode !== 0 || !t.name) continue;
      for (const p of t.partitions) {
        partitions.push({
          topic: t.name,
          partition: p.partitionIndex,
          leader: p.leaderId,
          replicas: [...p.replicaNodes],
          isr: [...p.isrNodes],
        });
      }
    }
    return { brokers: metadata.brokers.map((b) => ({ id: b.nodeId, rack: b.rack ?? null })), partitions };
  }

  private async withConnection<T>(use: (connection: Connection) => Promise<T>): Promise<T> {
    let lastError: unknown;
    for (const address of this.bootstrap) {
      const connection = new Connection('strata-control-plane');
      try {
        const [host, port] = hostPort(address);
        await connection.connect(host, port);
        return await use(connection);
      } catch (error) {
        lastError = error;
      } finally {
        await connection.close().catch(() => undefined);
      }
    }
    throw lastError instanceof Error ? lastError : new Error('no broker reachable');
  }

  /** Asks the cluster to move partitions to new replica lists (the leader catches them up). */
  async reassign(moves: readonly PartitionReplicas[]): Promise<void> {
    if (moves.length === 0) return;
    const byTopic = new Map<string, { partitionIndex: number; replicas: number[] }[]>();
    for (const m of moves) {
      const list = byTopic.get(m.topic) ?? [];
      list.push({ partitionIndex: m.partition, replicas: [...m.replicas] });
      byTopic.set(m.topic, list);
    }
    const response = await this.withConnection((c) =>
      alterPartitionReassignmentsV0.api.async(
        c,
        30_000,
        false,
        [...byTopic].map(([name, partitions]) => ({ name, partitions })),
      ),
    );
    const failed = response.responses.flatMap((t) =>
      t.partitions
        .filter((p) => p.errorCode !== 0)
        .map((p) => `${t.name}-${p.partitionIndex}: ${p.errorMessage ?? p.errorCode}`),
    );
    if (response.errorCode !== 0 || failed.length > 0)
      throw new Error(`reassignment refused: ${response.errorMessage ?? failed.join('; ')}`);
  }

  /** How many of these partitions are still being moved. */
  async reassignmentsInProgress(partitions: readonly PartitionReplicas[]): Promise<number> {
    if (partitions.length === 0) return 0;
    const byTopic = new Map<string, number[]>();
    for (const p of partitions) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p.partition]);
    const topics = [...byTopic].map(([name, partitionIndexes]) => ({ name, partitionIndexes }));
    const response = await this.withConnection((c) =>
      listPartitionReassignmentsV0.api.async(c, 30_000, topics),
    );
    return response.topics.reduce((n, t) => n + t.partitions.length, 0);
  }

  /**
   * Asks for preferred-leader elections: each partition's first replica leads where it is in sync.
   * Returns how many partitions could not be handed over yet (their preferred replica lags).
   */
  async electPreferredLeaders(partitions: readonly PartitionReplicas[]): Promise<number> {
    if (partitions.length === 0) return 0;
    const byTopic = new Map<string, number[]>();
    for (const p of partitions) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p.partition]);
    const topics = [...byTopic].map(([topic, list]) => ({ topic, partitions: list }));
    const response = await this.withConnection((c) => electLeadersV2.async(c, topics, 30_000));
    return response.results.filter((r) => r.errorCode !== 0 && r.errorCode !== ELECTION_NOT_NEEDED).length;
  }
}
