import {
  CreateLaunchTemplateCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeImagesCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import type { Ec2Settings } from '../../../control-plane/src/providers/ec2/ec2-settings.js';
import type { AwsEmulatorAccount } from '../../support/aws-emulator.js';

export interface NodeNetwork {
  readonly vpcId: string;
  readonly zones: readonly string[];
  /** Zone → the subnet's CIDR block. */
  readonly cidrs: ReadonlyMap<string, string>;
  /** The EC2 provider's settings for this network (as the CDK app gives them). */
  readonly settings: Ec2Settings;
}

/**
 * What the CDK app provides the control plane, made with the EC2 API: a VPC with a node subnet in
 * each of three zones, a security group and a launch template per node role.
 */
export async function createNodeNetwork(
  client: EC2Client,
  account: AwsEmulatorAccount,
  options: { readonly vpcCidr?: string } = {},
): Promise<NodeNetwork> {
  const vpcCidr = options.vpcCidr ?? '10.20.0.0/16';
  const prefix = vpcCidr.split('.').slice(0, 2).join('.');
  const { Vpc } = await client.send(new CreateVpcCommand({ CidrBlock: vpcCidr }));
  const vpcId = Vpc!.VpcId!;
  const zones = ['a', 'b', 'c'].map((letter) => `${account.region}${letter}`);
  const subnets = new Map<string, string>();
  const cidrs = new Map<string, string>();
  for (const [i, zone] of zones.entries()) {
    const cidr = `${prefix}.${i + 1}.0/24`;
    const { Subnet } = await client.send(
      new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: cidr, AvailabilityZone: zone }),
    );
    subnets.set(zone, Subnet!.SubnetId!);
    cidrs.set(zone, cidr);
  }
  const group = async (role: string) =>
    (
      await client.send(
        new CreateSecurityGroupCommand({
          VpcId: vpcId,
          GroupName: `strata-${role}`,
          Description: `${role} nodes`,
        }),
      )
    ).GroupId!;
  const { Images } = await client.send(new DescribeImagesCommand({ Owners: ['amazon'] }));
  const imageId = Images?.find((i) => i.Architecture === 'x86_64')?.ImageId ?? Images?.[0]?.ImageId;
  if (!imageId) throw new Error('the emulator lists no machine image to launch nodes from');
  const template = async (role: string, instanceType: string) =>
    (
      await client.send(
        new CreateLaunchTemplateCommand({
          LaunchTemplateName: `strata-${role}`,
          LaunchTemplateData: { ImageId: imageId, InstanceType: instanceType as never },
        }),
      )
    ).LaunchTemplate!.LaunchTemplateId!;
  return {
    vpcId,
    zones,
    cidrs,
    settings: {
      brokerLaunchTemplate: await template('broker', 'm5.large'),
      coordinatorLaunchTemplate: await template('coordinator', 't3.medium'),
      brokerSecurityGroups: [await group('broker')],
      coordinatorSecurityGroups: [await group('coordinator')],
      subnets,
      nodeBundleUri: 's3://strata-nodes/strata-node.tgz',
    },
  };
}
