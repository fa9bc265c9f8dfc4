import { describe, expect, it } from 'vitest';
import { nodeEnvFile, nodeUserData } from '../../../control-plane/src/providers/ec2/user-data.js';

/** What an EC2 node is told at launch: the node environment file and the user data around it. */
const broker = {
  role: 'broker' as const,
  clusterId: 'c0ffee',
  nodeId: 4,
  zone: 'us-east-1a',
  coordinators: ['10.0.1.10', '10.0.2.10', '10.0.3.10'],
  dataVolumeId: 'vol-0123456789abcdef0',
  brokerSettings: { 'num.partitions': '6', 'log.retention.hours': '48' },
  bundleUri: 's3://assets/strata-node.tgz',
};

describe('node user data', () => {
  it('writes the node environment: role, identity, zone, coordinators, volume, settings, bundle', () => {
    const lines = nodeEnvFile(broker).trim().split('\n');
    expect(lines).toEqual([
      'STRATA_NODE_ROLE=broker',
      'STRATA_CLUSTER_ID=c0ffee',
      'STRATA_NODE_ID=4',
      'STRATA_ZONE=us-east-1a',
      'STRATA_COORDINATORS=10.0.1.10,10.0.2.10,10.0.3.10',
      'STRATA_DATA_VOLUME_ID=vol-0123456789abcdef0',
      `STRATA_BROKER_SETTINGS_B64=${Buffer.from('num.partitions=6\nlog.retention.hours=48\n').toString('base64')}`,
      'STRATA_BUNDLE_URI=s3://assets/strata-node.tgz',
    ]);
  });

  it('leaves the volume and settings empty for a coordinator', () => {
    const env = nodeEnvFile({
      ...broker,
      role: 'coordinator',
      nodeId: 0,
      dataVolumeId: undefined,
      brokerSettings: undefined,
    });
    expect(env).toContain('STRATA_DATA_VOLUME_ID=\n');
    expect(env).toContain('STRATA_BROKER_SETTINGS_B64=\n');
  });

  it('refuses a value the environment file cannot carry', () => {
    expect(() => nodeEnvFile({ ...broker, zone: 'us east; rm -rf /' })).toThrow(/STRATA_ZONE/);
  });

  it('fetches the bundle and runs the node bootstrap after writing the environment', () => {
    const script = nodeUserData(broker);
    expect(script.startsWith('#!/bin/bash\nset -euo pipefail\n')).toBe(true);
    expect(script).toContain("cat > /etc/strata/node.env <<'STRATA_NODE_ENV'\nSTRATA_NODE_ROLE=broker\n");
    const order = [
      '/etc/strata/node.env',
      "aws s3 cp 's3://assets/strata-node.tgz'",
      'tar -xzf',
      'exec /opt/strata/bootstrap/strata-node.sh',
    ];
    const positions = order.map((s) => script.indexOf(s));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });
});
