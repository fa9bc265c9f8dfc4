import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getProperties } from 'properties-file';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Metadata } from '../../../broker-image/src/protocol/messages/index.js';
import { freePort } from '../../support/free-port.js';
import { withRawClient } from '../../support/raw-client.js';
import { tempDir } from '../../support/temp-dir.js';
import { waitUntil } from '../../support/wait-until.js';
import {
  base64Lines,
  bootstrapScript,
  cleanEnvironment,
  runBootstrap,
  startBroker,
  startProcess,
  writeNodeEnv,
  type TrackedProcess,
} from './bootstrap-scripts.js';

const BROKER_BIN = fileURLToPath(new URL('../../../bin/strata-broker.js', import.meta.url));
const RENDER_PROPERTIES = bootstrapScript('render-broker-properties.sh');
const RENDER_ETCD_FLAGS = bootstrapScript('render-etcd-flags.sh');

/** Three coordinators on distinct loopback addresses, each with the same ports, as on three hosts. */
const COORDINATOR_IPS = ['127.0.0.1', '127.0.0.2', '127.0.0.3'];

const BROKER_ENV = {
  STRATA_NODE_ROLE: 'broker',
  STRATA_CLUSTER_ID: 'orders-prod',
  STRATA_NODE_ID: '2',
  STRATA_ZONE: 'us-east-1b',
  STRATA_COORDINATORS: '10.0.0.10,10.0.1.10,10.0.2.10',
  STRATA_DATA_VOLUME_ID: 'vol-0123456789abcdef0',
  STRATA_BROKER_SETTINGS_B64: base64Lines(['log.retention.ms=3600000', 'auto.create.topics.enable=false']),
  STRATA_BUNDLE_URI: 's3://strata-assets/strata-node.tgz',
};

let dir: { path: string; cleanup: () => void };
const processes: TrackedProcess[] = [];
beforeEach(() => {
  dir = tempDir('strata-node-config-');
});
afterEach(async () => {
  for (const p of processes.splice(0)) await p.stop();
  dir.cleanup();
});

async function renderProperties(settings: Record<string, string>, ip: string, dataDir: string) {
  const nodeEnv = writeNodeEnv(dir.path, settings);
  return runBootstrap(RENDER_PROPERTIES, [nodeEnv, ip, dataDir]);
}

describe('render-broker-properties', () => {
  it("writes the node's identity, zone, addresses and coordinators, MSK's replication defaults and the cluster's settings", async () => {
    const result = await renderProperties(BROKER_ENV, '10.0.1.25', '/var/lib/strata/data/logs');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(getProperties(result.stdout)).toEqual({
      'node.id': '2',
      'broker.rack': 'us-east-1b',
      'cluster.id': 'orders-prod',
      listeners: 'PLAINTEXT://10.0.1.25:9092',
      'advertised.listeners': 'PLAINTEXT://10.0.1.25:9092',
      'admin.listener': '10.0.1.25:9093',
      'log.dirs': '/var/lib/strata/data/logs',
      'coordinator.endpoints': 'http://10.0.0.10:2379,http://10.0.1.10:2379,http://10.0.2.10:2379',
      'default.replication.factor': '3',
      'min.insync.replicas': '2',
      'offsets.topic.replication.factor': '3',
      'log.retention.ms': '3600000',
      'auto.create.topics.enable': 'false',
    });
  });

  it("lets the cluster's settings choose the replication, and derives what they leave out", async () => {
    const result = await renderProperties(
      { ...BROKER_ENV, STRATA_BROKER_SETTINGS_B64: base64Lines(['default.replication.factor=2']) },
      '10.0.1.25',
      '/data',
    );
    expect(result.code).toBe(0);
    const properties = getProperties(result.stdout);
    expect(properties['default.replication.factor']).toBe('2');
    expect(properties['min.insync.replicas']).toBe('1');
    expect(properties['offsets.topic.replication.factor']).toBe('2');
  });

  const { STRATA_NODE_ROLE: _role, ...withoutRole } = BROKER_ENV;
  const { STRATA_ZONE: _zone, ...withoutZone } = BROKER_ENV;
  it.each([
    ['no role', withoutRole, 'node.env lacks STRATA_NODE_ROLE'],
    [
      'an unknown role',
      { ...BROKER_ENV, STRATA_NODE_ROLE: 'leader' },
      'STRATA_NODE_ROLE "leader" is neither',
    ],
    [
      "a coordinator's node.env",
      { ...BROKER_ENV, STRATA_NODE_ROLE: 'coordinator' },
      'STRATA_NODE_ROLE is coordinator, not broker',
    ],
    ['a non-numeric id', { ...BROKER_ENV, STRATA_NODE_ID: 'two' }, 'STRATA_NODE_ID "two" is not a number'],
    ['broker id 0', { ...BROKER_ENV, STRATA_NODE_ID: '0' }, 'STRATA_NODE_ID of a broker starts at 1'],
    ['no zone', withoutZone, 'node.env lacks STRATA_ZONE'],
    [
      'a coordinator that is no address',
      { ...BROKER_ENV, STRATA_COORDINATORS: '10.0.0.10,coord-2' },
      'STRATA_COORDINATORS: "coord-2"',
    ],
    ['no coordinators', { ...BROKER_ENV, STRATA_COORDINATORS: '' }, 'node.env lacks STRATA_COORDINATORS'],
    ['a bad cluster id', { ...BROKER_ENV, STRATA_CLUSTER_ID: 'a/b' }, 'STRATA_CLUSTER_ID "a/b"'],
    [
      'a bad volume id',
      { ...BROKER_ENV, STRATA_DATA_VOLUME_ID: 'disk-1' },
      'STRATA_DATA_VOLUME_ID "disk-1" is not a volume id',
    ],
    [
      'a port out of range',
      { ...BROKER_ENV, STRATA_KAFKA_PORT: '70000' },
      'STRATA_KAFKA_PORT "70000" is not a port',
    ],
    [
      'settings that are not base64',
      { ...BROKER_ENV, STRATA_BROKER_SETTINGS_B64: 'not*base64' },
      'STRATA_BROKER_SETTINGS_B64 is not base64',
    ],
    [
      "settings that set the node's own id",
      { ...BROKER_ENV, STRATA_BROKER_SETTINGS_B64: base64Lines(['node.id=7']) },
      'STRATA_BROKER_SETTINGS_B64 sets node.id, which each node sets for itself',
    ],
    [
      'a replication factor that is no count',
      { ...BROKER_ENV, STRATA_BROKER_SETTINGS_B64: base64Lines(['min.insync.replicas=two']) },
      'min.insync.replicas "two" is not a count',
    ],
    [
      'a name that is no setting',
      { ...BROKER_ENV, STRATA_NODE_IDENTITY: '2' },
      'STRATA_NODE_IDENTITY is not a node setting',
    ],
  ])('refuses %s, naming the setting', async (_what, settings, message) => {
    const result = await renderProperties(settings, '10.0.1.25', '/data');
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(message);
  });

  it('refuses a private IP that is no IPv4 address', async () => {
    const result = await renderProperties(BROKER_ENV, 'ip-10-0-1-25', '/data');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('"ip-10-0-1-25" is not an IPv4 address');
  });
});

describe('render-etcd-flags', () => {
  const coordinatorEnv = (index: number, ports: { client: number; peer: number }) => ({
    STRATA_NODE_ROLE: 'coordinator',
    STRATA_CLUSTER_ID: 'orders-prod',
    STRATA_NODE_ID: String(index),
    STRATA_ZONE: `us-east-1${'abc'[index]}`,
    STRATA_COORDINATORS: COORDINATOR_IPS.join(','),
    STRATA_ETCD_CLIENT_PORT: String(ports.client),
    STRATA_ETCD_PEER_PORT: String(ports.peer),
    STRATA_BUNDLE_URI: 's3://strata-assets/strata-node.tgz',
  });

  async function renderFlags(index: number, ports: { client: number; peer: number }, dataDir: string) {
    const nodeEnv = writeNodeEnv(dir.path, coordinatorEnv(index, ports), `coordinator-${index}.env`);
    const result = await runBootstrap(RENDER_ETCD_FLAGS, [nodeEnv, COORDINATOR_IPS[index]!, dataDir]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    return result.stdout.trim().split('\n');
  }

  it('renders a static three-member cluster that real etcd forms a quorum from, and a broker rendered for it joins', async () => {
    const ports = { client: await freePort(), peer: await freePort() };
    const flags = await Promise.all(
      COORDINATOR_IPS.map((_, i) => renderFlags(i, ports, join(dir.path, `etcd-${i}`))),
    );
    expect(flags[1]).toContain(
      `--initial-cluster=${COORDINATOR_IPS.map((ip, i) => `coordinator-${i}=http://${ip}:${ports.peer}`).join(',')}`,
    );
    expect(flags[1]).toContain('--initial-cluster-state=new');
    for (const memberFlags of flags)
      processes.push(startProcess(['etcd', ...memberFlags], cleanEnvironment()));

    const members = await waitForQuorum(ports.client);
    expect(members.sort()).toEqual(['coordinator-0', 'coordinator-1', 'coordinator-2']);
    // A member that has data restarts from it rather than bootstrapping again.
    expect(await renderFlags(0, ports, join(dir.path, 'etcd-0'))).toContain(
      '--initial-cluster-state=existing',
    );

    const kafkaPort = await freePort();
    const adminPort = await freePort();
    const brokerEnv = {
      ...BROKER_ENV,
      STRATA_COORDINATORS: COORDINATOR_IPS.join(','),
      STRATA_ETCD_CLIENT_PORT: String(ports.client),
      STRATA_KAFKA_PORT: String(kafkaPort),
      STRATA_ADMIN_PORT: String(adminPort),
    };
    const rendered = await renderProperties(brokerEnv, '127.0.0.1', join(dir.path, 'broker-logs'));
    expect(rendered.code).toBe(0);
    const propertiesFile = join(dir.path, 'server.properties');
    writeFileSync(propertiesFile, rendered.stdout);
    await startBroker([process.execPath, BROKER_BIN, propertiesFile], processes);

    const metadata = await withRawClient(kafkaPort, (client) =>
      client.request(Metadata, 12, { topics: [], allowAutoTopicCreation: false }),
    );
    expect(metadata.brokers).toEqual([{ nodeId: 2, host: '127.0.0.1', port: kafkaPort, rack: 'us-east-1b' }]);
    expect(metadata.clusterId).toBe('orders-prod');
    const registration = await etcdValue(
      `http://${COORDINATOR_IPS[2]}:${ports.client}`,
      '/strata/orders-prod/brokers/2',
    );
    expect(registration).toContain('us-east-1b');
  });

  it.each([
    [
      'an index past the coordinators',
      { STRATA_NODE_ID: '3' },
      'STRATA_NODE_ID 3 is not the index of one of the 3 STRATA_COORDINATORS',
    ],
    ["a broker's node.env", { STRATA_NODE_ROLE: 'broker' }, 'STRATA_NODE_ROLE is broker, not coordinator'],
    ['no coordinators', { STRATA_COORDINATORS: '' }, 'node.env lacks STRATA_COORDINATORS'],
    ['a bad etcd checksum', { STRATA_ETCD_SHA256: 'abc' }, 'STRATA_ETCD_SHA256 "abc" is not a sha256'],
  ])('refuses %s, naming the setting', async (_what, override, message) => {
    const nodeEnv = writeNodeEnv(dir.path, {
      ...coordinatorEnv(0, { client: 2379, peer: 2380 }),
      ...override,
    });
    const result = await runBootstrap(RENDER_ETCD_FLAGS, [nodeEnv, COORDINATOR_IPS[0]!, '/data']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(message);
  });

  it("refuses an address that is not this coordinator's in STRATA_COORDINATORS", async () => {
    const nodeEnv = writeNodeEnv(dir.path, coordinatorEnv(1, { client: 2379, peer: 2380 }));
    const result = await runBootstrap(RENDER_ETCD_FLAGS, [nodeEnv, '127.0.0.1', '/data']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      "coordinator 1's address in STRATA_COORDINATORS is 127.0.0.2, not 127.0.0.1",
    );
  });
});

/** Waits until every member reports a healthy cluster; returns the member names etcd lists. */
async function waitForQuorum(clientPort: number): Promise<string[]> {
  const healthy = async (ip: string) => {
    try {
      const response = await fetch(`http://${ip}:${clientPort}/health`);
      return ((await response.json()) as { health: string }).health === 'true';
    } catch {
      return false;
    }
  };
  await waitUntil(
    async () => (await Promise.all(COORDINATOR_IPS.map(healthy))).every(Boolean),
    'an etcd quorum',
    {
      timeoutMs: 30_000,
    },
  );
  const response = await fetch(`http://${COORDINATOR_IPS[0]}:${clientPort}/v3/cluster/member/list`, {
    method: 'POST',
    body: '{}',
  });
  const body = (await response.json()) as { members: { name: string }[] };
  return body.members.map((m) => m.name);
}

async function etcdValue(endpoint: string, key: string): Promise<string | undefined> {
  const response = await fetch(`${endpoint}/v3/kv/range`, {
    method: 'POST',
    body: JSON.stringify({ key: Buffer.from(key).toString('base64') }),
  });
  const body = (await response.json()) as { kvs?: { value: string }[] };
  const value = body.kvs?.[0]?.value;
  return value === undefined ? undefined : Buffer.from(value, 'base64').toString();
}
