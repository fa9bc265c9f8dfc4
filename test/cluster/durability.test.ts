import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerCluster } from '../support/broker-cluster.js';
import { describePartitions, waitForPartitions } from '../support/cluster-metadata.js';
import { createInSyncTopic, startIdempotentProducer } from '../support/cluster-topics.js';
import { javaProgramsClasspath } from '../support/java-programs.js';
import type { LineProcess } from '../support/line-process.js';
import { expectPartitionHoldsAcknowledged } from '../support/partition-dump.js';

/**
 * Replication under the faults that once lost acknowledged records or stalled a partition, each
 * on a real cluster (3 etcd members, 3 brokers, RF 3, min.insync.replicas 2) with the Java
 * client's idempotent acks=all producer: a follower restarted behind its leader is not taken
 * back into the ISR on what it reported before it died, a dead follower does not make the ISR
 * flap, and a follower whose last epoch is older than every epoch its new leader knows still
 * replicates.
 */
let cluster: BrokerCluster;
let classpath: string;
let etcd: Etcd3;

beforeAll(async () => {
  cluster = await BrokerCluster.start();
  classpath = await javaProgramsClasspath();
  etcd = new Etcd3({ hosts: cluster.etcd.endpoints.split(',') });
});
afterAll(async () => {
  etcd?.close();
  await cluster?.destroy();
});

async function acknowledgeMore(producer: LineProcess, more: number, what: string): Promise<void> {
  const acked = producer.count('ACK ');
  await producer.waitFor(() => producer.count('ACK ') >= acked + more, 120_000, what);
}

/** The partition's state as the controller's store holds it, partition epoch included. */
async function storedPartition(topic: string): Promise<{ isr: number[]; partitionEpoch: number }> {
  const value = await etcd.get(`/strata/${cluster.clusterId}/partitions/${topic}/0`).string();
  return JSON.parse(value!) as { isr: number[]; partitionEpoch: number };
}

async function expectEveryReplicaInSync(topic: string): Promise<void> {
  const [state] = await waitForPartitions(
    () => cluster.bootstrap,
    topic,
    (p) => p[0]!.isr.length === 3,
    'every replica back in the ISR',
    120_000,
  );
  expect(state!.isr.sort()).toEqual([1, 2, 3]);
}

describe('replication durability', () => {
  it('does not take a restarted follower back into the ISR before it holds the high watermark, so a controlled shutdown right after its restart loses nothing', async () => {
    await createInSyncTopic(cluster, 'restarted-follower', ['--replica-assignment', '1:3:2']);
    const producer = await startIdempotentProducer(cluster, 'restarted-follower', classpath);
    try {
      await acknowledgeMore(producer, 1000, 'first acknowledgements');
      await cluster.broker(3).kill();
      await waitForPartitions(
        () => cluster.bootstrap,
        'restarted-follower',
        (p) => !p[0]!.isr.includes(3),
        'the killed follower out of the ISR',
      );
      await acknowledgeMore(producer, 5000, 'writes while the follower is down');
      // As soon as broker 3 has registered again, the leader stops cleanly and hands over.
      await cluster.restartBroker(3);
      expect(await cluster.broker(1).stop()).toBe(0);
      await acknowledgeMore(producer, 1000, 'writes after the handover');
      const [after] = await describePartitions(cluster.bootstrap, 'restarted-follower');
      expect(after!.leader).not.toBe(1);
      await cluster.restartBroker(1);
      await acknowledgeMore(producer, 500, 'writes with every broker back');
    } finally {
      await producer.stop();
    }
    expect(producer.lines.filter((l) => l.startsWith('FAIL'))).toEqual([]);
    await expectPartitionHoldsAcknowledged(
      cluster.bootstrap,
      'restarted-follower',
      0,
      producer.lines,
      classpath,
    );
    await expectEveryReplicaInSync('restarted-follower');
  });

  it('writes the ISR of a partition a bounded number of times while one of its followers is dead', async () => {
    await createInSyncTopic(cluster, 'dead-follower', ['--replica-assignment', '1:2:3']);
    const producer = await startIdempotentProducer(cluster, 'dead-follower', classpath);
    try {
      await acknowledgeMore(producer, 500, 'first acknowledgements');
      await cluster.broker(3).kill();
      await waitForPartitions(
        () => cluster.bootstrap,
        'dead-follower',
        (p) => !p[0]!.isr.includes(3),
        'the dead follower out of the ISR',
      );
      const before = await storedPartition('dead-follower');
      // A window of steady writes, each fetch of the live follower a chance to re-add the dead one.
      await acknowledgeMore(producer, 10_000, 'writes while the follower is dead');
      const after = await storedPartition('dead-follower');
      expect(after.isr).not.toContain(3);
      expect(after.partitionEpoch - before.partitionEpoch).toBeLessThanOrEqual(1);
      await cluster.restartBroker(3);
      await expectEveryReplicaInSync('dead-follower');
    } finally {
      await producer.stop();
    }
    expect(producer.lines.filter((l) => l.startsWith('FAIL'))).toEqual([]);
    await expectPartitionHoldsAcknowledged(cluster.bootstrap, 'dead-follower', 0, producer.lines, classpath);
  });

  it('lets a follower whose last epoch is older than every epoch of its leader catch up and rejoin the ISR', async () => {
    // An empty partition led by broker 1 at epoch 0. Broker 1 freezes past its lease, so broker 2
    // leads at epoch 1 with no record of epoch 0; broker 1 thaws still knowing epoch 0 (a restart
    // would forget an epoch with no records in it).
    await createInSyncTopic(cluster, 'older-epoch', ['--replica-assignment', '1:2:3']);
    cluster.broker(1).pause();
    await waitForPartitions(
      () => cluster.bootstrap,
      'older-epoch',
      (p) => p[0]!.leader === 2 && !p[0]!.isr.includes(1),
      'broker 2 leading without broker 1',
    );
    cluster.broker(1).resume();
    const producer = await startIdempotentProducer(cluster, 'older-epoch', classpath);
    try {
      await acknowledgeMore(producer, 200, 'acknowledgements from the new leader');
      // Broker 1 must fetch from its epoch-0 position and come back in sync.
      await expectEveryReplicaInSync('older-epoch');
    } finally {
      await producer.stop();
    }
    expect(producer.lines.filter((l) => l.startsWith('FAIL'))).toEqual([]);
    await expectPartitionHoldsAcknowledged(cluster.bootstrap, 'older-epoch', 0, producer.lines, classpath);
  });
});
