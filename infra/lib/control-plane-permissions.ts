import type { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { STRATA_TAG } from './node-tags.js';

export interface Ec2ProviderPermissionsProps {
  readonly launchTemplateIds: readonly string[];
  readonly securityGroupIds: readonly string[];
  readonly subnetIds: readonly string[];
  /** The node role, passed to the instances the provider launches. */
  readonly nodeRoleArn: string;
}

/** EC2 resource types the provider creates and later changes or removes. */
const NODE_RESOURCE_TYPES = ['instance', 'volume', 'network-interface'] as const;

/**
 * What the control plane's EC2 provider may do, and nothing more. It creates network interfaces,
 * volumes and instances only when the request tags them `strata:managed=true` with a
 * `strata:cluster`; it launches only from Strata's launch templates, into Strata's node subnets,
 * with Strata's node security groups and Amazon's images; it tags only while creating; and it
 * attaches, modifies, deletes and terminates only what is tagged `strata:managed=true`. The one
 * resource it names by pattern without a tag condition is the instance's root volume in
 * RunInstances, which the launch template describes and the tagged-instance condition already
 * gates. Describe actions have no resource-level permissions.
 */
export function ec2ProviderStatements(
  stack: Stack,
  props: Ec2ProviderPermissionsProps,
): iam.PolicyStatement[] {
  const arn = (resource: string, name: string, account?: string) =>
    stack.formatArn({
      service: 'ec2',
      resource,
      resourceName: name,
      ...(account === undefined ? {} : { account }),
    });
  const any = (resource: string) => arn(resource, '*');
  const requestTagged = {
    StringEquals: { [`aws:RequestTag/${STRATA_TAG.managed}`]: 'true' },
    Null: { [`aws:RequestTag/${STRATA_TAG.cluster}`]: 'false' },
  };
  const tagged = { StringEquals: { [`aws:ResourceTag/${STRATA_TAG.managed}`]: 'true' } };
  const strataNetwork = [
    ...props.subnetIds.map((id) => arn('subnet', id)),
    ...props.securityGroupIds.map((id) => arn('security-group', id)),
  ];
  return [
    new iam.PolicyStatement({
      sid: 'DescribeNodes',
      actions: [
        'ec2:DescribeInstances',
        'ec2:DescribeNetworkInterfaces',
        'ec2:DescribeVolumes',
        'ec2:DescribeVolumesModifications',
      ],
      resources: ['*'],
    }),
    new iam.PolicyStatement({
      sid: 'CreateTaggedInterfaces',
      actions: ['ec2:CreateNetworkInterface'],
      resources: [any('network-interface')],
      conditions: requestTagged,
    }),
    new iam.PolicyStatement({
      sid: 'CreateInterfacesInNodeSubnets',
      actions: ['ec2:CreateNetworkInterface'],
      resources: strataNetwork,
    }),
    new iam.PolicyStatement({
      sid: 'CreateTaggedVolumes',
      actions: ['ec2:CreateVolume'],
      resources: [any('volume')],
      conditions: requestTagged,
    }),
    new iam.PolicyStatement({
      sid: 'LaunchTaggedInstances',
      actions: ['ec2:RunInstances'],
      resources: [any('instance')],
      conditions: requestTagged,
    }),
    new iam.PolicyStatement({
      sid: 'LaunchOnTaggedInterfaces',
      actions: ['ec2:RunInstances'],
      resources: [any('network-interface')],
      conditions: tagged,
    }),
    new iam.PolicyStatement({
      sid: 'LaunchFromNodeTemplates',
      actions: ['ec2:RunInstances'],
      resources: [
        ...props.launchTemplateIds.map((id) => arn('launch-template', id)),
        ...strataNetwork,
        any('volume'),
      ],
    }),
    new iam.PolicyStatement({
      sid: 'LaunchAmazonImages',
      actions: ['ec2:RunInstances'],
      resources: [arn('image', '*', '')],
      conditions: { StringEquals: { 'ec2:Owner': 'amazon' } },
    }),
    new iam.PolicyStatement({
      sid: 'TagWhileCreating',
      actions: ['ec2:CreateTags'],
      resources: NODE_RESOURCE_TYPES.map(any),
      conditions: {
        StringEquals: { 'ec2:CreateAction': ['CreateNetworkInterface', 'CreateVolume', 'RunInstances'] },
      },
    }),
    new iam.PolicyStatement({
      sid: 'ManageTaggedNodes',
      actions: [
        'ec2:AttachVolume',
        'ec2:DeleteNetworkInterface',
        'ec2:DeleteVolume',
        'ec2:ModifyVolume',
        'ec2:TerminateInstances',
      ],
      resources: NODE_RESOURCE_TYPES.map(any),
      conditions: tagged,
    }),
    new iam.PolicyStatement({
      sid: 'PassNodeRole',
      actions: ['iam:PassRole'],
      resources: [props.nodeRoleArn],
      conditions: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
    }),
  ];
}
