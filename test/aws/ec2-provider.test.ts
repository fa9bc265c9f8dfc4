import {
  DescribeInstancesCommand,
  DescribeNetworkInterfacesCommand,
  DescribeVolumesCommand,
  DescribeVolumesModificationsCommand,
  type EC2Client,
  type Instance,
  type Tag,
} from '@aws-sdk/client-ec2';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ec2Provider, EC2_PORTS } from '../../control-plane/src/providers/ec2/ec2-provider.js';
import { TAG } from '../../control-plane/src/providers/ec2/node-tags.js';
import type { AwsEmulatorAccount } from '../support/aws-emulator.js';
import { addressedNode, startCluster, testCluster, volumeOf } from './support/cluster-fixture.js';
import { FaultProxy } from './support/fault-proxy.js';
import { clusterFilter, useEmulatedEc2 } from './support/emulated-ec2.js';
import type { NodeNetwork } from './support/node-network.js';

const tagValue = (tags: Tag[] | undefined, key: string) => tags?.find((t) => t.Key === key)?.Value;

describe('the EC2 provider against the AWS emulator', () => {
  let account: AwsEmulatorAccount;
  let ec2: EC2Client;
  let network: NodeNetwork;
  let proxy: FaultProxy;
  let provider: Ec2Provider;

  beforeAll(async () => {
    ({ account, ec2, network, proxy } = await useEmulatedEc2());
    provider = new Ec2Provider({
      settings: network.settings,
      logger: pino({ level: 'silent' }),
      clientConfig: { endpoint: proxy.url, region: account.region, credentials: account.credentials },
      maxWaitSeconds: 60,
      modificationPollMs: 100,
      pageSize: 5,
    });
  });

  afterAll(async () => {
    await proxy?.close();
  });

  async function instancesOf(clusterId: string, states = ['pending', 'running']): Promise<Instance[]> {
    const { Reservations } = await ec2.send(
      new DescribeInstancesCommand({
        Filters: [...clusterFilter(clusterId), { Name: 'instance-state-name', Values: states }],
      }),
    );
    return (Reservations ?? []).flatMap((r) => r.Instances ?? []);
  }

  async function volumesOf(clusterId: string) {
    return (await ec2.send(new DescribeVolumesCommand({ Filters: clusterFilter(clusterId) }))).Volumes ?? [];
  }

  async function interfacesOf(clusterId: string) {
    return (
      (await ec2.send(new DescribeNetworkInterfacesCommand({ Filters: clusterFilter(clusterId) })))
        .NetworkInterfaces ?? []
    );
  }

  it('starts coordinators and brokers in their zones, on interfaces with fixed IPs, each broker with an encrypted gp3 volume', async () => {
    const cluster = testCluster(network.zones);
    const { coordinators, brokers } = await startCluster(provider, cluster);

    const instances = await instancesOf(cluster.id);
    expect(instances).toHaveLength(6);
    const interfaces = await interfacesOf(cluster.id);
    expect(interfaces).toHaveLength(6);
    const volumes = await volumesOf(cluster.id);
    expect(volumes).toHaveLength(3);

    for (const node of [...coordinators, ...brokers]) {
      const subnetId = network.settings.subnets.get(node.zone);
      const eni = interfaces.find(
        (i) =>
          tagValue(i.TagSet, TAG.role) === node.role &&
          tagValue(i.TagSet, TAG.nodeIndex) === String(node.nodeIndex),
      );
      expect(eni, `${node.role} ${node.nodeIndex}'s interface`).toBeDefined();
      expect(eni!.SubnetId).toBe(subnetId);
      expect(eni!.AvailabilityZone).toBe(node.zone);
      expect(eni!.PrivateIpAddress).toBe(node.host);
      const groups =
        node.role === 'broker'
          ? network.settings.brokerSecurityGroups
          : network.settings.coordinatorSecurityGroups;
      expect(eni!.Groups?.map((g) => g.GroupId)).toEqual(groups);

      const instance = instances.find(
        (i) =>
          tagValue(i.Tags, TAG.role) === node.role &&
          tagValue(i.Tags, TAG.nodeIndex) === String(node.nodeIndex),
      );
      expect(instance, `${node.role} ${node.nodeIndex}'s instance`).toBeDefined();
      expect(instance!.SubnetId).toBe(subnetId);
      expect(instance!.Placement?.AvailabilityZone).toBe(node.zone);
      expect(instance!.PrivateIpAddress).toBe(node.host);
      expect(instance!.NetworkInterfaces?.map((n) => n.NetworkInterfaceId)).toEqual([
        eni!.NetworkInterfaceId,
      ]);
      expect(instance!.InstanceType).toBe(node.role === 'broker' ? cluster.nodeType : 't3.medium');
      for (const [tags, kind] of [
        [instance!.Tags, 'instance'],
        [eni!.TagSet, 'interface'],
      ] as const) {
        expect(tagValue(tags, TAG.managed)).toBe('true');
        expect(tagValue(tags, TAG.cluster)).toBe(cluster.id);
        expect(tagValue(tags, TAG.zone)).toBe(node.zone);
        expect(tagValue(tags, TAG.kind)).toBe(kind);
        expect(tagValue(tags, TAG.brokerId)).toBe(
          node.role === 'broker' ? String(node.nodeIndex) : undefined,
        );
      }
      expect(node.port).toBe(node.role === 'broker' ? EC2_PORTS.kafka : EC2_PORTS.etcdClient);
    }

    // Coordinators one per zone, brokers round-robin over the zones, addresses in the zone's subnet.
    expect(coordinators.map((c) => c.zone)).toEqual(network.zones);
    expect(brokers.map((b) => b.zone)).toEqual(network.zones);
    for (const node of [...coordinators, ...brokers]) {
      const prefix = network.cidrs.get(node.zone)!.replace(/\.0\/24$/, '.');
      expect(node.host.startsWith(prefix), `${node.host} in ${network.cidrs.get(node.zone)}`).toBe(true);
    }

    for (const broker of brokers) {
      const volume = volumes.find((v) => tagValue(v.Tags, TAG.brokerId) === String(broker.nodeIndex));
      const instance = instances.find(
        (i) =>
          tagValue(i.Tags, TAG.role) === 'broker' &&
          tagValue(i.Tags, TAG.nodeIndex) === String(broker.nodeIndex),
      );
      expect(volume, `broker ${broker.nodeIndex}'s volume`).toMatchObject({
        VolumeType: 'gp3',
        Encrypted: true,
        Size: cluster.volumeSizeGiB,
        AvailabilityZone: broker.zone,
        State: 'in-use',
      });
      expect(volume!.Attachments?.map((a) => [a.InstanceId, a.Device])).toEqual([
        [instance!.InstanceId, '/dev/sdf'],
      ]);
      expect(tagValue(volume!.Tags, TAG.managed)).toBe('true');
      expect(tagValue(volume!.Tags, TAG.cluster)).toBe(cluster.id);
      expect(tagValue(volume!.Tags, TAG.zone)).toBe(broker.zone);
      expect(tagValue(volume!.Tags, TAG.kind)).toBe('volume');
    }
  });

  it('starting the same node again keeps its one instance, interface and volume', async () => {
    const cluster = testCluster(network.zones);
    const { coordinators, brokers } = await startCluster(provider, cluster);
    const before = (await instancesOf(cluster.id)).map((i) => i.InstanceId).sort();
    const broker = brokers[0]!;

    const again = await addressedNode(provider, cluster, 'broker', broker.nodeIndex);
    expect(again.host).toBe(broker.host);
    const started = await provider.startBroker(cluster, again, volumeOf(cluster, again), coordinators);
    const startedCoordinator = await provider.startCoordinator(cluster, coordinators[1]!, coordinators);

    expect((await instancesOf(cluster.id)).map((i) => i.InstanceId).sort()).toEqual(before);
    expect(before).toContain(started.nodeRef);
    expect(before).toContain(startedCoordinator);
    expect(await volumesOf(cluster.id)).toHaveLength(3);
    expect(await interfacesOf(cluster.id)).toHaveLength(6);
    expect(await provider.isRunning(cluster, broker)).toBe(true);
  });

  it('starts a stopped broker again on the same interface and data volume', async () => {
    const cluster = testCluster(network.zones);
    const { coordinators, brokers } = await startCluster(provider, cluster);
    const broker = brokers[0]!;
    const [first] = await instancesOf(cluster.id).then((all) =>
      all.filter((i) => tagValue(i.Tags, TAG.role) === 'broker' && tagValue(i.Tags, TAG.nodeIndex) === '1'),
    );
    await provider.stopNode(cluster, broker);

    const again = await provider.startBroker(cluster, broker, volumeOf(cluster, broker), coordinators);

    expect(again.nodeRef).not.toBe(first!.InstanceId);
    const [second] = (await instancesOf(cluster.id)).filter((i) => i.InstanceId === again.nodeRef);
    expect(second!.PrivateIpAddress).toBe(broker.host);
    expect(second!.NetworkInterfaces?.map((n) => n.NetworkInterfaceId)).toEqual(
      first!.NetworkInterfaces?.map((n) => n.NetworkInterfaceId),
    );
    const volumes = (await volumesOf(cluster.id)).filter((v) => tagValue(v.Tags, TAG.brokerId) === '1');
    expect(volumes.map((v) => [v.VolumeId, v.Attachments?.map((a) => a.InstanceId)])).toEqual([
      [again.volumeRef, [again.nodeRef]],
    ]);
    expect(await instancesOf(cluster.id)).toHaveLength(6);
  });

  it('reads every page of resources when they take more than one', async () => {
    // Nine instances and interfaces and six volumes, read five at a time.
    const cluster = testCluster(network.zones, { brokersPerZone: 2 });
    const from = proxy.calls.length;
    const { brokers } = await startCluster(provider, cluster);
    for (const broker of brokers) expect(await provider.isRunning(cluster, broker)).toBe(true);

    await provider.releaseCluster(cluster);

    const calls = proxy.calls.slice(from);
    // The calls that look resources up by their tags (not the waiters' calls by id).
    const lookups = (action: string) =>
      calls.filter((c) => c.action === action && c.params.has('Filter.1.Name'));
    for (const action of ['DescribeInstances', 'DescribeVolumes', 'DescribeNetworkInterfaces']) {
      expect(lookups(action).length, action).toBeGreaterThan(0);
      expect(
        lookups(action).every((c) => c.params.get('MaxResults') === '5'),
        action,
      ).toBe(true);
    }
    // The emulator pages instances (its volumes and interfaces come in one page, whatever the size).
    expect(lookups('DescribeInstances').some((c) => c.params.has('NextToken'))).toBe(true);
    expect(await instancesOf(cluster.id)).toEqual([]);
    expect(await volumesOf(cluster.id)).toEqual([]);
    expect(await interfacesOf(cluster.id)).toEqual([]);
  });

  it('grows a data volume with ModifyVolume and follows the modification to its end', async () => {
    const cluster = testCluster(network.zones);
    const { brokers } = await startCluster(provider, cluster);
    const broker = brokers[1]!;
    const volume = volumeOf(cluster, broker);

    await provider.resizeVolume(cluster, volume, broker, 25);

    const [grown] = (await volumesOf(cluster.id)).filter((v) => tagValue(v.Tags, TAG.brokerId) === '2');
    expect(grown!.Size).toBe(25);
    const { VolumesModifications } = await ec2.send(
      new DescribeVolumesModificationsCommand({ VolumeIds: [grown!.VolumeId!] }),
    );
    expect(VolumesModifications?.map((m) => [m.TargetSize, m.ModificationState])).toEqual([
      [25, expect.stringMatching(/^(optimizing|completed)$/)],
    ]);
    // Asking for the size it has already changes nothing.
    const modifyCalls = proxy.callsOf('ModifyVolume').length;
    await provider.resizeVolume(cluster, volume, broker, 25);
    expect(proxy.callsOf('ModifyVolume')).toHaveLength(modifyCalls);
  });

  it('stopping a node ends its instance; releasing the cluster leaves nothing with its tags', async () => {
    const cluster = testCluster(network.zones);
    const { brokers } = await startCluster(provider, cluster);

    await provider.stopNode(cluster, brokers[2]!);
    expect(await provider.isRunning(cluster, brokers[2]!)).toBe(false);
    expect(await instancesOf(cluster.id)).toHaveLength(5);

    await provider.releaseBroker(cluster, brokers[2]!.nodeIndex);
    expect(await volumesOf(cluster.id)).toHaveLength(2);
    expect(await interfacesOf(cluster.id)).toHaveLength(5);

    await provider.releaseCluster(cluster);
    expect(await instancesOf(cluster.id)).toEqual([]);
    expect(await volumesOf(cluster.id)).toEqual([]);
    expect(await interfacesOf(cluster.id)).toEqual([]);
    // Released twice (a retried deletion) is fine.
    await provider.releaseCluster(cluster);
  });
});
