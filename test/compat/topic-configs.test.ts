import { readFileSync } from 'node:fs';
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOPIC_CONFIGS_WITHOUT_EFFECT } from '../../broker-image/src/config/topic-configs.js';
import { BrokerProcess } from '../support/broker-process.js';
import { KAFKA_TOOLS, runKafkaTool } from '../support/kafka-jars.js';

const { Kafka, logLevel } = kafkajs;

/**
 * Topic configs as Kafka's own tools see them: every setting Kafka 4.3 knows is accepted and
 * described with Kafka's default (those Strata does not act on are stored all the same), bad values
 * are refused naming the setting, and the CreateTime timestamp bounds are enforced.
 */
let broker: BrokerProcess;

beforeAll(async () => {
  broker = await BrokerProcess.start();
});
afterAll(async () => broker?.destroy());

/** `name=value` of every topic config, as kafka-configs --describe --all printed it for Kafka 4.3.1. */
const KAFKA_TOPIC_CONFIGS = new Map(
  readFileSync(new URL('../fixtures/kafka-4.3-topic-configs.txt', import.meta.url), 'utf8')
    .split('\n')
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)] as const),
);

async function tool(main: string, args: string[]): Promise<{ code: number | null; out: string }> {
  const result = await runKafkaTool(main, ['--bootstrap-server', broker.bootstrap, ...args], {
    timeoutMs: 120_000,
  });
  return { code: result.code, out: result.stdout + result.stderr };
}

async function createTopic(
  name: string,
  configs: string[] = [],
): Promise<{ code: number | null; out: string }> {
  return tool(KAFKA_TOOLS.topics, [
    '--create',
    '--topic',
    name,
    '--partitions',
    '1',
    ...configs.flatMap((c) => ['--config', c]),
  ]);
}

/** Every config of a topic as `kafka-configs --describe --all` lists it: name → value and source. */
async function describeAll(topic: string): Promise<Map<string, { value: string; synonyms: string }>> {
  const { code, out } = await tool(KAFKA_TOOLS.configs, [
    '--describe',
    '--all',
    '--entity-type',
    'topics',
    '--entity-name',
    topic,
  ]);
  expect(code, out).toBe(0);
  const configs = new Map<string, { value: string; synonyms: string }>();
  for (const line of out.split('\n')) {
    const match = /^ {2}([a-z0-9.]+)=(.*?) sensitive=\w+ synonyms=\{(.*)\}$/.exec(line);
    if (match) configs.set(match[1]!, { value: match[2]!, synonyms: match[3]! });
  }
  return configs;
}

describe('topic configs', () => {
  it('lists in docs/configuration.md exactly the topic settings that have no effect', () => {
    const doc = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
    const intro = doc.indexOf('These are\nstored and described but have no effect:');
    expect(intro).toBeGreaterThan(0);
    const table = doc.slice(intro);
    const rows = table.slice(0, table.indexOf('\n\n', table.indexOf('| Setting'))).split('\n');
    const listed = rows
      .filter((row) => row.startsWith('| `'))
      .flatMap((row) => [...row.split('|')[1]!.matchAll(/`([a-z0-9.]+)`/g)].map((m) => m[1]!));
    expect(listed.sort()).toEqual([...TOPIC_CONFIGS_WITHOUT_EFFECT.keys()].sort());
  });

  it("describes every topic config Kafka 4.3 knows, with Kafka's default", async () => {
    expect((await createTopic('all-configs')).code).toBe(0);
    const described = await describeAll('all-configs');
    expect([...described.keys()]).toEqual([...KAFKA_TOPIC_CONFIGS.keys()]);
    const values = new Map([...described].map(([name, d]) => [name, d.value]));
    expect(values).toEqual(KAFKA_TOPIC_CONFIGS);
  });

  it('stores the settings it does not act on, as Kafka does, at create and alter', async () => {
    const created = await createTopic('inert-configs', [
      'file.delete.delay.ms=1000',
      'preallocate=true',
      'leader.replication.throttled.replicas=0:1',
    ]);
    expect(created.code, created.out).toBe(0);
    const altered = await tool(KAFKA_TOOLS.configs, [
      '--alter',
      '--entity-type',
      'topics',
      '--entity-name',
      'inert-configs',
      '--add-config',
      'segment.jitter.ms=5000,compression.zstd.level=7',
    ]);
    expect(altered.code, altered.out).toBe(0);
    const described = await describeAll('inert-configs');
    for (const [name, value] of [
      ['file.delete.delay.ms', '1000'],
      ['preallocate', 'true'],
      ['leader.replication.throttled.replicas', '0:1'],
      ['segment.jitter.ms', '5000'],
      ['compression.zstd.level', '7'],
    ] as const) {
      expect(described.get(name)?.value, name).toBe(value);
      expect(described.get(name)?.synonyms, name).toContain(`DYNAMIC_TOPIC_CONFIG:${name}=${value}`);
    }
  });

  it('refuses bad values of the settings it does not act on, naming the setting, and creates nothing', async () => {
    for (const [config, expected] of [
      ['remote.storage.enable=true', 'remote.storage.enable'],
      ['follower.replication.throttled.replicas=everything', 'follower.replication.throttled.replicas'],
      ['compression.gzip.level=0', 'compression.gzip.level'],
      ['segment.index.bytes=2', 'segment.index.bytes'],
    ] as const) {
      const refused = await createTopic('refused-config', [config]);
      expect(refused.code, config).not.toBe(0);
      expect(refused.out, config).toMatch(/invalid/i);
      expect(refused.out, config).toContain(expected);
    }
    const listed = await tool(KAFKA_TOOLS.topics, ['--list']);
    expect(listed.out.split('\n')).not.toContain('refused-config');
  });

  it('refuses a CreateTime record further ahead of the broker clock than message.timestamp.after.max.ms, as Kafka does', async () => {
    expect((await createTopic('bounded-times', ['message.timestamp.after.max.ms=60000'])).code).toBe(0);
    expect((await createTopic('log-append-times', ['message.timestamp.type=LogAppendTime'])).code).toBe(0);
    const kafka = new Kafka({
      brokers: [broker.bootstrap],
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 },
    });
    const producer = kafka.producer();
    await producer.connect();
    try {
      const ahead = String(Date.now() + 10 * 60_000);
      await expect(
        producer.send({ topic: 'bounded-times', messages: [{ value: 'from the future', timestamp: ahead }] }),
      ).rejects.toMatchObject({ type: 'INVALID_TIMESTAMP' });
      // Within the bound, and any time on a LogAppendTime topic (the broker sets the time).
      await producer.send({
        topic: 'bounded-times',
        messages: [{ value: 'now', timestamp: String(Date.now()) }],
      });
      const [appended] = await producer.send({
        topic: 'log-append-times',
        messages: [{ value: 'from the future', timestamp: ahead }],
      });
      expect(appended!.errorCode).toBe(0);
    } finally {
      await producer.disconnect();
    }
    // The refused record changed nothing: the only record is the one within the bound.
    const offsets = await kafka.admin();
    await offsets.connect();
    try {
      expect(await offsets.fetchTopicOffsets('bounded-times')).toMatchObject([{ high: '1', low: '0' }]);
    } finally {
      await offsets.disconnect();
    }
  });
});
