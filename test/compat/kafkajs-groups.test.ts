import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BrokerProcess } from '../support/broker-process.js';
import { LineProcess } from '../support/line-process.js';
import { waitUntil } from '../support/wait-until.js';

/**
 * kafkajs consumer groups against a broker process: members in their own processes join, leave
 * cleanly and are killed; every time the group settles, each partition has exactly one owner; a
 * group restarted later resumes from its committed offsets.
 */
const { Kafka, logLevel, AssignerProtocol } = kafkajs;
const MEMBER = fileURLToPath(new URL('../support/kafkajs-member.mjs', import.meta.url));
const SESSION_TIMEOUT_MS = 6000;

let broker: BrokerProcess;
let kafka: kafkajs.Kafka;
const members: LineProcess[] = [];

beforeAll(async () => {
  broker = await BrokerProcess.start({ properties: { 'group.initial.rebalance.delay.ms': 0 } });
  kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
});
afterEach(async () => {
  await Promise.all(members.splice(0).map((m) => m.stop()));
});
afterAll(async () => broker?.destroy());

function startMember(group: string, topic: string): LineProcess {
  const member = new LineProcess(process.execPath, [
    MEMBER,
    broker.bootstrap,
    group,
    topic,
    String(SESSION_TIMEOUT_MS),
  ]);
  members.push(member);
  return member;
}

function events(
  member: LineProcess,
): { event: string; partition?: number; offset?: number; value?: string }[] {
  return member.lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
}

/** Waits until the group is Stable with `count` members that together own every partition once. */
async function waitForBalancedGroup(
  group: string,
  topic: string,
  partitions: number,
  count: number,
): Promise<number[][]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const deadline = Date.now() + 60_000;
    let last = '';
    while (Date.now() < deadline) {
      const { groups } = await admin.describeGroups([group]);
      const g = groups[0]!;
      const owned = g.members.map((m) =>
        m.memberAssignment.length > 0
          ? (AssignerProtocol.MemberAssignment.decode(m.memberAssignment)?.assignment[topic] ?? []).sort(
              (a, b) => a - b,
            )
          : [],
      );
      const all = owned.flat().sort((a, b) => a - b);
      last = `${g.state} ${JSON.stringify(owned)}`;
      if (
        g.state === 'Stable' &&
        g.members.length === count &&
        all.join() === [...Array(partitions).keys()].join()
      )
        return owned;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`group ${group} did not settle with ${count} members: ${last}`);
  } finally {
    await admin.disconnect();
  }
}

async function produce(topic: string, values: string[]): Promise<void> {
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic, acks: -1, messages: values.map((value, i) => ({ key: `k${i}`, value })) });
  await producer.disconnect();
}

describe('kafkajs consumer groups', () => {
  it('keeps every partition owned exactly once as members join, leave and crash', async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'six', numPartitions: 6 }] });
    await admin.disconnect();

    const a = startMember('sharing', 'six');
    const b = startMember('sharing', 'six');
    const c = startMember('sharing', 'six');
    const three = await waitForBalancedGroup('sharing', 'six', 6, 3);
    expect(three.map((p) => p.length)).toEqual([2, 2, 2]);

    const d = startMember('sharing', 'six'); // joins
    await waitForBalancedGroup('sharing', 'six', 6, 4);

    await d.terminate(); // leaves cleanly (LeaveGroup)
    expect(d.lines.some((l) => l.includes('"stopped"'))).toBe(true);
    await waitForBalancedGroup('sharing', 'six', 6, 3); // left cleanly

    await c.stop(); // SIGKILL: the broker notices when its session expires
    const two = await waitForBalancedGroup('sharing', 'six', 6, 2);
    expect(two.map((p) => p.length)).toEqual([3, 3]);

    await produce(
      'six',
      Array.from({ length: 60 }, (_, i) => `r${i}`),
    );
    const consumed = () =>
      [a, b].flatMap((m) =>
        events(m)
          .filter((e) => e.event === 'record')
          .map((e) => e.value),
      );
    await waitUntil(() => new Set(consumed()).size === 60, 'all records consumed by the two members', {
      timeoutMs: 60_000,
    });
    expect(new Set(consumed()).size).toBe(60);
  });

  it('resumes from the committed offsets when the group restarts', async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'resume', numPartitions: 3 }] });
    await produce(
      'resume',
      Array.from({ length: 30 }, (_, i) => `first-${i}`),
    );
    const first = startMember('resumers', 'resume');
    await first.waitFor(
      () => events(first).filter((e) => e.event === 'record').length === 30,
      60_000,
      'first 30 records',
    );
    await first.terminate();
    expect(first.lines.some((l) => l.includes('"stopped"'))).toBe(true);
    const committed = await admin.fetchOffsets({ groupId: 'resumers', topics: ['resume'] });
    expect(committed[0]!.partitions.map((p) => Number(p.offset)).reduce((x, y) => x + y, 0)).toBe(30);

    await produce(
      'resume',
      Array.from({ length: 20 }, (_, i) => `second-${i}`),
    );
    const second = startMember('resumers', 'resume');
    await second.waitFor(
      () => events(second).filter((e) => e.event === 'record').length >= 20,
      60_000,
      'next 20 records',
    );
    const values = events(second)
      .filter((e) => e.event === 'record')
      .map((e) => e.value!);
    // Exactly the records produced after the commit: nothing re-read, nothing skipped.
    expect(values.sort()).toEqual(Array.from({ length: 20 }, (_, i) => `second-${i}`).sort());
    await admin.disconnect();
  });
});
