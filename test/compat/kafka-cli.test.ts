import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerProcess } from '../support/broker-process.js';
import { KAFKA_TOOLS, runKafkaTool } from '../support/kafka-jars.js';

/** Kafka's own CLI tools (the Maven Central jars) against a broker process. */
let broker: BrokerProcess;

beforeAll(async () => {
  broker = await BrokerProcess.start();
});
afterAll(async () => broker?.destroy());

async function tool(main: string, args: string[], input?: string): Promise<string> {
  const result = await runKafkaTool(main, ['--bootstrap-server', broker.bootstrap, ...args], {
    input,
    timeoutMs: 120_000,
  });
  if (result.code !== 0)
    throw new Error(`${main} ${args.join(' ')} exited ${result.code}\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

describe('kafka-topics', () => {
  it('creates, describes and deletes a topic', async () => {
    const created = await tool(KAFKA_TOOLS.topics, [
      '--create',
      '--topic',
      'cli-topic',
      '--partitions',
      '4',
      '--replication-factor',
      '1',
      '--config',
      'retention.ms=3600000',
    ]);
    expect(created).toContain('Created topic cli-topic.');

    const described = await tool(KAFKA_TOOLS.topics, ['--describe', '--topic', 'cli-topic']);
    expect(described).toMatch(
      /Topic: cli-topic\s+TopicId: \S+\s+PartitionCount: 4\s+ReplicationFactor: 1\s+Configs: retention.ms=3600000/,
    );
    for (let p = 0; p < 4; p++) {
      expect(described).toMatch(
        new RegExp(`Topic: cli-topic\\s+Partition: ${p}\\s+Leader: 1\\s+Replicas: 1\\s+Isr: 1`),
      );
    }

    const listed = await tool(KAFKA_TOOLS.topics, ['--list']);
    expect(listed.split('\n')).toContain('cli-topic');

    await tool(KAFKA_TOOLS.topics, ['--alter', '--topic', 'cli-topic', '--partitions', '6']);
    expect(await tool(KAFKA_TOOLS.topics, ['--describe', '--topic', 'cli-topic'])).toMatch(
      /PartitionCount: 6/,
    );

    await tool(KAFKA_TOOLS.topics, ['--delete', '--topic', 'cli-topic']);
    expect((await tool(KAFKA_TOOLS.topics, ['--list'])).split('\n')).not.toContain('cli-topic');
  });

  it("refuses a topic that exists and an invalid config, with Kafka's messages", async () => {
    await tool(KAFKA_TOOLS.topics, ['--create', '--topic', 'twice', '--partitions', '1']);
    const again = await runKafkaTool(KAFKA_TOOLS.topics, [
      '--bootstrap-server',
      broker.bootstrap,
      '--create',
      '--topic',
      'twice',
    ]);
    expect(again.code).not.toBe(0);
    expect(again.stdout + again.stderr).toMatch(/Topic 'twice' already exists/);

    const bad = await runKafkaTool(KAFKA_TOOLS.topics, [
      '--bootstrap-server',
      broker.bootstrap,
      '--create',
      '--topic',
      'bad-config',
      '--config',
      'retention.ms=soon',
    ]);
    expect(bad.code).not.toBe(0);
    expect(bad.stdout + bad.stderr).toMatch(/retention\.ms/);
    expect((await tool(KAFKA_TOOLS.topics, ['--list'])).split('\n')).not.toContain('bad-config');
  });
});

describe('console producer and consumer', () => {
  it('round-trips lines, keys included', async () => {
    await tool(KAFKA_TOOLS.topics, ['--create', '--topic', 'console', '--partitions', '1']);
    const lines = Array.from({ length: 20 }, (_, i) => `key-${i}\tline ${i}`);
    await tool(
      KAFKA_TOOLS.consoleProducer,
      ['--topic', 'console', '--reader-property', 'parse.key=true', '--reader-property', 'key.separator=\t'],
      lines.join('\n') + '\n',
    );
    const out = await tool(KAFKA_TOOLS.consoleConsumer, [
      '--topic',
      'console',
      '--partition',
      '0',
      '--offset',
      'earliest',
      '--max-messages',
      '20',
      '--timeout-ms',
      '60000',
      '--formatter-property',
      'print.key=true',
      '--formatter-property',
      'print.offset=true',
    ]);
    const got = out.trim().split('\n');
    expect(got).toHaveLength(20);
    got.forEach((line, i) => expect(line).toBe(`Offset:${i}\tkey-${i}\tline ${i}`));
  });
});

describe('kafka-producer-perf-test', () => {
  it('completes a run with acks=all and reports its throughput', async () => {
    const out = await tool(KAFKA_TOOLS.producerPerf, [
      '--topic',
      'perf',
      '--num-records',
      '20000',
      '--record-size',
      '100',
      '--throughput',
      '-1',
      '--command-property',
      'acks=all',
    ]);
    expect(out).toMatch(/20000 records sent, [\d.]+ records\/sec/);
  });
});
