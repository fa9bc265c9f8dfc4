import {
  Admin,
  Connection,
  alterPartitionReassignmentsV0,
  listPartitionReassignmentsV0,
} from '@platformatic/kafka';
import type { PartitionReplicas } from './rebalance.js';

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
 * Kafka client library: brokers and partitions (Metadata), and partition moves
 * (AlterPartitionReassignments, ListPartitionReassignments — what kafka-reassign-partitions uses).
 */
export class ClusterAdmin {
  private readonly admin: Admin;

  constructor(private readonly bootstrap: readonly string[]) {
    this.admin = new Admin({
      clientId: 'strata-control-plane',
      bootstrapBrokers: [...bootstrap],
      retries: 2,
      timeout: 10_000,
    });
  }

  async describe(): Promise<ClusterView> {
    const topics = await this.admin.listTopics({ includeInternals: true });
    const metadata = await this.admin.metadata({ topics, forceUpdate: true });
    const partitions: PartitionView[] = [];
    for (const [topic, t] of metadata.topics) {
      t.partitions.forEach((p, partition) =>
        partitions.push({ topic, partition, leader: p.leader, replicas: [...p.replicas], isr: [...p.isr] }),
      );
    }
    return {
      brokers: [...metadata.brokers].map(([id, b]) => ({ id, rack: b.rack ?? null })),
      partitions,
    };
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

  async close(): Promise<void> {
    await this.admin.close().catch(() => undefined);
  }
}
