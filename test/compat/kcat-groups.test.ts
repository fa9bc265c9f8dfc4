import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerProcess } from '../support/broker-process.js';
import { runCommand } from '../support/run-command.js';
import { waitUntil } from '../support/wait-until.js';
import { WatchedProcess } from '../support/watched-process.js';

/** kcat (librdkafka 2.0, from Debian) as balanced consumers (`-G`) against a broker process. */
const PARTITIONS = 4;
const ALL_PARTITIONS = Array.from({ length: PARTITIONS }, (_, p) => p);

let broker: BrokerProcess;
const consumers: WatchedProcess[] = [];

beforeAll(async () => {
  broker = await BrokerProcess.start({
    properties: { 'num.partitions': PARTITIONS, 'group.initial.rebalance.delay.ms': 0 },
  });
});
afterAll(async () => {
  for (const c of consumers) await c.kill();
  await broker?.destroy();
});

/** Produces `count` records "<prefix>-<p>-<i>" to each partition. */
async function produce(topic: string, prefix: string, count: number): Promise<string[]> {
  const values: string[] = [];
  for (const p of ALL_PARTITIONS) {
    const lines = Array.from({ length: count }, (_, i) => `${prefix}-${p}-${i}`);
    const result = await runCommand('kcat', ['-b', broker.bootstrap, '-P', '-t', topic, '-p', String(p)], {
      input: lines.join('\n') + '\n',
    });
    if (result.code !== 0) throw new Error(`kcat -P exited ${result.code}: ${result.stderr}`);
    values.push(...lines);
  }
  return values;
}

/** `kcat -G <group> <topic>`, printing "<partition> <offset> <value>" per record, unbuffered. */
function startGroupConsumer(label: string, group: string, topic: string): WatchedProcess {
  const consumer = new WatchedProcess(label, 'kcat', [
    '-b',
    broker.bootstrap,
    '-G',
    group,
    '-X',
    'auto.offset.reset=earliest',
    '-u',
    '-f',
    '%p %o %s\\n',
    topic,
  ]);
  consumers.push(consumer);
  return consumer;
}

const REBALANCE = /^% Group (\S+) rebalanced \(memberid (\S*)\): (assigned|revoked): ?(.*)$/;

interface Rebalance {
  readonly kind: 'assigned' | 'revoked';
  readonly partitions: number[];
}

/** kcat's "% Group ... rebalanced ..." stderr lines, in order. */
function rebalances(consumer: WatchedProcess): Rebalance[] {
  return consumer.stderr.flatMap((line) => {
    const m = REBALANCE.exec(line);
    if (!m) return [];
    const partitions = [...m[4]!.matchAll(/\[(\d+)\]/g)].map((p) => Number(p[1]));
    return [{ kind: m[3] as Rebalance['kind'], partitions: partitions.sort((a, b) => a - b) }];
  });
}

/** The partitions a (non-cooperative) kcat consumer holds now: its last assignment, unless revoked since. */
function owned(consumer: WatchedProcess): number[] {
  const last = rebalances(consumer).at(-1);
  return last?.kind === 'assigned' ? last.partitions : [];
}

function consumedValues(...group: WatchedProcess[]): string[] {
  return group.flatMap((c) => c.stdout.filter((l) => l !== '').map((l) => l.split(' ').slice(2).join(' ')));
}

function hasAll(consumed: readonly string[], expected: readonly string[]): boolean {
  const seen = new Set(consumed);
  return expected.every((v) => seen.has(v));
}

describe('kcat -G (balanced consumer groups)', () => {
  it('splits the partitions between two members, consumes every record once, and fails over on a clean stop', async () => {
    const topic = 'kcat-balanced';
    const group = 'kcat-group';
    const before = await produce(topic, 'before', 10);
    const tails = (): string => consumers.map((c) => c.tail()).join('\n');

    const first = startGroupConsumer('kcat-1', group, topic);
    await waitUntil(
      () => owned(first).length === PARTITIONS && hasAll(consumedValues(first), before),
      'the first member to own every partition and read the backlog',
      { describe: tails },
    );

    const second = startGroupConsumer('kcat-2', group, topic);
    await waitUntil(
      () => {
        const a = owned(first);
        const b = owned(second);
        return (
          a.length > 0 && b.length > 0 && [...a, ...b].sort((x, y) => x - y).join() === ALL_PARTITIONS.join()
        );
      },
      'the two members to share the partitions',
      { describe: tails },
    );
    expect(rebalances(second)[0]).toEqual({ kind: 'assigned', partitions: owned(second) });
    expect(owned(first).filter((p) => owned(second).includes(p))).toEqual([]);

    const shared = await produce(topic, 'shared', 10);
    await waitUntil(
      () => hasAll(consumedValues(first, second), [...before, ...shared]),
      'both members to read the second batch',
      { describe: tails },
    );
    // Each member read the new records of exactly its own partitions.
    for (const member of [first, second]) {
      const partitions = new Set(
        member.stdout.filter((l) => l.includes(' shared-')).map((l) => Number(l.split(' ')[0])),
      );
      expect([...partitions].sort()).toEqual(owned(member));
    }

    expect(await first.stop()).toBe(0);
    expect(rebalances(first).at(-1)?.kind).toBe('revoked');
    await waitUntil(
      () => owned(second).join() === ALL_PARTITIONS.join(),
      'the remaining member to take over every partition',
      { describe: tails },
    );

    const after = await produce(topic, 'after', 10);
    await waitUntil(
      () => hasAll(consumedValues(second), after),
      'the remaining member to read the last batch',
      { describe: tails },
    );
    // Every partition ends with records of the last batch, so a re-read of anything older
    // (a lost commit) would have shown up before them.
    expect(consumedValues(first, second).sort()).toEqual([...before, ...shared, ...after].sort());
    expect(await second.stop()).toBe(0);
  });
});
