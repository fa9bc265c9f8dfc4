import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterRepository, type NewCluster } from '../../control-plane/src/clusters/cluster-repository.js';
import type { Cluster, Operation } from '../../control-plane/src/clusters/cluster-model.js';
import { openDatabase, type Database } from '../../control-plane/src/db/database.js';
import { PLANS, stateAfterFailure } from '../../control-plane/src/operations/operation-plans.js';
import { STEPS, type StepContext } from '../../control-plane/src/operations/steps.js';
import { LocalProvider } from '../../control-plane/src/providers/local/local-provider.js';
import { tempDir } from '../support/temp-dir.js';

/**
 * The operation steps that record and release nodes, run against a real SQLite database and the
 * real local provider (no processes started here: the end-to-end tests start them). Every step
 * must be safe to run again from its start, as the worker does after a crash.
 */
const dir = tempDir('strata-steps-');
const logger = pino({ level: 'silent' });
let db: Database;
let repository: ClusterRepository;
let provider: LocalProvider;

beforeAll(async () => {
  db = await openDatabase(`file:${join(dir.path, 'strata.db')}`);
  repository = new ClusterRepository(db);
  provider = new LocalProvider({ stateDir: dir.path, logger, takenBasePorts: () => repository.basePorts() });
});
afterAll(async () => {
  await db?.$disconnect();
  dir.cleanup();
});

let names = 0;
async function newCluster(): Promise<{ cluster: Cluster; operation: Operation }> {
  const spec: NewCluster = {
    name: `steps-${++names}`,
    provider: 'local',
    zones: ['az-a', 'az-b', 'az-c'],
    brokersPerZone: 1,
    nodeType: 'local.small',
    volumeSizeGiB: 1,
    autoExpansion: { enabled: false, targetUtilizationPercent: 70, maxVolumeSizeGiB: 2, cooldownSeconds: 0 },
    configuration: {},
    tags: {},
  };
  return repository.createCluster(spec, {
    type: 'CREATE_CLUSTER',
    steps: PLANS.create,
    sourceInfo: {},
    targetInfo: {},
  });
}

async function run(step: string, clusterId: string, operation: Operation, targetInfo = operation.targetInfo) {
  const cluster = (await repository.getCluster(clusterId))!;
  const context: StepContext = {
    cluster,
    operation: { ...operation, targetInfo },
    repository,
    provider,
    logger,
  };
  await STEPS[step]!(context);
}

describe('operation plans', () => {
  it('name only steps that exist', () => {
    for (const [plan, steps] of Object.entries(PLANS)) {
      for (const step of steps) expect(STEPS[step], `${plan}: ${step}`).toBeTypeOf('function');
    }
  });

  it('leave a cluster FAILED when its creation or deletion fails, ACTIVE otherwise', () => {
    expect(stateAfterFailure('CREATE_CLUSTER')).toBe('FAILED');
    expect(stateAfterFailure('DELETE_CLUSTER')).toBe('FAILED');
    for (const type of [
      'UPDATE_BROKER_COUNT',
      'UPDATE_STORAGE',
      'EXPAND_STORAGE',
      'REBOOT_BROKER',
      'HEAL_CLUSTER',
    ] as const) {
      expect(stateAfterFailure(type)).toBe('ACTIVE');
    }
  });
});

describe('operation steps', () => {
  it('reserve-resources gives a cluster a port block of its own and records its nodes once, however often it runs', async () => {
    const first = await newCluster();
    const second = await newCluster();
    await run('reserve-resources', first.cluster.id, first.operation);
    await run('reserve-resources', first.cluster.id, first.operation);
    await run('reserve-resources', second.cluster.id, second.operation);
    const a = (await repository.getCluster(first.cluster.id))!;
    const b = (await repository.getCluster(second.cluster.id))!;
    expect(a.basePort).not.toBeNull();
    expect(b.basePort).not.toBeNull();
    expect(a.basePort).not.toBe(b.basePort);
    const nodes = await repository.nodes(a.id);
    expect(nodes.map((n) => [n.role, n.nodeIndex, n.zone])).toEqual([
      ['broker', 1, 'az-a'],
      ['broker', 2, 'az-b'],
      ['broker', 3, 'az-c'],
      ['coordinator', 0, 'az-a'],
      ['coordinator', 1, 'az-b'],
      ['coordinator', 2, 'az-c'],
    ]);
    expect(new Set(nodes.map((n) => n.port)).size).toBe(6);
    for (const node of nodes) {
      expect(node).toMatchObject({ state: 'PENDING', host: '127.0.0.1' });
      expect(await provider.nodeAddress(a, node.role, node.nodeIndex)).toMatchObject({ port: node.port });
    }
    expect((await repository.volumes(a.id)).map((v) => [v.brokerId, v.sizeGiB])).toEqual([
      [1, 1],
      [2, 1],
      [3, 1],
    ]);
  });

  it('record-new-brokers records the brokers a scale-out adds, once', async () => {
    const { cluster, operation } = await newCluster();
    await run('reserve-resources', cluster.id, operation);
    await run('record-new-brokers', cluster.id, operation, { brokerCount: 6 });
    await run('record-new-brokers', cluster.id, operation, { brokerCount: 6 });
    const brokers = await repository.nodes(cluster.id, 'broker');
    expect(brokers.map((b) => [b.nodeIndex, b.zone])).toEqual([
      [1, 'az-a'],
      [2, 'az-b'],
      [3, 'az-c'],
      [4, 'az-a'],
      [5, 'az-b'],
      [6, 'az-c'],
    ]);
    expect(await repository.volumes(cluster.id)).toHaveLength(6);
  });

  it('release-removed-brokers forgets the brokers a scale-in removes, with their volumes and data', async () => {
    const { cluster, operation } = await newCluster();
    await run('reserve-resources', cluster.id, operation, { brokerCount: 6 });
    for (const id of [4, 5, 6])
      mkdirSync(join(dir.path, 'clusters', cluster.id, `broker-${id}`, 'data'), { recursive: true });
    await run('release-removed-brokers', cluster.id, operation, { brokerCount: 3 });
    await run('release-removed-brokers', cluster.id, operation, { brokerCount: 3 });
    expect((await repository.nodes(cluster.id, 'broker')).map((b) => b.nodeIndex)).toEqual([1, 2, 3]);
    expect((await repository.volumes(cluster.id)).map((v) => v.brokerId)).toEqual([1, 2, 3]);
    for (const id of [4, 5, 6])
      expect(existsSync(join(dir.path, 'clusters', cluster.id, `broker-${id}`))).toBe(false);
  });

  it('stop-brokers and stop-coordinators record every node stopped, and release-resources removes its files', async () => {
    const { cluster, operation } = await newCluster();
    await run('reserve-resources', cluster.id, operation);
    await run('stop-brokers', cluster.id, operation);
    expect((await repository.nodes(cluster.id, 'broker')).map((n) => n.state)).toEqual([
      'STOPPED',
      'STOPPED',
      'STOPPED',
    ]);
    expect((await repository.nodes(cluster.id, 'coordinator')).map((n) => n.state)).toEqual([
      'PENDING',
      'PENDING',
      'PENDING',
    ]);
    await run('stop-coordinators', cluster.id, operation);
    expect((await repository.nodes(cluster.id)).every((n) => n.state === 'STOPPED')).toBe(true);
    expect(existsSync(join(dir.path, 'clusters', cluster.id))).toBe(true);
    await run('release-resources', cluster.id, operation);
    await run('release-resources', cluster.id, operation);
    expect(existsSync(join(dir.path, 'clusters', cluster.id))).toBe(false);
  });

  it('restart-broker refuses a broker the cluster does not have', async () => {
    const { cluster, operation } = await newCluster();
    await run('reserve-resources', cluster.id, operation);
    await expect(run('restart-broker', cluster.id, operation, { brokerId: 9 })).rejects.toThrow(
      'broker 9 does not exist',
    );
  });
});
