import { Tags } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import type { NodeRole } from '../../control-plane/src/clusters/cluster-model.js';
import {
  nodeTagValues,
  TAG,
  type NodeResourceKind,
} from '../../control-plane/src/providers/ec2/node-tags.js';

/** The tag keys the control plane's EC2 provider finds its resources by; the stack uses the same. */
export const STRATA_TAG = TAG;

export interface NodeTagProps {
  readonly clusterId: string;
  readonly role: NodeRole;
  /** A broker's id (1..n) or a coordinator's index (0..2). */
  readonly index: number;
  readonly zone: string;
  readonly kind: NodeResourceKind;
}

/**
 * The tags of one node's instance, data volume or network interface: the EC2 provider's tags, so
 * that a node of the stack's cluster is found exactly as one the control plane launched.
 */
export function nodeTags(props: NodeTagProps): Record<string, string> {
  // The stack's cluster is named by its id.
  return nodeTagValues({ id: props.clusterId, name: props.clusterId }, props, props.kind);
}

export function applyTags(scope: IConstruct, tags: Readonly<Record<string, string>>): void {
  for (const [key, value] of Object.entries(tags)) Tags.of(scope).add(key, value);
}
