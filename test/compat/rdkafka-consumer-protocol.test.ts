import type * as RdKafka from 'node-rdkafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerProcess } from '../support/broker-process.js';
import { KAFKA_TOOLS, runKafkaTool } from '../support/kafka-jars.js';
import { produceAll, rdkafka } from '../support/rdkafka.js';
import { waitUntil } from '../support/wait-until.js';

/**
 * librdkafka 2.12 (node-rdkafka) with group.protocol=consumer (KIP-848): the coordinator assigns,
 * members take partitions incrementally, no partition is owned by two members at once, and every
 * record is read once.
 */
const PARTITIONS = 4;
const ALL = Array.from({ length: PARTITIONS }, (_, p) => p);
const TOPIC = 'rdkafka-kip848';
const GROUP = 'rdkafka-kip848-group';

let broker: BrokerProcess;
const members: Member[] = [];
const violations: string[] = [];

beforeAll(async () => {
  broker = await BrokerProcess.start({
    properties: { 'num.partitions': PARTITIONS, 'group.consumer.heartbeat.interval.ms': 1000 },
  });
});
afterAll(async () => {
  for (const m of members) await m.close();
  await broker?.destroy();
});

class Member {
  readonly owned = new Set<number>();
  readonly consumed: string[] = [];
  readonly errors: string[] = [];
  private readonly consumer: RdKafka.KafkaConsumer;
  private connected = false;

  constructor(readonly name: string) {
    this.consumer = new rdkafka.KafkaConsumer(
      {
        'bootstrap.servers': broker.bootstrap,
        'group.id': GROUP,
        'client.id': name,
        'group.protocol': 'consumer',
        'enable.auto.commit': true,
        'auto.commit.interval.ms': 500,
        rebalance_cb: (err: RdKafka.LibrdKafkaError, assignment: RdKafka.Assignment[]) => {
          const partitions = assignment.map((a) => a.partition);
          if (err.code === rdkafka.CODES.ERRORS.ERR__ASSIGN_PARTITIONS) {
            for (const p of partitions) {
              const holder = members.find((m) => m !== this && m.owned.has(p));
              if (holder) violations.push(`${name} got ${p} still owned by ${holder.name}`);
              this.owned.add(p);
            }
            this.consumer.incrementalAssign(assignment);
          } else if (err.code === rdkafka.CODES.ERRORS.ERR__REVOKE_PARTITIONS) {
            this.consumer.incrementalUnassign(assignment);
            for (const p of partitions) this.owned.delete(p);
          } else {
            this.errors.push(`rebalance error: ${err.message}`);
          }
        },
      } as RdKafka.ConsumerGlobalConfig,
      { 'auto.offset.reset': 'earliest' },
    );
    this.consumer.on('data', (m) => this.consumed.push(String(m.value)));
    this.consumer.on('event.error', (e) => this.errors.push(e.message));
    members.push(this);
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve, reject) =>
      this.consumer.connect({}, (error) => (error ? reject(new Error(error.message)) : resolve())),
    );
    this.connected = true;
    this.consumer.subscribe([TOPIC]);
    this.consumer.consume();
    return this;
  }

  async close(): Promise<void> {
    if (!this.connected) return;
    this.connected = false;
    await new Promise<void>((resolve) => this.consumer.disconnect(() => resolve()));
  }
}

async function produce(prefix: string): Promise<string[]> {
  const values: string[] = [];
  for (const p of ALL) {
    const batch = Array.from({ length: 10 }, (_, i) => `${prefix}-${p}-${i}`);
    await produceAll({ 'bootstrap.servers': broker.bootstrap }, TOPIC, batch, p);
    values.push(...batch);
  }
  return values;
}

const describeAll = () =>
  members
    .map((m) => `${m.name}: [${[...m.owned].sort()}] read ${m.consumed.length} ${m.errors.join('; ')}`)
    .join('\n');

describe('librdkafka with group.protocol=consumer', () => {
  it('two members share the partitions and read every record once; one leaving hands its partitions over', async () => {
    const produced = await produce('a');
    const first = await new Member('kip848-1').start();
    await waitUntil(() => first.owned.size === PARTITIONS, 'the first member to own every partition', {
      describe: describeAll,
    });
    await waitUntil(() => first.consumed.length === produced.length, 'the backlog to be read', {
      describe: describeAll,
    });
    const second = await new Member('kip848-2').start();
    await waitUntil(() => first.owned.size === 2 && second.owned.size === 2, 'the partitions to be shared', {
      describe: describeAll,
      timeoutMs: 60_000,
    });
    produced.push(...(await produce('b')));
    await waitUntil(
      () => first.consumed.length + second.consumed.length === produced.length,
      'the second batch to be read',
      { describe: describeAll },
    );
    // The group is a consumer group (ListGroups v5's type), described with both members.
    const tool = (args: string[]) =>
      runKafkaTool(KAFKA_TOOLS.consumerGroups, ['--bootstrap-server', broker.bootstrap, ...args], {
        timeoutMs: 120_000,
      }).then((r) => r.stdout + r.stderr);
    expect(await tool(['--list', '--type'])).toMatch(new RegExp(`${GROUP}\\s+Consumer`));
    const described = await tool(['--describe', '--group', GROUP, '--members']);
    expect(described).toContain('kip848-1');
    expect(described).toContain('kip848-2');
    await second.close();
    await waitUntil(() => first.owned.size === PARTITIONS, 'the first member to take every partition back', {
      describe: describeAll,
      timeoutMs: 60_000,
    });
    produced.push(...(await produce('c')));
    await waitUntil(
      () => first.consumed.length + second.consumed.length === produced.length,
      'the third batch to be read',
      { describe: describeAll },
    );
    const all = [...first.consumed, ...second.consumed];
    expect(new Set(all).size).toBe(all.length);
    expect([...all].sort()).toEqual([...produced].sort());
    expect(violations).toEqual([]);
  });
});
