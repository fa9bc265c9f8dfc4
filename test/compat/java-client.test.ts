import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerProcess } from '../support/broker-process.js';
import { JAVA_PROGRAMS, javaProgramsClasspath } from '../support/java-programs.js';
import { KAFKA_TOOLS, runKafkaTool } from '../support/kafka-jars.js';

/** The Apache Kafka Java client (from Maven Central) against a broker process. */
let broker: BrokerProcess;
let classpath: string;

beforeAll(async () => {
  broker = await BrokerProcess.start();
  classpath = await javaProgramsClasspath();
});
afterAll(async () => broker?.destroy());

async function java(main: string, args: string[]): Promise<string[]> {
  const result = await runKafkaTool(main, args, { classpath, timeoutMs: 120_000 });
  if (result.code !== 0) throw new Error(`${main} exited ${result.code}\n${result.stdout}\n${result.stderr}`);
  return result.stdout.trim().split('\n');
}

describe('Java client', () => {
  it('produces with the default settings (idempotence on, acks=all) and consumes with assign/seek', async () => {
    const produced = await java(JAVA_PROGRAMS.idempotentProducer, [
      broker.bootstrap,
      'java-topic',
      '500',
      'v',
    ]);
    expect(produced.at(-1)).toBe('DONE failures=0');
    const acks = produced.filter((l) => l.startsWith('ACK ')).map((l) => l.split(' '));
    expect(acks).toHaveLength(500);
    expect(new Set(acks.map((a) => a[2])).size).toBe(500);

    const all = await java(JAVA_PROGRAMS.assignSeekConsumer, [
      broker.bootstrap,
      'java-topic',
      '0',
      'earliest',
      '500',
      '60000',
    ]);
    const records = all.filter((l) => !l.startsWith('POSITION'));
    expect(records).toHaveLength(500);
    expect(records.map((l) => Number(l.split(' ')[0]))).toEqual(Array.from({ length: 500 }, (_, i) => i));
    expect(new Set(records.map((l) => l.split(' ')[2])).size).toBe(500);
    expect(all.at(-1)).toBe('POSITION 500');

    const fromMiddle = await java(JAVA_PROGRAMS.assignSeekConsumer, [
      broker.bootstrap,
      'java-topic',
      '0',
      '250',
      '10',
      '60000',
    ]);
    expect(fromMiddle[0]).toMatch(/^250 null v-/);
    expect(fromMiddle.filter((l) => !l.startsWith('POSITION'))).toHaveLength(10);
  });

  it('seeks to the end and sees only what is produced after', async () => {
    await java(JAVA_PROGRAMS.idempotentProducer, [broker.bootstrap, 'java-latest', '5', 'before']);
    const out = await java(JAVA_PROGRAMS.assignSeekConsumer, [
      broker.bootstrap,
      'java-latest',
      '0',
      'latest',
      '0',
      '5000',
    ]);
    expect(out).toEqual(['POSITION 5']);
  });

  it('reports exactly which records of a batch a compacted topic refused for having no key (per-record errors, KIP-467)', async () => {
    await runKafkaTool(KAFKA_TOOLS.topics, [
      '--bootstrap-server',
      broker.bootstrap,
      '--create',
      '--topic',
      'java-compacted',
      '--partitions',
      '1',
      '--config',
      'cleanup.policy=compact',
    ]);
    // 20 records in one batch, every odd one without a key.
    const keyless = Array.from({ length: 10 }, (_, i) => 2 * i + 1);
    const lines = await java(JAVA_PROGRAMS.keyedProducer, [
      broker.bootstrap,
      'java-compacted',
      '20',
      keyless.join(','),
      'retries=0',
    ]);
    const outcomes = lines.filter((l) => /^(OK|ERR) /.test(l));
    expect(outcomes).toHaveLength(20);
    const keylessMessage =
      'InvalidRecordException Compacted topic cannot accept message without key in topic partition java-compacted-0.';
    for (const line of outcomes) {
      const index = Number(line.split(' ')[1]);
      if (keyless.includes(index)) expect(line).toBe(`ERR ${index} ${keylessMessage}`);
      // The keyed records fail with the batch, with the client's own message, not the keyless one.
      else expect(line).toMatch(new RegExp(`^ERR ${index} \\w+ (?!Compacted)`));
    }
    // Nothing of the refused batch was appended.
    const end = await runKafkaTool(KAFKA_TOOLS.getOffsets, [
      '--bootstrap-server',
      broker.bootstrap,
      '--topic',
      'java-compacted',
    ]);
    expect(end.stdout.trim()).toBe('java-compacted:0:0');
  });
});
