import type { Logger } from 'pino';
import type { Cluster, Operation } from '../clusters/cluster-model.js';
import type { ClusterRepository } from '../clusters/cluster-repository.js';
import type { NodeProvider } from '../providers/provider.js';
import { killNodes, releaseBroker } from './steps.js';

export interface CompensationContext {
  readonly cluster: Cluster;
  readonly operation: Operation;
  /** The step that failed. */
  readonly failedStep: string;
  readonly repository: ClusterRepository;
  readonly provider: NodeProvider;
  readonly logger: Logger;
}

/**
 * Undoes what a failed operation started, so a failure leaves no orphaned node or volume: a
 * failed creation releases everything of the cluster (it is then FAILED and can only be
 * deleted); a scale-out that failed before any partition moved releases the brokers it added
 * and the cluster keeps its previous size. Other operations change nodes that hold data, so
 * they are left for healing and the operator.
 */
export async function compensate(context: CompensationContext): Promise<void> {
  const { cluster, operation, repository, provider } = context;
  if (operation.type === 'CREATE_CLUSTER') {
    await killNodes(context);
    await provider.releaseCluster(cluster);
    context.logger.warn({ cluster: cluster.id }, 'released the resources of a failed creation');
    return;
  }
  const from = Number(operation.sourceInfo.brokerCount);
  const to = Number(operation.targetInfo.brokerCount);
  if (
    operation.type === 'UPDATE_BROKER_COUNT' &&
    to > from &&
    context.failedStep !== 'rebalance-partitions'
  ) {
    const volumes = await repository.volumes(cluster.id);
    for (const node of await repository.nodes(cluster.id, 'broker')) {
      if (node.nodeIndex <= from) continue;
      await provider.stopNode(cluster, node, 'kill');
      await releaseBroker(context, node, volumes);
    }
    await repository.setBrokersPerZone(cluster.id, from / cluster.zones.length);
    context.logger.warn({ cluster: cluster.id, brokers: from }, 'released the brokers of a failed scale-out');
  }
}
