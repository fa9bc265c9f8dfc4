import kafkajs from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { BrokerProcess } from '../../support/broker-process.js';

/** `__consumer_offsets` on a broker process: survives restarts, and compaction keeps it bounded. */
const { Kafka, logLevel } = kafkajs;
let broker: BrokerProcess | undefined;
afterEach(async () => broker?.destroy());

async function offsetsTopicSize(b: BrokerProcess): Promise<number> {
  const text = await (await fetch(`${b.adminUrl}/metrics`)).text();
  let total = 0;
  for (const m of text.matchAll(/kafka_log_size_bytes\{topic="__consumer_offsets",partition="\d+"\} (\d+)/g))
    total += Number(m[1]);
  return total;
}

describe('__consumer_offsets', () => {
  it('keeps groups and committed offsets across a broker restart', async () => {
    broker = await BrokerProcess.start({ properties: { 'group.initial.rebalance.delay.ms': 0 } });
    let kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    let admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'kept', numPartitions: 2 }] });
    await admin.setOffsets({
      groupId: 'survivor',
      topic: 'kept',
      partitions: [
        { partition: 0, offset: '5' },
        { partition: 1, offset: '9' },
      ],
    });
    await admin.disconnect();

    broker = await broker.restart();
    kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    admin = kafka.admin();
    await admin.connect();
    const offsets = await admin.fetchOffsets({ groupId: 'survivor', topics: ['kept'] });
    expect(offsets[0]!.partitions.sort((a, b) => a.partition - b.partition).map((p) => p.offset)).toEqual([
      '5',
      '9',
    ]);
    expect((await admin.listGroups()).groups.map((g) => g.groupId)).toContain('survivor');
    await admin.disconnect();
  });

  it('stays bounded under a stream of commits: the cleaner compacts it', async () => {
    broker = await BrokerProcess.start({
      properties: {
        'offsets.topic.num.partitions': 1,
        'offsets.topic.segment.bytes': 8192,
        'log.cleaner.backoff.ms': 100,
        'group.initial.rebalance.delay.ms': 0,
      },
    });
    const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'busy', numPartitions: 4 }] });
    // One member of the group commits over and over, as a busy consumer does.
    const consumer = kafka.consumer({ groupId: 'committer' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'busy' });
    let joined!: () => void;
    const hasJoined = new Promise<void>((resolve) => (joined = resolve));
    consumer.on(consumer.events.GROUP_JOIN, () => joined());
    await consumer.run({ autoCommit: false, eachMessage: async () => undefined });
    await hasJoined;
    for (let i = 0; i < 1500; i++) {
      await consumer.commitOffsets([{ topic: 'busy', partition: i % 4, offset: String(i) }]);
    }
    await consumer.disconnect();
    // 1500 commits of ~100 bytes each went in; the latest offset per partition is all that must stay.
    const deadline = Date.now() + 60_000;
    let size = await offsetsTopicSize(broker);
    while (size > 4 * 8192 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      size = await offsetsTopicSize(broker);
    }
    expect(size).toBeLessThanOrEqual(4 * 8192);
    const offsets = await admin.fetchOffsets({ groupId: 'committer', topics: ['busy'] });
    expect(offsets[0]!.partitions.sort((a, b) => a.partition - b.partition).map((p) => p.offset)).toEqual([
      '1496',
      '1497',
      '1498',
      '1499',
    ]);
    await admin.disconnect();

    // After compaction a restart still loads the latest offsets.
    broker = await broker.restart();
    const again = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).admin();
    await again.connect();
    const reloaded = await again.fetchOffsets({ groupId: 'committer', topics: ['busy'] });
    expect(reloaded[0]!.partitions.sort((a, b) => a.partition - b.partition).map((p) => p.offset)).toEqual([
      '1496',
      '1497',
      '1498',
      '1499',
    ]);
    await again.disconnect();
  });
});
