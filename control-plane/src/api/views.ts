import type { z } from 'zod';
import { brokerCount, type Cluster, type ClusterNode, type Operation } from '../clusters/cluster-model.js';
import type { ClusterDetails } from '../clusters/cluster-service.js';
import type { ClusterView, NodeView, OperationView } from './schemas.js';

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

export function operationView(op: Operation): z.infer<typeof OperationView> {
  return {
    id: op.id,
    clusterId: op.clusterId,
    type: op.type,
    state: op.state,
    sourceInfo: { ...op.sourceInfo },
    targetInfo: { ...op.targetInfo },
    error: op.error,
    createdAt: op.createdAt.toISOString(),
    startedAt: iso(op.startedAt),
    finishedAt: iso(op.finishedAt),
    steps: op.steps.map((s) => ({
      position: s.position,
      name: s.name,
      status: s.state,
      error: s.error,
      startedAt: iso(s.startedAt),
      finishedAt: iso(s.finishedAt),
    })),
  };
}

export function nodeView(node: ClusterNode): z.infer<typeof NodeView> {
  return {
    role: node.role,
    zone: node.zone,
    brokerId: node.role === 'broker' ? node.nodeIndex : null,
    coordinatorIndex: node.role === 'coordinator' ? node.nodeIndex : null,
    state: node.state,
    endpoint: `${node.host}:${node.port}`,
  };
}

export function clusterView(cluster: Cluster, details?: ClusterDetails): z.infer<typeof ClusterView> {
  const view: z.infer<typeof ClusterView> = {
    id: cluster.id,
    name: cluster.name,
    state: cluster.state,
    stateInfo: cluster.stateInfo,
    currentVersion: cluster.currentVersion,
    provider: cluster.provider,
    zones: [...cluster.zones],
    brokersPerZone: cluster.brokersPerZone,
    numberOfBrokerNodes: brokerCount(cluster),
    nodeType: cluster.nodeType,
    storage: {
      volumeSizeGiB: cluster.volumeSizeGiB,
      autoExpansion: {
        enabled: cluster.autoExpansion.enabled,
        targetUtilizationPercent: cluster.autoExpansion.targetUtilizationPercent,
        maxVolumeSizeGiB: cluster.autoExpansion.maxVolumeSizeGiB,
        cooldown: cluster.autoExpansion.cooldownSeconds,
      },
    },
    configuration: { ...cluster.configuration },
    tags: { ...cluster.tags },
    createdAt: cluster.createdAt.toISOString(),
    updatedAt: cluster.updatedAt.toISOString(),
  };
  if (!details) return view;
  const nodesByZone: Record<string, z.infer<typeof NodeView>[]> = {};
  for (const zone of cluster.zones) nodesByZone[zone] = [];
  for (const node of details.nodes) (nodesByZone[node.zone] ??= []).push(nodeView(node));
  return {
    ...view,
    nodesByZone,
    brokerStorage: details.volumes.map((v) => ({
      brokerId: v.brokerId,
      zone: v.zone,
      volumeSizeGiB: v.sizeGiB,
      usedBytes: v.usedBytes,
      capacityBytes: v.capacityBytes,
      lastExpandedAt: iso(v.lastExpandedAt),
    })),
    activeOperation: details.activeOperation ? operationView(details.activeOperation) : null,
  };
}
