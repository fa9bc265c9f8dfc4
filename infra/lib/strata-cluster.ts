import { Fn, RemovalPolicy, Size, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import {
  COORDINATOR_COUNT,
  zoneOfBroker,
  zoneOfCoordinator,
  type NodeRole,
} from '../../control-plane/src/clusters/cluster-model.js';
import type { StrataNodeLaunchTemplates } from './node-launch-templates.js';
import { applyTags, nodeTags, STRATA_TAG } from './node-tags.js';
import { STRATA_PORTS } from './security-groups.js';
import { cloudWatchAgentScript, nodeUserDataScript } from './user-data.js';

/** The device name the data volume is attached as (the EC2 provider's); Nitro shows it as NVMe. */
const DATA_DEVICE = '/dev/sdf';

export interface StrataClusterProps {
  /** The cluster's id: etcd's namespace, the brokers' `cluster.id`, the `strata:cluster` tag. */
  readonly clusterId: string;

  /** One node subnet per availability zone, in zone order. */
  readonly subnets: readonly ec2.ISubnet[];

  /**
   * Brokers in each zone.
   *
   * @default 1
   */
  readonly brokersPerZone?: number;

  readonly launchTemplates: StrataNodeLaunchTemplates;
  readonly brokerSecurityGroup: ec2.ISecurityGroup;
  readonly coordinatorSecurityGroup: ec2.ISecurityGroup;

  /** The node bundle's s3:// URI. */
  readonly nodeBundleUri: string;

  /**
   * Each broker's data volume size, in GiB (gp3, encrypted).
   *
   * @default 100
   */
  readonly volumeSizeGiB?: number;

  /**
   * Kafka settings of the cluster's own (server.properties names), validated by the caller.
   *
   * @default - none: the node bootstrap's MSK-like defaults
   */
  readonly brokerConfiguration?: Readonly<Record<string, string>>;

  /** Where the node bootstrap mounts each broker's data volume (the disk metric's path). */
  readonly dataMountPath: string;

  /**
   * How often the brokers' CloudWatch agent samples the data volume, in seconds.
   *
   * @default 60
   */
  readonly metricIntervalSeconds?: number;

  /**
   * What happens to the brokers' data volumes when they leave the stack.
   *
   * @default RemovalPolicy.SNAPSHOT
   */
  readonly volumeRemovalPolicy?: RemovalPolicy;
}

/** A node of the cluster, where it runs and what it is made of. */
export interface StrataNode {
  readonly role: NodeRole;
  /** A broker's id (1..n) or a coordinator's index (0..2). */
  readonly index: number;
  readonly zone: string;
  readonly networkInterface: ec2.CfnNetworkInterface;
  readonly instance: ec2.CfnInstance;
  /** The node's address: its network interface's primary private IP. */
  readonly privateIp: string;
}

export interface StrataBroker extends StrataNode {
  readonly volume: ec2.Volume;
}

/** Which zone each node of a cluster is in: the control plane's placement. */
export interface ClusterLayout {
  readonly coordinators: readonly { readonly index: number; readonly zone: string }[];
  readonly brokers: readonly { readonly brokerId: number; readonly zone: string }[];
}

export function clusterLayout(zones: readonly string[], brokersPerZone: number): ClusterLayout {
  if (!Number.isInteger(brokersPerZone) || brokersPerZone < 1) {
    throw new Error(`brokersPerZone must be a positive integer, not ${brokersPerZone}`);
  }
  return {
    coordinators: Array.from({ length: COORDINATOR_COUNT }, (_, index) => ({
      index,
      zone: zoneOfCoordinator(zones, index),
    })),
    brokers: Array.from({ length: zones.length * brokersPerZone }, (_, i) => ({
      brokerId: i + 1,
      zone: zoneOfBroker(zones, i + 1),
    })),
  };
}

/** The bootstrap broker string clients are given: `host:port`, comma-separated. */
export function bootstrapBrokerString(hosts: readonly string[], port: number = STRATA_PORTS.kafka): string {
  if (hosts.length === 0) throw new Error('a cluster without brokers has no bootstrap brokers');
  return hosts.map((host) => `${host}:${port}`).join(',');
}

/**
 * A Strata cluster that CloudFormation runs: three coordinators (one per zone) and brokers
 * round-robin over the zones, each broker with its own gp3 encrypted EBS data volume. Every node
 * is built the way the control plane's EC2 provider builds one: a network interface first (so its
 * private IP is known before any instance boots: the coordinators' addresses are in every node's
 * user data), the role's launch template, the provider's own node user data, and the provider's
 * tags. Brokers also run the CloudWatch agent, publishing the data volume's usage.
 */
export class StrataCluster extends Construct {
  readonly clusterId: string;
  readonly coordinators: readonly StrataNode[];
  readonly brokers: readonly StrataBroker[];
  /** `ip:9092` of every broker, comma-separated. */
  readonly bootstrapBrokers: string;

  constructor(scope: Construct, id: string, props: StrataClusterProps) {
    super(scope, id);
    this.clusterId = props.clusterId;
    applyTags(this, { [STRATA_TAG.managed]: 'true', [STRATA_TAG.cluster]: props.clusterId });
    const subnetOf = new Map(props.subnets.map((subnet) => [subnet.availabilityZone, subnet]));
    const layout = clusterLayout(
      props.subnets.map((s) => s.availabilityZone),
      props.brokersPerZone ?? 1,
    );

    const interfaces = (role: NodeRole, index: number, zone: string) => {
      const networkInterface = new ec2.CfnNetworkInterface(this, `${nodeId(role, index)}Interface`, {
        subnetId: subnetOf.get(zone)!.subnetId,
        groupSet: [
          (role === 'broker' ? props.brokerSecurityGroup : props.coordinatorSecurityGroup).securityGroupId,
        ],
        description: `Strata ${props.clusterId} ${role} ${index}`,
      });
      applyTags(
        networkInterface,
        nodeTags({ clusterId: props.clusterId, role, index, zone, kind: 'interface' }),
      );
      return networkInterface;
    };
    const coordinatorInterfaces = layout.coordinators.map((c) => interfaces('coordinator', c.index, c.zone));
    const coordinatorIps = coordinatorInterfaces.map((eni) => eni.attrPrimaryPrivateIpAddress);

    const instance = (
      role: NodeRole,
      index: number,
      zone: string,
      networkInterface: ec2.CfnNetworkInterface,
      userData: ec2.UserData,
    ) => {
      const launchTemplate = props.launchTemplates.launchTemplate(role);
      const node = new ec2.CfnInstance(this, nodeId(role, index), {
        launchTemplate: {
          launchTemplateId: launchTemplate.launchTemplateId,
          version: launchTemplate.latestVersionNumber,
        },
        networkInterfaces: [{ deviceIndex: '0', networkInterfaceId: networkInterface.ref }],
        monitoring: true,
        userData: Fn.base64(userData.render()),
      });
      applyTags(node, nodeTags({ clusterId: props.clusterId, role, index, zone, kind: 'instance' }));
      return node;
    };

    this.coordinators = layout.coordinators.map(({ index, zone }) => {
      const networkInterface = coordinatorInterfaces[index]!;
      const userData = ec2.UserData.custom(
        nodeUserDataScript({
          role: 'coordinator',
          clusterId: props.clusterId,
          nodeId: index,
          zone,
          coordinators: coordinatorIps,
          bundleUri: props.nodeBundleUri,
        }),
      );
      return {
        role: 'coordinator' as const,
        index,
        zone,
        networkInterface,
        instance: instance('coordinator', index, zone, networkInterface, userData),
        privateIp: networkInterface.attrPrimaryPrivateIpAddress,
      };
    });

    this.brokers = layout.brokers.map(({ brokerId, zone }) => {
      const networkInterface = interfaces('broker', brokerId, zone);
      const volume = new ec2.Volume(this, `${nodeId('broker', brokerId)}DataVolume`, {
        availabilityZone: zone,
        size: Size.gibibytes(props.volumeSizeGiB ?? 100),
        volumeType: ec2.EbsDeviceVolumeType.GP3,
        encrypted: true,
        removalPolicy: props.volumeRemovalPolicy ?? RemovalPolicy.SNAPSHOT,
      });
      applyTags(
        volume,
        nodeTags({ clusterId: props.clusterId, role: 'broker', index: brokerId, zone, kind: 'volume' }),
      );
      const userData = new ec2.MultipartUserData();
      for (const script of [
        cloudWatchAgentScript({
          clusterId: props.clusterId,
          brokerId,
          dataMountPath: props.dataMountPath,
          intervalSeconds: props.metricIntervalSeconds ?? 60,
        }),
        nodeUserDataScript({
          role: 'broker',
          clusterId: props.clusterId,
          nodeId: brokerId,
          zone,
          coordinators: coordinatorIps,
          dataVolumeId: volume.volumeId,
          brokerSettings: props.brokerConfiguration ?? {},
          bundleUri: props.nodeBundleUri,
        }),
      ]) {
        userData.addPart(
          ec2.MultipartBody.fromRawBody({ contentType: ec2.MultipartBody.SHELL_SCRIPT, body: script }),
        );
      }
      const node = instance('broker', brokerId, zone, networkInterface, userData);
      new ec2.CfnVolumeAttachment(this, `${nodeId('broker', brokerId)}DataVolumeAttachment`, {
        instanceId: node.ref,
        volumeId: volume.volumeId,
        device: DATA_DEVICE,
      });
      return {
        role: 'broker' as const,
        index: brokerId,
        zone,
        networkInterface,
        instance: node,
        volume,
        privateIp: networkInterface.attrPrimaryPrivateIpAddress,
      };
    });
    this.bootstrapBrokers = bootstrapBrokerString(this.brokers.map((b) => b.privateIp));
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-EC29',
      reason:
        "The nodes' state lives on their data volumes and network interfaces, which outlive an instance; " +
        'CloudFormation replaces a node when its launch template changes, which termination protection ' +
        'would make fail.',
    });
  }
}

function nodeId(role: NodeRole, index: number): string {
  return role === 'broker' ? `Broker${index}` : `Coordinator${index}`;
}
