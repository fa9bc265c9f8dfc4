import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../../broker-image/src/protocol/errors.js';
import { Produce } from '../../../broker-image/src/protocol/messages/index.js';
import { CompressionType, compress } from '../../../broker-image/src/protocol/records/compression.js';
import { buildRecordBatch } from '../../../broker-image/src/protocol/records/records.js';
import { BrokerProcess } from '../../support/broker-process.js';
import {
  CODECS,
  decompressionBombs,
  deterministicBytes,
  malformedRecordSets,
  recordBytes,
  valueRecords,
  withPayload,
  zstdFrameOfZeros,
} from '../../support/poison-batches.js';
import { withRawClient } from '../../support/raw-client.js';
import { PRODUCE_VERSION, createTopics, fetchBatches, produceValues } from '../../support/raw-requests.js';
import { runCommand } from '../../support/run-command.js';

/**
 * Batches whose header and CRC are right but whose records no consumer can read back (kcat:
 * "Decompression failed", Java: ZipException). Acknowledged, they would make every later record of
 * the partition unreadable; the broker refuses them with Kafka's error code and appends nothing.
 */
const MAX_MESSAGE_BYTES = 64 * 1024;
const TOPIC = 'poison';

let broker: BrokerProcess;
/** Values produced well-formed, in order: what a consumer must read back at the end. */
const produced: string[] = [];

beforeAll(async () => {
  broker = await BrokerProcess.start({ properties: { 'message.max.bytes': MAX_MESSAGE_BYTES } });
  await withRawClient(broker.port, async (client) => {
    await createTopics(client, [{ name: TOPIC, partitions: 1 }]);
    await produceValues(client, TOPIC, 0, ['before']);
  });
  produced.push('before');
});
afterAll(async () => broker?.destroy());

async function logEnd(): Promise<number> {
  return withRawClient(broker.port, async (c) => (await fetchBatches(c, TOPIC, 0, 0)).highWatermark);
}

/** Produces `records` with acks=-1 and answers the partition's error code and message. */
async function produce(records: Buffer): Promise<{ errorCode: number; errorMessage: string | null }> {
  return withRawClient(broker.port, async (client) => {
    const response = await client.request(Produce, PRODUCE_VERSION, {
      acks: -1,
      timeoutMs: 30_000,
      topicData: [{ name: TOPIC, partitionData: [{ index: 0, records }] }],
    });
    const { errorCode, errorMessage } = response.responses[0]!.partitionResponses[0]!;
    return { errorCode, errorMessage: errorMessage ?? null };
  });
}

async function expectRefused(records: Buffer, errorCode: number): Promise<string | null> {
  const before = await logEnd();
  const result = await produce(records);
  expect(result.errorCode).toBe(errorCode);
  expect(await logEnd()).toBe(before);
  return result.errorMessage;
}

async function kcat(args: string[], input?: string): Promise<{ stdout: string; stderr: string }> {
  const result = await runCommand('kcat', ['-b', `127.0.0.1:${broker.port}`, ...args], {
    input,
    timeoutMs: 60_000,
  });
  if (result.code !== 0) throw new Error(`kcat exited ${result.code}: ${result.stderr}`);
  return result;
}

describe('Produce of a batch no consumer could read: refused, nothing appended', () => {
  it.each(CODECS)('random bytes said to be $name: INVALID_RECORD', async ({ name, codec }) => {
    const message = await expectRefused(
      withPayload(deterministicBytes(`poison-${name}`, 500), codec),
      ERROR_CODES.INVALID_RECORD,
    );
    expect(message).toContain(name);
  });

  it.each([5, 6, 7])(
    'compression codec %i, which Kafka does not define: UNSUPPORTED_COMPRESSION_TYPE (76)',
    async (codec) => {
      await expectRefused(
        withPayload(recordBytes(valueRecords('a', 'b')), codec),
        ERROR_CODES.UNSUPPORTED_COMPRESSION_TYPE,
      );
    },
  );

  const malformed = malformedRecordSets();
  describe.each(CODECS)('$name', ({ codec }) => {
    it.each(malformed)('$name: INVALID_RECORD', async ({ records, recordCount }) => {
      await expectRefused(
        withPayload(compress(codec, records), codec, undefined, recordCount),
        ERROR_CODES.INVALID_RECORD,
      );
    });
  });

  // Snappy cannot expand 64 KiB past the limit (at most 22 times), so it has no bomb here.
  const bombs = [
    ...decompressionBombs(8 * 1024 * 1024).filter((b) => b.codec !== CompressionType.SNAPPY),
    {
      name: 'zstd: a gigabyte of zeros in 32 KiB',
      codec: CompressionType.ZSTD,
      payload: zstdFrameOfZeros(2 ** 30),
    },
  ];
  it.each(bombs)(
    'a decompression bomb ($name): MESSAGE_TOO_LARGE, naming 64 × max.message.bytes',
    async ({ codec, payload }) => {
      expect(payload.length).toBeLessThan(MAX_MESSAGE_BYTES - 100);
      const message = await expectRefused(withPayload(payload, codec), ERROR_CODES.MESSAGE_TOO_LARGE);
      expect(message).toContain(`64 × max.message.bytes (${MAX_MESSAGE_BYTES})`);
    },
  );
});

describe('after every refusal the partition is whole', () => {
  it.each(CODECS)('a well-formed $name batch built here is accepted', async ({ name, codec }) => {
    const value = `raw ${name}`;
    const result = await produce(buildRecordBatch(valueRecords(value), { compression: codec }));
    expect(result.errorCode).toBe(ERROR_CODES.NONE);
    produced.push(value);
  });

  it.each(CODECS)('kcat produces with $name, and the broker accepts its batches', async ({ name }) => {
    const values = [`kcat ${name} 1`, `kcat ${name} 2`, `kcat ${name} 3`];
    await kcat(['-P', '-t', TOPIC, '-p', '0', '-z', name, '-X', 'linger.ms=100'], values.join('\n') + '\n');
    produced.push(...values);
  });

  it('kcat reads every record back, from the first', async () => {
    expect(broker.alive).toBe(true);
    const { stdout, stderr } = await kcat([
      '-C',
      '-t',
      TOPIC,
      '-p',
      '0',
      '-o',
      'beginning',
      '-e',
      '-q',
      '-f',
      '%s\n',
    ]);
    expect(stderr).not.toMatch(/error|fail/i);
    expect(stdout.split('\n').filter((line) => line !== '')).toEqual(produced);
    expect(await logEnd()).toBe(produced.length);
  });
});
