import { conflict } from './cluster-error.js';

/** Cluster states, as MSK names them. */
export const CLUSTER_STATES = [
  'CREATING',
  'ACTIVE',
  'UPDATING',
  'REBOOTING_BROKER',
  'HEALING',
  'DELETING',
  'FAILED',
] as const;
export type ClusterState = (typeof CLUSTER_STATES)[number];

export const OPERATION_TYPES = [
  'CREATE_CLUSTER',
  'DELETE_CLUSTER',
  'UPDATE_BROKER_COUNT',
  'UPDATE_STORAGE',
  'EXPAND_STORAGE',
  'REBOOT_BROKER',
  'HEAL_CLUSTER',
] as const;
export type OperationType = (typeof OPERATION_TYPES)[number];

export type OperationState = 'PENDING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED';
export type StepState = 'PENDING' | 'RUNNING' | 'DONE' | 'FAILED';
export type NodeRole = 'broker' | 'coordinator';
export type NodeState = 'PENDING' | 'RUNNING' | 'STOPPED' | 'FAILED';

export interface AutoExpansion {
  readonly enabled: boolean;
  readonly targetUtilizationPercent: number;
  readonly maxVolumeSizeGiB: number;
  readonly cooldownSeconds: number;
}

export interface Cluster {
  readonly id: string;
  readonly name: string;
  readonly state: ClusterState;
  readonly stateInfo: string | null;
  readonly currentVersion: string;
  readonly provider: string;
  readonly zones: readonly string[];
  readonly brokersPerZone: number;
  readonly nodeType: string;
  readonly volumeSizeGiB: number;
  readonly autoExpansion: AutoExpansion;
  readonly configuration: Readonly<Record<string, string>>;
  readonly tags: Readonly<Record<string, string>>;
  readonly basePort: number | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface ClusterNode {
  readonly id: string;
  readonly clusterId: string;
  readonly role: NodeRole;
  readonly zone: string;
  /** Broker id, or coordinator member index. */
  readonly nodeIndex: number;
  readonly state: NodeState;
  readonly providerRef: string | null;
  readonly host: string;
  readonly port: number;
  readonly adminPort: number | null;
  readonly peerPort: number | null;
}

export interface ClusterVolume {
  readonly id: string;
  readonly clusterId: string;
  readonly brokerId: number;
  readonly zone: string;
  readonly sizeGiB: number;
  readonly providerRef: string | null;
  readonly lastExpandedAt: Date | null;
}

export interface OperationStep {
  readonly position: number;
  readonly name: string;
  readonly state: StepState;
  readonly error: string | null;
  readonly startedAt: Date | null;
  readonly finishedAt: Date | null;
}

export interface Operation {
  readonly id: string;
  readonly clusterId: string;
  readonly type: OperationType;
  readonly state: OperationState;
  readonly sourceInfo: Readonly<Record<string, unknown>>;
  readonly targetInfo: Readonly<Record<string, unknown>>;
  readonly error: string | null;
  readonly createdAt: Date;
  readonly startedAt: Date | null;
  readonly finishedAt: Date | null;
  readonly steps: readonly OperationStep[];
}

/** The state a cluster shows while an operation of this type runs. */
export function stateDuring(type: OperationType): ClusterState {
  switch (type) {
    case 'CREATE_CLUSTER':
      return 'CREATING';
    case 'DELETE_CLUSTER':
      return 'DELETING';
    case 'REBOOT_BROKER':
      return 'REBOOTING_BROKER';
    case 'HEAL_CLUSTER':
      return 'HEALING';
    default:
      return 'UPDATING';
  }
}

/**
 * Refuses (a conflict) a change to a cluster that is not ACTIVE (one operation at a time) or, when
 * `expectedVersion` is given, no longer at that version (optimistic concurrency, as MSK does).
 */
export function requireChangeable(
  cluster: { readonly state: string; readonly currentVersion: string },
  expectedVersion: string | undefined,
): void {
  if (expectedVersion !== undefined && cluster.currentVersion !== expectedVersion) {
    throw conflict(
      'currentVersion',
      `currentVersion ${expectedVersion} is not the cluster's current version ${cluster.currentVersion}`,
    );
  }
  if (cluster.state !== 'ACTIVE') {
    throw conflict('state', `the cluster is ${cluster.state}: changes are only accepted while it is ACTIVE`);
  }
}

export function brokerCount(cluster: Pick<Cluster, 'zones' | 'brokersPerZone'>): number {
  return cluster.zones.length * cluster.brokersPerZone;
}

/** The bootstrap servers of these brokers: each one's host:port. */
export function bootstrapServers(brokers: readonly Pick<ClusterNode, 'host' | 'port'>[]): string[] {
  return brokers.map((b) => `${b.host}:${b.port}`);
}

/** Broker ids 1..n, placed round-robin over the zones (broker i in zone (i-1) mod zones). */
export function zoneOfBroker(zones: readonly string[], brokerId: number): string {
  return zones[(brokerId - 1) % zones.length]!;
}

/** Three coordinators over the zones, round-robin (two zones: two in the first). */
export const COORDINATOR_COUNT = 3;
export function zoneOfCoordinator(zones: readonly string[], index: number): string {
  return zones[index % zones.length]!;
}

export const GIB = 1024 ** 3;
