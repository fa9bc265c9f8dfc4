import type { Logger } from 'pino';
import {
  COORDINATOR_COUNT,
  bootstrapServers,
  brokerCount,
  zoneOfBroker,
  zoneOfCoordinator,
  type Cluster,
  type ClusterNode,
  type ClusterVolume,
  type NodeRole,
  type Operation,
} from '../clusters/cluster-model.js';
import type { ClusterRepository } from '../clusters/cluster-repository.js';
import { ClusterAdmin } from '../kafka/cluster-admin.js';
import { balancedAssignment, movesBetween } from '../kafka/rebalance.js';
import type { NodeProvider } from '../providers/provider.js';
import { waitFor } from './wait-for.js';

/** What a step works with. Every step is safe to run again from its start (after a crash). */
export interface StepContext {
  readonly cluster: Cluster;
  readonly operation: Operation;
  readonly repository: ClusterRepository;
  readonly provider: NodeProvider;
  readonly logger: Logger;
}

export type Step = (context: StepContext) => Promise<void>;

const NODE_START_TIMEOUT_MS = 120_000;
const REBALANCE_TIMEOUT_MS = 15 * 60_000;

/** The broker ids a cluster has once the operation is done (1..n). */
function targetBrokerIds(context: StepContext): number[] {
  const target = Number(context.operation.targetInfo.brokerCount ?? brokerCount(context.cluster));
  return Array.from({ length: target }, (_, i) => i + 1);
}

function adminOf(brokers: readonly ClusterNode[]): ClusterAdmin {
  return new ClusterAdmin(bootstrapServers(brokers));
}

/** Records nodes and volumes for the coordinators and the target brokers (ports from the provider). */
async function recordNodes(context: StepContext, brokerIds: readonly number[]): Promise<void> {
  const { cluster, repository, provider } = context;
  for (let i = 0; i < COORDINATOR_COUNT; i++) {
    await repository.ensureNode({
      clusterId: cluster.id,
      role: 'coordinator',
      zone: zoneOfCoordinator(cluster.zones, i),
      nodeIndex: i,
      ...(await provider.nodeAddress(cluster, 'coordinator', i)),
    });
  }
  for (const brokerId of brokerIds) {
    const zone = zoneOfBroker(cluster.zones, brokerId);
    await repository.ensureNode({
      clusterId: cluster.id,
      role: 'broker',
      zone,
      nodeIndex: brokerId,
      ...(await provider.nodeAddress(cluster, 'broker', brokerId)),
    });
    await repository.ensureVolume({ clusterId: cluster.id, brokerId, zone, sizeGiB: cluster.volumeSizeGiB });
  }
}

/** Starts a broker on its volume and records what the provider started. */
async function startBroker(
  context: StepContext,
  node: ClusterNode,
  volume: ClusterVolume,
  coordinators: readonly ClusterNode[],
): Promise<void> {
  const started = await context.provider.startBroker(context.cluster, node, volume, coordinators);
  await context.repository.updateNode(node.id, { state: 'RUNNING', providerRef: started.nodeRef });
  if (started.volumeRef !== volume.providerRef) {
    await context.repository.updateVolume(volume.id, { providerRef: started.volumeRef });
  }
}

type NodeWork = Pick<StepContext, 'cluster' | 'repository' | 'provider'>;

/** Kills a cluster's nodes (of one role, or all of them) and records them stopped. */
export async function killNodes({ cluster, repository, provider }: NodeWork, role?: NodeRole): Promise<void> {
  for (const node of await repository.nodes(cluster.id, role)) {
    await provider.stopNode(cluster, node, 'kill');
    await repository.updateNode(node.id, { state: 'STOPPED' });
  }
}

/** Releases a stopped broker that leaves the cluster: what the provider holds for it, its records. */
export async function releaseBroker(
  { cluster, repository, provider }: NodeWork,
  node: ClusterNode,
  volumes: readonly ClusterVolume[],
): Promise<void> {
  await provider.releaseBroker(cluster, node.nodeIndex);
  const volume = volumes.find((v) => v.brokerId === node.nodeIndex);
  if (volume) await repository.deleteVolume(volume.id);
  await repository.deleteNode(node.id);
}

async function coordinatorsHealthy(nodes: readonly ClusterNode[]): Promise<boolean> {
  const checks = await Promise.all(
    nodes.map(async (n) => {
      try {
        const body = (await (await fetch(`http://${n.host}:${n.port}/health`)).json()) as { health?: string };
        return body.health === 'true';
      } catch {
        return false;
      }
    }),
  );
  return checks.every(Boolean);
}

async function brokersReady(brokers: readonly ClusterNode[], expected: readonly number[]): Promise<boolean> {
  for (const b of brokers) {
    try {
      if (!(await fetch(`http://${b.host}:${b.adminPort}/readyz`)).ok) return false;
    } catch {
      return false;
    }
  }
  try {
    const view = await adminOf(brokers).describe();
    const registered = new Set(view.brokers.map((b) => b.id));
    return expected.every((id) => registered.has(id));
  } catch {
    return false;
  }
}

/** The steps, by name. Operation plans list them in order. */
export const STEPS: Record<string, Step> = {
  async 'reserve-resources'(context) {
    const prepared = await context.provider.prepareCluster(context.cluster);
    if (prepared.basePort !== null && prepared.basePort !== context.cluster.basePort) {
      await context.repository.setBasePort(context.cluster.id, prepared.basePort);
    }
    await recordNodes({ ...context, cluster: prepared }, targetBrokerIds(context));
  },

  async 'record-new-brokers'(context) {
    await recordNodes(context, targetBrokerIds(context));
  },

  async 'start-coordinators'(context) {
    const coordinators = await context.repository.nodes(context.cluster.id, 'coordinator');
    for (const node of coordinators) {
      const ref = await context.provider.startCoordinator(context.cluster, node, coordinators);
      await context.repository.updateNode(node.id, { state: 'RUNNING', providerRef: ref });
    }
  },

  async 'await-coordinators'(context) {
    const coordinators = await context.repository.nodes(context.cluster.id, 'coordinator');
    await waitFor(
      () => coordinatorsHealthy(coordinators),
      NODE_START_TIMEOUT_MS,
      'the coordinator quorum to be healthy',
    );
  },

  async 'start-brokers'(context) {
    const coordinators = await context.repository.nodes(context.cluster.id, 'coordinator');
    const volumes = new Map(
      (await context.repository.volumes(context.cluster.id)).map((v) => [v.brokerId, v]),
    );
    const wanted = new Set(targetBrokerIds(context));
    for (const node of await context.repository.nodes(context.cluster.id, 'broker')) {
      if (!wanted.has(node.nodeIndex)) continue;
      await startBroker(context, node, volumes.get(node.nodeIndex)!, coordinators);
    }
  },

  async 'await-brokers'(context) {
    const wanted = targetBrokerIds(context);
    const brokers = (await context.repository.nodes(context.cluster.id, 'broker')).filter((b) =>
      wanted.includes(b.nodeIndex),
    );
    await waitFor(
      () => brokersReady(brokers, wanted),
      NODE_START_TIMEOUT_MS,
      'every broker to be ready and registered',
    );
  },

  /**
   * Moves partitions so replicas and preferred leaders spread evenly over the target brokers
   * (onto new brokers after a scale-out, off leaving brokers before a scale-in), then waits until
   * every move is done and leadership follows the preferred replicas.
   */
  async 'rebalance-partitions'(context) {
    const wanted = targetBrokerIds(context);
    const brokers = (await context.repository.nodes(context.cluster.id, 'broker')).filter((b) =>
      wanted.includes(b.nodeIndex),
    );
    const admin = adminOf(brokers);
    const view = await admin.describe();
    const placement = wanted.map((id) => ({
      id,
      rack: view.brokers.find((b) => b.id === id)?.rack ?? zoneOfBroker(context.cluster.zones, id),
    }));
    const target = balancedAssignment(view.partitions, placement);
    const moves = movesBetween(view.partitions, target);
    context.logger.info(
      { cluster: context.cluster.id, moves: moves.length, partitions: view.partitions.length },
      'rebalancing partitions',
    );
    await admin.reassign(moves);
    await waitFor(
      async () => (await admin.reassignmentsInProgress(target)) === 0,
      REBALANCE_TIMEOUT_MS,
      'the partition moves to finish',
    );
    await waitFor(
      async () => {
        const now = await admin.describe();
        const misled = now.partitions.filter((p) => p.leader !== p.replicas[0]);
        if (misled.length > 0) await admin.electPreferredLeaders(misled);
        return (
          misled.length === 0 && now.partitions.every((p) => p.replicas.every((id) => wanted.includes(id)))
        );
      },
      REBALANCE_TIMEOUT_MS,
      'preferred leaders to lead',
    );
  },

  /**
   * Stops the brokers a scale-in removes, then waits until the brokers that stay no longer list
   * them: a broker that had to be killed (a shutdown past its deadline) stays registered until its
   * metadata lease expires, and clients would be handed its address until then.
   */
  async 'stop-removed-brokers'(context) {
    const wanted = new Set(targetBrokerIds(context));
    const brokers = await context.repository.nodes(context.cluster.id, 'broker');
    const removed = brokers.filter((b) => !wanted.has(b.nodeIndex));
    for (const node of removed) {
      await context.provider.stopNode(context.cluster, node, 'graceful');
      await context.repository.updateNode(node.id, { state: 'STOPPED' });
    }
    const admin = adminOf(brokers.filter((b) => wanted.has(b.nodeIndex)));
    await waitFor(
      async () => {
        const listed = new Set((await admin.describe().catch(() => null))?.brokers.map((b) => b.id) ?? []);
        return listed.size > 0 && removed.every((b) => !listed.has(b.nodeIndex));
      },
      NODE_START_TIMEOUT_MS,
      `brokers ${removed.map((b) => b.nodeIndex).join(', ')} to leave the cluster's metadata`,
    );
  },

  async 'release-removed-brokers'(context) {
    const wanted = new Set(targetBrokerIds(context));
    const volumes = await context.repository.volumes(context.cluster.id);
    for (const node of await context.repository.nodes(context.cluster.id, 'broker')) {
      if (wanted.has(node.nodeIndex)) continue;
      await releaseBroker(context, node, volumes);
    }
  },

  /** Grows volumes to their target sizes (all of them, or the brokers an auto-expansion names). */
  async 'grow-volumes'(context) {
    const targets =
      (context.operation.targetInfo.volumes as { brokerId: number; sizeGiB: number }[] | undefined) ?? null;
    const brokers = new Map(
      (await context.repository.nodes(context.cluster.id, 'broker')).map((b) => [b.nodeIndex, b]),
    );
    for (const volume of await context.repository.volumes(context.cluster.id)) {
      const size = targets
        ? targets.find((t) => t.brokerId === volume.brokerId)?.sizeGiB
        : Number(context.operation.targetInfo.volumeSizeGiB);
      if (size === undefined || size <= volume.sizeGiB) continue;
      await context.provider.resizeVolume(context.cluster, volume, brokers.get(volume.brokerId)!, size);
      await context.repository.updateVolume(volume.id, { sizeGiB: size, lastExpandedAt: new Date() });
      context.logger.info(
        { cluster: context.cluster.id, broker: volume.brokerId, from: volume.sizeGiB, to: size },
        'volume grown',
      );
    }
  },

  /** A rolling reboot of one broker: a clean stop (leadership moved off first), then a start. */
  async 'restart-broker'(context) {
    const brokerId = Number(context.operation.targetInfo.brokerId);
    const node = (await context.repository.nodes(context.cluster.id, 'broker')).find(
      (b) => b.nodeIndex === brokerId,
    );
    if (!node) throw new Error(`broker ${brokerId} does not exist`);
    const coordinators = await context.repository.nodes(context.cluster.id, 'coordinator');
    const volume = (await context.repository.volumes(context.cluster.id)).find(
      (v) => v.brokerId === brokerId,
    )!;
    // Run again after a crash, it reboots the broker once more: the cluster ends the same.
    await context.provider.stopNode(context.cluster, node, 'graceful');
    await startBroker(context, node, volume, coordinators);
  },

  /** Starts again every node that died: same broker id, same data volume (what survived). */
  async 'replace-failed-nodes'(context) {
    const coordinators = await context.repository.nodes(context.cluster.id, 'coordinator');
    for (const node of coordinators) {
      if (await context.provider.isRunning(context.cluster, node)) continue;
      context.logger.warn(
        { cluster: context.cluster.id, coordinator: node.nodeIndex },
        'replacing a failed coordinator',
      );
      await context.repository.updateNode(node.id, {
        state: 'RUNNING',
        providerRef: await context.provider.startCoordinator(context.cluster, node, coordinators),
      });
    }
    const volumes = new Map(
      (await context.repository.volumes(context.cluster.id)).map((v) => [v.brokerId, v]),
    );
    for (const node of await context.repository.nodes(context.cluster.id, 'broker')) {
      if (await context.provider.isRunning(context.cluster, node)) continue;
      context.logger.warn(
        { cluster: context.cluster.id, broker: node.nodeIndex },
        'replacing a failed broker',
      );
      await startBroker(context, node, volumes.get(node.nodeIndex)!, coordinators);
    }
  },

  async 'stop-brokers'(context) {
    await killNodes(context, 'broker');
  },

  async 'stop-coordinators'(context) {
    await killNodes(context, 'coordinator');
  },

  async 'release-resources'(context) {
    await context.provider.releaseCluster(context.cluster);
  },
};
