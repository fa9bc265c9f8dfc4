import type { EC2Client, Tag } from '@aws-sdk/client-ec2';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GIB } from '../../control-plane/src/clusters/cluster-model.js';
import { TAG } from '../../control-plane/src/providers/ec2/node-tags.js';
import type { AwsEmulatorAccount } from '../support/aws-emulator.js';
import { freePort } from '../support/free-port.js';
import { tempDir } from '../support/temp-dir.js';
import { waitUntil } from '../support/wait-until.js';
import { WatchedProcess } from '../support/watched-process.js';
import { apiRequest, type ApiResponse, type RequestOptions } from '../control-plane/support/api-request.js';
import { CONTROL_PLANE_MAIN } from '../control-plane/support/control-plane-process.js';
import { EC2_ERRORS, FaultProxy } from './support/fault-proxy.js';
import { InstanceAgent } from './support/instance-agent.js';
import { clusterResources, useEmulatedEc2 } from './support/emulated-ec2.js';
import type { NodeNetwork } from './support/node-network.js';

/** A JSON body from the API (checked field by field). */
type Body = ApiResponse['body'];

const API_KEY = 'aws-e2e-admin-key-2350d27acca9a92a20e75106043be52bcddbdc4a';
const tagValue = (tags: Tag[] | undefined, key: string) => tags?.find((t) => t.Key === key)?.Value;

/**
 * The control plane with STRATA_PROVIDER=ec2 against the emulator. The node subnets are in
 * 127.20.0.0/16, so every network interface's private IP is a loopback address of this machine,
 * and an instance agent runs each instance's node (etcd or a broker) on it from its user data:
 * clusters go all the way to ACTIVE, and the brokers serve Kafka on their instances' addresses.
 */
describe('the control plane on the EC2 provider', () => {
  let account: AwsEmulatorAccount;
  let ec2: EC2Client;
  let network: NodeNetwork;
  let proxy: FaultProxy;
  let agent: InstanceAgent;
  let state: ReturnType<typeof tempDir>;
  let controlPlane: WatchedProcess;
  let url: string;

  beforeAll(async () => {
    ({ account, ec2, network, proxy } = await useEmulatedEc2({ vpcCidr: '127.20.0.0/16' }));
    state = tempDir('strata-aws-e2e-');
    agent = new InstanceAgent(ec2, state.path);
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    const settings = network.settings;
    controlPlane = new WatchedProcess(
      'control plane',
      process.execPath,
      ['--enable-source-maps', CONTROL_PLANE_MAIN],
      {
        ...account.env,
        // The control plane's EC2 calls go through the fault proxy.
        AWS_ENDPOINT_URL: proxy.url,
        PORT: String(port),
        HOST: '127.0.0.1',
        STRATA_STATE_DIR: state.path,
        STRATA_DATABASE_URL: '',
        STRATA_API_KEY: API_KEY,
        STRATA_MONITOR_INTERVAL_MS: '500',
        STRATA_PROVIDER: 'ec2',
        STRATA_EC2_BROKER_LAUNCH_TEMPLATE: settings.brokerLaunchTemplate,
        STRATA_EC2_COORDINATOR_LAUNCH_TEMPLATE: settings.coordinatorLaunchTemplate,
        STRATA_EC2_SUBNETS: [...settings.subnets].map(([zone, subnet]) => `${zone}=${subnet}`).join(','),
        STRATA_EC2_BROKER_SECURITY_GROUPS: settings.brokerSecurityGroups.join(','),
        STRATA_EC2_COORDINATOR_SECURITY_GROUPS: settings.coordinatorSecurityGroups.join(','),
        STRATA_EC2_NODE_BUNDLE_URI: settings.nodeBundleUri,
      },
    );
    await controlPlane.waitFor(
      () =>
        controlPlane.stdout.some((line) => line.startsWith('Strata control plane on ')) ||
        !controlPlane.alive,
      'the control plane to listen',
      60_000,
    );
    if (!controlPlane.alive) throw new Error(`the control plane exited\n${controlPlane.tail()}`);
  });

  afterAll(async () => {
    await controlPlane?.stop(20_000);
    await agent?.stop();
    await proxy?.close();
    state?.cleanup();
  });

  function request(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse> {
    return apiRequest(url, API_KEY, method, path, options);
  }

  function ok(response: ApiResponse, status = 200): ApiResponse {
    expect(response.status, JSON.stringify(response.body)).toBe(status);
    return response;
  }

  /** Waits for the operation to end; the cluster's state then. */
  async function finished(
    clusterId: string,
    operationId: string,
  ): Promise<{ cluster: Body; operation: Body }> {
    let last: { cluster: Body; operation: Body } | undefined;
    await waitUntil(
      async () => {
        const operation = ok(await request('GET', `/v1/operations/${operationId}`)).body;
        const response = await request('GET', `/v1/clusters/${clusterId}`);
        last = { cluster: response.status === 200 ? response.body : null, operation };
        return operation.state === 'SUCCEEDED' || operation.state === 'FAILED';
      },
      `operation ${operationId} to finish`,
      {
        timeoutMs: 240_000,
        intervalMs: 250,
        describe: () =>
          `${JSON.stringify(last?.operation?.steps)}\nagent: ${agent.errors.slice(-5).join('\n')}\n${controlPlane.tail(20)}`,
      },
    );
    return last!;
  }

  // Several operations end to end against the AWS emulator: minutes on a loaded machine.
  it(
    'creates a cluster on instances across three zones, grows its volumes, scales it out and deletes it',
    {
      timeout: 420_000,
    },
    async () => {
      const created = ok(
        await request('POST', '/v1/clusters', {
          body: {
            name: 'on-ec2',
            zones: network.zones,
            brokersPerZone: 1,
            nodeType: 'm5.large',
            storage: {
              volumeSizeGiB: 10,
              autoExpansion: {
                enabled: false,
                targetUtilizationPercent: 60,
                maxVolumeSizeGiB: 100,
                cooldown: 60,
              },
            },
          },
        }),
        202,
      );
      const clusterId = created.body.cluster.id as string;
      let done = await finished(clusterId, created.body.operation.id);
      expect(done.operation.state, JSON.stringify(done.operation)).toBe('SUCCEEDED');
      expect(done.cluster.state).toBe('ACTIVE');

      let found = await clusterResources(ec2, clusterId);
      const byRole = (role: string) => found.instances.filter((i) => tagValue(i.Tags, TAG.role) === role);
      expect(
        byRole('coordinator')
          .map((i) => i.Placement?.AvailabilityZone)
          .sort(),
      ).toEqual(network.zones);
      expect(
        byRole('broker')
          .map((i) => i.Placement?.AvailabilityZone)
          .sort(),
      ).toEqual(network.zones);
      expect(
        found.volumes.map((v) => [v.AvailabilityZone, v.Size, v.VolumeType, v.Encrypted]).sort(),
      ).toEqual(network.zones.map((zone) => [zone, 10, 'gp3', true]));
      // The brokers serve Kafka on their instances' private IPs, each in its instance's zone.
      const bootstrap = ok(await request('GET', `/v1/clusters/${clusterId}/bootstrap-brokers`)).body
        .bootstrapBrokerString as string;
      expect(bootstrap.split(',').sort()).toEqual(
        byRole('broker')
          .map((i) => `${i.PrivateIpAddress}:9092`)
          .sort(),
      );
      const admin = new Kafka({ brokers: bootstrap.split(','), logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      try {
        const { brokers } = await admin.describeCluster();
        expect(brokers.map((b) => b.host).sort()).toEqual(
          byRole('broker')
            .map((i) => i.PrivateIpAddress)
            .sort(),
        );
        await admin.createTopics({ topics: [{ topic: 'on-ec2', numPartitions: 3 }], waitForLeaders: true });
      } finally {
        await admin.disconnect();
      }
      const producer = new Kafka({ brokers: bootstrap.split(','), logLevel: logLevel.NOTHING }).producer();
      await producer.connect();
      await producer.send({
        topic: 'on-ec2',
        acks: -1,
        messages: [{ key: 'k', value: 'hello from a node' }],
      });
      await producer.disconnect();

      // Storage: ModifyVolume on every broker's volume, the new size recorded.
      const grow = ok(
        await request('PUT', `/v1/clusters/${clusterId}/storage`, {
          body: { currentVersion: done.cluster.currentVersion, volumeSizeGiB: 20 },
        }),
        202,
      );
      done = await finished(clusterId, grow.body.operation.id);
      expect(done.operation.state, JSON.stringify(done.operation)).toBe('SUCCEEDED');
      expect(proxy.callsOf('ModifyVolume').map((c) => c.params.get('Size'))).toEqual(['20', '20', '20']);
      found = await clusterResources(ec2, clusterId);
      expect(found.volumes.map((v) => v.Size)).toEqual([20, 20, 20]);
      expect(done.cluster.storage.volumeSizeGiB).toBe(20);
      expect(done.cluster.brokerStorage.map((v: { volumeSizeGiB: number }) => v.volumeSizeGiB)).toEqual([
        20, 20, 20,
      ]);
      // The brokers see the larger volumes (the nodes grow their file systems) and report them.
      await waitUntil(
        async () => {
          const { brokerStorage } = ok(await request('GET', `/v1/clusters/${clusterId}`)).body;
          return brokerStorage.every((v: { capacityBytes: number | null }) => v.capacityBytes === 20 * GIB);
        },
        'the brokers to report their grown volumes',
        { timeoutMs: 60_000, intervalMs: 250 },
      );

      // Scale out to two brokers per zone.
      const scale = ok(
        await request('PUT', `/v1/clusters/${clusterId}/broker-count`, {
          body: { currentVersion: done.cluster.currentVersion, targetBrokerCount: 6 },
        }),
        202,
      );
      done = await finished(clusterId, scale.body.operation.id);
      expect(done.operation.state, JSON.stringify(done.operation)).toBe('SUCCEEDED');
      found = await clusterResources(ec2, clusterId);
      expect(byRole('broker')).toHaveLength(6);
      expect(found.volumes).toHaveLength(6);
      for (const zone of network.zones)
        expect(byRole('broker').filter((i) => i.Placement?.AvailabilityZone === zone)).toHaveLength(2);

      // A deleted cluster is gone with its operations once the deletion succeeded.
      ok(await request('DELETE', `/v1/clusters/${clusterId}`), 202);
      await waitUntil(
        async () => {
          const response = await request('GET', `/v1/clusters/${clusterId}`);
          if (response.body?.state === 'FAILED')
            throw new Error(`the deletion failed: ${response.body.stateInfo}`);
          return response.status === 404;
        },
        'the cluster to be deleted',
        { timeoutMs: 120_000, intervalMs: 250, describe: () => controlPlane.tail(20) },
      );
      found = await clusterResources(ec2, clusterId);
      expect({
        instances: found.instances.length,
        volumes: found.volumes.length,
        interfaces: found.interfaces.length,
      }).toEqual({ instances: 0, volumes: 0, interfaces: 0 });
      await waitUntil(() => agent.nodes.size === 0, 'the nodes of ended instances to stop');
    },
  );

  it('fails a creation EC2 refuses with its reason, and leaves nothing behind', async () => {
    proxy.inject({ action: 'RunInstances', ...EC2_ERRORS.denied });
    try {
      const created = ok(
        await request('POST', '/v1/clusters', {
          body: {
            name: 'refused',
            zones: network.zones,
            brokersPerZone: 1,
            nodeType: 'm5.large',
            storage: { volumeSizeGiB: 10 },
          },
        }),
        202,
      );
      const clusterId = created.body.cluster.id as string;
      const done = await finished(clusterId, created.body.operation.id);
      expect(done.operation.state).toBe('FAILED');
      expect(done.operation.error).toContain(
        `RunInstances: ${EC2_ERRORS.denied.code}: ${EC2_ERRORS.denied.message}`,
      );
      expect(done.cluster.state).toBe('FAILED');
      const found = await clusterResources(ec2, clusterId);
      expect({
        instances: found.instances.length,
        volumes: found.volumes.length,
        interfaces: found.interfaces.length,
      }).toEqual({ instances: 0, volumes: 0, interfaces: 0 });
    } finally {
      proxy.clearFaults();
    }
  });
});
