import { Fn, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/** The zones a Strata deployment spans: a coordinator in each, brokers round-robin over them. */
export const ZONE_COUNT = 3;

export interface StrataNetworkProps {
  /**
   * The three availability zones, by name.
   *
   * @default the region's first three zones, resolved at deploy time (`Fn::GetAZs`)
   */
  readonly availabilityZones?: readonly string[];

  /**
   * The VPC's IPv4 range.
   *
   * @default '10.0.0.0/16'
   */
  readonly cidr?: string;

  /**
   * NAT gateways for the private subnets' egress (node bundle, package repositories, AWS APIs).
   * One per zone keeps every zone's egress up when another zone fails; the control plane heals
   * nodes through the EC2 API, so it needs egress most when a zone is down.
   *
   * @default 3
   */
  readonly natGateways?: number;

  /**
   * How long the VPC flow logs are kept.
   *
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly flowLogRetention?: logs.RetentionDays;
}

/**
 * The network Strata runs in: a VPC over three availability zones with public subnets (NAT
 * gateways only), private subnets with egress for the nodes and the control plane, and isolated
 * subnets for the database; flow logs to CloudWatch Logs and an S3 gateway endpoint (node bundle
 * downloads stay off the NAT gateways).
 */
export class StrataNetwork extends Construct {
  readonly vpc: ec2.Vpc;
  /** One private subnet per zone, in zone order: where brokers, coordinators and the control plane run. */
  readonly nodeSubnets: readonly ec2.ISubnet[];
  readonly databaseSubnets: ec2.SubnetSelection;

  constructor(scope: Construct, id: string, props: StrataNetworkProps = {}) {
    super(scope, id);
    const availabilityZones = [...(props.availabilityZones ?? defaultAvailabilityZones())];
    if (availabilityZones.length !== ZONE_COUNT) {
      throw new Error(`availabilityZones must name ${ZONE_COUNT} zones, not ${availabilityZones.length}`);
    }
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(props.cidr ?? '10.0.0.0/16'),
      availabilityZones,
      natGateways: props.natGateways ?? ZONE_COUNT,
      subnetConfiguration: [
        { name: 'Public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'Nodes', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 20 },
        { name: 'Database', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
      ],
      gatewayEndpoints: { S3: { service: ec2.GatewayVpcEndpointAwsService.S3 } },
    });
    const flowLogs = new logs.LogGroup(this, 'FlowLogs', {
      retention: props.flowLogRetention ?? logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogs),
      trafficType: ec2.FlowLogTrafficType.ALL,
    });
    this.nodeSubnets = this.vpc.selectSubnets({ subnetGroupName: 'Nodes' }).subnets;
    this.databaseSubnets = { subnetGroupName: 'Database' };
  }
}

/** The region's first three zones, as deploy-time values (the stack is environment-agnostic). */
export function defaultAvailabilityZones(): string[] {
  return Array.from({ length: ZONE_COUNT }, (_, index) => Fn.select(index, Fn.getAzs()));
}

/** A node subnet and the zone it is in. */
export interface ZoneSubnet {
  readonly zone: string;
  readonly subnetId: string;
}

/**
 * The EC2 provider's `STRATA_EC2_SUBNETS` setting: `<zone>=<subnet-id>` pairs, comma-separated, one
 * subnet per zone.
 */
export function subnetMapSetting(subnets: readonly ZoneSubnet[]): string {
  if (subnets.length === 0) throw new Error('the subnet map needs at least one zone');
  const zones = subnets.map((s) => s.zone);
  const repeated = zones.find((zone, i) => zones.indexOf(zone) !== i);
  if (repeated !== undefined) throw new Error(`the subnet map names zone ${repeated} twice`);
  for (const { zone, subnetId } of subnets) {
    if (/[=,\s]/.test(zone) || /[=,\s]/.test(subnetId)) {
      throw new Error(`"${zone}=${subnetId}" cannot be written in the subnet map`);
    }
  }
  return subnets.map(({ zone, subnetId }) => `${zone}=${subnetId}`).join(',');
}

export function zoneSubnets(subnets: readonly ec2.ISubnet[]): ZoneSubnet[] {
  return subnets.map((subnet) => ({ zone: subnet.availabilityZone, subnetId: subnet.subnetId }));
}
