import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerProcess } from '../support/broker-process.js';
import { JAVA_PROGRAMS, javaProgramsClasspath } from '../support/java-programs.js';
import { javaCommand, KAFKA_TOOLS, runKafkaTool } from '../support/kafka-jars.js';
import { waitUntil } from '../support/wait-until.js';
import { WatchedProcess } from '../support/watched-process.js';

/**
 * The Java consumer in a group (subscribe, auto-commit, the classic protocol) and Kafka's own
 * kafka-consumer-groups tool against a broker process.
 */
const PARTITIONS = 3;
const RECORDS = 60;
const TOPIC = 'java-groups';
const GROUP = 'java-group';
const FROM_THE_START = Array.from({ length: PARTITIONS }, () => 0);

let broker: BrokerProcess;
let classpath: string;
const running: WatchedProcess[] = [];

beforeAll(async () => {
  broker = await BrokerProcess.start({
    properties: { 'num.partitions': PARTITIONS, 'group.initial.rebalance.delay.ms': 0 },
  });
  classpath = await javaProgramsClasspath();
});
afterAll(async () => {
  for (const p of running) await p.kill();
  await broker?.destroy();
});

async function java(main: string, args: string[]): Promise<string[]> {
  const result = await runKafkaTool(main, args, { classpath, timeoutMs: 120_000 });
  if (result.code !== 0) throw new Error(`${main} exited ${result.code}\n${result.stdout}\n${result.stderr}`);
  return result.stdout.trim().split('\n');
}

interface Consumed {
  readonly partition: number;
  readonly offset: number;
  readonly value: string;
}

function records(lines: readonly string[]): Consumed[] {
  return lines
    .filter((l) => l.startsWith('RECORD '))
    .map((l) => {
      const [, partition, offset, value] = l.split(' ');
      return { partition: Number(partition), offset: Number(offset), value: value! };
    });
}

/** SubscribeConsumer: reads `count` records in the group, then closes (committing them). */
async function consume(count: number): Promise<{ lines: string[]; records: Consumed[] }> {
  const lines = await java(JAVA_PROGRAMS.subscribeConsumer, [
    broker.bootstrap,
    GROUP,
    TOPIC,
    String(count),
    '90000',
  ]);
  expect(lines.at(-1)).toBe(`CLOSED ${count}`);
  return { lines, records: records(lines) };
}

/** kafka-consumer-groups; stdout and stderr together, as a user sees them. */
async function consumerGroups(args: string[]): Promise<string> {
  const result = await runKafkaTool(
    KAFKA_TOOLS.consumerGroups,
    ['--bootstrap-server', broker.bootstrap, ...args],
    {
      timeoutMs: 120_000,
    },
  );
  return result.stdout + result.stderr;
}

/** The rows of the tool's tables that belong to the group, split on whitespace. */
function rows(output: string): string[][] {
  return output
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((cells) => cells[0] === GROUP);
}

interface OffsetRow {
  readonly partition: number;
  readonly current: string;
  readonly logEnd: string;
  readonly lag: string;
  readonly consumerId: string;
}

/** `--describe`: GROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG CONSUMER-ID HOST CLIENT-ID. */
async function describeOffsets(): Promise<OffsetRow[]> {
  const out = await consumerGroups(['--describe', '--group', GROUP]);
  expect(out).toMatch(
    /GROUP\s+TOPIC\s+PARTITION\s+CURRENT-OFFSET\s+LOG-END-OFFSET\s+LAG\s+CONSUMER-ID\s+HOST\s+CLIENT-ID/,
  );
  return rows(out)
    .filter((cells) => cells[1] === TOPIC)
    .map((cells) => ({
      partition: Number(cells[2]),
      current: cells[3]!,
      logEnd: cells[4]!,
      lag: cells[5]!,
      consumerId: cells[6]!,
    }))
    .sort((a, b) => a.partition - b.partition);
}

async function groupState(): Promise<string | undefined> {
  const out = await consumerGroups(['--describe', '--group', GROUP, '--state']);
  // GROUP COORDINATOR (ID) ASSIGNMENT-STRATEGY STATE #MEMBERS: the coordinator takes two cells.
  return rows(out)[0]?.at(-2);
}

/** Per partition: how many records `consumed` holds, checking they are contiguous from `from`. */
function countsFrom(consumed: readonly Consumed[], from: readonly number[]): number[] {
  return from.map((start, p) => {
    const offsets = consumed.filter((r) => r.partition === p).map((r) => r.offset);
    expect(offsets).toEqual(offsets.map((_, i) => start + i));
    return offsets.length;
  });
}

describe('Java consumer group with auto-commit, and kafka-consumer-groups', () => {
  const produced: string[] = [];
  /** Records per partition (the log end offsets). */
  const logEnd: number[] = Array.from({ length: PARTITIONS }, () => 0);
  /** Per partition, how many records the first run read. */
  let firstRun: number[] = [];

  it('a second run of the consumer resumes from the offsets the first committed', async () => {
    const acks = await java(JAVA_PROGRAMS.idempotentProducer, [
      broker.bootstrap,
      TOPIC,
      String(RECORDS),
      'v',
      'partitioner.class=org.apache.kafka.clients.producer.RoundRobinPartitioner',
    ]);
    expect(acks.at(-1)).toBe('DONE failures=0');
    for (const line of acks.filter((l) => l.startsWith('ACK '))) {
      const [, partition, , value] = line.split(' ');
      logEnd[Number(partition)]!++;
      produced.push(value!);
    }
    expect(produced).toHaveLength(RECORDS);

    const first = await consume(40);
    expect(first.lines[0]).toBe('ASSIGNED 0,1,2');
    firstRun = countsFrom(first.records, FROM_THE_START);

    const second = await consume(RECORDS - 40);
    countsFrom(second.records, firstRun);
    expect([...first.records, ...second.records].map((r) => r.value).sort()).toEqual([...produced].sort());
  });

  it('lists the group and describes its committed offsets, log end offsets and lag', async () => {
    expect((await consumerGroups(['--list'])).split('\n')).toContain(GROUP);
    const described = await consumerGroups(['--describe', '--group', GROUP]);
    expect(described).toContain(`Consumer group '${GROUP}' has no active members.`);
    expect(await describeOffsets()).toEqual(
      logEnd.map((end, partition) => ({
        partition,
        current: String(end),
        logEnd: String(end),
        lag: '0',
        consumerId: '-',
      })),
    );
    expect(await groupState()).toBe('Empty');
  });

  it('describes the members of a running group and refuses to delete it or reset its offsets', async () => {
    const [command, args] = await javaCommand(
      JAVA_PROGRAMS.subscribeConsumer,
      [broker.bootstrap, GROUP, TOPIC, '-1', '600000', 'client.id=java-groups-member'],
      { classpath },
    );
    const member = new WatchedProcess('SubscribeConsumer', command, args);
    running.push(member);
    await member.waitFor(
      () => member.stdout.includes('ASSIGNED 0,1,2'),
      'the member to be assigned every partition',
    );

    const members = rows(await consumerGroups(['--describe', '--group', GROUP, '--members']));
    // GROUP CONSUMER-ID HOST CLIENT-ID #PARTITIONS
    expect(members).toHaveLength(1);
    const [, memberId, host, clientId, partitionCount] = members[0]!;
    expect(memberId).toMatch(/^java-groups-member-/);
    expect(host).toBe('/127.0.0.1');
    expect(clientId).toBe('java-groups-member');
    expect(partitionCount).toBe(String(PARTITIONS));
    const verbose = rows(await consumerGroups(['--describe', '--group', GROUP, '--members', '--verbose']));
    expect(verbose[0]).toContain(`${TOPIC}:0,1,2`);

    const offsets = await describeOffsets();
    expect(offsets.map((r) => r.consumerId)).toEqual(logEnd.map(() => memberId));
    expect(offsets.map((r) => r.lag)).toEqual(logEnd.map(() => '0'));
    expect(await groupState()).toBe('Stable');

    expect(await consumerGroups(['--delete', '--group', GROUP])).toContain(
      `Error: Deletion of some consumer groups failed:\n* Group '${GROUP}' could not be deleted due to: org.apache.kafka.common.errors.GroupNotEmptyException: The group is not empty.`,
    );
    expect(
      await consumerGroups([
        '--reset-offsets',
        '--group',
        GROUP,
        '--topic',
        TOPIC,
        '--to-earliest',
        '--execute',
      ]),
    ).toContain(
      `Error: Assignments can only be reset if the group '${GROUP}' is inactive, but the current state is Stable.`,
    );
    expect((await describeOffsets()).map((r) => r.current)).toEqual(logEnd.map(String));

    await member.stop();
    expect(member.stdout.at(-1)).toBe('CLOSED 0');
    // The member left the group as it closed.
    await waitUntil(async () => (await groupState()) === 'Empty', 'the group to be empty');
  });

  it('resets the offsets of an inactive group to the earliest, so the next run reads everything again', async () => {
    const reset = rows(
      await consumerGroups([
        '--reset-offsets',
        '--group',
        GROUP,
        '--topic',
        TOPIC,
        '--to-earliest',
        '--execute',
      ]),
    );
    // GROUP TOPIC PARTITION NEW-OFFSET
    expect(reset.map((cells) => cells.slice(1)).sort()).toEqual(
      logEnd.map((_, p) => [TOPIC, String(p), '0']),
    );
    expect(await describeOffsets()).toEqual(
      logEnd.map((end, partition) => ({
        partition,
        current: '0',
        logEnd: String(end),
        lag: String(end),
        consumerId: '-',
      })),
    );

    const again = await consume(RECORDS);
    countsFrom(again.records, FROM_THE_START);
    expect(again.records.map((r) => r.value).sort()).toEqual([...produced].sort());
  });

  it('deletes the group', async () => {
    expect(await consumerGroups(['--delete', '--group', GROUP])).toContain(
      `Deletion of requested consumer groups ('${GROUP}') was successful.`,
    );
    expect((await consumerGroups(['--list'])).split('\n')).not.toContain(GROUP);
    expect(await consumerGroups(['--delete', '--group', GROUP])).toContain(
      `* Group '${GROUP}' could not be deleted due to: org.apache.kafka.common.errors.GroupIdNotFoundException: The group id does not exist.`,
    );
  });
});
