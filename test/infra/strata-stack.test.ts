import { CfnElement } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as prettier from 'prettier';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../control-plane/src/config.js';
import { EC2_PORTS } from '../../control-plane/src/providers/ec2/ec2-provider.js';
import { STRATA_PORTS } from '../../infra/lib/security-groups.js';
import {
  normalizedTemplate,
  referenced,
  renderIntrinsic,
  resourcesOfType,
  synthesizeStrata,
  tagsOf,
  type CfnResource,
  type TemplateValue,
  type SynthesizedStrata,
} from './support/synthesize.js';

/**
 * The Strata stack as CloudFormation will see it: zones, nodes, volumes, network flows, IAM scope,
 * alarms, the control plane's settings and the outputs. Two stacks are synthesized: the defaults
 * (one broker per zone, the region's first three zones) and two brokers per zone in named zones.
 */

let strata: SynthesizedStrata;
let twoPerZone: SynthesizedStrata;
const NAMED_ZONES = ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'];

beforeAll(() => {
  strata = synthesizeStrata();
  twoPerZone = synthesizeStrata({
    brokersPerZone: 2,
    availabilityZones: NAMED_ZONES,
    targetUtilizationPercent: 75,
    maxVolumeSizeGiB: 2000,
    expansionCooldownSeconds: 3600,
  });
});
afterAll(() => {
  strata?.cleanup();
  twoPerZone?.cleanup();
});

/** The logical id of an L1 construct, or of an L2 construct's CloudFormation resource. */
const logicalId = (s: SynthesizedStrata, construct: IConstruct) =>
  s.stack.getLogicalId(
    CfnElement.isCfnElement(construct) ? construct : (construct.node.defaultChild as CfnElement),
  );

describe('zones', () => {
  it('spans three availability zones: a public, a node and a database subnet in each', () => {
    const subnets = resourcesOfType(strata.json, 'AWS::EC2::Subnet').map(([, s]) => s);
    expect(subnets).toHaveLength(9);
    for (const group of ['Public', 'Nodes', 'Database']) {
      const zones = subnets
        .filter((s) => tagsOf(s)['aws-cdk:subnet-name'] === group)
        .map((s) => renderIntrinsic(s.Properties!.AvailabilityZone));
      expect(zones, group).toEqual(['{AZ0}', '{AZ1}', '{AZ2}']);
    }
  });

  it('uses the zones it is given, by name', () => {
    const zones = resourcesOfType(twoPerZone.json, 'AWS::EC2::Subnet').map(
      ([, s]) => s.Properties!.AvailabilityZone,
    );
    expect(new Set(zones)).toEqual(new Set(NAMED_ZONES));
    expect(zones.filter((z) => z === 'eu-west-1b')).toHaveLength(3);
  });
});

describe('the default cluster', () => {
  /** Node resources of a role, counted by the zone their subnet is in. */
  function perZone(s: SynthesizedStrata, type: string, role: string): Record<string, number> {
    const subnetZone = new Map(
      resourcesOfType(s.json, 'AWS::EC2::Subnet').map(([id, subnet]) => [
        id,
        renderIntrinsic(subnet.Properties!.AvailabilityZone),
      ]),
    );
    const interfaces = new Map(resourcesOfType(s.json, 'AWS::EC2::NetworkInterface'));
    const zoneOf = (r: CfnResource) => {
      const eni =
        r.Type === 'AWS::EC2::NetworkInterface'
          ? r
          : interfaces.get(referenced(r.Properties!.NetworkInterfaces[0].NetworkInterfaceId)!)!;
      const zone = subnetZone.get(referenced(eni.Properties!.SubnetId)!)!;
      expect(renderIntrinsic(tagsOf(r)['strata:zone'])).toBe(zone);
      return zone;
    };
    const counts: Record<string, number> = {};
    for (const [, r] of resourcesOfType(s.json, type).filter(([, r]) => tagsOf(r)['strata:role'] === role)) {
      const zone = zoneOf(r);
      counts[zone] = (counts[zone] ?? 0) + 1;
    }
    return counts;
  }

  it.each([
    ['one broker per zone by default', () => strata, ['{AZ0}', '{AZ1}', '{AZ2}'], 1],
    ['brokersPerZone brokers per zone', () => twoPerZone, NAMED_ZONES, 2],
  ])('runs a coordinator and %s, each on its own network interface', (_, synthesized, zones, brokers) => {
    const s = synthesized();
    for (const type of ['AWS::EC2::Instance', 'AWS::EC2::NetworkInterface']) {
      expect(perZone(s, type, 'coordinator'), type).toEqual(Object.fromEntries(zones.map((z) => [z, 1])));
      expect(perZone(s, type, 'broker'), type).toEqual(Object.fromEntries(zones.map((z) => [z, brokers])));
    }
  });

  it('numbers brokers 1..n round-robin over the zones, as the control plane places them', () => {
    const brokers = twoPerZone.stack.cluster.brokers.map((b) => [b.index, b.zone]);
    expect(brokers).toEqual([
      [1, 'eu-west-1a'],
      [2, 'eu-west-1b'],
      [3, 'eu-west-1c'],
      [4, 'eu-west-1a'],
      [5, 'eu-west-1b'],
      [6, 'eu-west-1c'],
    ]);
    expect(twoPerZone.stack.cluster.coordinators.map((c) => [c.index, c.zone])).toEqual([
      [0, 'eu-west-1a'],
      [1, 'eu-west-1b'],
      [2, 'eu-west-1c'],
    ]);
  });

  it("gives every broker its own gp3 encrypted data volume in its zone, attached to the broker's instance", () => {
    const volumes = resourcesOfType(twoPerZone.json, 'AWS::EC2::Volume');
    expect(volumes).toHaveLength(6);
    const attachments = resourcesOfType(twoPerZone.json, 'AWS::EC2::VolumeAttachment').map(([, a]) => a);
    for (const [id, volume] of volumes) {
      expect(volume.Properties).toMatchObject({ VolumeType: 'gp3', Encrypted: true, Size: 100 });
      expect(volume.DeletionPolicy).toBe('Snapshot');
      const tags = tagsOf(volume);
      expect(tags).toMatchObject({
        'strata:role': 'broker',
        'strata:kind': 'volume',
        'strata:cluster': 'default',
      });
      expect(volume.Properties!.AvailabilityZone).toBe(tags['strata:zone']);
      const [attachment, ...more] = attachments.filter((a) => referenced(a.Properties!.VolumeId) === id);
      expect(more).toEqual([]);
      const instance = twoPerZone.json.Resources[referenced(attachment!.Properties!.InstanceId)!]!;
      expect(tagsOf(instance)['strata:broker-id']).toBe(tags['strata:broker-id']);
      expect(attachment!.Properties!.Device).toBe('/dev/sdf');
    }
  });

  it('tags every node resource as the EC2 provider does', () => {
    for (const type of ['AWS::EC2::Instance', 'AWS::EC2::NetworkInterface', 'AWS::EC2::Volume']) {
      const nodes = resourcesOfType(strata.json, type).filter(([, r]) => tagsOf(r)['strata:role']);
      for (const [, node] of nodes) {
        const tags = tagsOf(node);
        const index = tags['strata:node-index'];
        expect(tags).toMatchObject({
          'strata:managed': 'true',
          'strata:cluster': 'default',
          Name: `strata-default-${tags['strata:role']}-${index}`,
        });
        if (tags['strata:role'] === 'broker') expect(tags['strata:broker-id']).toBe(index);
        else expect(tags['strata:broker-id']).toBeUndefined();
      }
    }
  });

  it("writes each node's environment: role, id, zone, coordinators by their fixed addresses, volume, bundle", () => {
    const cluster = strata.stack.cluster;
    const ips = cluster.coordinators.map(
      (c) => `{${logicalId(strata, c.networkInterface)}.PrimaryPrivateIpAddress}`,
    );
    const userData = (node: { instance: CfnElement }) =>
      renderIntrinsic(strata.json.Resources[strata.stack.getLogicalId(node.instance)]!.Properties!.UserData);
    const broker = userData(cluster.brokers[1]!);
    const volume = `{Ref:${strata.stack.getLogicalId(cluster.brokers[1]!.volume.node.defaultChild as CfnElement)}}`;
    expect(broker).toContain(
      [
        'STRATA_NODE_ROLE=broker',
        'STRATA_CLUSTER_ID=default',
        'STRATA_NODE_ID=2',
        'STRATA_ZONE={AZ1}',
        `STRATA_COORDINATORS=${ips.join(',')}`,
        `STRATA_DATA_VOLUME_ID=${volume}`,
        'STRATA_BROKER_SETTINGS_B64=',
        'STRATA_BUNDLE_URI={Sub:s3://cdk-hnb659fds-assets-${AWS::AccountId}-${AWS::Region}/',
      ].join('\n'),
    );
    expect(broker).toContain('exec /opt/strata/bootstrap/strata-node.sh');
    // The CloudWatch agent is a part of its own, before the node's.
    expect(broker.indexOf('amazon-cloudwatch-agent-ctl')).toBeLessThan(
      broker.indexOf('/etc/strata/node.env'),
    );
    const coordinator = userData(cluster.coordinators[2]!);
    expect(coordinator).toContain(
      `STRATA_NODE_ROLE=coordinator\nSTRATA_CLUSTER_ID=default\nSTRATA_NODE_ID=2\nSTRATA_ZONE={AZ2}\nSTRATA_COORDINATORS=${ips.join(',')}\nSTRATA_DATA_VOLUME_ID=\n`,
    );
    expect(coordinator).not.toContain('amazon-cloudwatch-agent');
  });

  it('launches nodes from their launch templates, on their interfaces, with detailed monitoring', () => {
    const templates = strata.stack.launchTemplates;
    for (const node of [...strata.stack.cluster.coordinators, ...strata.stack.cluster.brokers]) {
      const template = logicalId(strata, templates.launchTemplate(node.role));
      expect(strata.json.Resources[strata.stack.getLogicalId(node.instance)]!.Properties).toMatchObject({
        LaunchTemplate: {
          LaunchTemplateId: { Ref: template },
          Version: { 'Fn::GetAtt': [template, 'LatestVersionNumber'] },
        },
        NetworkInterfaces: [
          { DeviceIndex: '0', NetworkInterfaceId: { Ref: logicalId(strata, node.networkInterface) } },
        ],
        Monitoring: true,
      });
    }
  });
});

describe('launch templates', () => {
  it('run Amazon Linux 2023 x86_64 from the public SSM parameter, IMDSv2 only, on an encrypted root volume', () => {
    const parameters = Object.values(strata.json.Parameters ?? {}).filter((p) =>
      p.Default?.startsWith('/aws/'),
    );
    expect(parameters).toEqual([
      {
        Type: 'AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>',
        Default: '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-6.1-x86_64',
      },
    ]);
    const templates = resourcesOfType(strata.json, 'AWS::EC2::LaunchTemplate');
    expect(templates).toHaveLength(2);
    const profile = logicalId(strata, strata.stack.launchTemplates.instanceProfile);
    for (const [, template] of templates) {
      const data = template.Properties!.LaunchTemplateData;
      expect(data).toMatchObject({
        ImageId: { Ref: Object.keys(strata.json.Parameters!).find((k) => k.startsWith('SsmParameterValue')) },
        MetadataOptions: { HttpTokens: 'required', HttpEndpoint: 'enabled' },
        BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { Encrypted: true, VolumeType: 'gp3' } }],
        IamInstanceProfile: { Arn: { 'Fn::GetAtt': [profile, 'Arn'] } },
        Monitoring: { Enabled: true },
      });
      // The EC2 provider launches on interfaces it made, with the role's group: a template's groups
      // and a given interface cannot go together.
      expect(data.SecurityGroupIds).toBeUndefined();
      expect(data.NetworkInterfaces).toBeUndefined();
    }
  });
});

describe('security groups', () => {
  /** The flows between the groups Strata needs: each is let out of its source and into its destination. */
  const STRATA_FLOWS = [
    'kafkaClients -> brokers tcp/9092-9092',
    'brokers -> brokers tcp/9092-9092',
    'controlPlane -> brokers tcp/9092-9092',
    'controlPlane -> brokers tcp/9093-9093',
    'brokers -> coordinators tcp/2379-2379',
    'controlPlane -> coordinators tcp/2379-2379',
    'coordinators -> coordinators tcp/2380-2380',
    'operators -> controlPlane tcp/8080-8080',
    'controlPlane -> database tcp/5432-5432',
  ];

  function rules(s: SynthesizedStrata, type: string, peerKey: string) {
    const name = new Map(
      Object.entries(s.stack.securityGroups).flatMap(([key, group]) =>
        typeof group === 'object' && group && 'securityGroupId' in group
          ? [[logicalId(s, group as IConstruct), key] as const]
          : [],
      ),
    );
    const found: string[] = [];
    for (const [, rule] of resourcesOfType(s.json, type)) {
      const p = rule.Properties!;
      const [from, to] =
        type === 'AWS::EC2::SecurityGroupIngress'
          ? [name.get(referenced(p[peerKey])!), name.get(referenced(p.GroupId)!)]
          : [name.get(referenced(p.GroupId)!), name.get(referenced(p[peerKey])!)];
      found.push(`${from} -> ${to} ${p.IpProtocol}/${p.FromPort}-${p.ToPort}`);
    }
    for (const [id, group] of resourcesOfType(s.json, 'AWS::EC2::SecurityGroup')) {
      for (const inline of group.Properties!.SecurityGroupIngress ?? []) {
        found.push(
          `${inline.CidrIp} -> ${name.get(id)} ${inline.IpProtocol}/${inline.FromPort}-${inline.ToPort}`,
        );
      }
      if (type === 'AWS::EC2::SecurityGroupEgress') {
        for (const inline of group.Properties!.SecurityGroupEgress ?? []) {
          found.push(
            `${name.get(id)} -> ${inline.CidrIp} ${inline.IpProtocol}/${inline.FromPort}-${inline.ToPort}`,
          );
        }
      }
    }
    return found.sort();
  }

  it('let in exactly the flows Strata needs', () => {
    expect(rules(strata, 'AWS::EC2::SecurityGroupIngress', 'SourceSecurityGroupId')).toEqual(
      [...STRATA_FLOWS].sort(),
    );
  });

  it('let out exactly the same flows, and HTTPS from the hosts that fetch the bundle and call AWS', () => {
    expect(rules(strata, 'AWS::EC2::SecurityGroupEgress', 'DestinationSecurityGroupId')).toEqual(
      [
        ...STRATA_FLOWS,
        'brokers -> 0.0.0.0/0 tcp/443-443',
        'coordinators -> 0.0.0.0/0 tcp/443-443',
        'controlPlane -> 0.0.0.0/0 tcp/443-443',
        // CDK's placeholder for "no egress at all" on a group without outbound rules.
        'database -> 255.255.255.255/32 icmp/252-86',
      ].sort(),
    );
  });

  it("use the EC2 provider's node ports", () => {
    expect(STRATA_PORTS).toMatchObject({
      kafka: EC2_PORTS.kafka,
      brokerAdmin: EC2_PORTS.admin,
      etcdClient: EC2_PORTS.etcdClient,
      etcdPeer: EC2_PORTS.etcdPeer,
    });
  });

  it("put each node's interface in its role's group", () => {
    const groups = strata.stack.securityGroups;
    for (const node of [...strata.stack.cluster.coordinators, ...strata.stack.cluster.brokers]) {
      const group = node.role === 'broker' ? groups.brokers : groups.coordinators;
      expect(strata.json.Resources[logicalId(strata, node.networkInterface)]!.Properties!.GroupSet).toEqual([
        { 'Fn::GetAtt': [logicalId(strata, group), 'GroupId'] },
      ]);
    }
  });
});

describe('IAM', () => {
  type Statement = {
    Sid?: string;
    Action: string | string[];
    Resource: unknown;
    Condition?: Record<string, TemplateValue>;
  };
  const statementsOf = (s: SynthesizedStrata, role: IConstruct): Statement[] => {
    const roleId = logicalId(s, role);
    return resourcesOfType(s.json, 'AWS::IAM::Policy')
      .filter(([, p]) => (p.Properties!.Roles as unknown[]).some((r) => referenced(r) === roleId))
      .flatMap(([, p]) => p.Properties!.PolicyDocument.Statement as Statement[]);
  };
  const actions = (s: Statement) => [s.Action].flat();
  const resources = (s: Statement) => [s.Resource].flat().map(renderIntrinsic);

  it('grants no wildcard action and attaches no managed policy', () => {
    const statements = resourcesOfType(strata.json, 'AWS::IAM::Policy').flatMap(
      ([, p]) => p.Properties!.PolicyDocument.Statement as Statement[],
    );
    expect(statements.length).toBeGreaterThan(10);
    for (const statement of statements) {
      for (const action of actions(statement)) expect(action).not.toContain('*');
    }
    for (const [, role] of resourcesOfType(strata.json, 'AWS::IAM::Role')) {
      expect(role.Properties!.ManagedPolicyArns).toBeUndefined();
    }
  });

  it('lets the control plane create only strata-tagged resources and change only strata-managed ones', () => {
    const statements = statementsOf(strata, strata.stack.controlPlane.role);
    const ec2Mutations = statements.filter((s) =>
      actions(s).some((a) => a.startsWith('ec2:') && !a.startsWith('ec2:Describe')),
    );
    const patternOnly = (s: Statement) => resources(s).filter((r) => r.endsWith('/*'));
    for (const statement of ec2Mutations) {
      const condition = JSON.stringify(statement.Condition ?? {});
      const byTag =
        condition.includes('"aws:RequestTag/strata:managed":"true"') ||
        condition.includes('"aws:ResourceTag/strata:managed":"true"') ||
        condition.includes('"ec2:CreateAction"');
      const exceptions = [
        // The launch template's root volume, created by a RunInstances already gated by its tags.
        ':volume/*',
        // Amazon's images only (ec2:Owner).
        '::image/*',
      ];
      const untagged = patternOnly(statement).filter((r) => !byTag && !exceptions.some((e) => r.endsWith(e)));
      expect(untagged, statement.Sid).toEqual([]);
    }
    const bySid = Object.fromEntries(statements.map((s) => [s.Sid, s]));
    expect(bySid.LaunchTaggedInstances!.Condition).toEqual({
      StringEquals: { 'aws:RequestTag/strata:managed': 'true' },
      Null: { 'aws:RequestTag/strata:cluster': 'false' },
    });
    expect(bySid.CreateTaggedVolumes!.Condition).toEqual(bySid.LaunchTaggedInstances!.Condition);
    expect(bySid.CreateTaggedInterfaces!.Condition).toEqual(bySid.LaunchTaggedInstances!.Condition);
    expect(actions(bySid.ManageTaggedNodes!).sort()).toEqual([
      'ec2:AttachVolume',
      'ec2:DeleteNetworkInterface',
      'ec2:DeleteVolume',
      'ec2:ModifyVolume',
      'ec2:TerminateInstances',
    ]);
    expect(bySid.ManageTaggedNodes!.Condition).toEqual({
      StringEquals: { 'aws:ResourceTag/strata:managed': 'true' },
    });
    expect(bySid.TagWhileCreating!.Condition).toEqual({
      StringEquals: { 'ec2:CreateAction': ['CreateNetworkInterface', 'CreateVolume', 'RunInstances'] },
    });
    expect(bySid.LaunchAmazonImages!.Condition).toEqual({ StringEquals: { 'ec2:Owner': 'amazon' } });
    // Launches use Strata's templates only.
    const templates = [strata.stack.launchTemplates.broker, strata.stack.launchTemplates.coordinator];
    expect(resources(bySid.LaunchFromNodeTemplates!).filter((r) => r.includes(':launch-template/'))).toEqual(
      templates.map((t) => expect.stringContaining(`:launch-template/{Ref:${logicalId(strata, t)}}`)),
    );
    // Describe* is the only thing granted on "*".
    const onEverything = statements.filter((s) => resources(s).includes('*'));
    expect(onEverything.flatMap(actions).every((a) => a.startsWith('ec2:Describe'))).toBe(true);
    expect(bySid.PassNodeRole).toMatchObject({
      Action: 'iam:PassRole',
      Resource: { 'Fn::GetAtt': [logicalId(strata, strata.stack.launchTemplates.role), 'Arn'] },
      Condition: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
    });
  });

  it('lets the nodes read the node bundle and publish agent metrics, nothing else', () => {
    const statements = statementsOf(strata, strata.stack.launchTemplates.role);
    expect(statements.map((s) => [s.Sid, s.Action])).toEqual([
      ['ReadNodeBundle', 's3:GetObject'],
      ['PublishAgentMetrics', 'cloudwatch:PutMetricData'],
    ]);
    expect(resources(statements[0]!)).toEqual([expect.stringMatching(/\/[0-9a-f]{64}\.tgz$/)]);
    expect(statements[1]!.Condition).toEqual({ StringEquals: { 'cloudwatch:namespace': 'CWAgent' } });
  });

  it("lets the expansion function grow and tag only this cluster's broker volumes", () => {
    const role = strata.stack.storageAutoExpansion!.function.role!;
    const bySid = Object.fromEntries(statementsOf(strata, role).map((s) => [s.Sid ?? 'logs', s]));
    const brokerVolumes = {
      'aws:ResourceTag/strata:managed': 'true',
      'aws:ResourceTag/strata:cluster': 'default',
      'aws:ResourceTag/strata:role': 'broker',
    };
    expect(bySid.GrowBrokerVolumes).toMatchObject({
      Action: 'ec2:ModifyVolume',
      Condition: { StringEquals: brokerVolumes },
    });
    expect(bySid.RecordExpansions).toMatchObject({
      Action: 'ec2:CreateTags',
      Condition: {
        StringEquals: brokerVolumes,
        'ForAllValues:StringEquals': { 'aws:TagKeys': ['strata:last-expanded-at'] },
      },
    });
    expect(resources(bySid.GrowBrokerVolumes!)).toEqual([
      'arn:{Ref:AWS::Partition}:ec2:{Ref:AWS::Region}:{Ref:AWS::AccountId}:volume/*',
    ]);
    expect(bySid.FindBrokerVolumes).toMatchObject({ Action: 'ec2:DescribeVolumes', Resource: '*' });
  });
});

describe('storage auto-expansion', () => {
  it('watches each broker with one alarm above the target utilization that invokes the expansion function', () => {
    const alarms = resourcesOfType(twoPerZone.json, 'AWS::CloudWatch::Alarm');
    expect(alarms).toHaveLength(6);
    const fn = logicalId(twoPerZone, twoPerZone.stack.storageAutoExpansion!.function);
    const brokerIds = alarms.map(([, alarm]) => {
      expect(alarm.Properties).toMatchObject({
        Namespace: 'CWAgent',
        MetricName: 'disk_used_percent',
        Threshold: 75,
        ComparisonOperator: 'GreaterThanThreshold',
        EvaluationPeriods: 1,
        Statistic: 'Maximum',
        Period: 60,
        AlarmActions: [{ 'Fn::GetAtt': [fn, 'Arn'] }],
      });
      const dimensions = Object.fromEntries(
        (alarm.Properties!.Dimensions as { Name: string; Value: string }[]).map((d) => [d.Name, d.Value]),
      );
      expect(dimensions.ClusterId).toBe('default');
      return Number(dimensions.BrokerId);
    });
    expect(brokerIds.sort()).toEqual([1, 2, 3, 4, 5, 6]);
    // CloudWatch may invoke the function for these alarms and no others.
    const permissions = resourcesOfType(twoPerZone.json, 'AWS::Lambda::Permission').map(
      ([, p]) => p.Properties!,
    );
    expect(permissions).toHaveLength(6);
    for (const permission of permissions) {
      expect(permission.Principal).toBe('lambda.alarms.cloudwatch.amazonaws.com');
      expect(alarms.map(([id]) => id)).toContain(referenced(permission.SourceArn));
    }
  });

  it('sets the alarm threshold and the function from the policy settings', () => {
    twoPerZone.template.allResourcesProperties('AWS::CloudWatch::Alarm', { Threshold: 75 });
    twoPerZone.template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: {
          STRATA_CLUSTER_ID: 'default',
          STRATA_TARGET_UTILIZATION_PERCENT: '75',
          STRATA_MAX_VOLUME_SIZE_GIB: '2000',
          STRATA_EXPANSION_COOLDOWN_SECONDS: '3600',
        },
      },
    });
  });

  it("runs the control plane's expansion policy, bundled from its source, with the runtime's AWS SDK", () => {
    strata.template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Handler: 'index.handler',
      Environment: { Variables: Match.objectLike({ STRATA_TARGET_UTILIZATION_PERCENT: '60' }) },
    });
    const [, fn] = resourcesOfType(strata.json, 'AWS::Lambda::Function')[0]!;
    const asset = readdirSync(strata.assemblyDirectory).find((f) =>
      f.startsWith(`asset.${String(fn.Properties!.Code.S3Key).replace(/\.zip$/, '')}`),
    );
    const code = readFileSync(join(strata.assemblyDirectory, asset!, 'index.mjs'), 'utf8');
    const policy = readFileSync(
      new URL('../../control-plane/src/autoscaling/expansion-policy.ts', import.meta.url),
      'utf8',
    );
    expect(policy).toContain('Math.max(Math.ceil(volume.sizeGiB * 0.1), minimumStepGiB)');
    expect(code).toContain('function plannedExpansions(');
    expect(code).toContain('Math.max(Math.ceil(volume.sizeGiB * 0.1), minimumStepGiB)');
    expect(code).toMatch(/from "@aws-sdk\/client-ec2"/);
  });
});

describe('the control plane', () => {
  const userData = () =>
    renderIntrinsic(
      strata.json.Resources[logicalId(strata, strata.stack.controlPlane.instance)]!.Properties!.UserData,
    );

  it('runs in a private subnet, IMDSv2 only, on an encrypted root volume', () => {
    const instance = strata.json.Resources[logicalId(strata, strata.stack.controlPlane.instance)]!;
    const nodeSubnet = logicalId(strata, strata.stack.network.nodeSubnets[0]!);
    expect(instance.Properties).toMatchObject({
      SubnetId: { Ref: nodeSubnet },
      MetadataOptions: { HttpTokens: 'required' },
      BlockDeviceMappings: [{ Ebs: { Encrypted: true } }],
    });
    expect(instance.Properties!.NetworkInterfaces).toBeUndefined();
  });

  it('runs the control plane from the node bundle with the EC2 provider, and its settings are ones it accepts', () => {
    const script = userData();
    expect(script).toContain('exec node-20 dist/control-plane/src/main.js');
    const env = script.match(/<<'STRATA_CONTROL_PLANE_ENV'\n([\s\S]*?)\nSTRATA_CONTROL_PLANE_ENV/)![1]!;
    const settings: Record<string, string> = Object.fromEntries(
      env.split('\n').map((line) => line.split(/=(.*)/s).slice(0, 2)),
    );
    const groups = strata.stack.securityGroups;
    const templates = strata.stack.launchTemplates;
    expect(settings).toMatchObject({
      STRATA_PROVIDER: 'ec2',
      HOST: '0.0.0.0',
      PORT: '8080',
      AWS_REGION: '{Ref:AWS::Region}',
      STRATA_EC2_BROKER_LAUNCH_TEMPLATE: `{Ref:${logicalId(strata, templates.broker)}}`,
      STRATA_EC2_COORDINATOR_LAUNCH_TEMPLATE: `{Ref:${logicalId(strata, templates.coordinator)}}`,
      STRATA_EC2_BROKER_SECURITY_GROUPS: `{${logicalId(strata, groups.brokers)}.GroupId}`,
      STRATA_EC2_COORDINATOR_SECURITY_GROUPS: `{${logicalId(strata, groups.coordinators)}.GroupId}`,
      STRATA_EC2_SUBNETS: strata.stack.network.nodeSubnets
        .map((s, i) => `{AZ${i}}={Ref:${logicalId(strata, s)}}`)
        .join(','),
      STRATA_EC2_NODE_BUNDLE_URI: expect.stringMatching(/^\{Sub:s3:\/\/cdk-.*\.tgz\}$/),
    });
    // The same settings with deploy-time values filled in, through the control plane's own parser.
    const deployed = Object.fromEntries(
      Object.entries(settings).map(([name, value]) => [
        name,
        value
          .replace(/^\{Sub:s3:\/\/[^/]+\/(.*)\}$/, 's3://assets/$1')
          .replace('{Ref:AWS::Region}', 'eu-west-1')
          .replace(/\{AZ(\d)\}/g, (_: string, i: string) => `eu-west-1${'abc'[Number(i)]}`)
          .replace(/\{Ref:\w*Subnet\w*\}/g, 'subnet-0abc')
          .replace(/\{Ref:\w*(Broker|Coordinator)\w*\}/g, 'lt-0abc')
          .replace(/\{\w+\.GroupId\}/g, 'sg-0abc'),
      ]),
    );
    const config = loadConfig({ ...deployed, STRATA_DATABASE_URL: 'postgresql://strata@db:5432/strata' });
    expect(config).toMatchObject({ provider: 'ec2', host: '0.0.0.0', port: 8080 });
    expect([...config.ec2!.subnets.keys()]).toEqual(['eu-west-1a', 'eu-west-1b', 'eu-west-1c']);
  });

  it('reads its database URL and admin key from Secrets Manager when it starts, never from user data', () => {
    const script = userData();
    const database = strata.stack.controlPlane.database!;
    expect(script).toContain(
      `STRATA_DATABASE_SECRET_ARN={Ref:${strata.stack.getLogicalId(database.secret!.node.defaultChild as CfnElement)}}`,
    );
    expect(script).toContain(
      `STRATA_API_KEY_SECRET_ARN={Ref:${logicalId(strata, strata.stack.controlPlane.adminApiKey)}}`,
    );
    expect(script).toContain('sslmode=verify-full');
    expect(script).not.toMatch(/STRATA_DATABASE_URL=postgres/);
  });

  it('keeps its state in an encrypted multi-AZ PostgreSQL in the isolated subnets', () => {
    strata.template.hasResourceProperties('AWS::RDS::DBInstance', {
      Engine: 'postgres',
      StorageEncrypted: true,
      MultiAZ: true,
      DeletionProtection: true,
      PubliclyAccessible: false,
      DBName: 'strata',
    });
    const [, subnetGroup] = resourcesOfType(strata.json, 'AWS::RDS::DBSubnetGroup')[0]!;
    const database = resourcesOfType(strata.json, 'AWS::EC2::Subnet')
      .filter(([, s]) => tagsOf(s)['aws-cdk:subnet-name'] === 'Database')
      .map(([id]) => ({ Ref: id }));
    expect(subnetGroup.Properties!.SubnetIds).toEqual(database);
  });
});

describe('outputs', () => {
  it('give the control plane URL and the default cluster bootstrap brokers', () => {
    const outputs = strata.json.Outputs!;
    expect(renderIntrinsic(outputs.ControlPlaneUrl!.Value)).toBe(
      `http://{${logicalId(strata, strata.stack.controlPlane.instance)}.PrivateIp}:8080`,
    );
    expect(renderIntrinsic(outputs.BootstrapBrokers!.Value)).toBe(
      strata.stack.cluster.brokers
        .map((b) => `{${logicalId(strata, b.networkInterface)}.PrimaryPrivateIpAddress}:9092`)
        .join(','),
    );
    expect(Object.keys(outputs).sort()).toEqual([
      'AdminApiKeySecretArn',
      'BootstrapBrokers',
      'ControlPlaneUrl',
      'DefaultClusterId',
      'KafkaClientsSecurityGroupId',
      'OperatorsSecurityGroupId',
    ]);
  });
});

it('tags everything taggable it creates strata:managed=true', () => {
  const untagged = Object.entries(strata.json.Resources)
    .filter(([, r]) => Array.isArray(r.Properties?.Tags))
    .filter(([, r]) => tagsOf(r)['strata:managed'] !== 'true')
    .map(([id]) => id);
  expect(untagged).toEqual([]);
});

it('synthesizes the template it did before (asset hashes aside)', async () => {
  const snapshot = fileURLToPath(new URL('./__snapshots__/strata-stack.template.json', import.meta.url));
  // Written as the repository's formatter writes JSON, so `prettier --check` and the snapshot agree.
  const text = await prettier.format(JSON.stringify(normalizedTemplate(strata.json), null, 2), {
    ...(await prettier.resolveConfig(snapshot)),
    filepath: snapshot,
  });
  await expect(text).toMatchFileSnapshot(snapshot);
});
