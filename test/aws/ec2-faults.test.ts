import type { EC2Client } from '@aws-sdk/client-ec2';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Ec2Provider } from '../../control-plane/src/providers/ec2/ec2-provider.js';
import type { AwsEmulatorAccount } from '../support/aws-emulator.js';
import { addressedNode, startCluster, testCluster, volumeOf } from './support/cluster-fixture.js';
import { EC2_ERRORS, FaultProxy } from './support/fault-proxy.js';
import { clusterResources, useEmulatedEc2 } from './support/emulated-ec2.js';
import type { NodeNetwork } from './support/node-network.js';

describe('the EC2 provider when EC2 throttles or refuses calls', () => {
  let account: AwsEmulatorAccount;
  let ec2: EC2Client;
  let network: NodeNetwork;
  let proxy: FaultProxy;
  let provider: Ec2Provider;

  function newProvider(): Ec2Provider {
    // The provider's own retry settings; only where it sends its calls is the test's.
    return new Ec2Provider({
      settings: network.settings,
      logger: pino({ level: 'silent' }),
      clientConfig: { endpoint: proxy.url, region: account.region, credentials: account.credentials },
      maxWaitSeconds: 60,
    });
  }

  beforeAll(async () => {
    ({ account, ec2, network, proxy } = await useEmulatedEc2());
    provider = newProvider();
  });

  afterEach(() => proxy.clearFaults());

  afterAll(async () => {
    await proxy?.close();
  });

  /** The ids of every resource EC2 still has with the cluster's tag (ended instances aside). */
  async function leftOf(clusterId: string) {
    const { instances, volumes, interfaces } = await clusterResources(ec2, clusterId);
    return {
      instances: instances.map((i) => i.InstanceId),
      volumes: volumes.map((v) => v.VolumeId),
      interfaces: interfaces.map((n) => n.NetworkInterfaceId),
    };
  }

  it('retries throttled calls with backoff until they go through', async () => {
    // A client of its own: throttling slows its calls down for a while (adaptive retries).
    const provider = newProvider();
    const cluster = testCluster(network.zones);
    for (const action of ['CreateNetworkInterface', 'CreateVolume', 'RunInstances', 'DescribeInstances']) {
      proxy.inject({ action, ...EC2_ERRORS.throttled, times: 3 });
    }
    const from = proxy.calls.length;

    const { coordinators, brokers } = await startCluster(provider, cluster);

    const calls = proxy.calls.slice(from);
    for (const action of ['CreateNetworkInterface', 'CreateVolume', 'RunInstances', 'DescribeInstances']) {
      const throttled = calls.filter((c) => c.action === action && c.fault === 'RequestLimitExceeded');
      expect(throttled, action).toHaveLength(3);
    }
    // Each node's call went through once after being throttled: one interface, volume and instance each.
    const left = await leftOf(cluster.id);
    expect(left.interfaces).toHaveLength(coordinators.length + brokers.length);
    expect(left.instances).toHaveLength(coordinators.length + brokers.length);
    expect(left.volumes).toHaveLength(brokers.length);
    await provider.releaseCluster(cluster);
    expect(await leftOf(cluster.id)).toEqual({ instances: [], volumes: [], interfaces: [] });
  });

  it('retries a launch whose answer was lost with the same client token', async () => {
    const cluster = testCluster(network.zones);
    const coordinators = [];
    for (let i = 0; i < 3; i++) coordinators.push(await addressedNode(provider, cluster, 'coordinator', i));
    const broker = await addressedNode(provider, cluster, 'broker', 1);
    proxy.inject({ action: 'RunInstances', ...EC2_ERRORS.internal, times: 1, afterForwarding: true });
    const from = proxy.calls.length;

    const started = await provider.startBroker(cluster, broker, volumeOf(cluster, broker), coordinators);

    // EC2 answers a repeated client token with the instance the first call launched. (The
    // emulator does not keep client tokens, so it launches a second one here.)
    const launches = proxy.calls.slice(from).filter((c) => c.action === 'RunInstances');
    expect(launches.map((c) => c.fault)).toEqual(['InternalError', undefined]);
    expect(launches[0]!.params.get('ClientToken')).toMatch(/^[0-9a-f]{64}$/);
    expect(launches[1]!.params.get('ClientToken')).toBe(launches[0]!.params.get('ClientToken'));
    expect((await leftOf(cluster.id)).instances).toContain(started.nodeRef);
    await provider.releaseCluster(cluster);
    expect(await leftOf(cluster.id)).toEqual({ instances: [], volumes: [], interfaces: [] });
  });

  it.each([
    ['no capacity', EC2_ERRORS.noCapacity],
    ['access denied', EC2_ERRORS.denied],
  ])(
    'fails with AWS reason when RunInstances is refused (%s), and the release leaves nothing',
    async (_, error) => {
      const cluster = testCluster(network.zones);
      const coordinators = [];
      for (let i = 0; i < 3; i++) coordinators.push(await addressedNode(provider, cluster, 'coordinator', i));
      const broker = await addressedNode(provider, cluster, 'broker', 1);
      proxy.inject({ action: 'RunInstances', ...error });
      const from = proxy.calls.length;

      await expect(
        provider.startBroker(cluster, broker, volumeOf(cluster, broker), coordinators),
      ).rejects.toThrow(`RunInstances: ${error.code}: ${error.message}`);

      const launches = proxy.calls.slice(from).filter((c) => c.action === 'RunInstances');
      expect(launches.every((c) => c.fault === error.code)).toBe(true);
      // Access denied is not worth a retry.
      if (error.status === 403) expect(launches).toHaveLength(1);
      const left = await leftOf(cluster.id);
      expect(left.instances).toEqual([]);
      // The node's interface and its data volume stay for a retry (or for healing): a failed
      // creation releases the cluster, which removes them.
      expect(left.volumes).toHaveLength(1);
      expect(left.interfaces).toHaveLength(4);
      await provider.releaseCluster(cluster);
      expect(await leftOf(cluster.id)).toEqual({ instances: [], volumes: [], interfaces: [] });
    },
  );

  it('fails a release refused by EC2 with AWS reason, and a later release finishes it', async () => {
    const cluster = testCluster(network.zones);
    await startCluster(provider, cluster);
    proxy.inject({ action: 'DeleteVolume', ...EC2_ERRORS.denied });

    await expect(provider.releaseCluster(cluster)).rejects.toThrow(
      `DeleteVolume: ${EC2_ERRORS.denied.code}: ${EC2_ERRORS.denied.message}`,
    );
    expect((await leftOf(cluster.id)).instances).toEqual([]);

    proxy.clearFaults();
    await provider.releaseCluster(cluster);
    expect(await leftOf(cluster.id)).toEqual({ instances: [], volumes: [], interfaces: [] });
  });
});
