import { randomBytes, randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import type * as KafkaJS from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as zstd from 'zstd-napi';
import { BrokerProcess } from '../support/broker-process.js';
import { withRawClient } from '../support/raw-client.js';
import { fetchBatches } from '../support/raw-requests.js';

/** kafkajs 2.2.4 (pure JavaScript, consumer groups only) against a broker process. */
const require = createRequire(import.meta.url);
const { Kafka, CompressionTypes, CompressionCodecs, Partitioners, logLevel } =
  require('kafkajs') as typeof KafkaJS;

interface Codec {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}
type LZ4CodecClass = new () => { codec: () => Codec };

// kafkajs ships gzip only; the other codecs are registered the way its documentation describes.
CompressionCodecs[CompressionTypes.Snappy] = require('kafkajs-snappy') as () => Codec;
CompressionCodecs[CompressionTypes.LZ4] = new (require('kafkajs-lz4') as LZ4CodecClass)().codec;
// The official @kafkajs/zstd plugin cannot be installed on Node 20: its native dependency cppzst
// fails to compile against Node 20's headers. zstd-napi is registered through the same mechanism.
CompressionCodecs[CompressionTypes.ZSTD] = (): Codec => ({
  compress: async (encoder) => zstd.compress(encoder.buffer),
  decompress: async (buffer) => zstd.decompress(buffer),
});

let broker: BrokerProcess;
let kafka: KafkaJS.Kafka;
let admin: KafkaJS.Admin;
let producer: KafkaJS.Producer;

beforeAll(async () => {
  broker = await BrokerProcess.start({ properties: { 'group.initial.rebalance.delay.ms': 0 } });
  kafka = new Kafka({ clientId: 'kafkajs-compat', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  admin = kafka.admin();
  await admin.connect();
  producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
});
afterAll(async () => {
  await producer?.disconnect();
  await admin?.disconnect();
  await broker?.destroy();
});

async function createTopic(
  topic: string,
  options: { partitions?: number; configs?: Record<string, string> } = {},
): Promise<void> {
  const created = await admin.createTopics({
    topics: [
      {
        topic,
        numPartitions: options.partitions ?? 1,
        configEntries: Object.entries(options.configs ?? {}).map(([name, value]) => ({ name, value })),
      },
    ],
  });
  expect(created).toBe(true);
}

interface Received {
  readonly partition: number;
  readonly message: KafkaJS.KafkaMessage;
}

/** A group consumer that collects what it receives; started once it has fetched at least once. */
interface CollectingConsumer {
  readonly received: readonly Received[];
  /** Resolves with the first `count` messages once that many have arrived. */
  waitFor(count: number): Promise<Received[]>;
  stop(): Promise<void>;
}

const WAIT_FOR_MESSAGES_MS = 60_000;

async function startConsumer(
  topic: string,
  options: { fromBeginning: boolean },
): Promise<CollectingConsumer> {
  const consumer = kafka.consumer({
    groupId: `kafkajs-${topic}-${randomUUID()}`,
    maxWaitTimeInMs: 100,
    maxBytesPerPartition: 2 * 1024 * 1024,
  });
  const received: Received[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: options.fromBeginning });
  // kafkajs resolves the starting offsets (ListOffsets for a group with no commits) before its first
  // fetch, so after the first FETCH event "latest" is pinned and later records are seen.
  const firstFetch = new Promise<void>((resolve) => {
    const remove = consumer.on(consumer.events.FETCH, () => {
      remove();
      resolve();
    });
  });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      received.push({ partition, message });
      for (const w of waiters.filter((w) => received.length >= w.count)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    },
  });
  await firstFetch;
  return {
    received,
    async waitFor(count) {
      if (received.length < count) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          new Promise<void>((resolve) => waiters.push({ count, resolve })),
          new Promise<never>((_, reject) => {
            timer = setTimeout(
              () => reject(new Error(`received ${received.length} of ${count} messages from ${topic}`)),
              WAIT_FOR_MESSAGES_MS,
            );
          }),
        ]).finally(() => clearTimeout(timer));
      }
      return received.slice(0, count);
    },
    stop: () => consumer.disconnect(),
  };
}

/** Reads `count` messages from the beginning of `topic` with a fresh group. */
async function consumeFromBeginning(topic: string, count: number): Promise<Received[]> {
  const consumer = await startConsumer(topic, { fromBeginning: true });
  try {
    return await consumer.waitFor(count);
  } finally {
    await consumer.stop();
  }
}

const text = (b: Buffer | null | undefined): string | null => (b == null ? null : b.toString());

describe('kafkajs producer', () => {
  it.each([
    { acks: 0, name: 'acks0' },
    { acks: 1, name: 'acks1' },
    { acks: -1, name: 'acksall' },
  ])('produces with acks=$acks and the records can be consumed', async ({ acks, name }) => {
    const topic = `kafkajs-${name}`;
    await createTopic(topic);
    const messages = Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: `${name}-${i}` }));
    const metadata = await producer.send({ topic, acks, messages });
    // With acks=0 no response comes back, so kafkajs has no metadata to report.
    expect(metadata).toEqual(
      acks === 0
        ? []
        : [expect.objectContaining({ topicName: topic, partition: 0, errorCode: 0, baseOffset: '0' })],
    );
    const received = await consumeFromBeginning(topic, 20);
    expect(received.map((r) => [r.message.offset, text(r.message.key), text(r.message.value)])).toEqual(
      messages.map((m, i) => [String(i), m.key, m.value]),
    );
  });

  it('sends record headers, including repeated keys and binary values', async () => {
    const topic = 'kafkajs-headers';
    await createTopic(topic);
    const binary = Buffer.from([0, 1, 2, 0xfe, 0xff]);
    await producer.send({
      topic,
      messages: [
        { value: 'with-headers', headers: { 'trace-id': 'abc-123', binary, repeated: ['first', 'second'] } },
        { value: 'no-headers' },
      ],
    });
    const [withHeaders, withoutHeaders] = await consumeFromBeginning(topic, 2);
    const headers = withHeaders!.message.headers!;
    expect(text(headers['trace-id'] as Buffer)).toBe('abc-123');
    expect(headers.binary).toEqual(binary);
    expect((headers.repeated as Buffer[]).map((b) => b.toString())).toEqual(['first', 'second']);
    expect(withoutHeaders!.message.headers).toEqual({});
  });

  it('keeps null keys and null values apart from empty ones', async () => {
    const topic = 'kafkajs-nulls';
    await createTopic(topic);
    await producer.send({
      topic,
      messages: [
        { key: null, value: 'value-without-key' },
        { key: 'tombstone', value: null },
        { key: null, value: null },
        { key: '', value: '' },
      ],
    });
    const received = await consumeFromBeginning(topic, 4);
    expect(received.map((r) => [r.message.key, r.message.value])).toEqual([
      [null, Buffer.from('value-without-key')],
      [Buffer.from('tombstone'), null],
      [null, null],
      [Buffer.alloc(0), Buffer.alloc(0)],
    ]);
  });

  it('produces and consumes a 900 KB record under the default message.max.bytes (1048588)', async () => {
    const topic = 'kafkajs-large';
    await createTopic(topic);
    const value = randomBytes(900 * 1024);
    await producer.send({ topic, messages: [{ key: 'large', value }] });
    const [record] = await consumeFromBeginning(topic, 1);
    expect(record!.message.value!.equals(value)).toBe(true);
  });

  it("refuses a record over the topic's max.message.bytes with MESSAGE_TOO_LARGE", async () => {
    const topic = 'kafkajs-too-large';
    await createTopic(topic, { configs: { 'max.message.bytes': String(512 * 1024) } });
    const error = await producer.send({ topic, messages: [{ value: randomBytes(600 * 1024) }] }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ type: 'MESSAGE_TOO_LARGE' });
    const [low] = await admin.fetchTopicOffsets(topic);
    expect(low).toMatchObject({ partition: 0, high: '0', low: '0' });
  });

  it.each([
    { codec: 'gzip', compression: CompressionTypes.GZIP },
    { codec: 'snappy', compression: CompressionTypes.Snappy },
    { codec: 'lz4', compression: CompressionTypes.LZ4 },
    { codec: 'zstd', compression: CompressionTypes.ZSTD },
  ])('round-trips $codec-compressed batches', async ({ codec, compression }) => {
    const topic = `kafkajs-${codec}`;
    await createTopic(topic);
    const values = Array.from({ length: 200 }, (_, i) => `${codec}-record-${i}-${'x'.repeat(i % 50)}`);
    await producer.send({ topic, compression, messages: values.slice(0, 100).map((value) => ({ value })) });
    await producer.send({ topic, compression, messages: values.slice(100).map((value) => ({ value })) });
    const received = await consumeFromBeginning(topic, 200);
    expect(received.map((r) => text(r.message.value))).toEqual(values);
    expect(received.map((r) => Number(r.message.offset))).toEqual(values.map((_, i) => i));
    // The broker stored the producer's batches as sent: one per send, with kafkajs's codec id.
    const stored = await withRawClient(broker.port, (client) => fetchBatches(client, topic, 0, 0));
    expect(stored.batches.map((b) => [b.compression, b.recordsCount])).toEqual([
      [compression, 100],
      [compression, 100],
    ]);
  });
});

describe('kafkajs consumer groups', () => {
  it('reads from earliest: what was there before it joined, then what comes after', async () => {
    const topic = 'kafkajs-earliest';
    await createTopic(topic, { partitions: 2 });
    const before = Array.from({ length: 6 }, (_, i) => ({ key: `k${i}`, value: `before-${i}` }));
    await producer.send({ topic, messages: before });
    const consumer = await startConsumer(topic, { fromBeginning: true });
    try {
      await consumer.waitFor(6);
      const after = Array.from({ length: 4 }, (_, i) => ({ key: `k${i}`, value: `after-${i}` }));
      await producer.send({ topic, messages: after });
      const received = await consumer.waitFor(10);
      expect(received.map((r) => text(r.message.value)).sort()).toEqual(
        [...before, ...after].map((m) => m.value).sort(),
      );
      // Per partition, records arrive in offset order.
      for (const partition of [0, 1]) {
        const offsets = received
          .filter((r) => r.partition === partition)
          .map((r) => Number(r.message.offset));
        expect(offsets).toEqual(offsets.map((_, i) => i));
      }
    } finally {
      await consumer.stop();
    }
  });

  it('reads from latest: only the records produced after it joined', async () => {
    const topic = 'kafkajs-latest';
    await createTopic(topic);
    await producer.send({ topic, messages: Array.from({ length: 5 }, (_, i) => ({ value: `before-${i}` })) });
    const consumer = await startConsumer(topic, { fromBeginning: false });
    try {
      await producer.send({
        topic,
        messages: Array.from({ length: 3 }, (_, i) => ({ value: `after-${i}` })),
      });
      const received = await consumer.waitFor(3);
      expect(received.map((r) => [r.message.offset, text(r.message.value)])).toEqual([
        ['5', 'after-0'],
        ['6', 'after-1'],
        ['7', 'after-2'],
      ]);
    } finally {
      await consumer.stop();
    }
  });
});

describe('kafkajs admin client', () => {
  it('creates topics, reports their offsets, finds offsets by timestamp and deletes them', async () => {
    const topic = 'kafkajs-admin';
    expect(
      await admin.createTopics({
        topics: [{ topic, numPartitions: 3, configEntries: [{ name: 'retention.ms', value: '3600000' }] }],
      }),
    ).toBe(true);
    // kafkajs reports an existing topic as "not created" rather than as an error.
    expect(await admin.createTopics({ topics: [{ topic, numPartitions: 3 }] })).toBe(false);
    expect(await admin.listTopics()).toContain(topic);
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(metadata.topics[0]!.partitions.map((p) => p.partitionId).sort()).toEqual([0, 1, 2]);

    const base = Date.now() - 60_000;
    await producer.send({
      topic,
      messages: [0, 1, 2, 3].map((i) => ({
        partition: 1,
        value: `t${i}`,
        timestamp: String(base + i * 1000),
      })),
    });
    await producer.send({ topic, messages: [{ partition: 2, value: 'only', timestamp: String(base) }] });

    const offsets = await admin.fetchTopicOffsets(topic);
    expect(offsets.sort((a, b) => a.partition - b.partition)).toEqual([
      { partition: 0, offset: '0', high: '0', low: '0' },
      { partition: 1, offset: '4', high: '4', low: '0' },
      { partition: 2, offset: '1', high: '1', low: '0' },
    ]);

    // The first offset whose timestamp is at or after the one asked for; the end offset if none is.
    const byTimestamp = await admin.fetchTopicOffsetsByTimestamp(topic, base + 2000);
    expect(byTimestamp.sort((a, b) => a.partition - b.partition)).toEqual([
      { partition: 0, offset: '0' },
      { partition: 1, offset: '2' },
      { partition: 2, offset: '1' },
    ]);
    const fromStart = await admin.fetchTopicOffsetsByTimestamp(topic, base - 1000);
    expect(fromStart.sort((a, b) => a.partition - b.partition).map((o) => o.offset)).toEqual(['0', '0', '0']);

    await admin.deleteTopics({ topics: [topic] });
    expect(await admin.listTopics()).not.toContain(topic);
  });

  it('describes the cluster: one broker at the bootstrap address, which is the controller', async () => {
    const cluster = await admin.describeCluster();
    expect(cluster.brokers).toEqual([{ nodeId: 1, host: '127.0.0.1', port: broker.port }]);
    expect(cluster.controller).toBe(1);
    expect(cluster.clusterId).toMatch(/^\S+$/);
  });
});
