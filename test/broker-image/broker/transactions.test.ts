import { afterEach, describe, expect, it } from 'vitest';
import { BrokerProcess } from '../../support/broker-process.js';
import { KAFKA_TOOLS, runKafkaTool } from '../../support/kafka-jars.js';
import { withRawClient } from '../../support/raw-client.js';
import { createTopics, produceValues } from '../../support/raw-requests.js';
import { runCommand } from '../../support/run-command.js';
import {
  READ_COMMITTED,
  READ_UNCOMMITTED,
  describeProducers,
  fetchIsolated,
  latestOffset,
  produceInTransaction,
  writeMarker,
} from '../../support/transactional-requests.js';

let broker: BrokerProcess | undefined;
afterEach(async () => broker?.destroy());

/** kcat (librdkafka) reads a partition from the start to its end under an isolation level. */
async function kcatRead(topic: string, isolation: 'read_committed' | 'read_uncommitted'): Promise<string[]> {
  const result = await runCommand('kcat', [
    '-b',
    broker!.bootstrap,
    '-C',
    '-t',
    topic,
    '-p',
    '0',
    '-o',
    'beginning',
    '-e',
    '-q',
    '-X',
    `isolation.level=${isolation}`,
    '-f',
    '%s\\n',
  ]);
  if (result.code !== 0) throw new Error(`kcat: ${result.stderr}`);
  return result.stdout.split('\n').filter((line) => line.length > 0);
}

const committing = { transactionalId: 'tx-commit', producerId: 4001, producerEpoch: 0 };
const aborting = { transactionalId: 'tx-abort', producerId: 4002, producerEpoch: 0 };

describe('transactions in the log, through the wire', () => {
  it('shows read_committed consumers only committed records, once their markers are written', async () => {
    broker = await BrokerProcess.start();
    await withRawClient(broker.port, async (client) => {
      await createTopics(client, [{ name: 'txn', partitions: 1 }]);
      await produceValues(client, 'txn', 0, ['plain-1']); // 0
      await produceInTransaction(client, committing, { topic: 'txn', partition: 0, baseSequence: 0 }, [
        'c1',
        'c2',
      ]); // 1-2
      await produceInTransaction(client, aborting, { topic: 'txn', partition: 0, baseSequence: 0 }, [
        'a1',
        'a2',
      ]); // 3-4
      await produceValues(client, 'txn', 0, ['plain-2']); // 5

      // Both transactions open: the LSO is held at the first one.
      expect(await latestOffset(client, 'txn', 0, READ_UNCOMMITTED)).toBe(6);
      expect(await latestOffset(client, 'txn', 0, READ_COMMITTED)).toBe(1);
      const open = await fetchIsolated(client, 'txn', 0, 0, READ_COMMITTED);
      expect(open).toMatchObject({
        highWatermark: 6,
        lastStableOffset: 1,
        abortedTransactions: [],
        values: ['plain-1'],
      });
      expect((await fetchIsolated(client, 'txn', 0, 0, READ_UNCOMMITTED)).abortedTransactions).toBeNull();
      const producers = await describeProducers(client, 'txn', 0);
      expect(producers.errorCode).toBe(0);
      expect(
        producers.activeProducers
          .map((p) => [p.producerId, p.currentTxnStartOffset])
          .sort((a, b) => a[0]! - b[0]!),
      ).toEqual([
        [4001, 1],
        [4002, 3],
      ]);
    });
    expect(await kcatRead('txn', 'read_committed')).toEqual(['plain-1']);

    // kafka-transactions reads the same producer state through DescribeProducers.
    const described = await runKafkaTool(KAFKA_TOOLS.transactions, [
      '--bootstrap-server',
      broker.bootstrap,
      'describe-producers',
      '--topic',
      'txn',
      '--partition',
      '0',
    ]);
    expect(described.code).toBe(0);
    // Columns: ProducerId, ProducerEpoch, LatestCoordinatorEpoch, LastSequence, LastTimestamp, CurrentTransactionStartOffset.
    expect(described.stdout).toMatch(/\n4001\s+0\s+-1\s+1\s+\d+\s+1\s/);
    expect(described.stdout).toMatch(/\n4002\s+0\s+-1\s+1\s+\d+\s+3\s/);

    await withRawClient(broker.port, async (client) => {
      expect(
        await writeMarker(client, {
          ...aborting,
          committed: false,
          partitions: [
            { topic: 'txn', partition: 0 },
            { topic: 'txn', partition: 7 },
            { topic: 'nowhere', partition: 0 },
          ],
        }),
      ).toEqual({ 'txn-0': 0, 'txn-7': 3, 'nowhere-0': 3 }); // 6; UNKNOWN_TOPIC_OR_PARTITION
      // The aborted transaction ended but the committing one still holds the LSO.
      expect(await latestOffset(client, 'txn', 0, READ_COMMITTED)).toBe(1);
      expect(
        await writeMarker(client, {
          ...committing,
          committed: true,
          partitions: [{ topic: 'txn', partition: 0 }],
        }),
      ).toEqual({
        'txn-0': 0,
      }); // 7
      expect(await latestOffset(client, 'txn', 0, READ_COMMITTED)).toBe(8);
      const done = await fetchIsolated(client, 'txn', 0, 0, READ_COMMITTED);
      expect(done).toMatchObject({
        lastStableOffset: 8,
        abortedTransactions: [{ producerId: 4002, firstOffset: 3 }],
        controlBatches: 2,
      });
      // A stale epoch is fenced.
      expect(
        await writeMarker(client, {
          ...committing,
          producerEpoch: -1,
          committed: true,
          partitions: [{ topic: 'txn', partition: 0 }],
        }),
      ).toEqual({ 'txn-0': 47 }); // INVALID_PRODUCER_EPOCH
    });
    expect(await kcatRead('txn', 'read_committed')).toEqual(['plain-1', 'c1', 'c2', 'plain-2']);
    expect(await kcatRead('txn', 'read_uncommitted')).toEqual(['plain-1', 'c1', 'c2', 'a1', 'a2', 'plain-2']);
  });

  it('keeps an open transaction across kill -9: the LSO stays held until the ABORT marker', async () => {
    broker = await BrokerProcess.start({ properties: { 'log.segment.bytes': 1024 } });
    await withRawClient(broker.port, async (client) => {
      await createTopics(client, [{ name: 'crash-txn', partitions: 1 }]);
      for (let i = 0; i < 20; i++) await produceValues(client, 'crash-txn', 0, [`before-${i}`]);
      await produceInTransaction(client, aborting, { topic: 'crash-txn', partition: 0, baseSequence: 0 }, [
        'doomed-1',
      ]);
      for (let i = 0; i < 5; i++) await produceValues(client, 'crash-txn', 0, [`after-${i}`]);
      expect(await latestOffset(client, 'crash-txn', 0, READ_COMMITTED)).toBe(20);
    });
    await broker.kill();
    broker = await broker.restart();
    const loaded = await broker.waitForLog((l) => l.msg === 'loaded logs');
    expect(loaded.cleanShutdown).toBe(false);
    await withRawClient(broker.port, async (client) => {
      expect(await latestOffset(client, 'crash-txn', 0, READ_UNCOMMITTED)).toBe(26);
      expect(await latestOffset(client, 'crash-txn', 0, READ_COMMITTED)).toBe(20);
      expect(
        await writeMarker(client, {
          ...aborting,
          committed: false,
          partitions: [{ topic: 'crash-txn', partition: 0 }],
        }),
      ).toEqual({
        'crash-txn-0': 0,
      });
      expect(await latestOffset(client, 'crash-txn', 0, READ_COMMITTED)).toBe(27);
    });
    const expected = [
      ...Array.from({ length: 20 }, (_, i) => `before-${i}`),
      ...Array.from({ length: 5 }, (_, i) => `after-${i}`),
    ];
    expect(await kcatRead('crash-txn', 'read_committed')).toEqual(expected);
    // And again after a clean restart, from the snapshot and the saved .txnindex.
    broker = await broker.restart();
    expect(await kcatRead('crash-txn', 'read_committed')).toEqual(expected);
  });
});
