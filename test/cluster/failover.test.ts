import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerCluster } from '../support/broker-cluster.js';
import { describePartitions, waitForPartitions } from '../support/cluster-metadata.js';
import { JAVA_PROGRAMS, javaProgramsClasspath } from '../support/java-programs.js';
import { javaCommand, KAFKA_TOOLS, runKafkaTool } from '../support/kafka-jars.js';
import { LineProcess } from '../support/line-process.js';

/**
 * acks=all, RF 3, min ISR 2, an idempotent producer writing continuously while the partition's
 * leader is killed with SIGKILL: the producer carries on with the new leader, nothing acknowledged
 * is lost, nothing is written twice, order is kept; the old leader comes back, catches up and
 * rejoins the ISR.
 */
let cluster: BrokerCluster;
let classpath: string;

beforeAll(async () => {
  cluster = await BrokerCluster.start();
  classpath = await javaProgramsClasspath();
});
afterAll(async () => cluster?.destroy());

async function topics(args: string[]): Promise<string> {
  const result = await runKafkaTool(KAFKA_TOOLS.topics, ['--bootstrap-server', cluster.bootstrap, ...args]);
  if (result.code !== 0) throw new Error(result.stdout + result.stderr);
  return result.stdout;
}

describe('leader failover', () => {
  it('loses and duplicates nothing acknowledged when the leader is killed mid-stream', async () => {
    await topics([
      '--create',
      '--topic',
      'failover',
      '--partitions',
      '1',
      '--replication-factor',
      '3',
      '--config',
      'min.insync.replicas=2',
    ]);
    const [before] = await waitForPartitions(
      () => cluster.bootstrap,
      'failover',
      (p) => p[0]?.isr.length === 3,
      'a full ISR',
    );
    const [java, args] = await javaCommand(
      JAVA_PROGRAMS.idempotentProducer,
      [
        cluster.bootstrap,
        'failover',
        '-1',
        'rec',
        'linger.ms=2',
        'retry.backoff.ms=100',
        'metadata.max.age.ms=1000',
      ],
      { classpath },
    );
    const producer = new LineProcess(java, args);
    let killed = -1;
    try {
      await producer.waitFor(() => producer.count('ACK ') >= 2000, 120_000, '2000 acknowledgements');
      killed = before!.leader;
      await cluster.broker(killed).kill();
      const acked = producer.count('ACK ');
      await producer.waitFor(
        () => producer.count('ACK ') >= acked + 2000,
        120_000,
        'acknowledgements from the new leader',
      );
      const [after] = await describePartitions(cluster.bootstrap, 'failover');
      expect(after!.leader).not.toBe(killed);
      expect(after!.isr).not.toContain(killed);
    } finally {
      await producer.stop();
    }
    expect(producer.lines.filter((l) => l.startsWith('FAIL'))).toEqual([]);

    // The old leader returns, catches up from the new one and rejoins the ISR.
    await cluster.restartBroker(killed);
    await waitForPartitions(
      () => cluster.bootstrap,
      'failover',
      (p) => p[0]!.isr.includes(killed),
      'the old leader back in the ISR',
    );

    const acked = producer.lines.filter((l) => l.startsWith('ACK ')).map((l) => l.split(' '));
    const dump = await runKafkaTool(
      JAVA_PROGRAMS.assignSeekConsumer,
      [cluster.bootstrap, 'failover', '0', 'earliest', 'all', '120000'],
      {
        classpath,
        timeoutMs: 180_000,
      },
    );
    const records = dump.stdout
      .trim()
      .split('\n')
      .filter((l) => !l.startsWith('POSITION'))
      .map((l) => l.split(' '));
    records.forEach((r, i) => expect(Number(r[0])).toBe(i));
    const values = records.map((r) => r[2]!);
    expect(new Set(values).size).toBe(values.length);
    // Order is kept: values rise with offsets.
    const sequence = values.map((v) => Number(v.split('-')[1]));
    expect(sequence).toEqual([...sequence].sort((a, b) => a - b));
    const byOffset = new Map(records.map((r) => [Number(r[0]), r[2]]));
    expect(acked.filter(([, , offset, value]) => byOffset.get(Number(offset)) !== value)).toEqual([]);
  });
});
