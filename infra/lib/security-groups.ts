import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';

/** The ports Strata's processes listen on (the EC2 provider's, and PostgreSQL's). */
export const STRATA_PORTS = {
  kafka: 9092,
  brokerAdmin: 9093,
  etcdClient: 2379,
  etcdPeer: 2380,
  controlPlaneApi: 8080,
  postgres: 5432,
  https: 443,
} as const;

export interface StrataSecurityGroupsProps {
  readonly vpc: ec2.IVpc;

  /**
   * Whether the control plane has a database of its own to reach (a PostgreSQL instance).
   *
   * @default true
   */
  readonly database?: boolean;
}

/**
 * One security group per role, with exactly the flows Strata needs and no others, in both
 * directions (no group allows all outbound traffic):
 *
 * - Kafka clients → brokers 9092; brokers ↔ brokers 9092 (replication);
 * - brokers → coordinators 2379 (etcd clients); coordinators ↔ coordinators 2380 (etcd peers);
 * - control plane → brokers 9092 (Kafka admin) and 9093 (broker admin endpoint), → coordinators
 *   2379, → database 5432;
 * - operators → control plane 8080 (its REST API);
 * - brokers, coordinators and the control plane → HTTPS anywhere (the node bundle in S3, AWS
 *   APIs, package repositories, the etcd release).
 *
 * `kafkaClients` and `operators` are for the hosts that use Strata: attach them next to those
 * hosts' own groups.
 */
export class StrataSecurityGroups extends Construct {
  readonly kafkaClients: ec2.SecurityGroup;
  readonly operators: ec2.SecurityGroup;
  readonly brokers: ec2.SecurityGroup;
  readonly coordinators: ec2.SecurityGroup;
  readonly controlPlane: ec2.SecurityGroup;
  /** The database's group (none without a database). */
  readonly database: ec2.SecurityGroup | undefined;

  constructor(scope: Construct, id: string, props: StrataSecurityGroupsProps) {
    super(scope, id);
    const group = (groupId: string, description: string) =>
      new ec2.SecurityGroup(this, groupId, { vpc: props.vpc, description, allowAllOutbound: false });
    this.kafkaClients = group('KafkaClients', 'Strata Kafka clients: reach the brokers on 9092');
    this.operators = group('Operators', 'Strata operators: reach the control plane API on 8080');
    this.brokers = group('Brokers', 'Strata brokers');
    this.coordinators = group('Coordinators', 'Strata coordinators (etcd)');
    this.controlPlane = group('ControlPlane', 'Strata control plane');
    this.database =
      (props.database ?? true) ? group('Database', 'Strata control plane database (PostgreSQL)') : undefined;

    const tcp = ec2.Port.tcp;
    const { kafka, brokerAdmin, etcdClient, etcdPeer, controlPlaneApi, postgres, https } = STRATA_PORTS;
    this.brokers.connections.allowFrom(this.kafkaClients, tcp(kafka), 'Kafka clients');
    this.brokers.connections.allowInternally(tcp(kafka), 'Replication between brokers');
    this.brokers.connections.allowFrom(this.controlPlane, tcp(kafka), 'Control plane Kafka admin');
    this.brokers.connections.allowFrom(this.controlPlane, tcp(brokerAdmin), 'Control plane broker admin');
    this.coordinators.connections.allowFrom(this.brokers, tcp(etcdClient), 'Brokers to etcd');
    this.coordinators.connections.allowFrom(this.controlPlane, tcp(etcdClient), 'Control plane to etcd');
    this.coordinators.connections.allowInternally(tcp(etcdPeer), 'etcd peers');
    this.controlPlane.connections.allowFrom(this.operators, tcp(controlPlaneApi), 'Operators to the API');
    this.database?.connections.allowFrom(this.controlPlane, tcp(postgres), 'Control plane state');
    for (const node of [this.brokers, this.coordinators, this.controlPlane]) {
      node.addEgressRule(ec2.Peer.anyIpv4(), tcp(https), 'HTTPS: S3, AWS APIs, package repositories');
    }
  }
}
