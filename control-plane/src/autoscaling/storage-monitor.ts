import type { Logger } from 'pino';
import { ClusterError } from '../clusters/cluster-error.js';
import type { ClusterRepository } from '../clusters/cluster-repository.js';
import type { Cluster } from '../clusters/cluster-model.js';
import { brokerVolumeUsage } from '../kafka/broker-storage.js';
import { PLANS } from '../operations/operation-plans.js';
import { plannedExpansions, type VolumeState } from './expansion-policy.js';

/** Cluster states in which brokers run and report their usage. */
const SAMPLED_STATES = ['ACTIVE', 'UPDATING', 'REBOOTING_BROKER', 'HEALING'] as const;

/**
 * Reads every running broker's volume usage into the database and, for ACTIVE clusters with
 * auto-expansion on, starts an EXPAND_STORAGE operation for the volumes the policy says to grow.
 */
export class StorageMonitor {
  constructor(
    private readonly repository: ClusterRepository,
    private readonly wakeWorker: () => void,
    private readonly logger: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async pass(): Promise<void> {
    for (const cluster of await this.repository.clustersIn(SAMPLED_STATES)) {
      const volumes = await this.sample(cluster);
      if (cluster.state === 'ACTIVE') await this.expand(cluster, volumes);
    }
  }

  private async sample(cluster: Cluster): Promise<VolumeState[]> {
    const brokers = new Map((await this.repository.nodes(cluster.id, 'broker')).map((b) => [b.nodeIndex, b]));
    const states: VolumeState[] = [];
    for (const volume of await this.repository.volumes(cluster.id)) {
      const broker = brokers.get(volume.brokerId);
      if (!broker || broker.state !== 'RUNNING') continue;
      const usage = await brokerVolumeUsage(broker);
      if (!usage) continue;
      await this.repository.addUsageSample(volume.id, usage.usedBytes, usage.capacityBytes);
      states.push({ ...volume, ...usage, sampledAt: this.now() });
    }
    return states;
  }

  private async expand(cluster: Cluster, volumes: readonly VolumeState[]): Promise<void> {
    const expansions = plannedExpansions(cluster.autoExpansion, volumes, this.now());
    if (expansions.length === 0) return;
    try {
      await this.repository.startOperation(cluster.id, undefined, {
        type: 'EXPAND_STORAGE',
        steps: PLANS.updateStorage,
        sourceInfo: {
          volumes: expansions.map((e) => ({
            brokerId: e.brokerId,
            sizeGiB: e.fromGiB,
            utilizationPercent: Math.round(e.utilizationPercent * 10) / 10,
          })),
        },
        targetInfo: { volumes: expansions.map((e) => ({ brokerId: e.brokerId, sizeGiB: e.toGiB })) },
      });
      this.logger.info(
        { cluster: cluster.id, expansions },
        'volumes above the target utilization: expanding',
      );
      this.wakeWorker();
    } catch (error) {
      if (!(error instanceof ClusterError)) throw error;
    }
  }
}
