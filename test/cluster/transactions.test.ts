import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerCluster } from '../support/broker-cluster.js';
import { waitForPartitions } from '../support/cluster-metadata.js';
import { KAFKA_TOOLS, runKafkaTool } from '../support/kafka-jars.js';
import { withRawClient } from '../support/raw-client.js';
import { produceValues } from '../support/raw-requests.js';
import { runCommand } from '../support/run-command.js';
import {
  READ_COMMITTED,
  fetchIsolated,
  latestOffset,
  produceInTransaction,
  writeMarker,
} from '../support/transactional-requests.js';
import { waitUntil } from '../support/wait-until.js';

/**
 * Markers on a replicated partition (RF 3, min ISR 2): followers copy the control batches and
 * build the same `.txnindex` as the leader, so after the leader is killed the new leader serves
 * read_committed consumers exactly the committed records.
 */
let cluster: BrokerCluster;

beforeAll(async () => {
  cluster = await BrokerCluster.start();
});
afterAll(async () => cluster?.destroy());

const TOPIC = 'replicated-txn';
const TXN_INDEX = '00000000000000000000.txnindex';

function txnIndexOf(nodeId: number): Buffer | undefined {
  const path = join(cluster.broker(nodeId).dataDir, 'logs', `${TOPIC}-0`, TXN_INDEX);
  return existsSync(path) ? readFileSync(path) : undefined;
}

async function kcatCommitted(): Promise<string[]> {
  const result = await runCommand('kcat', [
    '-b',
    cluster.bootstrap,
    '-C',
    '-t',
    TOPIC,
    '-p',
    '0',
    '-o',
    'beginning',
    '-e',
    '-q',
    '-X',
    'isolation.level=read_committed',
    '-f',
    '%s\\n',
  ]);
  if (result.code !== 0) throw new Error(`kcat: ${result.stderr}`);
  return result.stdout.split('\n').filter((line) => line.length > 0);
}

describe('transaction markers on a replicated partition', () => {
  it("replicate to followers, whose .txnindex matches the leader's after leadership moves", async () => {
    const created = await runKafkaTool(KAFKA_TOOLS.topics, [
      '--bootstrap-server',
      cluster.bootstrap,
      '--create',
      '--topic',
      TOPIC,
      '--partitions',
      '1',
      '--replication-factor',
      '3',
      '--config',
      'min.insync.replicas=2',
    ]);
    expect(created.code).toBe(0);
    const [before] = await waitForPartitions(
      () => cluster.bootstrap,
      TOPIC,
      (p) => p[0]?.isr.length === 3,
      'a full ISR',
    );
    const leader = before!.leader;
    const committing = { transactionalId: 'r-commit', producerId: 5001, producerEpoch: 0 };
    const aborting = { transactionalId: 'r-abort', producerId: 5002, producerEpoch: 0 };
    const partition = [{ topic: TOPIC, partition: 0 }];
    await withRawClient(cluster.broker(leader).port, async (client) => {
      await produceValues(client, TOPIC, 0, ['plain-1']);
      await produceInTransaction(client, committing, { topic: TOPIC, partition: 0, baseSequence: 0 }, ['c1']);
      await produceInTransaction(client, aborting, { topic: TOPIC, partition: 0, baseSequence: 0 }, [
        'a1',
        'a2',
      ]);
      await produceInTransaction(client, committing, { topic: TOPIC, partition: 0, baseSequence: 1 }, ['c2']);
      expect(await writeMarker(client, { ...aborting, committed: false, partitions: partition })).toEqual({
        [`${TOPIC}-0`]: 0,
      });
      expect(await writeMarker(client, { ...committing, committed: true, partitions: partition })).toEqual({
        [`${TOPIC}-0`]: 0,
      });
      await produceValues(client, TOPIC, 0, ['plain-2']);
      expect(await latestOffset(client, TOPIC, 0, READ_COMMITTED)).toBe(8);
    });
    const leaderIndex = txnIndexOf(leader);
    expect(leaderIndex?.length).toBe(34);
    const followers = before!.replicas.filter((id) => id !== leader);
    await waitUntil(
      () => followers.every((id) => txnIndexOf(id)?.equals(leaderIndex!) ?? false),
      "the followers' .txnindex to match the leader's",
    );

    // Leadership moves: the old leader is killed, a follower from the ISR takes over.
    await cluster.broker(leader).kill();
    const [after] = await waitForPartitions(
      () => cluster.bootstrap,
      TOPIC,
      (p) => p[0] !== undefined && p[0].leader >= 0 && p[0].leader !== leader,
      'a new leader',
    );
    const newLeader = after!.leader;
    expect(txnIndexOf(newLeader)).toEqual(leaderIndex);
    await withRawClient(cluster.broker(newLeader).port, async (client) => {
      await waitUntil(
        async () => (await latestOffset(client, TOPIC, 0, READ_COMMITTED).catch(() => -1)) === 8,
        'the new leader to serve the last stable offset',
      );
      const fetched = await fetchIsolated(client, TOPIC, 0, 0, READ_COMMITTED);
      expect(fetched.abortedTransactions).toEqual([{ producerId: 5002, firstOffset: 2 }]);
    });
    expect(await kcatCommitted()).toEqual(['plain-1', 'c1', 'c2', 'plain-2']);
  });
});
