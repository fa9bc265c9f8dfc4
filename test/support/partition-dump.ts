import { expect } from 'vitest';
import { JAVA_PROGRAMS } from './java-programs.js';
import { runKafkaTool } from './kafka-jars.js';

/**
 * Reads a whole partition with the Java consumer and checks it against what a producer was told:
 * offsets contiguous from 0, no value twice, and every acknowledged record at its acknowledged
 * offset. `ackLines` are the producer's "ACK <partition> <offset> <value>" lines.
 */
export async function expectPartitionHoldsAcknowledged(
  bootstrap: string,
  topic: string,
  partition: number,
  ackLines: readonly string[],
  classpath: string,
): Promise<string[]> {
  const dump = await runKafkaTool(
    JAVA_PROGRAMS.assignSeekConsumer,
    [bootstrap, topic, String(partition), 'earliest', 'all', '120000'],
    { classpath, timeoutMs: 180_000 },
  );
  const records = dump.stdout
    .trim()
    .split('\n')
    .filter((l) => l && !l.startsWith('POSITION'))
    .map((l) => l.split(' '));
  records.forEach((r, i) => expect(Number(r[0])).toBe(i));
  const values = records.map((r) => r[2]!);
  expect(new Set(values).size).toBe(values.length);
  const byOffset = new Map(records.map((r) => [Number(r[0]), r[2]]));
  const acked = ackLines.filter((l) => l.startsWith('ACK ')).map((l) => l.split(' '));
  expect(
    acked.filter(([, p, offset, value]) => Number(p) === partition && byOffset.get(Number(offset)) !== value),
  ).toEqual([]);
  return values;
}
