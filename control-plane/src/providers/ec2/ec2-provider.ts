import {
  AttachVolumeCommand,
  CreateNetworkInterfaceCommand,
  CreateVolumeCommand,
  DeleteNetworkInterfaceCommand,
  DeleteVolumeCommand,
  DescribeVolumesModificationsCommand,
  EC2Client,
  ModifyVolumeCommand,
  type EC2ClientConfig,
  RunInstancesCommand,
  TerminateInstancesCommand,
  paginateDescribeInstances,
  paginateDescribeNetworkInterfaces,
  paginateDescribeVolumes,
  waitUntilInstanceRunning,
  waitUntilInstanceTerminated,
  waitUntilVolumeAvailable,
  waitUntilVolumeInUse,
  type Filter,
  type Instance,
  type NetworkInterface,
  type Volume,
} from '@aws-sdk/client-ec2';
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import {
  zoneOfBroker,
  zoneOfCoordinator,
  type Cluster,
  type ClusterNode,
  type ClusterVolume,
  type NodeRole,
} from '../../clusters/cluster-model.js';
import { clusterBrokerSettings } from '../../clusters/broker-configuration.js';
import type { NodeAddress, NodeProvider, StartedBroker } from '../provider.js';
import type { Ec2Settings } from './ec2-settings.js';
import { nodeFilters, nodeTags, tagSpecifications, type NodeIdentity } from './node-tags.js';
import { nodeUserData } from './user-data.js';

/** Ports a node listens on, on its network interface's private IP. */
export const EC2_PORTS = { kafka: 9092, admin: 9093, etcdClient: 2379, etcdPeer: 2380 } as const;
const DATA_DEVICE = '/dev/sdf';
const LIVE_INSTANCE_STATES = ['pending', 'running'];

export interface Ec2ProviderOptions {
  readonly settings: Ec2Settings;
  readonly logger: Logger;
  /**
   * Settings of the EC2 client, over the standard AWS settings (AWS_ENDPOINT_URL, AWS_REGION,
   * credentials) and the provider's retries (8 attempts, adaptive: throttled calls back off).
   */
  readonly clientConfig?: EC2ClientConfig;
  /** An EC2 client to use instead (then `clientConfig` is not used). */
  readonly client?: EC2Client;
  /** How long to wait for instances and volumes to change state (seconds). */
  readonly maxWaitSeconds?: number;
  /** How often to re-read a volume modification while it runs (ms). */
  readonly modificationPollMs?: number;
  /** How many resources to ask for per page of Describe* calls (5–1000; EC2's default when absent). */
  readonly pageSize?: number;
}

/**
 * Runs clusters on EC2: every node is an instance launched from its role's launch template on its
 * own network interface (created first, so its private IP — the address other nodes and clients
 * use — is known before any instance starts and survives the instance being replaced), and every
 * broker has an encrypted gp3 EBS data volume. Everything is tagged with the cluster, role, zone
 * and node, found by those tags before anything is created, and created with client tokens, so a
 * call repeated after a crash finds or returns what the first one made. Throttled calls are
 * retried with backoff by the SDK; any other AWS error fails the step with AWS's reason.
 */
export class Ec2Provider implements NodeProvider {
  readonly name = 'ec2' as const;
  readonly maxBrokers = 45;
  private readonly client: EC2Client;
  private readonly maxWaitTime: number;

  constructor(private readonly options: Ec2ProviderOptions) {
    this.client =
      options.client ?? new EC2Client({ maxAttempts: 8, retryMode: 'adaptive', ...options.clientConfig });
    this.client.middlewareStack.add(
      (next, context) => async (args) => {
        try {
          return await next(args);
        } catch (error) {
          throw withCallName(String(context.commandName ?? '').replace(/Command$/, ''), error);
        }
      },
      { step: 'initialize', name: 'strataEc2CallName', override: true },
    );
    this.maxWaitTime = options.maxWaitSeconds ?? 900;
  }

  checkNodeType(nodeType: string): string | undefined {
    return /^[a-z][a-z0-9-]*\.[a-z0-9]+$/.test(nodeType)
      ? undefined
      : 'must be an EC2 instance type, such as m7g.large';
  }

  checkZones(zones: readonly string[]): string | undefined {
    const missing = zones.filter((z) => !this.options.settings.subnets.has(z));
    return missing.length === 0
      ? undefined
      : `${missing.join(', ')} ${missing.length === 1 ? 'has' : 'have'} no node subnet: the zones are ${[...this.options.settings.subnets.keys()].join(', ')}`;
  }

  async prepareCluster(cluster: Cluster): Promise<Cluster> {
    return cluster;
  }

  async nodeAddress(cluster: Cluster, role: NodeRole, index: number): Promise<NodeAddress> {
    const zone =
      role === 'broker' ? zoneOfBroker(cluster.zones, index) : zoneOfCoordinator(cluster.zones, index);
    const eni = await this.ensureInterface(cluster, { role, index, zone });
    return role === 'broker'
      ? { host: eni.PrivateIpAddress!, port: EC2_PORTS.kafka, adminPort: EC2_PORTS.admin, peerPort: null }
      : {
          host: eni.PrivateIpAddress!,
          port: EC2_PORTS.etcdClient,
          adminPort: null,
          peerPort: EC2_PORTS.etcdPeer,
        };
  }

  async startCoordinator(
    cluster: Cluster,
    node: ClusterNode,
    coordinators: readonly ClusterNode[],
  ): Promise<string> {
    const instance = await this.ensureInstance(cluster, node, coordinators);
    return instance.InstanceId!;
  }

  async startBroker(
    cluster: Cluster,
    node: ClusterNode,
    volume: ClusterVolume,
    coordinators: readonly ClusterNode[],
  ): Promise<StartedBroker> {
    const dataVolume = await this.ensureVolume(cluster, node, volume.sizeGiB);
    const instance = await this.ensureInstance(cluster, node, coordinators, dataVolume.VolumeId!);
    const attachedHere = dataVolume.Attachments?.some((a) => a.InstanceId === instance.InstanceId);
    if (!attachedHere) {
      if (dataVolume.State !== 'available') {
        await waitUntilVolumeAvailable(this.waiter(), { VolumeIds: [dataVolume.VolumeId!] });
      }
      await this.client.send(
        new AttachVolumeCommand({
          VolumeId: dataVolume.VolumeId!,
          InstanceId: instance.InstanceId!,
          Device: DATA_DEVICE,
        }),
      );
      await waitUntilVolumeInUse(this.waiter(), { VolumeIds: [dataVolume.VolumeId!] });
    }
    return { nodeRef: instance.InstanceId!, volumeRef: dataVolume.VolumeId! };
  }

  /** Terminating an instance shuts its OS down: the broker's service gets SIGTERM and hands over. */
  async stopNode(cluster: Cluster, node: ClusterNode): Promise<void> {
    await this.terminate(
      await this.instances(nodeFilters(cluster, { role: node.role, index: node.nodeIndex })),
    );
  }

  async isRunning(cluster: Cluster, node: ClusterNode): Promise<boolean> {
    const instances = await this.instances(nodeFilters(cluster, { role: node.role, index: node.nodeIndex }));
    return instances.length > 0;
  }

  async resizeVolume(
    cluster: Cluster,
    volume: ClusterVolume,
    broker: ClusterNode,
    sizeGiB: number,
  ): Promise<void> {
    const [found] = await this.volumes(
      nodeFilters(cluster, { role: 'broker', index: volume.brokerId }, 'volume'),
    );
    if (!found) throw new Error(`broker ${volume.brokerId} has no data volume`);
    const volumeId = found.VolumeId!;
    let modification = await this.latestModification(volumeId);
    const inProgress = modification?.ModificationState === 'modifying';
    if ((found.Size ?? 0) < sizeGiB && !(inProgress && (modification?.TargetSize ?? 0) >= sizeGiB)) {
      if (inProgress) await this.awaitModification(volumeId);
      await this.client.send(new ModifyVolumeCommand({ VolumeId: volumeId, Size: sizeGiB }));
      this.options.logger.info(
        { cluster: cluster.id, broker: broker.nodeIndex, volumeId, sizeGiB },
        'volume modification requested',
      );
    }
    modification = await this.awaitModification(volumeId);
    if (modification && (modification.TargetSize ?? sizeGiB) < sizeGiB) {
      throw new Error(`volume ${volumeId} was modified to ${modification.TargetSize} GiB, not ${sizeGiB}`);
    }
  }

  async releaseBroker(cluster: Cluster, brokerId: number): Promise<void> {
    const node = { role: 'broker' as const, index: brokerId };
    await this.terminate(await this.instances(nodeFilters(cluster, node)));
    await this.deleteVolumes(await this.volumes(nodeFilters(cluster, node, 'volume')));
    await this.deleteInterfaces(await this.interfaces(nodeFilters(cluster, node, 'interface')));
  }

  async releaseCluster(cluster: Cluster): Promise<void> {
    await this.terminate(await this.instances(nodeFilters(cluster)));
    await this.deleteVolumes(await this.volumes(nodeFilters(cluster, undefined, 'volume')));
    await this.deleteInterfaces(await this.interfaces(nodeFilters(cluster, undefined, 'interface')));
  }

  // ---------------------------------------------------------------------------------------------

  private paginator() {
    return { client: this.client, ...(this.options.pageSize ? { pageSize: this.options.pageSize } : {}) };
  }

  private waiter() {
    return { client: this.client, maxWaitTime: this.maxWaitTime, minDelay: 1, maxDelay: 15 };
  }

  private subnetOf(zone: string): string {
    const subnet = this.options.settings.subnets.get(zone);
    if (!subnet) throw new Error(`zone ${zone} has no node subnet`);
    return subnet;
  }

  private async ensureInterface(cluster: Cluster, node: NodeIdentity): Promise<NetworkInterface> {
    const [existing] = await this.interfaces(nodeFilters(cluster, node, 'interface'));
    if (existing) return existing;
    const groups =
      node.role === 'broker'
        ? this.options.settings.brokerSecurityGroups
        : this.options.settings.coordinatorSecurityGroups;
    const created = await this.client.send(
      new CreateNetworkInterfaceCommand({
        SubnetId: this.subnetOf(node.zone),
        Groups: [...groups],
        Description: `strata ${cluster.name} ${node.role} ${node.index}`,
        TagSpecifications: tagSpecifications(['network-interface'], nodeTags(cluster, node, 'interface')),
        ClientToken: token(cluster.id, 'interface', node.role, node.index),
      }),
    );
    return created.NetworkInterface!;
  }

  private async ensureVolume(cluster: Cluster, node: ClusterNode, sizeGiB: number): Promise<Volume> {
    const identity = { role: node.role, index: node.nodeIndex, zone: node.zone };
    const [existing] = await this.volumes(nodeFilters(cluster, identity, 'volume'));
    if (existing) return existing;
    const created = await this.client.send(
      new CreateVolumeCommand({
        AvailabilityZone: node.zone,
        Size: sizeGiB,
        VolumeType: 'gp3',
        Encrypted: true,
        TagSpecifications: tagSpecifications(['volume'], nodeTags(cluster, identity, 'volume')),
        ClientToken: token(cluster.id, 'volume', node.nodeIndex),
      }),
    );
    await waitUntilVolumeAvailable(this.waiter(), { VolumeIds: [created.VolumeId!] });
    return { ...created, State: 'available', Attachments: [] };
  }

  /**
   * The node's live instance, or a new one on the node's network interface, from its role's launch
   * template (a broker's of the cluster's node type, with its data volume). A replacement (after
   * the previous instance ended) gets a new client token derived from the one it replaces, so
   * retries of the same launch stay idempotent while a later launch is a new one.
   */
  private async ensureInstance(
    cluster: Cluster,
    node: ClusterNode,
    coordinators: readonly ClusterNode[],
    dataVolumeId?: string,
  ): Promise<Instance> {
    const { settings } = this.options;
    const broker = node.role === 'broker';
    const identity = { role: node.role, index: node.nodeIndex, zone: node.zone };
    const all = await this.instances(nodeFilters(cluster, identity), true);
    const live = all.find((i) => LIVE_INSTANCE_STATES.includes(i.State?.Name ?? ''));
    if (live) {
      if (live.State?.Name !== 'running') {
        await waitUntilInstanceRunning(this.waiter(), { InstanceIds: [live.InstanceId!] });
      }
      return live;
    }
    const previous = all
      .filter((i) => i.LaunchTime)
      .sort((a, b) => b.LaunchTime!.getTime() - a.LaunchTime!.getTime())[0]?.InstanceId;
    const [eni] = await this.interfaces(nodeFilters(cluster, identity, 'interface'));
    if (!eni) throw new Error(`${node.role} ${node.nodeIndex} has no network interface yet`);
    if (eni.Status === 'in-use' && eni.Attachment?.InstanceId) {
      // The previous instance is still shutting down and holds the interface.
      await waitUntilInstanceTerminated(this.waiter(), { InstanceIds: [eni.Attachment.InstanceId] });
    }
    const tags = nodeTags(cluster, identity, 'instance');
    const launched = await this.client.send(
      new RunInstancesCommand({
        LaunchTemplate: {
          LaunchTemplateId: broker ? settings.brokerLaunchTemplate : settings.coordinatorLaunchTemplate,
          Version: '$Default',
        },
        ...(broker ? { InstanceType: cluster.nodeType as never } : {}),
        MinCount: 1,
        MaxCount: 1,
        // The interface's zone: where the broker's data volume is too.
        Placement: { AvailabilityZone: node.zone },
        NetworkInterfaces: [{ DeviceIndex: 0, NetworkInterfaceId: eni.NetworkInterfaceId! }],
        UserData: Buffer.from(
          nodeUserData({
            role: node.role,
            clusterId: cluster.id,
            nodeId: node.nodeIndex,
            zone: node.zone,
            coordinators: coordinators.map((c) => c.host),
            ...(broker ? { dataVolumeId, brokerSettings: clusterBrokerSettings(cluster) } : {}),
            bundleUri: settings.nodeBundleUri,
          }),
        ).toString('base64'),
        TagSpecifications: tagSpecifications(['instance'], tags),
        ClientToken: token(cluster.id, 'instance', node.role, node.nodeIndex, previous ?? 'first'),
      }),
    );
    const instance = launched.Instances![0]!;
    this.options.logger.info(
      { cluster: cluster.id, role: node.role, index: node.nodeIndex, instanceId: instance.InstanceId },
      'launched a node instance',
    );
    await waitUntilInstanceRunning(this.waiter(), { InstanceIds: [instance.InstanceId!] });
    return instance;
  }

  private async terminate(instances: readonly Instance[]): Promise<void> {
    const ids = instances.map((i) => i.InstanceId!);
    if (ids.length === 0) return;
    await this.client.send(new TerminateInstancesCommand({ InstanceIds: ids }));
    await waitUntilInstanceTerminated(this.waiter(), { InstanceIds: ids });
    this.options.logger.info({ instanceIds: ids }, 'terminated node instances');
  }

  private async deleteVolumes(volumes: readonly Volume[]): Promise<void> {
    for (const volume of volumes) {
      if (volume.State !== 'available')
        await waitUntilVolumeAvailable(this.waiter(), { VolumeIds: [volume.VolumeId!] });
      await ignoreNotFound(this.client.send(new DeleteVolumeCommand({ VolumeId: volume.VolumeId! })));
    }
  }

  private async deleteInterfaces(interfaces: readonly NetworkInterface[]): Promise<void> {
    for (const eni of interfaces) {
      await ignoreNotFound(
        this.client.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: eni.NetworkInterfaceId! })),
      );
    }
  }

  /** Instances with these tags: live ones, or (with `includeEnded`) every one EC2 still lists. */
  private async instances(filters: Filter[], includeEnded = false): Promise<Instance[]> {
    const states = includeEnded
      ? [...LIVE_INSTANCE_STATES, 'shutting-down', 'stopping', 'stopped', 'terminated']
      : LIVE_INSTANCE_STATES;
    const found: Instance[] = [];
    const pages = paginateDescribeInstances(this.paginator(), {
      Filters: [...filters, { Name: 'instance-state-name', Values: states }],
    });
    for await (const page of pages)
      for (const r of page.Reservations ?? []) found.push(...(r.Instances ?? []));
    return found;
  }

  private async volumes(filters: Filter[]): Promise<Volume[]> {
    const found: Volume[] = [];
    const pages = paginateDescribeVolumes(this.paginator(), {
      Filters: [...filters, { Name: 'status', Values: ['creating', 'available', 'in-use'] }],
    });
    for await (const page of pages) found.push(...(page.Volumes ?? []));
    return found;
  }

  private async interfaces(filters: Filter[]): Promise<NetworkInterface[]> {
    const found: NetworkInterface[] = [];
    for await (const page of paginateDescribeNetworkInterfaces(this.paginator(), { Filters: filters })) {
      found.push(...(page.NetworkInterfaces ?? []));
    }
    return found;
  }

  private async latestModification(volumeId: string) {
    try {
      const { VolumesModifications } = await this.client.send(
        new DescribeVolumesModificationsCommand({ VolumeIds: [volumeId] }),
      );
      return VolumesModifications?.sort(
        (a, b) => (b.StartTime?.getTime() ?? 0) - (a.StartTime?.getTime() ?? 0),
      )[0];
    } catch (error) {
      // A volume never modified has no modification to describe.
      if ((error as { name?: string }).name === 'InvalidVolumeModification.NotFound') return undefined;
      throw error;
    }
  }

  /** Follows a volume's latest modification until its new size is usable (optimizing or done). */
  private async awaitModification(volumeId: string) {
    const deadline = Date.now() + this.maxWaitTime * 1000;
    for (;;) {
      const modification = await this.latestModification(volumeId);
      const state = modification?.ModificationState;
      if (!modification || state === 'optimizing' || state === 'completed') return modification;
      if (state === 'failed') {
        throw new Error(
          `the modification of volume ${volumeId} failed: ${modification.StatusMessage ?? 'no reason given'}`,
        );
      }
      if (Date.now() > deadline)
        throw new Error(`volume ${volumeId} is still being modified after ${this.maxWaitTime} s`);
      await new Promise((resolve) => setTimeout(resolve, this.options.modificationPollMs ?? 5000));
    }
  }
}

/** A client token: stable for the same request, at most 64 characters. */
function token(...parts: (string | number)[]): string {
  return createHash('sha256').update(parts.join('/')).digest('hex').slice(0, 64);
}

/**
 * AWS's error, once the SDK has stopped retrying, saying which call failed and why:
 * "RunInstances: InsufficientInstanceCapacity: We currently do not have sufficient capacity ...".
 * The error keeps its class and name (AWS's error code).
 */
function withCallName(call: string, error: unknown): unknown {
  if (error instanceof Error && '$metadata' in error && call && !error.message.startsWith(`${call}: `)) {
    error.message = `${call}: ${error.name}: ${error.message}`;
  }
  return error;
}

async function ignoreNotFound(call: Promise<unknown>): Promise<void> {
  try {
    await call;
  } catch (error) {
    if (!/NotFound/.test((error as { name?: string }).name ?? '')) throw error;
  }
}
