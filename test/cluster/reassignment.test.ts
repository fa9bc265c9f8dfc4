import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerCluster } from '../support/broker-cluster.js';
import { waitForPartitions } from '../support/cluster-metadata.js';
import { JAVA_PROGRAMS, javaProgramsClasspath } from '../support/java-programs.js';
import { javaCommand, KAFKA_TOOLS, runKafkaTool } from '../support/kafka-jars.js';
import { LineProcess } from '../support/line-process.js';
import { expectPartitionHoldsAcknowledged } from '../support/partition-dump.js';

/**
 * `kafka-reassign-partitions` moves a busy partition onto other brokers while a producer and a
 * consumer run: the new replicas catch up, leadership moves, the old replicas go, and nothing is
 * lost or duplicated; `kafka-topics --describe` shows the result.
 */
let cluster: BrokerCluster;
let classpath: string;
let dir: string;

beforeAll(async () => {
  cluster = await BrokerCluster.start({ brokers: 4 });
  classpath = await javaProgramsClasspath();
  dir = mkdtempSync(join(tmpdir(), 'strata-reassign-'));
});
afterAll(async () => {
  await cluster?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

async function tool(main: string, args: string[]): Promise<string> {
  const result = await runKafkaTool(main, ['--bootstrap-server', cluster.bootstrap, ...args], {
    timeoutMs: 120_000,
  });
  if (result.code !== 0) throw new Error(`${args.join(' ')}\n${result.stdout}${result.stderr}`);
  return result.stdout;
}

describe('partition reassignment', () => {
  it('moves a busy partition to new brokers without losing or duplicating records', async () => {
    await tool(KAFKA_TOOLS.topics, ['--create', '--topic', 'moving', '--replica-assignment', '1:2:3']);
    await waitForPartitions(
      () => cluster.bootstrap,
      'moving',
      (p) => p[0]?.isr.length === 3,
      'a full ISR',
    );
    const [java, args] = await javaCommand(
      JAVA_PROGRAMS.idempotentProducer,
      [cluster.bootstrap, 'moving', '-1', 'r', 'linger.ms=5', 'metadata.max.age.ms=1000'],
      { classpath },
    );
    const producer = new LineProcess(java, args);
    const [, consumerArgs] = await javaCommand(
      JAVA_PROGRAMS.subscribeConsumer,
      [cluster.bootstrap, 'movers', 'moving', '-1', '600000', 'metadata.max.age.ms=1000'],
      { classpath },
    );
    const consumer = new LineProcess(java, consumerArgs);
    try {
      await producer.waitFor(
        () => producer.count('ACK ') >= 1000,
        120_000,
        'acknowledgements before the move',
      );
      const plan = join(dir, 'plan.json');
      writeFileSync(
        plan,
        JSON.stringify({ version: 1, partitions: [{ topic: 'moving', partition: 0, replicas: [4, 2, 3] }] }),
      );
      const executed = await tool(KAFKA_TOOLS.reassignPartitions, [
        '--reassignment-json-file',
        plan,
        '--execute',
      ]);
      expect(executed).toContain('Successfully started partition reassignment');
      const deadline = Date.now() + 120_000;
      let verified = '';
      while (Date.now() < deadline) {
        verified = await tool(KAFKA_TOOLS.reassignPartitions, ['--reassignment-json-file', plan, '--verify']);
        if (verified.includes('Reassignment of partition moving-0 is completed')) break;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      expect(verified).toContain('Reassignment of partition moving-0 is completed');
      const acked = producer.count('ACK ');
      await producer.waitFor(
        () => producer.count('ACK ') >= acked + 1000,
        120_000,
        'acknowledgements after the move',
      );
      // The consumer reads on through the move, past everything acknowledged before it ended.
      const target = producer.count('ACK ');
      await consumer.waitFor(() => consumer.count('RECORD') >= target, 120_000, 'the consumer past the move');
    } finally {
      await producer.stop();
      await consumer.terminate();
    }
    expect(producer.lines.filter((l) => l.startsWith('FAIL'))).toEqual([]);
    const consumed = consumer.lines.filter((l) => l.startsWith('RECORD')).map((l) => l.split(' '));
    consumed.forEach((r, i) => expect(Number(r[2])).toBe(i));
    const described = await tool(KAFKA_TOOLS.topics, ['--describe', '--topic', 'moving']);
    expect(described).toMatch(/Partition: 0\s+Leader: 4\s+Replicas: 4,2,3\s+Isr: [234],[234],[234]/);

    await expectPartitionHoldsAcknowledged(cluster.bootstrap, 'moving', 0, producer.lines, classpath);
    // Its waits each allow two minutes; together they may take longer on a loaded machine.
  }, 360_000);
});
