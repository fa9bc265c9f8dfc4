import type { Cluster, ClusterNode, ClusterVolume, NodeRole } from '../clusters/cluster-model.js';
import type { ProviderRules } from '../clusters/cluster-ports.js';

/** Where a node listens: its Kafka or etcd client port, and its admin or etcd peer port. */
export interface NodeAddress {
  readonly host: string;
  readonly port: number;
  readonly adminPort: number | null;
  readonly peerPort: number | null;
}

/** What a provider started for a broker: the node (process, instance) and its data volume. */
export interface StartedBroker {
  readonly nodeRef: string;
  readonly volumeRef: string | null;
}

/**
 * Runs a cluster's nodes and volumes somewhere: as processes on this machine (`local`) or as EC2
 * instances with EBS volumes (`ec2`). Every method is safe to call again after a crash: starting a
 * node that runs already, or stopping one that is gone, is a no-op. Its rules (which node types,
 * zones and broker counts it runs) are the ones the cluster use cases check a request against.
 */
export interface NodeProvider extends ProviderRules {
  readonly name: 'local' | 'ec2';
  /** Reserves what a new cluster needs before its nodes are recorded. */
  prepareCluster(cluster: Cluster): Promise<Cluster>;
  /** The address a node of a prepared cluster gets (reserving it, where that takes a resource). */
  nodeAddress(cluster: Cluster, role: NodeRole, index: number): Promise<NodeAddress>;
  startCoordinator(
    cluster: Cluster,
    node: ClusterNode,
    coordinators: readonly ClusterNode[],
  ): Promise<string>;
  startBroker(
    cluster: Cluster,
    node: ClusterNode,
    volume: ClusterVolume,
    coordinators: readonly ClusterNode[],
  ): Promise<StartedBroker>;
  /** Stops a node: `graceful` lets a broker hand its leaderships over first. */
  stopNode(cluster: Cluster, node: ClusterNode, mode: 'graceful' | 'kill'): Promise<void>;
  isRunning(cluster: Cluster, node: ClusterNode): Promise<boolean>;
  /** Grows a broker's data volume to `sizeGiB`, with no restart. */
  resizeVolume(cluster: Cluster, volume: ClusterVolume, broker: ClusterNode, sizeGiB: number): Promise<void>;
  /** Removes a broker's volume and whatever else only it used (after scale-in). */
  releaseBroker(cluster: Cluster, brokerId: number): Promise<void>;
  /** Removes everything left of a deleted cluster. */
  releaseCluster(cluster: Cluster): Promise<void>;
}
