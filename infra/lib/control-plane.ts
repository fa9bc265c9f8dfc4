import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as rds from 'aws-cdk-lib/aws-rds';
import type * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { ec2ProviderStatements } from './control-plane-permissions.js';
import { controlPlaneEnvironment } from './control-plane-settings.js';
import { zoneSubnets } from './network.js';
import type { StrataNodeLaunchTemplates } from './node-launch-templates.js';
import { STRATA_PORTS } from './security-groups.js';
import { controlPlaneUserData } from './user-data.js';

/** Where the control plane keeps its state. */
export enum ControlPlaneDatabase {
  /** An RDS PostgreSQL instance: encrypted, multi-AZ by default, credentials in Secrets Manager. */
  POSTGRESQL = 'postgresql',
  /**
   * SQLite on the control plane instance's root volume (the control plane's embedded default).
   * The state is lost when the instance is replaced: for trials, and for AWS emulators without RDS.
   */
  SQLITE = 'sqlite',
}

export interface StrataControlPlaneProps {
  readonly vpc: ec2.IVpc;
  /** The private subnet the control plane's instance runs in. */
  readonly subnet: ec2.ISubnet;
  /** The subnets the database runs in (isolated: no route out). */
  readonly databaseSubnets: ec2.SubnetSelection;
  readonly securityGroup: ec2.ISecurityGroup;
  /** The database's security group (with ControlPlaneDatabase.POSTGRESQL). */
  readonly databaseSecurityGroup?: ec2.ISecurityGroup;

  /** What the EC2 provider launches nodes from, and where. */
  readonly launchTemplates: StrataNodeLaunchTemplates;
  readonly nodeSubnets: readonly ec2.ISubnet[];
  readonly brokerSecurityGroup: ec2.ISecurityGroup;
  readonly coordinatorSecurityGroup: ec2.ISecurityGroup;

  /** The node bundle: the control plane's build, and what it tells new nodes to download. */
  readonly nodeBundle: s3assets.Asset;

  /**
   * The control plane's instance type.
   *
   * @default t3.small
   */
  readonly instanceType?: ec2.InstanceType;

  /**
   * Where the control plane keeps its state.
   *
   * @default ControlPlaneDatabase.POSTGRESQL
   */
  readonly database?: ControlPlaneDatabase;

  /**
   * The database's instance class.
   *
   * @default db.t4g.small
   */
  readonly databaseInstanceType?: ec2.InstanceType;

  /**
   * Whether the database has a standby in a second zone.
   *
   * @default true
   */
  readonly databaseMultiAz?: boolean;

  /**
   * Whether the database refuses to be deleted (turn off before destroying the stack).
   *
   * @default true
   */
  readonly databaseDeletionProtection?: boolean;
}

/**
 * The control plane on AWS: one instance in a private subnet running the control plane from the
 * node bundle with the EC2 provider, its state in an RDS PostgreSQL instance (multi-AZ, encrypted,
 * credentials generated into Secrets Manager), an admin API key generated into Secrets Manager, and
 * a role with exactly the EC2 rights the provider uses, scoped by the `strata:` tags.
 *
 * Operators reach the API on port 8080 from the operators security group.
 */
export class StrataControlPlane extends Construct {
  readonly instance: ec2.Instance;
  /** The PostgreSQL instance (none with ControlPlaneDatabase.SQLITE). */
  readonly database: rds.DatabaseInstance | undefined;
  readonly adminApiKey: secretsmanager.Secret;
  readonly role: iam.Role;
  /** The REST API's address: http://<private IP>:8080. */
  readonly url: string;

  constructor(scope: Construct, id: string, props: StrataControlPlaneProps) {
    super(scope, id);
    const stack = Stack.of(this);

    this.database =
      (props.database ?? ControlPlaneDatabase.POSTGRESQL) === ControlPlaneDatabase.POSTGRESQL
        ? this.postgresql(props)
        : undefined;
    this.adminApiKey = new secretsmanager.Secret(this, 'AdminApiKey', {
      description: 'The Strata control plane admin API key (Authorization: Bearer <key>)',
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
    });
    for (const secret of [this.database, this.adminApiKey].filter((s) => s !== undefined)) {
      Validations.of(secret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'The control plane reads this secret only when its service starts, so a rotation would leave ' +
          'it on stale credentials until restarted; rotate by hand with a restart of the control plane.',
      });
    }

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: 'The Strata control plane: the EC2 provider, its secrets and the node bundle',
    });
    const nodeSecurityGroups = [props.brokerSecurityGroup, props.coordinatorSecurityGroup];
    for (const statement of ec2ProviderStatements(stack, {
      launchTemplateIds: [props.launchTemplates.broker, props.launchTemplates.coordinator].map(
        (t) => t.launchTemplateId!,
      ),
      securityGroupIds: nodeSecurityGroups.map((g) => g.securityGroupId),
      subnetIds: props.nodeSubnets.map((s) => s.subnetId),
      nodeRoleArn: props.launchTemplates.role.roleArn,
    })) {
      this.role.addToPrincipalPolicy(statement);
    }
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadNodeBundle',
        actions: ['s3:GetObject'],
        resources: [props.nodeBundle.bucket.arnForObjects(props.nodeBundle.s3ObjectKey)],
      }),
    );
    this.database?.secret!.grantRead(this.role);
    this.adminApiKey.grantRead(this.role);
    acknowledgeEc2ProviderWildcards(this.role);

    const environment = controlPlaneEnvironment({
      region: stack.region,
      port: STRATA_PORTS.controlPlaneApi,
      brokerLaunchTemplateId: props.launchTemplates.broker.launchTemplateId!,
      coordinatorLaunchTemplateId: props.launchTemplates.coordinator.launchTemplateId!,
      brokerSecurityGroupIds: [props.brokerSecurityGroup.securityGroupId],
      coordinatorSecurityGroupIds: [props.coordinatorSecurityGroup.securityGroupId],
      nodeSubnets: zoneSubnets(props.nodeSubnets),
      nodeBundleUri: props.nodeBundle.s3ObjectUrl,
    });
    this.instance = new ec2.Instance(this, 'Instance', {
      vpc: props.vpc,
      vpcSubnets: { subnets: [props.subnet] },
      securityGroup: props.securityGroup,
      instanceType: props.instanceType ?? new ec2.InstanceType('t3.small'),
      machineImage: props.launchTemplates.machineImage,
      role: this.role,
      httpTokens: ec2.HttpTokens.REQUIRED,
      httpEndpoint: true,
      httpPutResponseHopLimit: 1,
      detailedMonitoring: true,
      propagateTagsToVolumeOnCreation: true,
      blockDevices: [
        {
          deviceName: '/dev/xvda',
          volume: ec2.BlockDeviceVolume.ebs(20, { volumeType: ec2.EbsDeviceVolumeType.GP3, encrypted: true }),
        },
      ],
      userData: ec2.UserData.custom(
        controlPlaneUserData({
          environment,
          bundleUri: props.nodeBundle.s3ObjectUrl,
          ...(this.database ? { databaseSecretArn: this.database.secret!.secretArn } : {}),
          apiKeySecretArn: this.adminApiKey.secretArn,
          region: stack.region,
        }),
      ),
    });
    // The control plane creates its schema at start-up, so it waits for a database that answers.
    if (this.database) this.instance.node.addDependency(this.database);
    Validations.of(this.instance).acknowledge(
      {
        id: 'AwsSolutions-EC29',
        reason:
          'The control plane instance keeps no state (it lives in RDS) and CloudFormation replaces it when ' +
          'its image or user data changes; termination protection would make every such update fail.',
      },
      {
        id: 'AwsSolutions-EC26',
        reason:
          'The rule fails (a TypeError) on an instance without a launch template in a stack that has launch ' +
          'templates; the root volume is encrypted (BlockDeviceMappings, checked by the infra tests).',
      },
    );
    this.url = `http://${this.instance.instancePrivateIp}:${STRATA_PORTS.controlPlaneApi}`;
  }

  private postgresql(props: StrataControlPlaneProps): rds.DatabaseInstance {
    if (!props.databaseSecurityGroup)
      throw new Error('a PostgreSQL control plane database needs databaseSecurityGroup');
    const database = new rds.DatabaseInstance(this, 'Database', {
      engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_17 }),
      instanceType: props.databaseInstanceType ?? new ec2.InstanceType('t4g.small'),
      vpc: props.vpc,
      vpcSubnets: props.databaseSubnets,
      securityGroups: [props.databaseSecurityGroup!],
      credentials: rds.Credentials.fromGeneratedSecret('strata'),
      databaseName: 'strata',
      multiAz: props.databaseMultiAz ?? true,
      storageEncrypted: true,
      storageType: rds.StorageType.GP3,
      allocatedStorage: 20,
      maxAllocatedStorage: 200,
      backupRetention: Duration.days(7),
      deletionProtection: props.databaseDeletionProtection ?? true,
      removalPolicy: RemovalPolicy.SNAPSHOT,
      publiclyAccessible: false,
      autoMinorVersionUpgrade: true,
      cloudwatchLogsExports: ['postgresql'],
    });
    if (props.databaseDeletionProtection === false) {
      Validations.of(database).acknowledge({
        id: 'AwsSolutions-RDS10',
        reason:
          'Deletion protection is off because the deployment asked for it (databaseDeletionProtection=false), ' +
          'as it must be before `cdk destroy`; the database is still snapshotted when it is removed.',
      });
    }
    Validations.of(database).acknowledge({
      id: 'AwsSolutions-RDS11',
      reason:
        'PostgreSQL keeps its default port: only the control plane security group may reach it, from ' +
        'isolated subnets, and a different port number would hide nothing from a host that can connect.',
    });
    return database;
  }
}

function acknowledgeEc2ProviderWildcards(role: iam.Role): void {
  const ec2Arn = (resource: string) =>
    `Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:${resource}/*`;
  Validations.of(role).acknowledge(
    {
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Granted on "*" are only EC2 Describe actions (instances, network interfaces, volumes, volume ' +
        'modifications), which have no resource-level permissions.',
    },
    {
      id: `AwsSolutions-IAM5[${ec2Arn('instance')}]`,
      reason:
        'Instance ids are not known to the policy: RunInstances needs the strata:managed and strata:cluster ' +
        'request tags, CreateTags only tags while creating, TerminateInstances needs strata:managed=true.',
    },
    {
      id: `AwsSolutions-IAM5[${ec2Arn('volume')}]`,
      reason:
        'Volume ids are not known to the policy: CreateVolume needs the strata request tags, changes need ' +
        "strata:managed=true; RunInstances also names the launch template's root volume, gated by the " +
        'tagged-instance condition on the same call.',
    },
    {
      id: `AwsSolutions-IAM5[${ec2Arn('network-interface')}]`,
      reason:
        'Interface ids are not known to the policy: CreateNetworkInterface needs the strata request tags, ' +
        'RunInstances and DeleteNetworkInterface need strata:managed=true on the interface.',
    },
    {
      id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:<AWS::Region>::image/*]',
      reason:
        "The node image is the region's current Amazon Linux 2023 AMI, resolved at deploy time; RunInstances " +
        'may use images owned by Amazon only (ec2:Owner condition).',
    },
  );
}
