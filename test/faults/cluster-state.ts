import { ListOffsets, Metadata } from '../../broker-image/src/protocol/messages/index.js';
import type { BrokerCluster } from '../support/broker-cluster.js';
import { RawClient } from '../support/raw-client.js';

/** One partition as one broker's metadata shows it. */
export interface PartitionState {
  readonly partition: number;
  readonly errorCode: number;
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
}

const REQUEST_TIMEOUT_MS = 10_000;

/** Runs `use` on a fresh connection to one broker, giving up after REQUEST_TIMEOUT_MS. */
async function withBroker<T>(port: number, use: (client: RawClient) => Promise<T>): Promise<T> {
  const client = await RawClient.connect(port);
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      use(client),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer from port ${port} in ${REQUEST_TIMEOUT_MS} ms`)),
          REQUEST_TIMEOUT_MS,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
    client.destroy();
  }
}

/** The topic's partitions as the broker on `port` sees them (its own metadata, not another's). */
export async function partitionStates(port: number, topic: string): Promise<PartitionState[]> {
  const response = await withBroker(port, (c) =>
    c.request(Metadata, 12, { topics: [{ name: topic }], allowAutoTopicCreation: false }),
  );
  const found = response.topics.find((t) => t.name === topic);
  if (!found || found.errorCode !== 0) return [];
  return found.partitions
    .map((p) => ({
      partition: p.partitionIndex,
      errorCode: p.errorCode,
      leader: p.leaderId,
      leaderEpoch: p.leaderEpoch,
      replicas: [...p.replicaNodes],
      isr: [...p.isrNodes],
    }))
    .sort((a, b) => a.partition - b.partition);
}

/** The high watermark (ListOffsets latest, read uncommitted) the broker on `port` answers as leader. */
export async function highWatermark(port: number, topic: string, partition: number): Promise<number> {
  const response = await withBroker(port, (c) =>
    c.request(ListOffsets, 7, {
      replicaId: -1,
      isolationLevel: 0,
      topics: [
        { name: topic, partitions: [{ partitionIndex: partition, currentLeaderEpoch: -1, timestamp: -1 }] },
      ],
    }),
  );
  const answer = response.topics[0]?.partitions[0];
  if (!answer || answer.errorCode !== 0) {
    throw new Error(`ListOffsets for ${topic}-${partition} answered error ${answer?.errorCode ?? 'none'}`);
  }
  return answer.offset;
}

/** Brokers that answer requests: started, not exited, not frozen. */
export function answeringBrokers(cluster: BrokerCluster): number[] {
  return [...cluster.brokers.entries()]
    .filter(([, b]) => b.alive && !b.paused)
    .map(([id]) => id)
    .sort((a, b) => a - b);
}

/** Every answering broker's view of the topic; a broker that cannot be asked is left out. */
export async function viewsOf(cluster: BrokerCluster, topic: string): Promise<Map<number, PartitionState[]>> {
  const views = new Map<number, PartitionState[]>();
  await Promise.all(
    answeringBrokers(cluster).map(async (id) => {
      try {
        views.set(id, await partitionStates(cluster.broker(id).port, topic));
      } catch {
        // restarting or overloaded: asked again on the next poll
      }
    }),
  );
  return views;
}

/**
 * The partitions as the answering brokers agree on them, or undefined while they disagree on a
 * partition's leader (a broker's metadata has not caught up yet) or none answers.
 */
export function agreedView(
  views: Map<number, PartitionState[]>,
  partitions: number,
): PartitionState[] | undefined {
  const all = [...views.values()];
  if (all.length === 0) return undefined;
  const first = all[0]!;
  if (first.length !== partitions) return undefined;
  for (const view of all) {
    if (view.length !== partitions) return undefined;
    for (let p = 0; p < partitions; p++) if (view[p]!.leader !== first[p]!.leader) return undefined;
  }
  return first;
}

/**
 * What keeps the cluster from being healed, each with the brokers that see it
 * ("partition 1 ISR [1,2] lacks [3] (brokers 1,2)"); empty when it is healed.
 */
export function healProblems(
  cluster: BrokerCluster,
  views: Map<number, PartitionState[]>,
  partitions: number,
): string[] {
  const problems: string[] = [];
  for (const [id, broker] of cluster.brokers) {
    if (!broker.alive) problems.push(`broker ${id} is not running`);
    else if (broker.paused) problems.push(`broker ${id} is frozen`);
    else if (!views.has(id)) problems.push(`broker ${id} did not answer Metadata`);
  }
  const seenBy = new Map<string, number[]>();
  const see = (problem: string, broker: number): void => {
    seenBy.set(problem, [...(seenBy.get(problem) ?? []), broker]);
  };
  for (const [id, view] of views) {
    if (view.length !== partitions) {
      see(`${view.length} of ${partitions} partitions known`, id);
      continue;
    }
    for (const p of view) {
      if (p.leader < 0) see(`partition ${p.partition} has no leader`, id);
      else if (!p.isr.includes(p.leader))
        see(`partition ${p.partition} leader ${p.leader} is not in its ISR`, id);
      const missing = p.replicas.filter((r) => !p.isr.includes(r));
      if (missing.length > 0) see(`partition ${p.partition} ISR ${fmt(p.isr)} lacks ${fmt(missing)}`, id);
    }
  }
  for (const [problem, brokers] of seenBy) problems.push(`${problem} (brokers ${fmt(brokers).slice(1, -1)})`);
  if (problems.length === 0 && !agreedView(views, partitions))
    problems.push('brokers disagree on the leaders');
  return problems;
}

/** Replicas some answering broker shows outside their partition's ISR, as "partition/replica". */
export function outOfSyncReplicas(views: Map<number, PartitionState[]>): Set<string> {
  const out = new Set<string>();
  for (const view of views.values()) {
    for (const p of view) for (const r of p.replicas) if (!p.isr.includes(r)) out.add(`${p.partition}/${r}`);
  }
  return out;
}

function fmt(ids: readonly number[]): string {
  return `[${[...ids].sort((a, b) => a - b).join(',')}]`;
}
