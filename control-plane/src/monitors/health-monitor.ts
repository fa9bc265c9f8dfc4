import type { Logger } from 'pino';
import type { ClusterRepository } from '../clusters/cluster-repository.js';
import { ClusterError } from '../clusters/cluster-error.js';
import { PLANS } from '../operations/operation-plans.js';
import type { NodeProvider } from '../providers/provider.js';

/**
 * Watches the nodes of ACTIVE clusters. When a broker or coordinator that should run is gone, it
 * starts a HEAL_CLUSTER operation: the cluster shows HEALING while the worker replaces the node
 * (same broker id, same data volume), then ACTIVE again.
 */
export class HealthMonitor {
  constructor(
    private readonly repository: ClusterRepository,
    private readonly provider: NodeProvider,
    private readonly wakeWorker: () => void,
    private readonly logger: Logger,
  ) {}

  async pass(): Promise<void> {
    for (const cluster of await this.repository.clustersIn(['ACTIVE'])) {
      const failed: string[] = [];
      for (const node of await this.repository.nodes(cluster.id)) {
        if (node.state !== 'RUNNING') continue;
        if (!(await this.provider.isRunning(cluster, node))) failed.push(`${node.role} ${node.nodeIndex}`);
      }
      if (failed.length === 0) continue;
      try {
        await this.repository.startOperation(cluster.id, undefined, {
          type: 'HEAL_CLUSTER',
          steps: PLANS.heal,
          sourceInfo: { failedNodes: failed },
          targetInfo: {},
        });
        this.logger.warn({ cluster: cluster.id, failed }, 'nodes failed: healing the cluster');
        this.wakeWorker();
      } catch (error) {
        // Someone started another operation meanwhile: the next pass looks again.
        if (!(error instanceof ClusterError)) throw error;
      }
    }
  }
}
