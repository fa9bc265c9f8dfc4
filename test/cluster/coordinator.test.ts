import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerCluster } from '../support/broker-cluster.js';
import { describePartitions, waitForPartitions } from '../support/cluster-metadata.js';
import { JAVA_PROGRAMS, javaProgramsClasspath } from '../support/java-programs.js';
import { javaCommand, KAFKA_TOOLS, runKafkaTool } from '../support/kafka-jars.js';
import { LineProcess } from '../support/line-process.js';
import { offsetsPartitionFor } from '../../broker-image/src/groups/coordinator-key.js';

/**
 * A consumer group keeps consuming through the failure of its coordinator: the broker leading
 * the group's `__consumer_offsets` partition is killed; another broker leads it, reloads the
 * group's committed offsets, and the consumer carries on without skipping anything.
 */
let cluster: BrokerCluster;
let classpath: string;

beforeAll(async () => {
  cluster = await BrokerCluster.start();
  classpath = await javaProgramsClasspath();
});
afterAll(async () => cluster?.destroy());

describe('group coordinator failover', () => {
  it('moves the coordinator with its partition and the group consumes on', async () => {
    const created = await runKafkaTool(KAFKA_TOOLS.topics, [
      '--bootstrap-server',
      cluster.bootstrap,
      '--create',
      '--topic',
      'events',
      '--partitions',
      '3',
    ]);
    expect(created.code).toBe(0);
    const [java, producerArgs] = await javaCommand(
      JAVA_PROGRAMS.idempotentProducer,
      [cluster.bootstrap, 'events', '-1', 'e', 'linger.ms=5', 'metadata.max.age.ms=1000'],
      { classpath },
    );
    const producer = new LineProcess(java, producerArgs);
    const [, consumerArgs] = await javaCommand(
      JAVA_PROGRAMS.subscribeConsumer,
      [
        cluster.bootstrap,
        'survivors',
        'events',
        '-1',
        '600000',
        'auto.commit.interval.ms=200',
        'metadata.max.age.ms=1000',
      ],
      { classpath },
    );
    const consumer = new LineProcess(java, consumerArgs);
    try {
      const records = () => consumer.count('RECORD');
      await consumer.waitFor(() => records() >= 500, 120_000, 'the group consuming');
      const offsetsPartition = offsetsPartitionFor('survivors', 5);
      const [coordinatorState] = (await describePartitions(cluster.bootstrap, '__consumer_offsets')).filter(
        (p) => p.partition === offsetsPartition,
      );
      const coordinator = coordinatorState!.leader;
      await cluster.broker(coordinator).kill();
      await waitForPartitions(
        () => cluster.bootstrap,
        '__consumer_offsets',
        (p) => p[offsetsPartition]!.leader !== coordinator && p[offsetsPartition]!.leader !== -1,
        'a new coordinator',
      );
      const before = records();
      await consumer.waitFor(
        () => records() >= before + 1000,
        120_000,
        'consumption after the coordinator failed',
      );
    } finally {
      await producer.stop();
      await consumer.terminate();
    }
    // Nothing produced and acknowledged before the consumer's last record was skipped.
    const seen = new Set(
      consumer.lines.filter((l) => l.startsWith('RECORD')).map((l) => l.split(' ').at(-1)),
    );
    const acked = producer.lines.filter((l) => l.startsWith('ACK ')).map((l) => l.split(' '));
    const maxSeenPerPartition = new Map<string, number>();
    for (const line of consumer.lines.filter((l) => l.startsWith('RECORD'))) {
      const parts = line.split(' ');
      maxSeenPerPartition.set(
        parts[1]!,
        Math.max(maxSeenPerPartition.get(parts[1]!) ?? -1, Number(parts[2])),
      );
    }
    const skipped = acked.filter(
      ([, partition, offset, value]) =>
        Number(offset) <= (maxSeenPerPartition.get(partition!) ?? -1) && !seen.has(value),
    );
    expect(skipped).toEqual([]);
  });
});
