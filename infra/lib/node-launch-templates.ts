import { Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import { Construct } from 'constructs';
import type { NodeRole } from '../../control-plane/src/clusters/cluster-model.js';
import { applyTags, STRATA_TAG } from './node-tags.js';

/** The namespace the CloudWatch agent publishes brokers' disk usage in. */
export const CLOUDWATCH_AGENT_NAMESPACE = 'CWAgent';

/** Amazon Linux 2023's root device, as its AMIs name it. */
const ROOT_DEVICE = '/dev/xvda';

export interface StrataNodeLaunchTemplatesProps {
  /** The node bundle the instances download at boot. */
  readonly nodeBundle: s3assets.Asset;

  /**
   * The brokers' instance type (the control plane passes a cluster's own node type instead).
   *
   * @default m5.large
   */
  readonly brokerInstanceType?: ec2.InstanceType;

  /**
   * The coordinators' instance type.
   *
   * @default t3.small
   */
  readonly coordinatorInstanceType?: ec2.InstanceType;

  /**
   * The root volume's size, in GiB (the node bundle, etcd's data, logs).
   *
   * @default 20
   */
  readonly rootVolumeSizeGiB?: number;
}

/**
 * What every node instance is launched from: Amazon Linux 2023 (x86_64, the AMI the public SSM
 * parameter names at deploy time), IMDSv2 only, an encrypted gp3 root volume, detailed
 * monitoring, and the node instance profile. The templates name no subnet and no security group:
 * the EC2 provider launches each node on a network interface it created first (with the role's
 * security group), and EC2 refuses a template's security groups together with a given interface.
 *
 * The node role may read the node bundle and publish metrics in the CloudWatch agent's namespace,
 * nothing else.
 */
export class StrataNodeLaunchTemplates extends Construct {
  readonly broker: ec2.LaunchTemplate;
  readonly coordinator: ec2.LaunchTemplate;
  readonly role: iam.Role;
  readonly instanceProfile: iam.InstanceProfile;
  readonly machineImage: ec2.IMachineImage;

  constructor(scope: Construct, id: string, props: StrataNodeLaunchTemplatesProps) {
    super(scope, id);
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: 'Strata broker and coordinator nodes',
    });
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadNodeBundle',
        actions: ['s3:GetObject'],
        resources: [props.nodeBundle.bucket.arnForObjects(props.nodeBundle.s3ObjectKey)],
      }),
    );
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'PublishAgentMetrics',
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        conditions: { StringEquals: { 'cloudwatch:namespace': CLOUDWATCH_AGENT_NAMESPACE } },
      }),
    );
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'cloudwatch:PutMetricData has no resource-level permissions; the statement is limited to the ' +
        'CloudWatch agent namespace by the cloudwatch:namespace condition.',
    });
    this.instanceProfile = new iam.InstanceProfile(this, 'InstanceProfile', { role: this.role });
    this.machineImage = ec2.MachineImage.latestAmazonLinux2023({ cpuType: ec2.AmazonLinuxCpuType.X86_64 });

    const template = (role: NodeRole, instanceType: ec2.InstanceType) => {
      const launchTemplate = new ec2.LaunchTemplate(this, role === 'broker' ? 'Broker' : 'Coordinator', {
        machineImage: this.machineImage,
        instanceType,
        instanceProfile: this.instanceProfile,
        httpTokens: ec2.LaunchTemplateHttpTokens.REQUIRED,
        httpEndpoint: true,
        httpPutResponseHopLimit: 1,
        detailedMonitoring: true,
        blockDevices: [
          {
            deviceName: ROOT_DEVICE,
            volume: ec2.BlockDeviceVolume.ebs(props.rootVolumeSizeGiB ?? 20, {
              volumeType: ec2.EbsDeviceVolumeType.GP3,
              encrypted: true,
              deleteOnTermination: true,
            }),
          },
        ],
      });
      applyTags(launchTemplate, { [STRATA_TAG.role]: role });
      return launchTemplate;
    };
    this.broker = template('broker', props.brokerInstanceType ?? new ec2.InstanceType('m5.large'));
    this.coordinator = template(
      'coordinator',
      props.coordinatorInstanceType ?? new ec2.InstanceType('t3.small'),
    );
  }

  launchTemplate(role: NodeRole): ec2.LaunchTemplate {
    return role === 'broker' ? this.broker : this.coordinator;
  }
}
