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

/** Which of a node's resources a set of tags is for (its `strata:kind` tag). */
export type NodeResourceKind = 'instance' | 'volume' | 'interface';

/** The tags of one node's instance, data volume or network interface, by key. */
export function nodeTagValues(
  cluster: Pick<Cluster, 'id' | 'name'>,
  node: NodeIdentity,
  kind: NodeResourceKind,
): Record<string, string> {
  return {
    Name: `strata-${cluster.name}-${node.role}-${node.index}`,
    [TAG.managed]: 'true',
    [TAG.cluster]: cluster.id,
    [TAG.role]: node.role,
    [TAG.zone]: node.zone,
    [TAG.nodeIndex]: String(node.index),
    [TAG.kind]: kind,
    ...(node.role === 'broker' ? { [TAG.brokerId]: String(node.index) } : {}),
  };
}

export function nodeTags(cluster: Cluster, node: NodeIdentity, kind: NodeResourceKind): Tag[] {
  return Object.entries(nodeTagValues(cluster, node, kind)).map(([Key, Value]) => ({ Key, Value }));
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
