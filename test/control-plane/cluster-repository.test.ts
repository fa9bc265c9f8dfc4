import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterRepository, type NewCluster } from '../../control-plane/src/clusters/cluster-repository.js';
import { openDatabase, type Database } from '../../control-plane/src/db/database.js';
import { PostgresServer } from '../support/postgres-server.js';
import { tempDir } from '../support/temp-dir.js';

/**
 * The cluster repository, the only code that touches Prisma, on a real SQLite file and a real
 * PostgreSQL database: what it stores comes back the same, changes are conditional on the
 * cluster's version and state, and re-run steps do not duplicate rows.
 */
let postgres: PostgresServer | undefined;
const dir = tempDir('strata-repository-');
beforeAll(async () => {
  postgres = await PostgresServer.start();
});
afterAll(async () => {
  await postgres?.stop();
  dir.cleanup();
});

let names = 0;
function spec(overrides: Partial<NewCluster> = {}): NewCluster {
  return {
    name: `cluster-${++names}`,
    provider: 'local',
    zones: ['az-a', 'az-b', 'az-c'],
    brokersPerZone: 1,
    nodeType: 'local.small',
    volumeSizeGiB: 10,
    autoExpansion: {
      enabled: true,
      targetUtilizationPercent: 70,
      maxVolumeSizeGiB: 100,
      cooldownSeconds: 60,
    },
    configuration: { 'num.partitions': '5' },
    tags: { team: 'payments' },
    ...overrides,
  };
}

const creation = {
  type: 'CREATE_CLUSTER' as const,
  steps: ['a', 'b', 'c'],
  sourceInfo: {},
  targetInfo: { x: 1 },
};
const scaleOut = {
  type: 'UPDATE_BROKER_COUNT' as const,
  steps: ['start', 'move'],
  sourceInfo: { n: 3 },
  targetInfo: { n: 6 },
};

describe.each(['sqlite', 'postgresql'] as const)('ClusterRepository on %s', (database) => {
  let db: Database;
  let repository: ClusterRepository;
  beforeAll(async () => {
    const url =
      database === 'sqlite'
        ? `file:${dir.path}/strata.db`
        : await postgres!.createDatabase(`strata_repo_${Math.random().toString(36).slice(2, 10)}`);
    db = await openDatabase(url);
    repository = new ClusterRepository(db);
  });
  afterAll(async () => {
    await db?.$disconnect();
  });

  /** A cluster made ACTIVE, as its creation's last step leaves it. */
  async function activeCluster(overrides: Partial<NewCluster> = {}) {
    const { cluster } = await repository.createCluster(spec(overrides), creation);
    await repository.setClusterState(cluster.id, 'ACTIVE');
    return (await repository.getCluster(cluster.id))!;
  }

  it('stores a cluster with its creation operation, and reads both back as they were given', async () => {
    const given = spec();
    const { cluster, operation } = await repository.createCluster(given, creation);
    expect(cluster).toMatchObject({ ...given, state: 'CREATING', stateInfo: null, basePort: null });
    expect(cluster.currentVersion).toMatch(/^[0-9A-F]{14}$/);
    expect(await repository.getCluster(cluster.id)).toEqual(cluster);
    expect(operation).toMatchObject({
      clusterId: cluster.id,
      type: 'CREATE_CLUSTER',
      state: 'PENDING',
      targetInfo: { x: 1 },
    });
    expect(operation.steps.map((s) => [s.position, s.name, s.state])).toEqual([
      [0, 'a', 'PENDING'],
      [1, 'b', 'PENDING'],
      [2, 'c', 'PENDING'],
    ]);
    expect(await repository.getCluster('no-such-cluster')).toBeUndefined();
  });

  it('refuses a second cluster of the same name with a conflict naming the field, and stores nothing', async () => {
    const { cluster } = await repository.createCluster(spec(), creation);
    await expect(repository.createCluster(spec({ name: cluster.name }), creation)).rejects.toMatchObject({
      code: 'conflict',
      field: 'name',
    });
    const { clusters } = await repository.listClusters({ nameFilter: cluster.name, maxResults: 10 });
    expect(clusters).toHaveLength(1);
  });

  it('starts an operation only at the current version and while ACTIVE, changing the version', async () => {
    const cluster = await activeCluster();
    await expect(repository.startOperation(cluster.id, 'STALE', scaleOut)).rejects.toMatchObject({
      code: 'conflict',
      field: 'currentVersion',
    });
    const { cluster: updating, operation } = await repository.startOperation(
      cluster.id,
      cluster.currentVersion,
      scaleOut,
      { brokersPerZone: 2 },
    );
    expect(updating).toMatchObject({ state: 'UPDATING', brokersPerZone: 2 });
    expect(updating.currentVersion).not.toBe(cluster.currentVersion);
    expect(await repository.activeOperation(cluster.id)).toMatchObject({ id: expect.any(String) });
    // Not ACTIVE now: the next change is refused whatever the version.
    await expect(
      repository.startOperation(cluster.id, updating.currentVersion, scaleOut),
    ).rejects.toMatchObject({ code: 'conflict', field: 'state' });
    expect((await repository.operation(operation.id))!.sourceInfo).toEqual({ n: 3 });
  });

  it('lets only one of two concurrent changes at one version through', async () => {
    const cluster = await activeCluster();
    const results = await Promise.allSettled([
      repository.startOperation(cluster.id, cluster.currentVersion, scaleOut),
      repository.startOperation(cluster.id, cluster.currentVersion, scaleOut),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const { operations } = await repository.operations(cluster.id, { maxResults: 10 });
    expect(operations.map((o) => o.type)).toEqual(['UPDATE_BROKER_COUNT', 'CREATE_CLUSTER']);
  });

  it('deletes only ACTIVE or FAILED clusters', async () => {
    const { cluster } = await repository.createCluster(spec(), creation);
    await expect(
      repository.startDeletion(cluster.id, { ...creation, type: 'DELETE_CLUSTER' }),
    ).rejects.toMatchObject({
      code: 'conflict',
      field: 'state',
    });
    await repository.setClusterState(cluster.id, 'FAILED', 'a step failed');
    const { cluster: deleting } = await repository.startDeletion(cluster.id, {
      ...creation,
      type: 'DELETE_CLUSTER',
    });
    expect(deleting.state).toBe('DELETING');
    await repository.deleteCluster(cluster.id);
    expect(await repository.getCluster(cluster.id)).toBeUndefined();
  });

  it('records a node and a volume once however often a step runs again', async () => {
    const cluster = await activeCluster();
    const node = {
      clusterId: cluster.id,
      role: 'broker' as const,
      zone: 'az-a',
      nodeIndex: 1,
      host: '127.0.0.1',
      port: 9092,
      adminPort: 9093,
      peerPort: null,
    };
    const first = await repository.ensureNode(node);
    const again = await repository.ensureNode({ ...node, port: 1 });
    expect(again).toEqual(first);
    await repository.updateNode(first.id, { state: 'RUNNING', providerRef: 'pid:42' });
    expect(await repository.nodes(cluster.id, 'broker')).toEqual([
      { ...first, state: 'RUNNING', providerRef: 'pid:42' },
    ]);
    expect(await repository.nodes(cluster.id, 'coordinator')).toEqual([]);
    const volume = { clusterId: cluster.id, brokerId: 1, zone: 'az-a', sizeGiB: 10 };
    const v1 = await repository.ensureVolume(volume);
    expect(await repository.ensureVolume({ ...volume, sizeGiB: 99 })).toEqual(v1);
    const expandedAt = new Date('2026-01-02T03:04:05Z');
    await repository.updateVolume(v1.id, { sizeGiB: 20, lastExpandedAt: expandedAt });
    expect(await repository.volumes(cluster.id)).toEqual([
      { ...v1, sizeGiB: 20, lastExpandedAt: expandedAt },
    ]);
    await repository.deleteNode(first.id);
    await repository.deleteVolume(v1.id);
    expect(await repository.nodes(cluster.id)).toEqual([]);
    expect(await repository.volumes(cluster.id)).toEqual([]);
  });

  it('keeps the latest 100 usage samples of a volume, sizes past 32 bits included', async () => {
    const cluster = await activeCluster();
    const volume = await repository.ensureVolume({
      clusterId: cluster.id,
      brokerId: 1,
      zone: 'az-a',
      sizeGiB: 10,
    });
    for (let i = 1; i <= 102; i++) await repository.addUsageSample(volume.id, i * 2 ** 33, 2 ** 40);
    expect(await db.volumeUsageSample.count({ where: { volumeId: volume.id } })).toBe(100);
    expect(await repository.latestUsage(volume.id)).toMatchObject({
      usedBytes: 102 * 2 ** 33,
      capacityBytes: 2 ** 40,
    });
    const usage = (await repository.volumeUsages()).filter((u) => u.cluster === cluster.name);
    expect(usage).toEqual([
      { cluster: cluster.name, brokerId: 1, usedBytes: 102 * 2 ** 33, capacityBytes: 2 ** 40 },
    ]);
  });

  it('pages through operations newest first, and refuses a token it did not hand out', async () => {
    const cluster = await activeCluster();
    for (let i = 0; i < 3; i++) {
      const current = (await repository.getCluster(cluster.id))!;
      const { operation } = await repository.startOperation(cluster.id, current.currentVersion, scaleOut);
      await repository.finishOperation(operation.id, 'SUCCEEDED');
      await repository.setClusterState(cluster.id, 'ACTIVE');
    }
    const seen: string[] = [];
    let after: string | undefined;
    do {
      const page = await repository.operations(cluster.id, { maxResults: 2, after });
      seen.push(...page.operations.map((o) => o.id));
      after = page.next;
    } while (after);
    expect(seen).toHaveLength(4);
    expect(new Set(seen).size).toBe(4);
    const all = (await repository.operations(cluster.id, { maxResults: 10 })).operations;
    expect(all.map((o) => o.id)).toEqual(seen);
    expect(all.at(-1)!.type).toBe('CREATE_CLUSTER');
    await expect(repository.operations(cluster.id, { maxResults: 2, after: 'forged' })).rejects.toMatchObject(
      {
        code: 'invalid',
        field: 'nextToken',
      },
    );
  });

  it('records the progress of an operation step by step', async () => {
    const { cluster, operation } = await repository.createCluster(spec(), creation);
    expect((await repository.unfinishedOperations()).map((o) => o.id)).toContain(operation.id);
    await repository.markOperationRunning(operation.id);
    await repository.markStep(operation.id, 0, 'RUNNING');
    await repository.markStep(operation.id, 0, 'DONE');
    await repository.markStep(operation.id, 1, 'FAILED', 'no etcd');
    await repository.finishOperation(operation.id, 'FAILED', 'no etcd');
    const recorded = (await repository.operation(operation.id))!;
    expect(recorded).toMatchObject({ state: 'FAILED', error: 'no etcd' });
    expect(recorded.startedAt).toBeInstanceOf(Date);
    expect(recorded.finishedAt).toBeInstanceOf(Date);
    expect(recorded.steps.map((s) => [s.state, s.error])).toEqual([
      ['DONE', null],
      ['FAILED', 'no etcd'],
      ['PENDING', null],
    ]);
    expect(recorded.steps[0]!.finishedAt!.getTime()).toBeGreaterThanOrEqual(
      recorded.steps[0]!.startedAt!.getTime(),
    );
    expect((await repository.unfinishedOperations()).map((o) => o.id)).not.toContain(operation.id);
    expect(await repository.activeOperation(cluster.id)).toBeUndefined();
  });

  it('lists clusters by state and name prefix, page by page, and counts them by state', async () => {
    const prefix = `list-${database}-`;
    for (let i = 0; i < 3; i++) await activeCluster({ name: `${prefix}${i}` });
    const ids: string[] = [];
    let after: string | undefined;
    do {
      const page = await repository.listClusters({
        nameFilter: prefix,
        state: 'ACTIVE',
        maxResults: 2,
        after,
      });
      ids.push(...page.clusters.map((c) => c.id));
      after = page.next;
    } while (after);
    expect(ids).toHaveLength(3);
    expect(
      (await repository.listClusters({ nameFilter: prefix, state: 'FAILED', maxResults: 5 })).clusters,
    ).toEqual([]);
    expect((await repository.clusterCountsByState()).get('ACTIVE')).toBeGreaterThanOrEqual(3);
    await repository.setBasePort(ids[0]!, 21000);
    expect(await repository.basePorts()).toContain(21000);
  });
});
