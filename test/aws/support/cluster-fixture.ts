import { randomUUID } from 'node:crypto';
import {
  zoneOfBroker,
  zoneOfCoordinator,
  type Cluster,
  type ClusterNode,
  type ClusterVolume,
  type NodeRole,
} from '../../../control-plane/src/clusters/cluster-model.js';
import type { NodeProvider } from '../../../control-plane/src/providers/provider.js';

/** A cluster as the control plane records it before its nodes start. */
export function testCluster(zones: readonly string[], overrides: Partial<Cluster> = {}): Cluster {
  const id = overrides.id ?? randomUUID();
  return {
    id,
    name: `c-${id.slice(0, 8)}`,
    state: 'CREATING',
    stateInfo: null,
    currentVersion: 'K1',
    provider: 'ec2',
    zones,
    brokersPerZone: 1,
    nodeType: 'm5.large',
    volumeSizeGiB: 10,
    autoExpansion: {
      enabled: false,
      targetUtilizationPercent: 60,
      maxVolumeSizeGiB: 100,
      cooldownSeconds: 60,
    },
    configuration: {},
    tags: {},
    basePort: null,
    createdAt: new Date(),
    updatedAt: new Date(),
    ...overrides,
  };
}

/** A node of the cluster, with the address the provider gives it. */
export async function addressedNode(
  provider: NodeProvider,
  cluster: Cluster,
  role: NodeRole,
  index: number,
): Promise<ClusterNode> {
  const address = await provider.nodeAddress(cluster, role, index);
  return {
    id: randomUUID(),
    clusterId: cluster.id,
    role,
    zone: role === 'broker' ? zoneOfBroker(cluster.zones, index) : zoneOfCoordinator(cluster.zones, index),
    nodeIndex: index,
    state: 'PENDING',
    providerRef: null,
    ...address,
  };
}

export function volumeOf(
  cluster: Cluster,
  broker: ClusterNode,
  sizeGiB = cluster.volumeSizeGiB,
): ClusterVolume {
  return {
    id: randomUUID(),
    clusterId: cluster.id,
    brokerId: broker.nodeIndex,
    zone: broker.zone,
    sizeGiB,
    providerRef: null,
    lastExpandedAt: null,
  };
}

/** Addresses, then starts, the cluster's three coordinators and its brokers, as a creation does. */
export async function startCluster(
  provider: NodeProvider,
  cluster: Cluster,
): Promise<{ coordinators: ClusterNode[]; brokers: ClusterNode[] }> {
  const coordinators: ClusterNode[] = [];
  for (let i = 0; i < 3; i++) coordinators.push(await addressedNode(provider, cluster, 'coordinator', i));
  const brokers: ClusterNode[] = [];
  for (let id = 1; id <= cluster.zones.length * cluster.brokersPerZone; id++)
    brokers.push(await addressedNode(provider, cluster, 'broker', id));
  for (const node of coordinators) await provider.startCoordinator(cluster, node, coordinators);
  for (const node of brokers)
    await provider.startBroker(cluster, node, volumeOf(cluster, node), coordinators);
  return { coordinators, brokers };
}
