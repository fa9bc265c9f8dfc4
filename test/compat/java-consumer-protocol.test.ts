import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerProcess } from '../support/broker-process.js';
import { JAVA_PROGRAMS, javaProgramsClasspath } from '../support/java-programs.js';
import { javaCommand, KAFKA_TOOLS, runKafkaTool } from '../support/kafka-jars.js';
import { waitUntil } from '../support/wait-until.js';
import { WatchedProcess } from '../support/watched-process.js';

/**
 * The Java consumer 4.x with group.protocol=consumer (KIP-848) against a broker process: members
 * join and leave one group, the coordinator moves partitions between them (revoking before it
 * assigns), every record is read exactly once, and kafka-consumer-groups shows the members.
 */
const PARTITIONS = 6;
const TOPIC = 'java-kip848';
const GROUP = 'java-kip848-group';
const BATCH = 60;

let broker: BrokerProcess;
let classpath: string;
const running: WatchedProcess[] = [];

beforeAll(async () => {
  broker = await BrokerProcess.start({
    properties: { 'num.partitions': PARTITIONS, 'group.consumer.heartbeat.interval.ms': 1000 },
  });
  classpath = await javaProgramsClasspath();
});
afterAll(async () => {
  for (const p of running) await p.kill();
  await broker?.destroy();
});

async function produce(prefix: string): Promise<void> {
  const result = await runKafkaTool(
    JAVA_PROGRAMS.idempotentProducer,
    [
      broker.bootstrap,
      TOPIC,
      String(BATCH),
      prefix,
      'partitioner.class=org.apache.kafka.clients.producer.RoundRobinPartitioner',
    ],
    { classpath, timeoutMs: 120_000 },
  );
  expect(result.stdout.trim().split('\n').at(-1)).toBe('DONE failures=0');
}

async function member(name: string): Promise<WatchedProcess> {
  const [command, args] = await javaCommand(
    JAVA_PROGRAMS.subscribeConsumer,
    [
      broker.bootstrap,
      GROUP,
      TOPIC,
      '-1',
      '600000',
      'group.protocol=consumer',
      `client.id=${name}`,
      'auto.commit.interval.ms=500',
    ],
    { classpath },
  );
  const process = new WatchedProcess(name, command, args);
  running.push(process);
  return process;
}

/** The partitions a member owns now, from its incremental ASSIGNED and REVOKED lines. */
function owned(process: WatchedProcess): Set<number> {
  const partitions = new Set<number>();
  for (const line of process.stdout) {
    const [what, list] = line.split(' ');
    const ps = (list ?? '')
      .split(',')
      .filter((p) => p !== '')
      .map(Number);
    if (what === 'ASSIGNED') for (const p of ps) partitions.add(p);
    if (what === 'REVOKED') for (const p of ps) partitions.delete(p);
  }
  return partitions;
}

function values(processes: readonly WatchedProcess[]): string[] {
  return processes.flatMap((p) =>
    p.stdout.filter((l) => l.startsWith('RECORD ')).map((l) => l.split(' ')[3]!),
  );
}

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

async function shares(members: readonly WatchedProcess[]): Promise<void> {
  await waitUntil(
    () => {
      const sets = members.map(owned);
      const all = sets.flatMap((s) => [...s]);
      const quota = Math.floor(PARTITIONS / members.length);
      return (
        all.length === PARTITIONS && new Set(all).size === PARTITIONS && sets.every((s) => s.size >= quota)
      );
    },
    `${members.length} members to share the partitions`,
    { timeoutMs: 60_000 },
  );
}

describe('Java consumer with group.protocol=consumer', () => {
  it('members share the partitions as they join and leave, and every record is read exactly once', async () => {
    await produce('a');
    const a = await member('kip848-a');
    await shares([a]);
    await waitUntil(() => values([a]).length === BATCH, 'the first member to read the first batch', {
      timeoutMs: 60_000,
    });
    const b = await member('kip848-b');
    await shares([a, b]);
    await produce('b');
    const c = await member('kip848-c');
    await shares([a, b, c]);
    await produce('c');
    await waitUntil(() => values([a, b, c]).length >= 3 * BATCH, 'three batches to be read', {
      timeoutMs: 60_000,
    });

    const described = await consumerGroups(['--describe', '--group', GROUP, '--members']);
    const rows = described
      .split('\n')
      .map((l) => l.trim().split(/\s+/))
      .filter((cells) => cells[0] === GROUP);
    expect(rows).toHaveLength(3);
    expect(rows.map((r) => r[3]).sort()).toEqual(['kip848-a', 'kip848-b', 'kip848-c']);
    expect(
      (await consumerGroups(['--list', '--type']))
        .split('\n')
        .some((l) => /java-kip848-group\s+Consumer/.test(l)),
    ).toBe(true);

    await b.stop();
    await shares([a, c]);
    await produce('d');
    await waitUntil(() => values([a, b, c]).length >= 4 * BATCH, 'four batches to be read', {
      timeoutMs: 60_000,
    });
    await new Promise((r) => setTimeout(r, 1500));
    const seen = values([a, b, c]);
    expect(seen).toHaveLength(4 * BATCH);
    expect(new Set(seen).size).toBe(4 * BATCH);
    await a.stop();
    await c.stop();
  });

  it('a new member resumes from the committed offsets', async () => {
    await produce('e');
    const d = await member('kip848-d');
    await waitUntil(() => values([d]).length >= BATCH, 'the last batch to be read', { timeoutMs: 60_000 });
    await new Promise((r) => setTimeout(r, 1500));
    expect(values([d])).toHaveLength(BATCH);
    expect(values([d]).every((v) => v.startsWith('e'))).toBe(true);
    await d.stop();
  });
});
