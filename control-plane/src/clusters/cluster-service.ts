import { ClusterAdmin } from '../kafka/cluster-admin.js';
import {
  bootstrapServers,
  brokerCount,
  requireChangeable,
  type Cluster,
  type ClusterNode,
  type ClusterVolume,
  type Operation,
} from './cluster-model.js';
import {
  configurationProblems,
  normalisedConfiguration,
  replicationDefaults,
} from './broker-configuration.js';
import { ClusterError, conflict, invalid, notFound } from './cluster-error.js';
import {
  TAG_COUNT,
  TAG_KEY_LENGTH,
  TAG_VALUE_LENGTH,
  type BrokerCountUpdate,
  type ClusterCreation,
  type StorageUpdate,
} from './cluster-inputs.js';
import type { OperationEngine, ProviderRules } from './cluster-ports.js';
import type { ClusterRepository } from './cluster-repository.js';

export interface ClusterDetails {
  readonly cluster: Cluster;
  readonly nodes: readonly ClusterNode[];
  readonly volumes: readonly (ClusterVolume & { usedBytes: number | null; capacityBytes: number | null })[];
  readonly activeOperation: Operation | undefined;
}

/**
 * The cluster use cases, as MSK offers them: create, describe, list, scale the broker count,
 * update storage, reboot a broker, delete. Each change checks the cluster's state (and version)
 * and starts an operation; the operation worker does the work.
 */
export class ClusterService {
  constructor(
    private readonly repository: ClusterRepository,
    private readonly provider: ProviderRules,
    private readonly operations: OperationEngine,
  ) {}

  async create(input: ClusterCreation): Promise<{ cluster: Cluster; operation: Operation }> {
    const nodeTypeProblem = this.provider.checkNodeType(input.nodeType);
    if (nodeTypeProblem) throw invalid('nodeType', nodeTypeProblem);
    const zonesProblem = this.provider.checkZones(input.zones);
    if (zonesProblem) throw invalid('zones', zonesProblem);
    const total = input.zones.length * input.brokersPerZone;
    if (total > this.provider.maxBrokers) {
      throw invalid(
        'brokersPerZone',
        `the ${this.provider.name} provider runs at most ${this.provider.maxBrokers} brokers per cluster`,
      );
    }
    const storage = input.storage;
    if (storage.autoExpansion.maxVolumeSizeGiB < storage.volumeSizeGiB) {
      throw invalid('storage.autoExpansion.maxVolumeSizeGiB', 'must be at least storage.volumeSizeGiB');
    }
    const [configurationProblem] = configurationProblems(input.configuration);
    if (configurationProblem) {
      throw invalid(`configuration.${configurationProblem.setting}`, configurationProblem.problem);
    }
    const configuration = normalisedConfiguration(input.configuration);
    const tagsProblem = tagProblem(input.tags);
    if (tagsProblem) throw invalid(tagsProblem.field, tagsProblem.problem);
    const replication = replicationDefaults(input.zones.length, total, configuration);
    if (replication.replicationFactor > total) {
      throw invalid(
        'configuration.default.replication.factor',
        `must not exceed the number of brokers (${total})`,
      );
    }
    if (replication.minInSyncReplicas > replication.replicationFactor) {
      throw invalid(
        'configuration.min.insync.replicas',
        `must not exceed the replication factor (${replication.replicationFactor})`,
      );
    }
    const created = await this.repository.createCluster(
      {
        name: input.name,
        provider: this.provider.name,
        zones: input.zones,
        brokersPerZone: input.brokersPerZone,
        nodeType: input.nodeType,
        volumeSizeGiB: storage.volumeSizeGiB,
        autoExpansion: storage.autoExpansion,
        configuration,
        tags: input.tags,
      },
      {
        type: 'CREATE_CLUSTER',
        steps: this.operations.plans.create,
        sourceInfo: {},
        targetInfo: { brokerCount: total },
      },
    );
    this.operations.wake();
    return created;
  }

  async get(id: string): Promise<Cluster> {
    const cluster = await this.repository.getCluster(id);
    if (!cluster) throw notFound('clusterId', `cluster ${id}`);
    return cluster;
  }

  async describe(id: string): Promise<ClusterDetails> {
    const cluster = await this.get(id);
    const volumes = await Promise.all(
      (await this.repository.volumes(id)).map(async (v) => {
        const usage = await this.repository.latestUsage(v.id);
        return { ...v, usedBytes: usage?.usedBytes ?? null, capacityBytes: usage?.capacityBytes ?? null };
      }),
    );
    return {
      cluster,
      nodes: await this.repository.nodes(id),
      volumes,
      activeOperation: await this.repository.activeOperation(id),
    };
  }

  async bootstrapBrokers(id: string): Promise<string> {
    const cluster = await this.get(id);
    const brokers = (await this.repository.nodes(id, 'broker')).filter((b) => b.state === 'RUNNING');
    if (brokers.length === 0)
      throw conflict('state', `cluster ${cluster.name} has no running brokers yet (${cluster.state})`);
    return bootstrapServers(brokers).join(',');
  }

  /**
   * Scale-out launches brokers, then moves partitions onto them; scale-in moves partitions off
   * the leaving brokers before they stop, and is refused when the remaining brokers could not
   * hold every topic's replication factor.
   */
  async updateBrokerCount(
    id: string,
    { currentVersion, targetBrokerCount: target }: BrokerCountUpdate,
  ): Promise<{ cluster: Cluster; operation: Operation }> {
    const cluster = await this.get(id);
    requireChangeable(cluster, currentVersion);
    const zones = cluster.zones.length;
    if (target % zones !== 0)
      throw invalid('targetBrokerCount', `must be a multiple of the number of zones (${zones})`);
    const current = brokerCount(cluster);
    if (target === current) throw invalid('targetBrokerCount', `the cluster already has ${current} brokers`);
    if (target > this.provider.maxBrokers) {
      throw invalid(
        'targetBrokerCount',
        `the ${this.provider.name} provider runs at most ${this.provider.maxBrokers} brokers per cluster`,
      );
    }
    if (target < current) {
      const brokers = (await this.repository.nodes(id, 'broker')).filter((b) => b.state === 'RUNNING');
      if (brokers.length === 0)
        throw new ClusterError(
          'unavailable',
          'targetBrokerCount',
          'no broker is running to check a scale-in',
        );
      const view = await new ClusterAdmin(bootstrapServers(brokers)).describe().catch((error: unknown) => {
        throw new ClusterError(
          'unavailable',
          'targetBrokerCount',
          `the cluster's topics could not be read to check a scale-in: ${(error as Error).message}`,
        );
      });
      const needed = Math.max(0, ...view.partitions.map((p) => p.replicas.length));
      if (target < needed) {
        throw invalid(
          'targetBrokerCount',
          `topics have ${needed} replicas per partition: at least ${needed} brokers are needed`,
        );
      }
    }
    const plan = target > current ? this.operations.plans.scaleOut : this.operations.plans.scaleIn;
    const started = await this.repository.startOperation(
      id,
      currentVersion,
      {
        type: 'UPDATE_BROKER_COUNT',
        steps: plan,
        sourceInfo: { brokerCount: current },
        targetInfo: { brokerCount: target },
      },
      { brokersPerZone: target / zones },
    );
    this.operations.wake();
    return started;
  }

  async updateStorage(id: string, input: StorageUpdate): Promise<{ cluster: Cluster; operation: Operation }> {
    const cluster = await this.get(id);
    requireChangeable(cluster, input.currentVersion);
    if (input.volumeSizeGiB < cluster.volumeSizeGiB) {
      throw invalid(
        'volumeSizeGiB',
        `volumes only grow: it must be at least the current ${cluster.volumeSizeGiB} GiB`,
      );
    }
    const autoExpansion = input.autoExpansion ?? cluster.autoExpansion;
    if (autoExpansion.maxVolumeSizeGiB < input.volumeSizeGiB) {
      throw invalid('autoExpansion.maxVolumeSizeGiB', 'must be at least volumeSizeGiB');
    }
    if (input.volumeSizeGiB === cluster.volumeSizeGiB && !input.autoExpansion) {
      throw invalid('volumeSizeGiB', `the volumes already have ${cluster.volumeSizeGiB} GiB`);
    }
    const started = await this.repository.startOperation(
      id,
      input.currentVersion,
      {
        type: 'UPDATE_STORAGE',
        steps: this.operations.plans.updateStorage,
        sourceInfo: { volumeSizeGiB: cluster.volumeSizeGiB },
        targetInfo: { volumeSizeGiB: input.volumeSizeGiB },
      },
      { volumeSizeGiB: input.volumeSizeGiB, autoExpansion },
    );
    this.operations.wake();
    return started;
  }

  async rebootBroker(id: string, brokerId: number): Promise<{ cluster: Cluster; operation: Operation }> {
    const cluster = await this.get(id);
    requireChangeable(cluster, undefined);
    const brokers = await this.repository.nodes(id, 'broker');
    if (!brokers.some((b) => b.nodeIndex === brokerId)) {
      throw invalid('brokerId', `the cluster's brokers are ${brokers.map((b) => b.nodeIndex).join(', ')}`);
    }
    const started = await this.repository.startOperation(id, undefined, {
      type: 'REBOOT_BROKER',
      steps: this.operations.plans.rebootBroker,
      sourceInfo: {},
      targetInfo: { brokerId },
    });
    this.operations.wake();
    return started;
  }

  async delete(id: string): Promise<{ cluster: Cluster; operation: Operation }> {
    await this.get(id);
    const started = await this.repository.startDeletion(id, {
      type: 'DELETE_CLUSTER',
      steps: this.operations.plans.delete,
      sourceInfo: {},
      targetInfo: {},
    });
    this.operations.wake();
    return started;
  }
}

/** What is wrong with a cluster's tags, as MSK's limits say: at most 50, keys of 1-128 characters, values of at most 256. */
function tagProblem(tags: Readonly<Record<string, string>>): { field: string; problem: string } | undefined {
  const keys = Object.keys(tags);
  if (keys.length > TAG_COUNT) {
    return { field: 'tags', problem: `a cluster has at most ${TAG_COUNT} tags, not ${keys.length}` };
  }
  for (const key of keys) {
    if (key.length === 0 || key.length > TAG_KEY_LENGTH) {
      return { field: 'tags', problem: `a tag key has 1 to ${TAG_KEY_LENGTH} characters` };
    }
    if (tags[key]!.length > TAG_VALUE_LENGTH) {
      return { field: `tags.${key}`, problem: `a tag value has at most ${TAG_VALUE_LENGTH} characters` };
    }
  }
  return undefined;
}
