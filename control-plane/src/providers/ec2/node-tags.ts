import type { Tag, TagSpecification, Filter, ResourceType } from '@aws-sdk/client-ec2';
import type { Cluster, NodeRole } from '../../clusters/cluster-model.js';

/**
 * The tags that make every EC2 resource of a cluster findable (and cleanable): managed by Strata,
 * which cluster, which role and zone, which node. Lookups always go by these tags, so a call that
 * is repeated after a crash finds what the first one created.
 */
export const TAG = {
  managed: 'strata:managed',
  cluster: 'strata:cluster',
  role: 'strata:role',
  zone: 'strata:zone',
  nodeIndex: 'strata:node-index',
  brokerId: 'strata:broker-id',
  kind: 'strata:kind',
} as const;

export interface NodeIdentity {
  readonly role: NodeRole;
  readonly index: number;
  readonly zone: string;
}

export function nodeTags(
  cluster: Cluster,
  node: NodeIdentity,
  kind: 'instance' | 'volume' | 'interface',
): Tag[] {
  return [
    { Key: 'Name', Value: `strata-${cluster.name}-${node.role}-${node.index}` },
    { Key: TAG.managed, Value: 'true' },
    { Key: TAG.cluster, Value: cluster.id },
    { Key: TAG.role, Value: node.role },
    { Key: TAG.zone, Value: node.zone },
    { Key: TAG.nodeIndex, Value: String(node.index) },
    { Key: TAG.kind, Value: kind },
    ...(node.role === 'broker' ? [{ Key: TAG.brokerId, Value: String(node.index) }] : []),
  ];
}

export function tagSpecifications(resourceTypes: ResourceType[], tags: Tag[]): TagSpecification[] {
  return resourceTypes.map((ResourceType) => ({ ResourceType, Tags: tags }));
}

/** Filters for one node's resources, or (without a node) for all of a cluster's. */
export function nodeFilters(cluster: Cluster, node?: Omit<NodeIdentity, 'zone'>, kind?: string): Filter[] {
  return [
    { Name: `tag:${TAG.managed}`, Values: ['true'] },
    { Name: `tag:${TAG.cluster}`, Values: [cluster.id] },
    ...(node
      ? [
          { Name: `tag:${TAG.role}`, Values: [node.role] },
          { Name: `tag:${TAG.nodeIndex}`, Values: [String(node.index)] },
        ]
      : []),
    ...(kind ? [{ Name: `tag:${TAG.kind}`, Values: [kind] }] : []),
  ];
}
