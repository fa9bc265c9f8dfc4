import type * as RdKafka from 'node-rdkafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerProcess } from '../support/broker-process.js';
import { produceAll, rdkafka } from '../support/rdkafka.js';
import { waitUntil } from '../support/wait-until.js';

/**
 * librdkafka 2.12 (node-rdkafka) consumer groups with the cooperative-sticky assignor: incremental
 * rebalances driven by an application rebalance_cb, as @confluentinc/kafka-javascript does it.
 */
const PARTITIONS = 6;
const ALL_PARTITIONS = Array.from({ length: PARTITIONS }, (_, p) => p);

let broker: BrokerProcess;
const members: Member[] = [];

beforeAll(async () => {
  broker = await BrokerProcess.start({
    properties: { 'num.partitions': PARTITIONS, 'group.initial.rebalance.delay.ms': 0 },
  });
});
afterAll(async () => {
  for (const m of members) await m.close();
  await broker?.destroy();
});

interface Rebalance {
  readonly kind: 'assigned' | 'revoked';
  readonly partitions: number[];
}

interface Consumed {
  readonly partition: number;
  readonly offset: number;
  readonly value: string;
}

/** Every rebalance callback, across all members, checks that no partition is owned twice. */
const ownershipViolations: string[] = [];

/** One group member: a flowing KafkaConsumer with an incremental rebalance_cb. */
class Member {
  readonly owned = new Set<number>();
  readonly rebalances: Rebalance[] = [];
  readonly consumed: Consumed[] = [];
  readonly errors: string[] = [];
  private readonly consumer: RdKafka.KafkaConsumer;
  private connected = false;

  constructor(
    readonly name: string,
    group: string,
  ) {
    this.consumer = new rdkafka.KafkaConsumer(
      {
        'bootstrap.servers': broker.bootstrap,
        'group.id': group,
        'client.id': name,
        'partition.assignment.strategy': 'cooperative-sticky',
        'heartbeat.interval.ms': 500,
        'enable.auto.commit': true,
        // A function (not `true`) makes the application assign and unassign, incrementally.
        rebalance_cb: (err: RdKafka.LibrdKafkaError, assignment: RdKafka.Assignment[]) =>
          this.onRebalance(err, assignment),
      },
      { 'auto.offset.reset': 'earliest' },
    );
    this.consumer.on('data', (m) =>
      this.consumed.push({ partition: m.partition, offset: m.offset, value: String(m.value) }),
    );
    this.consumer.on('event.error', (e) => this.errors.push(e.message));
    members.push(this);
  }

  private onRebalance(err: RdKafka.LibrdKafkaError, assignment: RdKafka.Assignment[]): void {
    const partitions = assignment.map((a) => a.partition).sort((a, b) => a - b);
    if (err.code === rdkafka.CODES.ERRORS.ERR__ASSIGN_PARTITIONS) {
      const protocol = this.consumer.rebalanceProtocol();
      if (protocol !== 'COOPERATIVE') this.errors.push(`assigned with rebalance protocol ${protocol}`);
      for (const p of partitions) {
        const holder = members.find((m) => m !== this && m.owned.has(p));
        if (holder) ownershipViolations.push(`${this.name} assigned ${p} still owned by ${holder.name}`);
        this.owned.add(p);
      }
      // Every cooperative rebalance calls back with an assignment, often an empty one.
      if (partitions.length > 0) this.rebalances.push({ kind: 'assigned', partitions });
      this.consumer.incrementalAssign(assignment);
    } else if (err.code === rdkafka.CODES.ERRORS.ERR__REVOKE_PARTITIONS) {
      this.consumer.incrementalUnassign(assignment);
      for (const p of partitions) this.owned.delete(p);
      this.rebalances.push({ kind: 'revoked', partitions });
    } else {
      this.errors.push(`rebalance error: ${err.message}`);
    }
  }

  async start(topic: string): Promise<this> {
    await new Promise<void>((resolve, reject) =>
      this.consumer.connect({}, (error) => (error ? reject(new Error(error.message)) : resolve())),
    );
    this.connected = true;
    this.consumer.subscribe([topic]);
    this.consumer.consume();
    return this;
  }

  ownedPartitions(): number[] {
    return [...this.owned].sort((a, b) => a - b);
  }

  /** A clean close: leaves the group after committing what was consumed. */
  async close(): Promise<void> {
    if (!this.connected) return;
    this.connected = false;
    await new Promise<void>((resolve) => this.consumer.disconnect(() => resolve()));
  }

  describe(): string {
    return `${this.name}: owns [${this.ownedPartitions().join()}], rebalances ${JSON.stringify(this.rebalances)}, consumed ${this.consumed.length}, errors ${JSON.stringify(this.errors)}`;
  }
}

/** Produces `count` records "<prefix>-<p>-<i>" to every partition. */
async function produce(topic: string, prefix: string, count: number): Promise<string[]> {
  const values: string[] = [];
  for (const p of ALL_PARTITIONS) {
    const batch = Array.from({ length: count }, (_, i) => `${prefix}-${p}-${i}`);
    await produceAll({ 'bootstrap.servers': broker.bootstrap }, topic, batch, p);
    values.push(...batch);
  }
  return values;
}

function consumedBy(...group: Member[]): string[] {
  return group.flatMap((m) => m.consumed.map((c) => c.value));
}

function hasAll(consumed: readonly string[], expected: readonly string[]): boolean {
  const seen = new Set(consumed);
  return expected.every((v) => seen.has(v));
}

/** Whether the members own every partition between them, each exactly once. */
function partitionsCoveredOnce(...group: Member[]): boolean {
  const all = group.flatMap((m) => m.ownedPartitions()).sort((a, b) => a - b);
  return all.join() === ALL_PARTITIONS.join();
}

function describeMembers(): string {
  return members.map((m) => m.describe()).join('\n');
}

async function committedOffsets(group: string, topic: string): Promise<number[]> {
  const probe = new rdkafka.KafkaConsumer(
    { 'bootstrap.servers': broker.bootstrap, 'group.id': group, 'enable.auto.commit': false },
    {},
  );
  await new Promise<void>((resolve, reject) =>
    probe.connect({}, (error) => (error ? reject(new Error(error.message)) : resolve())),
  );
  try {
    const offsets = await new Promise<RdKafka.TopicPartitionOffset[]>((resolve, reject) =>
      probe.committed(
        ALL_PARTITIONS.map((partition) => ({ topic, partition })),
        30_000,
        (error, got) => (error ? reject(new Error(error.message)) : resolve(got)),
      ),
    );
    return offsets.sort((a, b) => a.partition - b.partition).map((o) => o.offset);
  } finally {
    await new Promise<void>((resolve) => probe.disconnect(() => resolve()));
  }
}

describe('librdkafka cooperative-sticky consumer group', () => {
  const topic = 'rdkafka-cooperative';
  const group = 'rdkafka-cooperative-group';
  const produced: string[] = [];

  it('rebalances incrementally between two members, each partition owned once, each record read once', async () => {
    produced.push(...(await produce(topic, 'a', 10)));
    const first = await new Member('member-1', group).start(topic);
    await waitUntil(
      () => first.ownedPartitions().join() === ALL_PARTITIONS.join() && hasAll(consumedBy(first), produced),
      'the first member to own every partition and read the backlog',
      { describe: describeMembers },
    );
    expect(first.rebalances).toEqual([{ kind: 'assigned', partitions: ALL_PARTITIONS }]);

    const second = await new Member('member-2', group).start(topic);
    await waitUntil(
      () => second.owned.size > 0 && first.owned.size > 0 && partitionsCoveredOnce(first, second),
      'the partitions to be shared between two members',
      { describe: describeMembers },
    );
    // Cooperative: the first member gave up only what moved, in one incremental revocation,
    // and kept the rest throughout.
    expect(first.rebalances.slice(1)).toEqual([{ kind: 'revoked', partitions: second.ownedPartitions() }]);
    expect(second.rebalances).toEqual([{ kind: 'assigned', partitions: second.ownedPartitions() }]);
    expect(Math.abs(first.owned.size - second.owned.size)).toBeLessThanOrEqual(1);

    produced.push(...(await produce(topic, 'b', 10)));
    await waitUntil(
      () => hasAll(consumedBy(first, second), produced),
      'both members to read the second batch',
      {
        describe: describeMembers,
      },
    );
    for (const member of [first, second]) {
      const partitions = new Set(
        member.consumed.filter((c) => c.value.startsWith('b-')).map((c) => c.partition),
      );
      expect([...partitions].sort((a, b) => a - b)).toEqual(member.ownedPartitions());
    }

    const keptBySecond = second.ownedPartitions();
    await first.close();
    await waitUntil(
      () => second.ownedPartitions().join() === ALL_PARTITIONS.join(),
      'the remaining member to take over every partition',
      { describe: describeMembers },
    );
    // The survivor's own partitions were never revoked: it was only given the departed member's.
    expect(second.rebalances).toEqual([
      { kind: 'assigned', partitions: keptBySecond },
      { kind: 'assigned', partitions: ALL_PARTITIONS.filter((p) => !keptBySecond.includes(p)) },
    ]);

    produced.push(...(await produce(topic, 'c', 10)));
    await waitUntil(
      () => hasAll(consumedBy(first, second), produced),
      'the remaining member to read the last batch',
      {
        describe: describeMembers,
      },
    );
    // Every partition ends with records of the last batch, so a re-read of anything older (a
    // commit lost in a rebalance) would have arrived before them.
    expect(consumedBy(first, second).sort()).toEqual([...produced].sort());
    expect(ownershipViolations).toEqual([]);
    await second.close();
    expect([...first.errors, ...second.errors]).toEqual([]);
  });

  it('a member that starts later resumes from the offsets the group committed', async () => {
    expect(await committedOffsets(group, topic)).toEqual(ALL_PARTITIONS.map(() => 30));
    const later = await produce(topic, 'd', 5);
    const third = await new Member('member-3', group).start(topic);
    await waitUntil(() => hasAll(consumedBy(third), later), 'the third member to read the new records', {
      describe: describeMembers,
    });
    expect(third.rebalances).toEqual([{ kind: 'assigned', partitions: ALL_PARTITIONS }]);
    expect(consumedBy(third).sort()).toEqual([...later].sort());
    for (const p of ALL_PARTITIONS) {
      expect(third.consumed.filter((c) => c.partition === p).map((c) => c.offset)).toEqual([
        30, 31, 32, 33, 34,
      ]);
    }
    await third.close();
    expect(await committedOffsets(group, topic)).toEqual(ALL_PARTITIONS.map(() => 35));
    expect(ownershipViolations).toEqual([]);
  });
});
