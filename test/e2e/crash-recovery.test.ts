import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerProcess } from '../support/broker-process.js';
import { JAVA_PROGRAMS, javaProgramsClasspath } from '../support/java-programs.js';
import { javaCommand, runKafkaTool } from '../support/kafka-jars.js';
import { LineProcess } from '../support/line-process.js';

/**
 * kill -9 of the broker in the middle of a continuous idempotent produce: after the restart every
 * acknowledged record is in the log at the offset it was acknowledged with, offsets are
 * contiguous, and nothing is duplicated.
 */
let broker: BrokerProcess;
let classpath: string;

beforeAll(async () => {
  broker = await BrokerProcess.start();
  classpath = await javaProgramsClasspath();
});
afterAll(async () => broker?.destroy());

describe('crash recovery', () => {
  it('keeps every acknowledged record, contiguous and without duplicates, across kill -9', async () => {
    const [java, args] = await javaCommand(
      JAVA_PROGRAMS.idempotentProducer,
      [
        broker.bootstrap,
        'crash',
        '-1',
        'rec',
        'linger.ms=2',
        'retry.backoff.ms=50',
        'reconnect.backoff.max.ms=200',
      ],
      { classpath },
    );
    const producer = new LineProcess(java, args);
    try {
      await producer.waitFor(() => producer.count('ACK ') >= 3000, 120_000, '3000 acknowledgements');
      await broker.kill();
      const ackedBeforeCrash = producer.count('ACK ');
      broker = await broker.restart();
      await producer.waitFor(
        () => producer.count('ACK ') >= ackedBeforeCrash + 3000,
        120_000,
        'acknowledgements after the restart',
      );
    } finally {
      await producer.stop();
    }
    expect(producer.lines.filter((l) => l.startsWith('FAIL'))).toEqual([]);
    const acked = producer.lines
      .filter((l) => l.startsWith('ACK '))
      .map((l) => {
        const [, , offset, value] = l.split(' ');
        return { offset: Number(offset), value: value! };
      });

    const dump = await runKafkaTool(
      JAVA_PROGRAMS.assignSeekConsumer,
      [broker.bootstrap, 'crash', '0', 'earliest', 'all', '120000'],
      { classpath, timeoutMs: 120_000 },
    );
    const records = dump.stdout
      .trim()
      .split('\n')
      .filter((l) => !l.startsWith('POSITION'))
      .map((l) => {
        const [offset, , value] = l.split(' ');
        return { offset: Number(offset), value: value! };
      });
    // Offsets are contiguous from 0.
    records.forEach((r, i) => expect(r.offset).toBe(i));
    // No value appears twice: the idempotent producer's retries were recognised as duplicates.
    expect(new Set(records.map((r) => r.value)).size).toBe(records.length);
    // Every acknowledged record is there, at its acknowledged offset.
    const byOffset = new Map(records.map((r) => [r.offset, r.value]));
    const missing = acked.filter((a) => byOffset.get(a.offset) !== a.value);
    expect(missing).toEqual([]);
    expect(acked.length).toBeGreaterThanOrEqual(6000);
  });
});
