import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerCluster } from '../support/broker-cluster.js';
import { waitForPartitions } from '../support/cluster-metadata.js';
import { JAVA_PROGRAMS, javaProgramsClasspath } from '../support/java-programs.js';
import { javaCommand, KAFKA_TOOLS, runKafkaTool } from '../support/kafka-jars.js';
import { LineProcess } from '../support/line-process.js';

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
    } finally {
      await producer.stop();
    }
    expect(producer.lines.filter((l) => l.startsWith('FAIL'))).toEqual([]);
    const described = await tool(KAFKA_TOOLS.topics, ['--describe', '--topic', 'moving']);
    expect(described).toMatch(/Partition: 0\s+Leader: 4\s+Replicas: 4,2,3\s+Isr: [234],[234],[234]/);

    const acks = producer.lines.filter((l) => l.startsWith('ACK ')).map((l) => l.split(' '));
    const dump = await runKafkaTool(
      JAVA_PROGRAMS.assignSeekConsumer,
      [cluster.bootstrap, 'moving', '0', 'earliest', 'all', '120000'],
      {
        classpath,
        timeoutMs: 180_000,
      },
    );
    const records = dump.stdout
      .trim()
      .split('\n')
      .filter((l) => !l.startsWith('POSITION'))
      .map((l) => l.split(' '));
    records.forEach((r, i) => expect(Number(r[0])).toBe(i));
    expect(new Set(records.map((r) => r[2])).size).toBe(records.length);
    const byOffset = new Map(records.map((r) => [Number(r[0]), r[2]]));
    expect(acks.filter(([, , offset, value]) => byOffset.get(Number(offset)) !== value)).toEqual([]);
  });
});
