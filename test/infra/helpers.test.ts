import { Token } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../control-plane/src/config.js';
import { controlPlaneEnvironment } from '../../infra/lib/control-plane-settings.js';
import { subnetMapSetting } from '../../infra/lib/network.js';
import { nodeTags } from '../../infra/lib/node-tags.js';
import {
  brokerSampleFromAlarm,
  brokerVolumeFromDescription,
  expansionEnvironment,
  expansionSettingsFromEnvironment,
  parseAlarmTime,
} from '../../infra/lib/storage-expansion/volume-expansion.js';
import { bootstrapBrokerString, clusterLayout } from '../../infra/lib/strata-cluster.js';
import {
  cloudWatchAgentConfig,
  controlPlaneUserData,
  renderWithDeployTimeValues,
} from '../../infra/lib/user-data.js';

/** The stack's small pure helpers, each on its own. */

describe('subnetMapSetting', () => {
  it("writes the EC2 provider's zone=subnet pairs, which its own settings parser reads back", () => {
    const setting = subnetMapSetting([
      { zone: 'eu-west-1a', subnetId: 'subnet-0a1' },
      { zone: 'eu-west-1b', subnetId: 'subnet-0b2' },
    ]);
    expect(setting).toBe('eu-west-1a=subnet-0a1,eu-west-1b=subnet-0b2');
    const config = loadConfig({
      STRATA_PROVIDER: 'ec2',
      STRATA_DATABASE_URL: 'postgresql://strata@db:5432/strata',
      STRATA_EC2_BROKER_LAUNCH_TEMPLATE: 'lt-0a',
      STRATA_EC2_COORDINATOR_LAUNCH_TEMPLATE: 'lt-0b',
      STRATA_EC2_BROKER_SECURITY_GROUPS: 'sg-01',
      STRATA_EC2_COORDINATOR_SECURITY_GROUPS: 'sg-02',
      STRATA_EC2_SUBNETS: setting,
      STRATA_EC2_NODE_BUNDLE_URI: 's3://bucket/bundle.tgz',
    });
    expect([...config.ec2!.subnets]).toEqual([
      ['eu-west-1a', 'subnet-0a1'],
      ['eu-west-1b', 'subnet-0b2'],
    ]);
  });

  it.each([
    [[], 'the subnet map needs at least one zone'],
    [
      [
        { zone: 'a', subnetId: 'subnet-1' },
        { zone: 'a', subnetId: 'subnet-2' },
      ],
      'the subnet map names zone a twice',
    ],
    [[{ zone: 'a,b', subnetId: 'subnet-1' }], '"a,b=subnet-1" cannot be written in the subnet map'],
  ])('refuses %j', (subnets, message) => {
    expect(() => subnetMapSetting(subnets)).toThrow(message);
  });
});

describe('controlPlaneEnvironment', () => {
  it('refuses node roles without a security group', () => {
    expect(() =>
      controlPlaneEnvironment({
        region: 'eu-west-1',
        port: 8080,
        brokerLaunchTemplateId: 'lt-1',
        coordinatorLaunchTemplateId: 'lt-2',
        brokerSecurityGroupIds: [],
        coordinatorSecurityGroupIds: ['sg-1'],
        nodeSubnets: [{ zone: 'a', subnetId: 'subnet-1' }],
        nodeBundleUri: 's3://b/k',
      }),
    ).toThrow('brokers and coordinators each need at least one security group');
  });
});

describe('clusterLayout', () => {
  it('puts a coordinator in each zone and numbers brokers 1..n round-robin', () => {
    expect(clusterLayout(['a', 'b', 'c'], 2)).toEqual({
      coordinators: [
        { index: 0, zone: 'a' },
        { index: 1, zone: 'b' },
        { index: 2, zone: 'c' },
      ],
      brokers: [1, 2, 3, 4, 5, 6].map((brokerId) => ({ brokerId, zone: 'abc'[(brokerId - 1) % 3] })),
    });
  });

  it.each([0, -1, 1.5])('refuses %d brokers per zone', (count) => {
    expect(() => clusterLayout(['a', 'b', 'c'], count)).toThrow(
      `brokersPerZone must be a positive integer, not ${count}`,
    );
  });
});

describe('bootstrapBrokerString', () => {
  it('is host:9092 for each broker, comma-separated', () => {
    expect(bootstrapBrokerString(['10.0.16.5', '10.0.32.5'])).toBe('10.0.16.5:9092,10.0.32.5:9092');
  });

  it('refuses a cluster without brokers', () => {
    expect(() => bootstrapBrokerString([])).toThrow('a cluster without brokers has no bootstrap brokers');
  });
});

describe('nodeTags', () => {
  it('tags a broker with its broker id and a coordinator without one', () => {
    expect(nodeTags({ clusterId: 'c1', role: 'broker', index: 4, zone: 'a', kind: 'volume' })).toEqual({
      Name: 'strata-c1-broker-4',
      'strata:managed': 'true',
      'strata:cluster': 'c1',
      'strata:role': 'broker',
      'strata:zone': 'a',
      'strata:node-index': '4',
      'strata:kind': 'volume',
      'strata:broker-id': '4',
    });
    expect(
      nodeTags({ clusterId: 'c1', role: 'coordinator', index: 0, zone: 'a', kind: 'instance' })[
        'strata:broker-id'
      ],
    ).toBeUndefined();
  });
});

describe('renderWithDeployTimeValues', () => {
  it('hands the renderer stand-ins and puts the deploy-time values back', () => {
    const subnet = Token.asString({ Ref: 'Subnet' });
    const text = renderWithDeployTimeValues({ name: 'x', ids: [subnet] }, (v) => `${v.name}:${v.ids.join()}`);
    expect(text).toBe(`x:${subnet}`);
  });

  it('refuses a renderer that transforms a deploy-time value', () => {
    const id = Token.asString({ Ref: 'Volume' });
    expect(() => renderWithDeployTimeValues({ id }, (v) => Buffer.from(v.id).toString('base64'))).toThrow(
      /^a deploy-time value \(\$\{Token\[TOKEN\.\d+\]\}\) does not appear as itself in the rendered text$/,
    );
  });
});

describe('cloudWatchAgentConfig', () => {
  it("publishes the data mount's used percent with the cluster and broker the alarm names", () => {
    expect(
      cloudWatchAgentConfig({
        clusterId: 'c1',
        brokerId: 2,
        dataMountPath: '/var/lib/strata/data',
        intervalSeconds: 60,
      }),
    ).toMatchObject({
      metrics: {
        namespace: 'CWAgent',
        metrics_collected: {
          disk: {
            resources: ['/var/lib/strata/data'],
            measurement: ['used_percent'],
            append_dimensions: { ClusterId: 'c1', BrokerId: '2' },
          },
        },
        aggregation_dimensions: [['ClusterId', 'BrokerId']],
      },
    });
  });

  it('refuses a mount path that is not absolute', () => {
    expect(() =>
      cloudWatchAgentConfig({ clusterId: 'c', brokerId: 1, dataMountPath: 'data', intervalSeconds: 60 }),
    ).toThrow('dataMountPath must be an absolute path, not "data"');
  });
});

describe('controlPlaneUserData', () => {
  const base = { bundleUri: 's3://b/k.tgz', apiKeySecretArn: 'arn:key', region: 'eu-west-1' };

  it('refuses settings the environment file cannot carry, by name', () => {
    expect(() => controlPlaneUserData({ ...base, environment: { lower: 'x' } })).toThrow(
      'lower is not an environment variable name',
    );
    expect(() => controlPlaneUserData({ ...base, environment: { STRATA_X: 'a b' } })).toThrow(
      'STRATA_X has characters the environment file cannot carry: a b',
    );
  });

  it('builds the PostgreSQL URL from the database secret only when there is one', () => {
    const withDatabase = controlPlaneUserData({ ...base, environment: {}, databaseSecretArn: 'arn:db' });
    expect(withDatabase).toContain('STRATA_DATABASE_SECRET_ARN=arn:db\n');
    expect(withDatabase).toContain('sslmode=verify-full');
    const sqlite = controlPlaneUserData({ ...base, environment: {} });
    expect(sqlite).not.toContain('STRATA_DATABASE');
  });
});

describe('the expansion function environment', () => {
  const settings = {
    clusterId: 'c1',
    policy: { enabled: true, targetUtilizationPercent: 60, maxVolumeSizeGiB: 500, cooldownSeconds: 3600 },
  };

  it('reads back what the stack writes', () => {
    expect(expansionSettingsFromEnvironment(expansionEnvironment(settings))).toEqual(settings);
  });

  it('names a missing or malformed setting', () => {
    const env = expansionEnvironment(settings);
    expect(() => expansionSettingsFromEnvironment({ ...env, STRATA_CLUSTER_ID: undefined })).toThrow(
      'STRATA_CLUSTER_ID is not set',
    );
    expect(() => expansionSettingsFromEnvironment({ ...env, STRATA_MAX_VOLUME_SIZE_GIB: '1e3' })).toThrow(
      'STRATA_MAX_VOLUME_SIZE_GIB must be a non-negative integer, not "1e3"',
    );
  });
});

describe('reading an alarm', () => {
  const alarm = (
    reasonData: string,
    dimensions: Record<string, string> = { ClusterId: 'c1', BrokerId: '3' },
  ) => ({
    alarmData: {
      alarmName: 'a',
      state: { value: 'ALARM', reasonData },
      configuration: { metrics: [{ metricStat: { metric: { dimensions } } }] },
    },
  });

  it("takes the newest evaluated datapoint as the broker's usage", () => {
    const reason = JSON.stringify({
      evaluatedDatapoints: [
        { timestamp: '2026-11-22T12:00:00.000+0000', value: 70 },
        { timestamp: '2026-11-22T12:01:00.000+0000', value: 72.5 },
      ],
    });
    expect(brokerSampleFromAlarm(alarm(reason))).toEqual({
      clusterId: 'c1',
      brokerId: 3,
      utilizationPercent: 72.5,
      sampledAt: new Date('2026-11-22T12:01:00.000Z'),
    });
  });

  it.each([
    ['{}', undefined, 'the alarm state has no evaluated datapoint'],
    ['not json', undefined, 'the alarm state has unreadable reason data'],
    ['{}', { ClusterId: 'c1' }, 'the alarm\'s metric names no cluster and broker ({"ClusterId":"c1"})'],
  ])('ignores %s with %j, saying why', (reason, dimensions, why) => {
    expect(brokerSampleFromAlarm(alarm(reason, dimensions))).toEqual({ ignored: why });
  });

  it("reads CloudWatch's offsets without a colon", () => {
    expect(parseAlarmTime('2026-11-22T12:00:00.000+0130').toISOString()).toBe('2026-11-22T10:30:00.000Z');
  });
});

describe('brokerVolumeFromDescription', () => {
  it('reads the last expansion from its tag, and refuses an unreadable one', () => {
    expect(
      brokerVolumeFromDescription({
        VolumeId: 'vol-1',
        Size: 100,
        Tags: [{ Key: 'strata:last-expanded-at', Value: '2026-11-22T12:00:00.000Z' }],
      }),
    ).toEqual({ volumeId: 'vol-1', sizeGiB: 100, lastExpandedAt: new Date('2026-11-22T12:00:00.000Z') });
    expect(() =>
      brokerVolumeFromDescription({
        VolumeId: 'vol-1',
        Size: 100,
        Tags: [{ Key: 'strata:last-expanded-at', Value: 'yesterday' }],
      }),
    ).toThrow('volume vol-1 has an unreadable strata:last-expanded-at tag: yesterday');
  });
});
