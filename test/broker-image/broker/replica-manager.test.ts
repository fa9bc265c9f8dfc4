import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { BrokerMetrics } from '../../../broker-image/src/admin/metrics.js';
import { ReplicaManager } from '../../../broker-image/src/broker/replica-manager.js';
import {
  newPartitionState,
  newTopicId,
  type PartitionState,
  type TopicMetadata,
} from '../../../broker-image/src/cluster/metadata.js';
import { brokerConfigFrom } from '../../../broker-image/src/config/broker-config.js';
import { ERROR_CODES } from '../../../broker-image/src/protocol/errors.js';
import { buildRecordBatch } from '../../../broker-image/src/protocol/records/records.js';
import { nodeFileSystem } from '../../../broker-image/src/storage/file-system.js';
import { LogManager } from '../../../broker-image/src/storage/log-manager.js';
import { systemClock } from '../../../broker-image/src/util/clock.js';

/**
 * The replica manager of broker 1 on a real log directory, with the metadata changes a
 * controller would make applied by hand: what an acks=all produce is answered when leadership
 * moves while its records wait for the ISR.
 */
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function replicaManager(): ReplicaManager {
  const dir = mkdtempSync(join(tmpdir(), 'strata-replica-manager-'));
  dirs.push(dir);
  const logger = pino({ level: 'silent' });
  const config = brokerConfigFrom(
    new Map([
      ['node.id', '1'],
      ['log.dirs', dir],
    ]),
  );
  const logManager = new LogManager({
    fs: nodeFileSystem,
    logDirs: [dir],
    clock: systemClock,
    logger,
    producerIdExpirationMs: 86_400_000,
  });
  const metrics = new BrokerMetrics({
    logSizes: () => [],
    diskUsage: () => [],
    purgatorySizes: () => ({ fetch: 0, produce: 0 }),
  });
  return new ReplicaManager({
    config,
    logManager,
    clock: systemClock,
    logger,
    metrics,
    writePartitionState: () => Promise.resolve(true),
  });
}

function topicWith(state: PartitionState): TopicMetadata {
  return { name: 't', topicId: TOPIC_ID, partitions: [state], configs: new Map(), internal: false };
}

const TOPIC_ID = newTopicId();
const values = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, i) => ({ key: null, value: Buffer.from(`${prefix}-${i}`) }));

describe('ReplicaManager acks=all', () => {
  it('never acknowledges records whose leader lost the partition before they were replicated, whatever high watermark it then learns as a follower', async () => {
    const manager = replicaManager();
    const led: PartitionState = newPartitionState(0, [1, 2, 3]);
    manager.applyTopic(topicWith(led));
    const produced = manager.appendRecords(
      -1,
      300,
      [{ topic: 't', partition: 0, records: buildRecordBatch(values('stale', 5)) }],
      () => 2,
    );
    // While the records wait for the followers, broker 2 is elected (this broker was cut off) and
    // writes records of its own at the same offsets; this broker follows it, cuts its own
    // records and takes the new leader's high watermark, which is past the offsets it appended.
    manager.applyTopic(topicWith({ ...led, leader: 2, leaderEpoch: 1, isr: [2, 3], partitionEpoch: 1 }));
    const log = manager.getPartition('t', 0)!.log;
    log.truncateTo(0);
    log.appendAsFollower(buildRecordBatch(values('new', 8), { baseOffset: 0, partitionLeaderEpoch: 1 }), 0);
    log.updateHighWatermark(8);
    const [result] = await produced;
    expect(result!.errorCode).toBe(ERROR_CODES.NOT_LEADER_OR_FOLLOWER);
  });

  it('acknowledges once the in-sync replicas hold the records, while it still leads', async () => {
    const manager = replicaManager();
    manager.applyTopic(topicWith(newPartitionState(0, [1, 2])));
    const produced = manager.appendRecords(
      -1,
      30_000,
      [{ topic: 't', partition: 0, records: buildRecordBatch(values('v', 5)) }],
      () => 2,
    );
    // Broker 2 fetches from the log end: the high watermark passes the records.
    await manager.fetchMessages({
      replicaId: 2,
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 1 << 20,
      partitions: [
        {
          topic: 't',
          partition: 0,
          fetchOffset: 5,
          partitionMaxBytes: 1 << 20,
          currentLeaderEpoch: 0,
          lastFetchedEpoch: 0,
        },
      ],
    });
    const [result] = await produced;
    expect(result).toMatchObject({ errorCode: ERROR_CODES.NONE, baseOffset: 0 });
  });
});
