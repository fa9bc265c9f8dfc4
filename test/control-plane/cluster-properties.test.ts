import { writeFileSync } from 'node:fs';
import { getProperties } from 'properties-file';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  clusterBrokerSettings,
  configurationProblems,
  normalisedConfiguration,
} from '../../control-plane/src/clusters/broker-configuration.js';
import type { Cluster, ClusterNode } from '../../control-plane/src/clusters/cluster-model.js';
import { nodeEnvFile } from '../../control-plane/src/providers/ec2/user-data.js';
import { localBrokerProperties } from '../../control-plane/src/providers/local/local-provider.js';
import { tempDir } from '../support/temp-dir.js';
import { bootstrapScript, runBootstrap } from '../broker-image/bootstrap/bootstrap-scripts.js';

/**
 * A managed cluster's settings have one source: the control plane checks values with the
 * broker's own parsers and stores them normalised, and the local provider and the EC2 node
 * bootstrap give every broker the same cluster-wide server.properties lines.
 */

function cluster(overrides: Partial<Cluster> = {}): Cluster {
  return {
    id: 'orders-prod',
    name: 'orders',
    state: 'CREATING',
    stateInfo: null,
    currentVersion: 'K1',
    provider: 'local',
    zones: ['az-a', 'az-b', 'az-c'],
    brokersPerZone: 1,
    nodeType: 'local.small',
    volumeSizeGiB: 10,
    autoExpansion: {
      enabled: false,
      targetUtilizationPercent: 80,
      maxVolumeSizeGiB: 100,
      cooldownSeconds: 60,
    },
    configuration: {},
    tags: {},
    basePort: null,
    createdAt: new Date(0),
    updatedAt: new Date(0),
    ...overrides,
  };
}

function node(overrides: Partial<ClusterNode>): ClusterNode {
  return {
    id: 'n',
    clusterId: 'orders-prod',
    role: 'broker',
    zone: 'az-b',
    nodeIndex: 2,
    state: 'CREATING',
    providerRef: null,
    host: '10.0.1.25',
    port: 9092,
    adminPort: 9093,
    peerPort: null,
    ...overrides,
  } as ClusterNode;
}

/** What each node sets for itself, whichever provider runs it. */
const NODE_OWN = [
  'node.id',
  'broker.rack',
  'cluster.id',
  'listeners',
  'advertised.listeners',
  'admin.listener',
  'admin.listener.token.file',
  'log.dirs',
  'log.dirs.capacity.bytes',
  'coordinator.endpoints',
];

function clusterWide(text: string, alsoOwn: readonly string[] = []): Record<string, string> {
  return Object.fromEntries(
    Object.entries(getProperties(text)).filter(([k]) => !NODE_OWN.includes(k) && !alsoOwn.includes(k)),
  );
}

describe('cluster configuration values', () => {
  it('are trimmed and stored as the broker reads them', () => {
    expect(normalisedConfiguration({ 'num.partitions': ' 5 ' })).toEqual({ 'num.partitions': '5' });
    expect(normalisedConfiguration({ 'num.partitions': '5\n' })).toEqual({ 'num.partitions': '5' });
    expect(
      normalisedConfiguration({
        'auto.create.topics.enable': ' FALSE',
        'log.cleanup.policy': 'delete , compact',
        'compression.type': ' zstd ',
        'log.retention.hours': 48,
      }),
    ).toEqual({
      'auto.create.topics.enable': 'false',
      'log.cleanup.policy': 'delete,compact',
      'compression.type': 'zstd',
      'log.retention.hours': '48',
    });
  });

  it("are refused, naming the setting, where the broker's parser or MSK's bounds refuse them", () => {
    expect(configurationProblems({ 'num.partitions': '5x', 'log.retention.hours': '1' })).toEqual([
      { setting: 'num.partitions', problem: '"5x" is not an int' },
    ]);
    expect(configurationProblems({ 'num.partitions': 1001 })).toEqual([
      { setting: 'num.partitions', problem: '1001 is above the maximum 1000' },
    ]);
    expect(configurationProblems({ 'log.dirs': '/tmp' })).toEqual([
      { setting: 'log.dirs', problem: 'is not a broker setting a cluster may change' },
    ]);
  });
});

describe("a cluster's broker properties", () => {
  let dir: { path: string; cleanup: () => void };
  beforeEach(() => {
    dir = tempDir('strata-cluster-properties-');
  });
  afterEach(() => dir.cleanup());

  it.each([
    ['three zones, no configuration', cluster()],
    ['two zones of two brokers', cluster({ zones: ['az-a', 'az-b'], brokersPerZone: 2 })],
    [
      'a configuration',
      cluster({
        configuration: {
          'num.partitions': ' 5 ',
          'default.replication.factor': '2',
          'log.retention.hours': '48',
        },
      }),
    ],
  ])('are the same from the local provider and the EC2 node bootstrap: %s', async (_what, c) => {
    const coordinators = ['10.0.0.10', '10.0.1.10', '10.0.2.10'];
    const local = localBrokerProperties(
      c,
      node({}),
      dir.path,
      10,
      coordinators.map((host, i) => node({ role: 'coordinator', nodeIndex: i, host, port: 2379 })),
    );
    const env = nodeEnvFile({
      role: 'broker',
      clusterId: c.id,
      nodeId: 2,
      zone: 'az-b',
      coordinators,
      dataVolumeId: 'vol-0123456789abcdef0',
      brokerSettings: clusterBrokerSettings(c),
      bundleUri: 's3://strata-assets/strata-node.tgz',
    });
    const envFile = `${dir.path}/node.env`;
    writeFileSync(envFile, env);
    const ec2 = await runBootstrap(bootstrapScript('render-broker-properties.sh'), [
      envFile,
      '10.0.1.25',
      '/var/lib/strata/data/logs',
    ]);
    expect(ec2.stderr).toBe('');
    expect(ec2.code).toBe(0);
    // The local provider's own: its brokers come and go quickly.
    const localOnly = c.configuration['leader.imbalance.check.interval.seconds']
      ? []
      : ['leader.imbalance.check.interval.seconds'];
    expect(clusterWide(ec2.stdout)).toEqual(clusterWide(local, localOnly));
    expect(clusterWide(local, localOnly)).toEqual(clusterBrokerSettings(c));
    expect(getProperties(ec2.stdout)['node.id']).toBe('2');
  });
});
