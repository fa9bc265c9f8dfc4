import { randomBytes, randomUUID } from 'node:crypto';
import type { Database } from '../db/database.js';
import { conflict, invalid } from './cluster-error.js';
import {
  requireChangeable,
  stateDuring,
  type AutoExpansion,
  type Cluster,
  type ClusterNode,
  type ClusterState,
  type ClusterVolume,
  type NodeRole,
  type NodeState,
  type Operation,
  type OperationState,
  type OperationStep,
  type OperationType,
  type StepState,
} from './cluster-model.js';

export interface NewCluster {
  readonly name: string;
  readonly provider: string;
  readonly zones: readonly string[];
  readonly brokersPerZone: number;
  readonly nodeType: string;
  readonly volumeSizeGiB: number;
  readonly autoExpansion: AutoExpansion;
  readonly configuration: Record<string, string>;
  readonly tags: Record<string, string>;
}

export interface NewOperation {
  readonly type: OperationType;
  readonly steps: readonly string[];
  readonly sourceInfo: Record<string, unknown>;
  readonly targetInfo: Record<string, unknown>;
}

/** MSK's cluster versions are opaque tokens that change with every update. */
export function newVersion(): string {
  return randomBytes(7).toString('hex').toUpperCase();
}

type ClusterRow = Awaited<ReturnType<Database['cluster']['findUniqueOrThrow']>>;
type NodeRow = Awaited<ReturnType<Database['node']['findUniqueOrThrow']>>;
type VolumeRow = Awaited<ReturnType<Database['volume']['findUniqueOrThrow']>>;

function toCluster(row: ClusterRow): Cluster {
  return {
    id: row.id,
    name: row.name,
    state: row.state as ClusterState,
    stateInfo: row.stateInfo,
    currentVersion: row.currentVersion,
    provider: row.provider,
    zones: JSON.parse(row.zones) as string[],
    brokersPerZone: row.brokersPerZone,
    nodeType: row.nodeType,
    volumeSizeGiB: row.volumeSizeGiB,
    autoExpansion: {
      enabled: row.autoExpansionEnabled,
      targetUtilizationPercent: row.targetUtilizationPercent,
      maxVolumeSizeGiB: row.maxVolumeSizeGiB,
      cooldownSeconds: row.cooldownSeconds,
    },
    configuration: JSON.parse(row.configuration) as Record<string, string>,
    tags: JSON.parse(row.tags) as Record<string, string>,
    basePort: row.basePort,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

function autoExpansionColumns(autoExpansion: AutoExpansion) {
  return {
    autoExpansionEnabled: autoExpansion.enabled,
    targetUtilizationPercent: autoExpansion.targetUtilizationPercent,
    maxVolumeSizeGiB: autoExpansion.maxVolumeSizeGiB,
    cooldownSeconds: autoExpansion.cooldownSeconds,
  };
}

/** A node as the domain knows it: the row's bookkeeping columns (created, updated) stay here. */
function toNode(row: NodeRow): ClusterNode {
  return {
    id: row.id,
    clusterId: row.clusterId,
    role: row.role as NodeRole,
    zone: row.zone,
    nodeIndex: row.nodeIndex,
    state: row.state as NodeState,
    providerRef: row.providerRef,
    host: row.host,
    port: row.port,
    adminPort: row.adminPort,
    peerPort: row.peerPort,
  };
}

function toVolume(row: VolumeRow): ClusterVolume {
  return {
    id: row.id,
    clusterId: row.clusterId,
    brokerId: row.brokerId,
    zone: row.zone,
    sizeGiB: row.sizeGiB,
    providerRef: row.providerRef,
    lastExpandedAt: row.lastExpandedAt,
  };
}

const withSteps = { steps: { orderBy: { position: 'asc' as const } } };

function toOperation(
  row: Awaited<ReturnType<Database['operation']['findUniqueOrThrow']>> & {
    steps: {
      position: number;
      name: string;
      state: string;
      error: string | null;
      startedAt: Date | null;
      finishedAt: Date | null;
    }[];
  },
): Operation {
  return {
    id: row.id,
    clusterId: row.clusterId,
    type: row.type as OperationType,
    state: row.state as OperationState,
    sourceInfo: JSON.parse(row.sourceInfo) as Record<string, unknown>,
    targetInfo: JSON.parse(row.targetInfo) as Record<string, unknown>,
    error: row.error,
    createdAt: row.createdAt,
    startedAt: row.startedAt,
    finishedAt: row.finishedAt,
    steps: row.steps.map((s): OperationStep => ({
      position: s.position,
      name: s.name,
      state: s.state as StepState,
      error: s.error,
      startedAt: s.startedAt,
      finishedAt: s.finishedAt,
    })),
  };
}

/**
 * The only code that touches the database for clusters, nodes, volumes and operations. Returns
 * plain objects; every change that must be all-or-nothing is one transaction.
 */
export class ClusterRepository {
  constructor(private readonly db: Database) {}

  private operationRows(operation: NewOperation, clusterId: string) {
    return {
      id: randomUUID(),
      clusterId,
      type: operation.type,
      state: 'PENDING',
      sourceInfo: JSON.stringify(operation.sourceInfo),
      targetInfo: JSON.stringify(operation.targetInfo),
      steps: {
        create: operation.steps.map((name, position) => ({
          id: randomUUID(),
          position,
          name,
          state: 'PENDING',
        })),
      },
    };
  }

  /** Creates a cluster (CREATING) with its creation operation, or throws a conflict on a taken name. */
  async createCluster(
    spec: NewCluster,
    operation: NewOperation,
  ): Promise<{ cluster: Cluster; operation: Operation }> {
    try {
      return await this.db.$transaction(async (tx) => {
        const id = randomUUID();
        const row = await tx.cluster.create({
          data: {
            id,
            name: spec.name,
            state: 'CREATING',
            currentVersion: newVersion(),
            provider: spec.provider,
            zones: JSON.stringify(spec.zones),
            brokersPerZone: spec.brokersPerZone,
            nodeType: spec.nodeType,
            volumeSizeGiB: spec.volumeSizeGiB,
            ...autoExpansionColumns(spec.autoExpansion),
            configuration: JSON.stringify(spec.configuration),
            tags: JSON.stringify(spec.tags),
          },
        });
        const op = await tx.operation.create({ data: this.operationRows(operation, id), include: withSteps });
        return { cluster: toCluster(row), operation: toOperation(op) };
      });
    } catch (error) {
      if ((error as { code?: string }).code === 'P2002')
        throw conflict('name', `a cluster named ${spec.name} already exists`);
      throw error;
    }
  }

  async getCluster(id: string): Promise<Cluster | undefined> {
    const row = await this.db.cluster.findUnique({ where: { id } });
    return row ? toCluster(row) : undefined;
  }

  /** Every cluster in one of these states (what the monitors watch). */
  async clustersIn(states: readonly ClusterState[]): Promise<Cluster[]> {
    const rows = await this.db.cluster.findMany({
      where: { state: { in: [...states] } },
      orderBy: { id: 'asc' },
    });
    return rows.map(toCluster);
  }

  async listClusters(options: {
    state?: string;
    nameFilter?: string;
    maxResults: number;
    after?: string;
  }): Promise<{ clusters: Cluster[]; next?: string }> {
    const rows = await this.db.cluster.findMany({
      where: {
        ...(options.state ? { state: options.state } : {}),
        ...(options.nameFilter ? { name: { startsWith: options.nameFilter } } : {}),
        ...(options.after ? { id: { gt: options.after } } : {}),
      },
      orderBy: { id: 'asc' },
      take: options.maxResults + 1,
    });
    const page = rows.slice(0, options.maxResults).map(toCluster);
    return { clusters: page, next: rows.length > options.maxResults ? page.at(-1)!.id : undefined };
  }

  /**
   * Starts a mutating operation on a cluster that takes changes (requireChangeable). The cluster
   * gets a new version and the state it shows during the operation.
   */
  async startOperation(
    clusterId: string,
    expectedVersion: string | undefined,
    operation: NewOperation,
    changes: Partial<Pick<Cluster, 'brokersPerZone' | 'volumeSizeGiB' | 'autoExpansion'>> = {},
  ): Promise<{ cluster: Cluster; operation: Operation }> {
    return this.db.$transaction(async (tx) => {
      const current = await tx.cluster.findUnique({ where: { id: clusterId } });
      if (!current) throw conflict('clusterId', 'the cluster does not exist');
      requireChangeable(current, expectedVersion);
      const updated = await tx.cluster.updateMany({
        where: { id: clusterId, currentVersion: current.currentVersion, state: 'ACTIVE' },
        data: {
          state: stateDuring(operation.type),
          stateInfo: null,
          currentVersion: newVersion(),
          ...(changes.brokersPerZone !== undefined ? { brokersPerZone: changes.brokersPerZone } : {}),
          ...(changes.volumeSizeGiB !== undefined ? { volumeSizeGiB: changes.volumeSizeGiB } : {}),
          ...(changes.autoExpansion ? autoExpansionColumns(changes.autoExpansion) : {}),
        },
      });
      if (updated.count !== 1) throw conflict('currentVersion', 'the cluster changed concurrently; retry');
      const op = await tx.operation.create({
        data: this.operationRows(operation, clusterId),
        include: withSteps,
      });
      const cluster = await tx.cluster.findUniqueOrThrow({ where: { id: clusterId } });
      return { cluster: toCluster(cluster), operation: toOperation(op) };
    });
  }

  /** Deletion is allowed from ACTIVE and FAILED (MSK: a failed cluster can only be deleted). */
  async startDeletion(
    clusterId: string,
    operation: NewOperation,
  ): Promise<{ cluster: Cluster; operation: Operation }> {
    return this.db.$transaction(async (tx) => {
      const updated = await tx.cluster.updateMany({
        where: { id: clusterId, state: { in: ['ACTIVE', 'FAILED'] } },
        data: { state: 'DELETING', currentVersion: newVersion() },
      });
      if (updated.count !== 1) {
        const current = await tx.cluster.findUnique({ where: { id: clusterId } });
        throw conflict(
          'state',
          current
            ? `the cluster is ${current.state}: it can be deleted once ACTIVE or FAILED`
            : 'the cluster does not exist',
        );
      }
      const op = await tx.operation.create({
        data: this.operationRows(operation, clusterId),
        include: withSteps,
      });
      return {
        cluster: toCluster(await tx.cluster.findUniqueOrThrow({ where: { id: clusterId } })),
        operation: toOperation(op),
      };
    });
  }

  async setClusterState(
    clusterId: string,
    state: ClusterState,
    stateInfo: string | null = null,
  ): Promise<void> {
    await this.db.cluster.updateMany({ where: { id: clusterId }, data: { state, stateInfo } });
  }

  /** The port blocks clusters hold (the local provider gives a new cluster another one). */
  async basePorts(): Promise<Set<number>> {
    const rows = await this.db.cluster.findMany({
      where: { basePort: { not: null } },
      select: { basePort: true },
    });
    return new Set(rows.map((r) => r.basePort!));
  }

  async setBrokersPerZone(clusterId: string, brokersPerZone: number): Promise<void> {
    await this.db.cluster.update({ where: { id: clusterId }, data: { brokersPerZone } });
  }

  async setBasePort(clusterId: string, basePort: number): Promise<void> {
    await this.db.cluster.update({ where: { id: clusterId }, data: { basePort } });
  }

  async deleteCluster(clusterId: string): Promise<void> {
    await this.db.cluster.deleteMany({ where: { id: clusterId } });
  }

  // ---------------------------------------------------------------------------------------------
  // nodes and volumes

  async nodes(clusterId: string, role?: NodeRole): Promise<ClusterNode[]> {
    const rows = await this.db.node.findMany({
      where: { clusterId, ...(role ? { role } : {}) },
      orderBy: [{ role: 'asc' }, { nodeIndex: 'asc' }],
    });
    return rows.map(toNode);
  }

  /** Records a node if it is not recorded yet (so a re-run step does not duplicate it). */
  async ensureNode(node: Omit<ClusterNode, 'id' | 'state' | 'providerRef'>): Promise<ClusterNode> {
    const row = await this.db.node.upsert({
      where: {
        clusterId_role_nodeIndex: { clusterId: node.clusterId, role: node.role, nodeIndex: node.nodeIndex },
      },
      create: { id: randomUUID(), ...node, state: 'PENDING' },
      update: {},
    });
    return toNode(row);
  }

  async updateNode(id: string, changes: { state?: NodeState; providerRef?: string | null }): Promise<void> {
    await this.db.node.update({ where: { id }, data: changes });
  }

  async deleteNode(id: string): Promise<void> {
    await this.db.node.deleteMany({ where: { id } });
  }

  async volumes(clusterId: string): Promise<ClusterVolume[]> {
    const rows = await this.db.volume.findMany({ where: { clusterId }, orderBy: { brokerId: 'asc' } });
    return rows.map(toVolume);
  }

  async ensureVolume(
    volume: Omit<ClusterVolume, 'id' | 'providerRef' | 'lastExpandedAt'>,
  ): Promise<ClusterVolume> {
    const row = await this.db.volume.upsert({
      where: { clusterId_brokerId: { clusterId: volume.clusterId, brokerId: volume.brokerId } },
      create: { id: randomUUID(), ...volume },
      update: {},
    });
    return toVolume(row);
  }

  async updateVolume(
    id: string,
    changes: { sizeGiB?: number; providerRef?: string | null; lastExpandedAt?: Date },
  ): Promise<void> {
    await this.db.volume.update({ where: { id }, data: changes });
  }

  async deleteVolume(id: string): Promise<void> {
    await this.db.volume.deleteMany({ where: { id } });
  }

  async addUsageSample(volumeId: string, usedBytes: number, capacityBytes: number): Promise<void> {
    await this.db.volumeUsageSample.create({
      data: {
        id: randomUUID(),
        volumeId,
        usedBytes: BigInt(usedBytes),
        capacityBytes: BigInt(capacityBytes),
      },
    });
    // Keep the latest samples only.
    const old = await this.db.volumeUsageSample.findMany({
      where: { volumeId },
      orderBy: { sampledAt: 'desc' },
      skip: 100,
      select: { id: true },
    });
    if (old.length > 0)
      await this.db.volumeUsageSample.deleteMany({ where: { id: { in: old.map((o) => o.id) } } });
  }

  async latestUsage(
    volumeId: string,
  ): Promise<{ usedBytes: number; capacityBytes: number; sampledAt: Date } | undefined> {
    const row = await this.db.volumeUsageSample.findFirst({
      where: { volumeId },
      orderBy: { sampledAt: 'desc' },
    });
    return row
      ? {
          usedBytes: Number(row.usedBytes),
          capacityBytes: Number(row.capacityBytes),
          sampledAt: row.sampledAt,
        }
      : undefined;
  }

  // ---------------------------------------------------------------------------------------------
  // operations

  async operation(id: string): Promise<Operation | undefined> {
    const row = await this.db.operation.findUnique({ where: { id }, include: withSteps });
    return row ? toOperation(row) : undefined;
  }

  /** A cluster's operations, newest first; `after` is the last operation id of the previous page. */
  async operations(
    clusterId: string,
    options: { maxResults: number; after?: string },
  ): Promise<{ operations: Operation[]; next?: string }> {
    let after = {};
    if (options.after) {
      const last = await this.db.operation.findFirst({ where: { id: options.after, clusterId } });
      if (!last) throw invalid('nextToken', 'is not a token this listing returned');
      after = {
        OR: [{ createdAt: { lt: last.createdAt } }, { createdAt: last.createdAt, id: { lt: last.id } }],
      };
    }
    const rows = await this.db.operation.findMany({
      where: { clusterId, ...after },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      include: withSteps,
      take: options.maxResults + 1,
    });
    const page = rows.slice(0, options.maxResults).map(toOperation);
    return { operations: page, next: rows.length > options.maxResults ? page.at(-1)!.id : undefined };
  }

  async activeOperation(clusterId: string): Promise<Operation | undefined> {
    const row = await this.db.operation.findFirst({
      where: { clusterId, state: { in: ['PENDING', 'RUNNING'] } },
      orderBy: { createdAt: 'asc' },
      include: withSteps,
    });
    return row ? toOperation(row) : undefined;
  }

  /** Operations not yet finished, oldest first (what the worker runs, and resumes after a crash). */
  async unfinishedOperations(): Promise<Operation[]> {
    const rows = await this.db.operation.findMany({
      where: { state: { in: ['PENDING', 'RUNNING'] } },
      orderBy: { createdAt: 'asc' },
      include: withSteps,
    });
    return rows.map(toOperation);
  }

  async markOperationRunning(id: string): Promise<void> {
    await this.db.operation.updateMany({
      where: { id, state: 'PENDING' },
      data: { state: 'RUNNING', startedAt: new Date() },
    });
  }

  async markStep(
    operationId: string,
    position: number,
    state: StepState,
    error: string | null = null,
  ): Promise<void> {
    const now = new Date();
    await this.db.operationStep.update({
      where: { operationId_position: { operationId, position } },
      data: {
        state,
        error,
        ...(state === 'RUNNING' ? { startedAt: now, finishedAt: null } : { finishedAt: now }),
      },
    });
  }

  // ---------------------------------------------------------------------------------------------
  // what /metrics reports

  async clusterCountsByState(): Promise<Map<string, number>> {
    const groups = await this.db.cluster.groupBy({ by: ['state'], _count: { _all: true } });
    return new Map(groups.map((g) => [g.state, g._count._all]));
  }

  async operationCountsByTypeAndState(): Promise<{ type: string; state: string; count: number }[]> {
    const groups = await this.db.operation.groupBy({ by: ['type', 'state'], _count: { _all: true } });
    return groups.map((g) => ({ type: g.type, state: g.state, count: g._count._all }));
  }

  /** Each volume's latest usage, with its cluster's name. */
  async volumeUsages(): Promise<
    { cluster: string; brokerId: number; usedBytes: number; capacityBytes: number }[]
  > {
    const volumes = await this.db.volume.findMany({
      include: { cluster: { select: { name: true } }, samples: { orderBy: { sampledAt: 'desc' }, take: 1 } },
    });
    return volumes.flatMap((v) =>
      v.samples.map((s) => ({
        cluster: v.cluster.name,
        brokerId: v.brokerId,
        usedBytes: Number(s.usedBytes),
        capacityBytes: Number(s.capacityBytes),
      })),
    );
  }

  async finishOperation(
    id: string,
    state: 'SUCCEEDED' | 'FAILED',
    error: string | null = null,
  ): Promise<void> {
    await this.db.operation.update({ where: { id }, data: { state, error, finishedAt: new Date() } });
  }
}
