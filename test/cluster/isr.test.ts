import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerCluster } from '../support/broker-cluster.js';
import { describePartitions, waitForPartitions } from '../support/cluster-metadata.js';
import { createInSyncTopic, startIdempotentProducer } from '../support/cluster-topics.js';
import { javaProgramsClasspath } from '../support/java-programs.js';
import { expectPartitionHoldsAcknowledged } from '../support/partition-dump.js';

/**
 * A frozen follower (SIGSTOP) leaves the ISR while writes go on; when it thaws it catches up and
 * rejoins. A clean stop (SIGTERM) of a leader moves its leadership first, and the preferred leader
 * gets its leadership back once it is in sync again.
 */
let cluster: BrokerCluster;
let classpath: string;

beforeAll(async () => {
  cluster = await BrokerCluster.start({ properties: { 'leader.imbalance.check.interval.seconds': 1 } });
  classpath = await javaProgramsClasspath();
});
afterAll(async () => cluster?.destroy());

describe('in-sync replicas', () => {
  it('drops a frozen follower from the ISR, keeps writing, and takes it back when it catches up', async () => {
    await createInSyncTopic(cluster, 'frozen');
    const [state] = await describePartitions(cluster.bootstrap, 'frozen');
    const follower = state!.replicas.find((id) => id !== state!.leader)!;
    const producer = await startIdempotentProducer(cluster, 'frozen', classpath);
    try {
      await producer.waitFor(() => producer.count('ACK ') >= 500, 120_000, 'first acknowledgements');
      cluster.broker(follower).pause();
      await waitForPartitions(
        () => cluster.bootstrap,
        'frozen',
        (p) => !p[0]!.isr.includes(follower),
        'the frozen follower out of the ISR',
      );
      const acked = producer.count('ACK ');
      await producer.waitFor(
        () => producer.count('ACK ') >= acked + 1000,
        120_000,
        'writes with the smaller ISR',
      );
      cluster.broker(follower).resume();
      await waitForPartitions(
        () => cluster.bootstrap,
        'frozen',
        (p) => p[0]!.isr.includes(follower),
        'the follower back in the ISR',
      );
    } finally {
      await producer.stop();
    }
    expect(producer.lines.filter((l) => l.startsWith('FAIL'))).toEqual([]);
    // Nothing acknowledged was lost; the thawed follower holds the same log as the leader.
    await expectPartitionHoldsAcknowledged(cluster.bootstrap, 'frozen', 0, producer.lines, classpath);
    const [caughtUp] = await describePartitions(cluster.bootstrap, 'frozen');
    expect(caughtUp!.isr.sort()).toEqual([...caughtUp!.replicas].sort());
  });

  it('moves leadership off a broker stopped cleanly, then back to it as preferred leader', async () => {
    await createInSyncTopic(cluster, 'moving');
    const [state] = await describePartitions(cluster.bootstrap, 'moving');
    const preferred = state!.replicas[0]!;
    expect(state!.leader).toBe(preferred);
    const producer = await startIdempotentProducer(cluster, 'moving', classpath);
    try {
      await producer.waitFor(() => producer.count('ACK ') >= 500, 120_000, 'first acknowledgements');
      const stopping = cluster.broker(preferred);
      const logged = stopping.waitForLog((l) => l.msg === 'broker stopped');
      expect(await stopping.stop()).toBe(0);
      await logged;
      const [moved] = await describePartitions(cluster.bootstrap, 'moving');
      expect(moved!.leader).not.toBe(preferred);
      expect(moved!.leader).not.toBe(-1);
      const acked = producer.count('ACK ');
      await producer.waitFor(
        () => producer.count('ACK ') >= acked + 500,
        120_000,
        'writes to the new leader',
      );

      await cluster.restartBroker(preferred);
      await waitForPartitions(
        () => cluster.bootstrap,
        'moving',
        (p) => p[0]!.leader === preferred,
        'the preferred leader restored',
      );
      const after = producer.count('ACK ');
      await producer.waitFor(
        () => producer.count('ACK ') >= after + 500,
        120_000,
        'writes to the restored leader',
      );
    } finally {
      await producer.stop();
    }
    expect(producer.lines.filter((l) => l.startsWith('FAIL'))).toEqual([]);
  });
});
