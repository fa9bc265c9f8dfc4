import { CfnOutput, Stack, Tags, type StackProps } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import type { Construct } from 'constructs';
import { existsSync } from 'node:fs';
import { clusterSettings, type ClusterSettingsInput } from './cluster-settings.js';
import { ControlPlaneDatabase, StrataControlPlane } from './control-plane.js';
import { StrataNetwork } from './network.js';
import { StrataNodeLaunchTemplates } from './node-launch-templates.js';
import { STRATA_TAG } from './node-tags.js';
import { StrataSecurityGroups } from './security-groups.js';
import { StorageAutoExpansion } from './storage-expansion/storage-auto-expansion.js';
import { StrataCluster } from './strata-cluster.js';

/** Where the node bootstrap mounts a broker's data volume, unless told otherwise. */
export const DEFAULT_DATA_MOUNT_PATH = '/var/lib/strata/data';

export interface StrataStackProps extends StackProps, ClusterSettingsInput {
  /**
   * The node bundle tarball (`scripts/build-node-bundle.mjs` builds it): the broker, the control
   * plane and the node bootstrap, uploaded as an S3 asset.
   */
  readonly nodeBundlePath: string;

  /**
   * The three availability zones, by name.
   *
   * @default the region's first three zones, resolved at deploy time
   */
  readonly availabilityZones?: readonly string[];

  /**
   * NAT gateways for the private subnets.
   *
   * @default 3 (one per zone)
   */
  readonly natGateways?: number;

  /** @default m5.large */
  readonly brokerInstanceType?: ec2.InstanceType;
  /** @default t3.small */
  readonly coordinatorInstanceType?: ec2.InstanceType;
  /** @default t3.small */
  readonly controlPlaneInstanceType?: ec2.InstanceType;

  /**
   * Where the node bootstrap mounts each broker's data volume: the path whose usage the brokers'
   * CloudWatch agent publishes.
   *
   * @default '/var/lib/strata/data'
   */
  readonly dataMountPath?: string;

  /**
   * Whether the default cluster's data volumes grow on their own in AWS (disk-usage alarms and a
   * Lambda function). Without it, they keep their size (for AWS emulators that cannot run Lambda
   * functions).
   *
   * @default true
   */
  readonly storageAutoExpansion?: boolean;

  /**
   * Where the control plane keeps its state: PostgreSQL on RDS, or SQLite on its own instance
   * (state lost with the instance; for trials, and for AWS emulators without RDS).
   *
   * @default ControlPlaneDatabase.POSTGRESQL
   */
  readonly controlPlaneDatabase?: ControlPlaneDatabase;

  /**
   * Whether the control plane's database has a standby in another zone.
   *
   * @default true
   */
  readonly databaseMultiAz?: boolean;

  /**
   * Whether the control plane's database refuses deletion (turn it off before `cdk destroy`).
   *
   * @default true
   */
  readonly databaseDeletionProtection?: boolean;
}

/**
 * Strata in one AWS account and region, across three availability zones: the network and its
 * security groups, the node launch templates the control plane launches from, the control plane
 * (EC2 provider, PostgreSQL on RDS), a default cluster that CloudFormation runs, and that
 * cluster's storage auto-expansion. Everything it creates is tagged `strata:managed=true`.
 */
export class StrataStack extends Stack {
  readonly network: StrataNetwork;
  readonly securityGroups: StrataSecurityGroups;
  readonly launchTemplates: StrataNodeLaunchTemplates;
  readonly controlPlane: StrataControlPlane;
  readonly cluster: StrataCluster;
  /** The default cluster's storage auto-expansion (none when turned off). */
  readonly storageAutoExpansion: StorageAutoExpansion | undefined;

  constructor(scope: Construct, id: string, props: StrataStackProps) {
    super(scope, id, {
      description:
        'Strata: a self-hosted, MSK-style managed Kafka service (control plane and default cluster)',
      ...props,
    });
    const settings = clusterSettings(props);
    if (!existsSync(props.nodeBundlePath)) {
      throw new Error(
        `The node bundle ${props.nodeBundlePath} does not exist: build it with \`node scripts/build-node-bundle.mjs\`, ` +
          'or name another with the nodeBundlePath context key',
      );
    }
    Tags.of(this).add(STRATA_TAG.managed, 'true');
    const nodeBundle = new s3assets.Asset(this, 'NodeBundle', { path: props.nodeBundlePath });

    this.network = new StrataNetwork(this, 'Network', {
      ...(props.availabilityZones ? { availabilityZones: props.availabilityZones } : {}),
      ...(props.natGateways !== undefined ? { natGateways: props.natGateways } : {}),
    });
    const database = props.controlPlaneDatabase ?? ControlPlaneDatabase.POSTGRESQL;
    this.securityGroups = new StrataSecurityGroups(this, 'SecurityGroups', {
      vpc: this.network.vpc,
      database: database === ControlPlaneDatabase.POSTGRESQL,
    });
    this.launchTemplates = new StrataNodeLaunchTemplates(this, 'NodeLaunchTemplates', {
      nodeBundle,
      ...(props.brokerInstanceType ? { brokerInstanceType: props.brokerInstanceType } : {}),
      ...(props.coordinatorInstanceType ? { coordinatorInstanceType: props.coordinatorInstanceType } : {}),
    });
    this.controlPlane = new StrataControlPlane(this, 'ControlPlane', {
      vpc: this.network.vpc,
      subnet: this.network.nodeSubnets[0]!,
      databaseSubnets: this.network.databaseSubnets,
      securityGroup: this.securityGroups.controlPlane,
      database,
      ...(this.securityGroups.database ? { databaseSecurityGroup: this.securityGroups.database } : {}),
      launchTemplates: this.launchTemplates,
      nodeSubnets: this.network.nodeSubnets,
      brokerSecurityGroup: this.securityGroups.brokers,
      coordinatorSecurityGroup: this.securityGroups.coordinators,
      nodeBundle,
      ...(props.controlPlaneInstanceType ? { instanceType: props.controlPlaneInstanceType } : {}),
      ...(props.databaseMultiAz !== undefined ? { databaseMultiAz: props.databaseMultiAz } : {}),
      ...(props.databaseDeletionProtection !== undefined
        ? { databaseDeletionProtection: props.databaseDeletionProtection }
        : {}),
    });
    this.cluster = new StrataCluster(this, 'DefaultCluster', {
      clusterId: settings.clusterId,
      subnets: this.network.nodeSubnets,
      brokersPerZone: settings.brokersPerZone,
      launchTemplates: this.launchTemplates,
      brokerSecurityGroup: this.securityGroups.brokers,
      coordinatorSecurityGroup: this.securityGroups.coordinators,
      nodeBundleUri: nodeBundle.s3ObjectUrl,
      volumeSizeGiB: settings.volumeSizeGiB,
      brokerConfiguration: settings.brokerConfiguration,
      dataMountPath: props.dataMountPath ?? DEFAULT_DATA_MOUNT_PATH,
    });
    if (props.storageAutoExpansion ?? true) {
      this.storageAutoExpansion = new StorageAutoExpansion(this, 'StorageAutoExpansion', {
        clusterId: settings.clusterId,
        brokerIds: this.cluster.brokers.map((b) => b.index),
        policy: settings.autoExpansion,
      });
      Tags.of(this.storageAutoExpansion).add(STRATA_TAG.cluster, settings.clusterId);
    }

    new CfnOutput(this, 'ControlPlaneUrl', {
      description: 'The control plane REST API (from a host in the operators security group)',
      value: this.controlPlane.url,
    });
    new CfnOutput(this, 'AdminApiKeySecretArn', {
      description: 'The admin API key: aws secretsmanager get-secret-value --secret-id <arn>',
      value: this.controlPlane.adminApiKey.secretArn,
    });
    new CfnOutput(this, 'DefaultClusterId', { value: settings.clusterId });
    new CfnOutput(this, 'BootstrapBrokers', {
      description:
        "The default cluster's bootstrap brokers (PLAINTEXT, from the Kafka clients security group)",
      value: this.cluster.bootstrapBrokers,
    });
    new CfnOutput(this, 'KafkaClientsSecurityGroupId', {
      description: 'Attach to hosts that produce to and consume from the brokers',
      value: this.securityGroups.kafkaClients.securityGroupId,
    });
    new CfnOutput(this, 'OperatorsSecurityGroupId', {
      description: 'Attach to hosts that call the control plane API',
      value: this.securityGroups.operators.securityGroupId,
    });
  }
}
