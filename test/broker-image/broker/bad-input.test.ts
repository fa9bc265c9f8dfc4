import { crc32 } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../../broker-image/src/protocol/errors.js';
import { framePrefix } from '../../../broker-image/src/protocol/frame.js';
import {
  ApiVersions,
  CreateTopics,
  DeleteTopics,
  Fetch,
  FindCoordinator,
  Metadata,
  Produce,
} from '../../../broker-image/src/protocol/messages/index.js';
import {
  ATTRIBUTES_OFFSET,
  CRC_OFFSET,
  RECORDS_OFFSET,
  batchesOf,
} from '../../../broker-image/src/protocol/records/record-batch.js';
import { CompressionType } from '../../../broker-image/src/protocol/records/compression.js';
import { crc32c } from '../../../broker-image/src/protocol/records/crc32c.js';
import { buildRecordBatch } from '../../../broker-image/src/protocol/records/records.js';
import { BrokerProcess } from '../../support/broker-process.js';
import {
  decodeResponseFrame,
  encodeRequestFrame,
  RawClient,
  withRawClient,
} from '../../support/raw-client.js';
import {
  API_VERSIONS_VERSION,
  CREATE_TOPICS_VERSION,
  PRODUCE_VERSION,
  apiVersionsOnNewConnection,
  createTopics,
  fetchBatches,
  fetchPartition,
  produceValues,
  readAllValues,
  valuesBatch,
} from '../../support/raw-requests.js';

/**
 * Malformed and invalid requests over raw TCP. Requests the broker can parse get Kafka's error
 * code; frames it cannot parse close that one connection, while other connections keep working
 * and nothing written before is lost.
 */
const MAX_REQUEST_BYTES = 64 * 1024;
const PRECIOUS = 'precious';
const PRECIOUS_VALUES = Array.from({ length: 30 }, (_, i) => `precious-${i}`);
const TARGET = 'target';
/** Topics for the malformed-record cases: a broker that accepts one leaves them unreadable. */
const MALFORMED_DELETE = 'malformed-delete';
const MALFORMED_COMPACT = 'malformed-compact';

let broker: BrokerProcess;

beforeAll(async () => {
  broker = await BrokerProcess.start({
    // The broker refuses a message.max.bytes above socket.request.max.bytes.
    properties: { 'socket.request.max.bytes': MAX_REQUEST_BYTES, 'message.max.bytes': MAX_REQUEST_BYTES },
  });
  await withRawClient(broker.port, async (client) => {
    await createTopics(client, [
      { name: PRECIOUS, partitions: 1 },
      { name: TARGET, partitions: 2 },
      { name: MALFORMED_DELETE, partitions: 1 },
      { name: MALFORMED_COMPACT, partitions: 1, configs: { 'cleanup.policy': 'compact' } },
    ]);
    await produceValues(client, PRECIOUS, 0, PRECIOUS_VALUES.slice(0, 10));
    await produceValues(client, PRECIOUS, 0, PRECIOUS_VALUES.slice(10));
  });
});
afterAll(async () => broker?.destroy());

function produceFrame(options: {
  correlationId: number;
  records: Buffer;
  acks?: number;
  topic?: string;
  partition?: number;
  version?: number;
}): Buffer {
  return encodeRequestFrame(
    Produce,
    options.version ?? PRODUCE_VERSION,
    {
      acks: options.acks ?? -1,
      timeoutMs: 30_000,
      topicData: [
        {
          name: options.topic ?? TARGET,
          partitionData: [{ index: options.partition ?? 0, records: options.records }],
        },
      ],
    },
    { correlationId: options.correlationId },
  );
}

function apiVersionsFrame(correlationId: number, version = API_VERSIONS_VERSION): Buffer {
  return encodeRequestFrame(
    ApiVersions,
    API_VERSIONS_VERSION,
    { clientSoftwareName: 'raw-client', clientSoftwareVersion: '1.0' },
    { correlationId, apiVersion: version },
  );
}

function metadataFrame(correlationId: number, version = 12): Buffer {
  return encodeRequestFrame(
    Metadata,
    12,
    { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false },
    { correlationId, apiVersion: version },
  );
}

/** A frame with this payload: the size prefix is always right, the content is whatever is given. */
function frameOf(payload: Buffer): Buffer {
  return Buffer.concat([framePrefix(payload.length), payload]);
}

/**
 * A request header followed by `body`. The header is v2 (with an empty tagged-field section) when
 * the API and version are flexible, as the broker will read it.
 */
function headerThen(
  apiKey: number,
  apiVersion: number,
  body: Buffer,
  options: { clientId?: string; flexible?: boolean } = {},
): Buffer {
  const clientId = options.clientId ?? 'raw-client';
  const header = Buffer.alloc(10 + clientId.length + (options.flexible ? 1 : 0));
  header.writeInt16BE(apiKey, 0);
  header.writeInt16BE(apiVersion, 2);
  header.writeInt32BE(77, 4);
  header.writeInt16BE(clientId.length, 8);
  header.write(clientId, 10, 'latin1');
  return frameOf(Buffer.concat([header, body]));
}

/** Offset, in a frame from {@link headerThen}, of the client id length. */
const CLIENT_ID_LENGTH_AT = 4 + 8;

async function highWatermark(topic: string, partition: number): Promise<number> {
  return withRawClient(broker.port, async (c) => (await fetchBatches(c, topic, partition, 0)).highWatermark);
}

/**
 * Sends `bytes` on a fresh connection and expects the broker to close it without answering, while a
 * connection opened before keeps being served.
 */
async function expectOnlyThisConnectionClosed(bytes: Buffer | readonly Buffer[]): Promise<void> {
  const bystander = await RawClient.connect(broker.port);
  const offender = await RawClient.connect(broker.port);
  try {
    for (const chunk of Array.isArray(bytes) ? bytes : [bytes]) {
      // The broker may close before it has read everything; a failed write is part of that.
      await offender.write(chunk as Buffer).catch(() => undefined);
    }
    await offender.expectClosed();
    const answer = await bystander.request(ApiVersions, API_VERSIONS_VERSION, {
      clientSoftwareName: 'bystander',
      clientSoftwareVersion: '1.0',
    });
    expect(answer.errorCode).toBe(ERROR_CODES.NONE);
  } finally {
    offender.destroy();
    bystander.destroy();
  }
}

describe('frames the broker cannot parse close that connection only', () => {
  it('a request whose frame ends inside its body', async () => {
    const whole = produceFrame({ correlationId: 1, records: valuesBatch(['cut short']) });
    const payload = whole.subarray(4, whole.length - 20);
    await expectOnlyThisConnectionClosed(frameOf(payload));
  });

  it('a frame the client stops sending half-way (it half-closes the connection)', async () => {
    const offender = await RawClient.connect(broker.port);
    try {
      const frame = metadataFrame(1);
      await offender.write(frame.subarray(0, frame.length >> 1));
      offender.end();
      await offender.expectClosed();
    } finally {
      offender.destroy();
    }
    expect(await apiVersionsOnNewConnection(broker.port)).toBe(ERROR_CODES.NONE);
  });

  it('reassembles a frame that arrives a few bytes at a time (the control case)', async () => {
    await withRawClient(broker.port, async (client) => {
      const frame = apiVersionsFrame(41);
      for (let at = 0; at < frame.length; at += 7) await client.write(frame.subarray(at, at + 7));
      const response = await client.response(ApiVersions, API_VERSIONS_VERSION, 41);
      expect(response.errorCode).toBe(ERROR_CODES.NONE);
    });
  });

  it('a size prefix over socket.request.max.bytes, refused before the body is sent', async () => {
    const prefix = framePrefix(MAX_REQUEST_BYTES + 1);
    await expectOnlyThisConnectionClosed(Buffer.concat([prefix, Buffer.alloc(16)]));
  });

  it('serves a request of exactly socket.request.max.bytes', async () => {
    // Grow the value until the frame (without its prefix) is exactly the limit.
    let valueBytes = MAX_REQUEST_BYTES - 200;
    let frame = produceFrame({
      correlationId: 5,
      records: valuesBatch(['x'.repeat(valueBytes)]),
      partition: 1,
    });
    for (let attempt = 0; frame.length - 4 !== MAX_REQUEST_BYTES; attempt++) {
      if (attempt === 5) throw new Error(`could not size a frame to ${MAX_REQUEST_BYTES} bytes`);
      valueBytes += MAX_REQUEST_BYTES - (frame.length - 4);
      frame = produceFrame({
        correlationId: 5,
        records: valuesBatch(['x'.repeat(valueBytes)]),
        partition: 1,
      });
    }
    await withRawClient(broker.port, async (client) => {
      await client.write(frame);
      const response = await client.response(Produce, PRODUCE_VERSION, 5);
      expect(response.responses[0]!.partitionResponses[0]!.errorCode).toBe(ERROR_CODES.NONE);
    });
  });

  it('a negative size prefix', async () => {
    await expectOnlyThisConnectionClosed(Buffer.concat([framePrefix(-5), Buffer.alloc(8)]));
  });

  it.each([
    { name: 'an empty frame', frame: frameOf(Buffer.alloc(0)) },
    { name: 'a frame too short for a request header', frame: frameOf(Buffer.from([0, 3, 0])) },
    {
      name: 'a client id longer than the frame',
      frame: (() => {
        const f = headerThen(3, 1, Buffer.alloc(0), { clientId: 'abc' });
        f.writeInt16BE(1000, CLIENT_ID_LENGTH_AT);
        return f;
      })(),
    },
    {
      name: 'a negative client id length other than -1',
      frame: (() => {
        const f = headerThen(3, 1, Buffer.alloc(0), { clientId: '' });
        f.writeInt16BE(-7, CLIENT_ID_LENGTH_AT);
        return f;
      })(),
    },
  ])('an unreadable request header: $name', async ({ frame }) => {
    await expectOnlyThisConnectionClosed(frame);
  });

  it('an unknown API key', async () => {
    await expectOnlyThisConnectionClosed(headerThen(1000, 0, Buffer.alloc(8)));
  });

  it('a version of a known API below the ones served (Fetch v3)', async () => {
    const body = encodeRequestFrame(
      Fetch,
      4,
      {
        maxWaitMs: 0,
        minBytes: 0,
        isolationLevel: 0,
        topics: [
          { topic: PRECIOUS, partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1024 }] },
        ],
      },
      { correlationId: 3, apiVersion: 3 },
    );
    await expectOnlyThisConnectionClosed(body);
  });

  it('a version of a known API above the ones served (Metadata v99)', async () => {
    await expectOnlyThisConnectionClosed(metadataFrame(3, 99));
  });

  it.each([
    {
      name: 'Metadata v12 whose body is all 0xff (a varint longer than 5 bytes)',
      frame: headerThen(3, 12, Buffer.alloc(16, 0xff), { flexible: true }),
    },
    {
      name: 'CreateTopics v4 with an array count larger than the frame',
      frame: headerThen(19, 4, Buffer.from([0x7f, 0xff, 0xff, 0xff, 0, 1, 0x61])),
    },
    {
      name: 'ListOffsets v1 with a string length past the end of the frame',
      frame: headerThen(2, 1, Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1, 0x7f, 0xff, 0x61])),
    },
    {
      name: 'Produce v9 with a null topic name',
      // transactionalId null, acks -1, timeoutMs 30000, one topic whose compact name is null (0).
      frame: headerThen(0, 9, Buffer.from([0x00, 0xff, 0xff, 0, 0, 0x75, 0x30, 0x02, 0x00]), {
        flexible: true,
      }),
    },
  ])('a garbage body: $name', async ({ frame }) => {
    await expectOnlyThisConnectionClosed(frame);
  });
});

describe('ApiVersions', () => {
  it('answers a too-new version in v0 with UNSUPPORTED_VERSION and its API list, and keeps the connection', async () => {
    await withRawClient(broker.port, async (client) => {
      await client.write(apiVersionsFrame(11, 127));
      const answer = await client.response(ApiVersions, 0, 11);
      expect(answer.errorCode).toBe(ERROR_CODES.UNSUPPORTED_VERSION);
      expect(answer.apiKeys).toContainEqual({ apiKey: ApiVersions.apiKey, minVersion: 0, maxVersion: 4 });
      expect(answer.apiKeys).toContainEqual(expect.objectContaining({ apiKey: Produce.apiKey }));
      expect(answer.apiKeys).toContainEqual(expect.objectContaining({ apiKey: Fetch.apiKey }));

      const retried = await client.request(ApiVersions, API_VERSIONS_VERSION, {
        clientSoftwareName: 'raw-client',
        clientSoftwareVersion: '1.0',
      });
      expect(retried.errorCode).toBe(ERROR_CODES.NONE);
      expect(retried.apiKeys).toEqual(answer.apiKeys);
    });
  });
});

/**
 * A record set in the legacy message format v1 (one message, CRC-32 over magic to the end), or v0
 * (no timestamp).
 */
function legacyMessage(value: Buffer, options: { magic: 0 | 1; timestamp?: bigint; key?: Buffer }): Buffer {
  const timestampBytes = options.magic === 1 ? 8 : 0;
  const key = options.key ?? null;
  const body = Buffer.alloc(1 + 1 + timestampBytes + 4 + (key?.length ?? 0) + 4 + value.length);
  let at = body.writeInt8(options.magic, 0);
  at = body.writeInt8(0, at); // attributes
  if (options.magic === 1) at = body.writeBigInt64BE(options.timestamp ?? BigInt(Date.now()), at);
  at = body.writeInt32BE(key ? key.length : -1, at);
  if (key) at += key.copy(body, at);
  at = body.writeInt32BE(value.length, at);
  value.copy(body, at);
  const message = Buffer.alloc(8 + 4 + 4 + body.length);
  message.writeBigInt64BE(0n, 0); // offset
  message.writeInt32BE(4 + body.length, 8); // message size
  message.writeUInt32BE(crc32(body), 12);
  body.copy(message, 16);
  return message;
}

/**
 * A message-format v1 timestamp (in 2025) whose byte 4 is `attributesLowByte`: a legacy message's
 * timestamp lies where a v2 batch has its attributes (bytes 21-22), so read as a batch the message
 * seems transactional (0x10), a control batch (0x20) or compressed (bits 0-2) by its timestamp.
 */
function timestampWithAttributes(attributesLowByte: number): bigint {
  const base = BigInt(Date.UTC(2025, 0, 1));
  return (base & ~(0xffn << 24n)) | (BigInt(attributesLowByte) << 24n);
}

/** A magic-1 record set whose timestamp puts `attributes` where a v2 batch's attributes are, and it says so. */
function legacyMessageV1WithAttributes(attributes: number): Buffer {
  const records = legacyMessage(Buffer.alloc(100, 0x61), {
    magic: 1,
    timestamp: timestampWithAttributes(attributes),
  });
  // Read as a v2 batch (what the transactional check did before the magic was known).
  const seeming = [...batchesOf(records)];
  expect(seeming.map((b) => b.attributes & 0xff)).toEqual([attributes]);
  return records;
}

describe('Produce errors are answered per partition, and nothing is appended', () => {
  async function producePartitionResult(
    client: RawClient,
    options: Parameters<typeof produceFrame>[0],
  ): Promise<{ errorCode: number; baseOffset: number }> {
    await client.write(produceFrame(options));
    const response = await client.response(
      Produce,
      options.version ?? PRODUCE_VERSION,
      options.correlationId,
    );
    return response.responses[0]!.partitionResponses[0]!;
  }

  it('a batch whose CRC does not match: CORRUPT_MESSAGE', async () => {
    const before = await highWatermark(TARGET, 0);
    const records = valuesBatch(['corrupted']);
    records.writeUInt8(records.readUInt8(RECORDS_OFFSET + 3) ^ 0x10, RECORDS_OFFSET + 3);
    await withRawClient(broker.port, async (client) => {
      const result = await producePartitionResult(client, { correlationId: 1, records });
      expect(result.errorCode).toBe(ERROR_CODES.CORRUPT_MESSAGE);
      // The connection stays usable.
      const again = await producePartitionResult(client, {
        correlationId: 2,
        records: valuesBatch(['fine']),
      });
      expect(again).toMatchObject({ errorCode: ERROR_CODES.NONE, baseOffset: before });
    });
    expect(await highWatermark(TARGET, 0)).toBe(before + 1);
  });

  it('a batch with a corrupted CRC field itself: CORRUPT_MESSAGE', async () => {
    const before = await highWatermark(TARGET, 0);
    const records = valuesBatch(['bad crc']);
    records.writeUInt32BE(~records.readUInt32BE(CRC_OFFSET) >>> 0, CRC_OFFSET);
    await withRawClient(broker.port, async (client) => {
      expect((await producePartitionResult(client, { correlationId: 1, records })).errorCode).toBe(
        ERROR_CODES.CORRUPT_MESSAGE,
      );
    });
    expect(await highWatermark(TARGET, 0)).toBe(before);
  });

  it.each([
    { seems: 'plain', attributes: 0x00 },
    { seems: 'transactional', attributes: 0x10 },
    { seems: 'transactional, zstd', attributes: 0x14 },
    { seems: 'a control batch', attributes: 0x20 },
    { seems: 'of compression codec 7', attributes: 0x07 },
    { seems: 'transactional, of every flag', attributes: 0xff },
  ])(
    'a message-format v1 (magic 1) record set in Produce v9 whose timestamp reads as attributes $seems: INVALID_RECORD, as Kafka answers',
    async ({ attributes }) => {
      const before = await highWatermark(TARGET, 0);
      const records = legacyMessageV1WithAttributes(attributes);
      await withRawClient(broker.port, async (client) => {
        const result = await producePartitionResult(client, { correlationId: 1, records });
        // Kafka's ProduceRequest.validateRecords: v3+ carries only magic-2 batches (InvalidRecordException),
        // checked before anything reads the batch's attributes.
        expect(result.errorCode).toBe(ERROR_CODES.INVALID_RECORD);
      });
      expect(await highWatermark(TARGET, 0)).toBe(before);
    },
  );

  it('a message-format v0 (magic 0) record set in Produce v9, whatever its key length reads as: INVALID_RECORD', async () => {
    // Magic 0 has the key's length then the key where a batch has its attributes (bytes 21-22).
    const before = await highWatermark(TARGET, 0);
    for (const key of [Buffer.alloc(0), Buffer.alloc(0x10, 0x10), Buffer.alloc(0x20, 0xff)]) {
      const records = legacyMessage(Buffer.alloc(100, 0x61), { magic: 0, key });
      await withRawClient(broker.port, async (client) => {
        const result = await producePartitionResult(client, { correlationId: 1, records });
        expect(result.errorCode, `key of ${key.length} bytes`).toBe(ERROR_CODES.INVALID_RECORD);
      });
    }
    expect(await highWatermark(TARGET, 0)).toBe(before);
  });

  it('a zstd batch in Produce v6 (zstd arrived in v7): UNSUPPORTED_COMPRESSION_TYPE, as Kafka answers; v7 takes it', async () => {
    const before = await highWatermark(TARGET, 0);
    const records = () =>
      buildRecordBatch([{ value: Buffer.from('zstd') }], { compression: CompressionType.ZSTD });
    await withRawClient(broker.port, async (client) => {
      const v6 = await producePartitionResult(client, { correlationId: 1, version: 6, records: records() });
      expect(v6.errorCode).toBe(ERROR_CODES.UNSUPPORTED_COMPRESSION_TYPE);
      expect(await highWatermark(TARGET, 0)).toBe(before);
      const v7 = await producePartitionResult(client, { correlationId: 2, version: 7, records: records() });
      expect(v7).toMatchObject({ errorCode: ERROR_CODES.NONE, baseOffset: before });
    });
  });

  it('two batches for one partition in Produce v9: INVALID_RECORD, as Kafka answers', async () => {
    const before = await highWatermark(TARGET, 0);
    const records = Buffer.concat([valuesBatch(['first']), valuesBatch(['second'])]);
    await withRawClient(broker.port, async (client) => {
      const result = await producePartitionResult(client, { correlationId: 1, records });
      // Kafka's ProduceRequest.validateRecords: "exactly one record batch per partition".
      expect(result.errorCode).toBe(ERROR_CODES.INVALID_RECORD);
    });
    expect(await highWatermark(TARGET, 0)).toBe(before);
  });

  it.each([
    { policy: 'delete', topic: MALFORMED_DELETE },
    { policy: 'compact', topic: MALFORMED_COMPACT },
  ])(
    'a batch with a valid CRC around a malformed record (cleanup.policy=$policy): INVALID_RECORD, as Kafka answers',
    async ({ topic }) => {
      const before = await highWatermark(topic, 0);
      const records = buildRecordBatch([{ key: Buffer.from('k'), value: Buffer.from('a record') }]);
      // The record's length varint now claims 63 bytes where there are 13; the CRC is made to match.
      records.writeUInt8(0x7e, RECORDS_OFFSET);
      records.writeUInt32BE(crc32c(records.subarray(ATTRIBUTES_OFFSET)), CRC_OFFSET);
      await withRawClient(broker.port, async (client) => {
        const result = await producePartitionResult(client, { correlationId: 1, topic, records });
        // Kafka's LogValidator reads every record of the batch; DefaultRecord.readFrom throws
        // InvalidRecordException ("Invalid record size ...").
        expect(result.errorCode).toBe(ERROR_CODES.INVALID_RECORD);
      });
      expect(await highWatermark(topic, 0)).toBe(before);
    },
  );

  it('Produce v2 (message format v0/v1 era): UNSUPPORTED_VERSION for every partition', async () => {
    const before = await highWatermark(TARGET, 0);
    await withRawClient(broker.port, async (client) => {
      const correlationId = await client.send(Produce, 2, {
        acks: -1,
        timeoutMs: 30_000,
        topicData: [
          {
            name: TARGET,
            partitionData: [
              { index: 0, records: valuesBatch(['old']) },
              { index: 1, records: valuesBatch(['old']) },
            ],
          },
        ],
      });
      const response = await client.response(Produce, 2, correlationId);
      expect(response.responses[0]!.partitionResponses.map((p) => [p.index, p.errorCode])).toEqual([
        [0, ERROR_CODES.UNSUPPORTED_VERSION],
        [1, ERROR_CODES.UNSUPPORTED_VERSION],
      ]);
    });
    expect(await highWatermark(TARGET, 0)).toBe(before);
  });

  it('acks=2: INVALID_REQUIRED_ACKS', async () => {
    const before = await highWatermark(TARGET, 0);
    await withRawClient(broker.port, async (client) => {
      const result = await producePartitionResult(client, {
        correlationId: 1,
        acks: 2,
        records: valuesBatch(['x']),
      });
      expect(result.errorCode).toBe(ERROR_CODES.INVALID_REQUIRED_ACKS);
    });
    expect(await highWatermark(TARGET, 0)).toBe(before);
  });

  it('an unknown partition or topic: UNKNOWN_TOPIC_OR_PARTITION, and no topic is created', async () => {
    await withRawClient(broker.port, async (client) => {
      const unknownPartition = await producePartitionResult(client, {
        correlationId: 1,
        partition: 99,
        records: valuesBatch(['x']),
      });
      expect(unknownPartition.errorCode).toBe(ERROR_CODES.UNKNOWN_TOPIC_OR_PARTITION);
      const unknownTopic = await producePartitionResult(client, {
        correlationId: 2,
        topic: 'never-created',
        records: valuesBatch(['x']),
      });
      expect(unknownTopic.errorCode).toBe(ERROR_CODES.UNKNOWN_TOPIC_OR_PARTITION);
      const metadata = await client.request(Metadata, 12, {
        topics: [{ name: 'never-created' }],
        allowAutoTopicCreation: false,
      });
      expect(metadata.topics[0]!.errorCode).toBe(ERROR_CODES.UNKNOWN_TOPIC_OR_PARTITION);
    });
  });
});

describe('acks=0', () => {
  it('gets no response: the next response on the connection answers the next request', async () => {
    const before = await highWatermark(TARGET, 1);
    await withRawClient(broker.port, async (client) => {
      await client.write(
        produceFrame({ correlationId: 100, acks: 0, partition: 1, records: valuesBatch(['a', 'b']) }),
      );
      await client.write(apiVersionsFrame(101));
      const frame = await client.nextFrame();
      expect(frame.readInt32BE(0)).toBe(101);
    });
    // Requests on a connection are served in order, so the produce was applied before that answer.
    const fetched = await withRawClient(broker.port, (c) => fetchPartition(c, TARGET, 1, before));
    expect(fetched.records.map((r) => r.value)).toEqual(['a', 'b']);
  });

  it('closes the connection when the produce fails, which is how Kafka tells an acks=0 producer', async () => {
    // Kafka (KafkaApis.handleProduceRequest): "if there is any error in handling the request, since no
    // response is expected by the producer, the server will close socket server so that the producer
    // client will know that some error has happened and will refresh its metadata".
    const offender = await RawClient.connect(broker.port);
    try {
      await offender.write(
        produceFrame({ correlationId: 1, acks: 0, partition: 99, records: valuesBatch(['x']) }),
      );
      await offender.write(apiVersionsFrame(2)).catch(() => undefined);
      await offender.expectClosed();
    } finally {
      offender.destroy();
    }
    expect(await apiVersionsOnNewConnection(broker.port)).toBe(ERROR_CODES.NONE);
  });
});

describe('Fetch', () => {
  it('an offset past the log end or before its start: OFFSET_OUT_OF_RANGE; at the end: no error, no records', async () => {
    await withRawClient(broker.port, async (client) => {
      const end = PRECIOUS_VALUES.length;
      expect((await fetchPartition(client, PRECIOUS, 0, end + 5)).errorCode).toBe(
        ERROR_CODES.OFFSET_OUT_OF_RANGE,
      );
      expect((await fetchPartition(client, PRECIOUS, 0, -3)).errorCode).toBe(ERROR_CODES.OFFSET_OUT_OF_RANGE);
      const atEnd = await fetchPartition(client, PRECIOUS, 0, end);
      expect(atEnd).toEqual({ errorCode: ERROR_CODES.NONE, highWatermark: end, records: [] });
    });
  });
});

describe('CreateTopics', () => {
  it("answers each invalid topic with Kafka's error code and still creates the valid one", async () => {
    const topic = (
      name: string,
      extra: Partial<{ numPartitions: number; replicationFactor: number }> = {},
    ) => ({
      name,
      numPartitions: 1,
      replicationFactor: 1,
      assignments: [],
      configs: [] as { name: string; value: string | null }[],
      ...extra,
    });
    const request = [
      topic('bad/name'),
      topic(''),
      topic('..'),
      topic('x'.repeat(250)),
      topic('zero-partitions', { numPartitions: 0 }),
      { ...topic('unknown-config'), configs: [{ name: 'no.such.config', value: '1' }] },
      { ...topic('bad-config-value'), configs: [{ name: 'retention.ms', value: 'soon' }] },
      topic('too-many-replicas', { replicationFactor: 3 }),
      topic('zero-replicas', { replicationFactor: 0 }),
      topic('valid-alongside'),
    ];
    await withRawClient(broker.port, async (client) => {
      const response = await client.request(CreateTopics, CREATE_TOPICS_VERSION, {
        topics: request,
        timeoutMs: 30_000,
      });
      expect(response.topics.map((t) => [t.name, t.errorCode])).toEqual([
        ['bad/name', ERROR_CODES.INVALID_TOPIC_EXCEPTION],
        ['', ERROR_CODES.INVALID_TOPIC_EXCEPTION],
        ['..', ERROR_CODES.INVALID_TOPIC_EXCEPTION],
        ['x'.repeat(250), ERROR_CODES.INVALID_TOPIC_EXCEPTION],
        ['zero-partitions', ERROR_CODES.INVALID_PARTITIONS],
        ['unknown-config', ERROR_CODES.INVALID_CONFIG],
        ['bad-config-value', ERROR_CODES.INVALID_CONFIG],
        ['too-many-replicas', ERROR_CODES.INVALID_REPLICATION_FACTOR],
        ['zero-replicas', ERROR_CODES.INVALID_REPLICATION_FACTOR],
        ['valid-alongside', ERROR_CODES.NONE],
      ]);
      for (const t of response.topics.filter((t) => t.errorCode !== ERROR_CODES.NONE)) {
        expect(t.errorMessage, t.name).toBeTruthy();
      }

      const metadata = await client.request(Metadata, 12, { topics: null, allowAutoTopicCreation: false });
      const names = metadata.topics.map((t) => t.name);
      expect(names).toContain('valid-alongside');
      for (const refused of request.slice(0, -1)) expect(names).not.toContain(refused.name);
    });
  });
});

describe('pipelined requests on one connection', () => {
  it('a Produce followed in the same write by a DeleteTopics of its topic: the Produce is served first', async () => {
    // Kafka reads the next request on a connection only once the previous one is answered, so the
    // Produce is appended and acknowledged before the DeleteTopics runs.
    await withRawClient(broker.port, async (client) => {
      await createTopics(client, [{ name: 'deleted-while-producing', partitions: 1 }]);
      const produce = produceFrame({
        correlationId: 31,
        topic: 'deleted-while-producing',
        acks: 1,
        records: valuesBatch(['x']),
      });
      const remove = encodeRequestFrame(
        DeleteTopics,
        6,
        { topics: [{ name: 'deleted-while-producing', topicId: Buffer.alloc(16) }], timeoutMs: 30_000 },
        { correlationId: 32 },
      );
      await client.write(Buffer.concat([produce, remove]));
      const produced = decodeResponseFrame(Produce, PRODUCE_VERSION, await client.nextFrame());
      expect(produced.correlationId).toBe(31);
      expect(produced.body.responses[0]!.partitionResponses[0]).toMatchObject({
        errorCode: ERROR_CODES.NONE,
        baseOffset: 0,
      });
      const deleted = decodeResponseFrame(DeleteTopics, 6, await client.nextFrame());
      expect(deleted.correlationId).toBe(32);
      expect(deleted.body.responses[0]!.errorCode).toBe(ERROR_CODES.NONE);
    });
  });
});

describe('after all of that', () => {
  it('the broker is up, logged nothing fatal, and has lost nothing written before', async () => {
    expect(broker.alive).toBe(true);
    expect(await apiVersionsOnNewConnection(broker.port)).toBe(ERROR_CODES.NONE);
    expect(await readAllValues(broker.port, PRECIOUS, 0)).toEqual(PRECIOUS_VALUES);
    expect(broker.lines.filter((l) => typeof l.level === 'number' && l.level >= 60)).toEqual([]);
  });
});

/**
 * Input that, unguarded, costs the broker unbounded resources or its future starts. Each case gets
 * its own broker, with a small heap so an unbounded allocation fails fast instead of taking the
 * shared machine's memory.
 */
describe('requests that must not cost the broker its health', () => {
  async function withOwnBroker(use: (b: BrokerProcess) => Promise<void>): Promise<void> {
    const own = await BrokerProcess.start({ env: { NODE_OPTIONS: '--max-old-space-size=256' } });
    try {
      await use(own);
    } finally {
      await own.destroy();
    }
  }

  it.each([
    { name: 'one topic of 10,001 partitions', partitions: 10_001 },
    { name: 'one topic of 2^31-1 partitions', partitions: 0x7fffffff },
  ])(
    'CreateTopics over 10,000 partitions in one request ($name): POLICY_VIOLATION, nothing created',
    async ({ partitions }) => {
      // Kafka 4 (KAFKA-17870): "Excessively large number of partitions per request." for the whole request.
      await withOwnBroker(async (own) => {
        await withRawClient(own.port, async (client) => {
          const response = await client.request(CreateTopics, CREATE_TOPICS_VERSION, {
            topics: [
              {
                name: 'too-many-partitions',
                numPartitions: partitions,
                replicationFactor: 1,
                assignments: [],
                configs: [],
              },
            ],
            timeoutMs: 30_000,
          });
          expect(response.topics.map((t) => t.errorCode)).toEqual([ERROR_CODES.POLICY_VIOLATION]);
        });
        expect(own.alive).toBe(true);
        await withRawClient(own.port, async (client) => {
          const metadata = await client.request(Metadata, 12, {
            topics: [{ name: 'too-many-partitions' }],
            allowAutoTopicCreation: false,
          });
          expect(metadata.topics[0]!.errorCode).toBe(ERROR_CODES.UNKNOWN_TOPIC_OR_PARTITION);
        });
      });
    },
  );

  it('Produce to __consumer_offsets: INVALID_TOPIC_EXCEPTION, and the broker still restarts', async () => {
    // Kafka's ReplicaManager: "Cannot append to internal topic __consumer_offsets" (clients other
    // than the admin client id may not write internal topics).
    await withOwnBroker(async (own) => {
      await withRawClient(own.port, async (client) => {
        const coordinator = await client.request(FindCoordinator, 3, { key: 'some-group', keyType: 0 });
        expect(coordinator.errorCode).toBe(ERROR_CODES.NONE);
        const response = await client.request(Produce, PRODUCE_VERSION, {
          acks: -1,
          timeoutMs: 30_000,
          topicData: [
            {
              name: '__consumer_offsets',
              partitionData: [
                {
                  index: 0,
                  records: buildRecordBatch([
                    { key: Buffer.from([0]), value: Buffer.from('not a group record') },
                  ]),
                },
              ],
            },
          ],
        });
        expect(response.responses[0]!.partitionResponses[0]!.errorCode).toBe(
          ERROR_CODES.INVALID_TOPIC_EXCEPTION,
        );
      });
      const restarted = await own.restart();
      try {
        await withRawClient(restarted.port, async (client) => {
          const coordinator = await client.request(FindCoordinator, 3, { key: 'some-group', keyType: 0 });
          expect(coordinator.errorCode).toBe(ERROR_CODES.NONE);
        });
      } finally {
        await restarted.kill();
      }
    });
  });
});
