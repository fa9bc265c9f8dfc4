import { randomUUID } from 'node:crypto';
import { BrokerProcess } from './broker-process.js';
import { EtcdCluster } from './etcd-cluster.js';

export const ZONES = ['az-a', 'az-b', 'az-c'] as const;

export interface BrokerClusterOptions {
  readonly brokers?: number;
  readonly properties?: Record<string, string | number | boolean>;
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * A replicated cluster on loopback: a 3-member etcd quorum and N broker processes registered in
 * it, broker i in zone `az-a`, `az-b`, `az-c`, ... in turn (its `broker.rack`).
 */
export class BrokerCluster {
  readonly brokers = new Map<number, BrokerProcess>();

  private constructor(
    readonly etcd: EtcdCluster,
    readonly clusterId: string,
    private readonly options: BrokerClusterOptions,
  ) {}

  static async start(options: BrokerClusterOptions = {}): Promise<BrokerCluster> {
    const etcd = await EtcdCluster.start(3);
    const cluster = new BrokerCluster(etcd, `test-${randomUUID().slice(0, 8)}`, options);
    const count = options.brokers ?? 3;
    await Promise.all(Array.from({ length: count }, (_, i) => cluster.startBroker(i + 1)));
    return cluster;
  }

  async startBroker(nodeId: number): Promise<BrokerProcess> {
    const broker = await BrokerProcess.start({
      env: this.options.env,
      properties: {
        'node.id': nodeId,
        'broker.rack': ZONES[(nodeId - 1) % ZONES.length]!,
        'coordinator.endpoints': this.etcd.endpoints,
        'cluster.id': this.clusterId,
        'default.replication.factor': 3,
        'min.insync.replicas': 2,
        'offsets.topic.replication.factor': 3,
        'offsets.topic.num.partitions': 5,
        'group.initial.rebalance.delay.ms': 0,
        'metadata.lease.ttl.seconds': 3,
        'replica.lag.time.max.ms': 5000,
        // With an authorizer the brokers' own principal (ANONYMOUS on this PLAINTEXT inter-broker
        // listener) must be a super user, or followers are refused ClusterAction.
        ...(this.options.properties?.['authorizer.class.name'] ? { 'super.users': 'User:ANONYMOUS' } : {}),
        ...this.options.properties,
      },
    });
    this.brokers.set(nodeId, broker);
    return broker;
  }

  broker(nodeId: number): BrokerProcess {
    const b = this.brokers.get(nodeId);
    if (!b) throw new Error(`no broker ${nodeId}`);
    return b;
  }

  /** Bootstrap servers: every live broker that is not frozen. */
  get bootstrap(): string {
    return [...this.brokers.values()]
      .filter((b) => b.alive && !b.paused)
      .map((b) => b.bootstrap)
      .join(',');
  }

  async restartBroker(nodeId: number): Promise<BrokerProcess> {
    const restarted = await this.broker(nodeId).restart();
    this.brokers.set(nodeId, restarted);
    return restarted;
  }

  async destroy(): Promise<void> {
    await Promise.all([...this.brokers.values()].map((b) => b.destroy()));
    await this.etcd.destroy();
  }
}
