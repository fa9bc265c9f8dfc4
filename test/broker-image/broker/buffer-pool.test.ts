import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Fetch, Produce } from '../../../broker-image/src/protocol/messages/index.js';
import { batchesOf } from '../../../broker-image/src/protocol/records/record-batch.js';
import { recordsOf } from '../../../broker-image/src/protocol/records/records.js';
import { BrokerProcess } from '../../support/broker-process.js';
import { decodeResponseFrame, encodeRequestFrame, withRawClient } from '../../support/raw-client.js';
import {
  createTopics,
  FETCH_VERSION,
  fetchBatches,
  PRODUCE_VERSION,
  produceValues,
  readAllValues,
  valuesBatch,
} from '../../support/raw-requests.js';

let broker: BrokerProcess | undefined;
afterEach(async () => broker?.destroy());

const BATCHES = 30;
const RECORDS_PER_BATCH = 200;
const VALUE_BYTES = 1000;

function values(partition: number, batch: number): string[] {
  return Array.from({ length: RECORDS_PER_BATCH }, (_, i) =>
    `p${partition}-b${batch}-r${i}-`.padEnd(VALUE_BYTES, String.fromCharCode(97 + ((batch + i) % 26))),
  );
}

function fetchFrame(correlationId: number, offset: number): Buffer {
  return encodeRequestFrame(
    Fetch,
    FETCH_VERSION,
    {
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 1024 * 1024,
      isolationLevel: 0,
      sessionId: 0,
      topics: [
        {
          topic: 'pooled',
          partitions: [{ partition: 0, fetchOffset: offset, partitionMaxBytes: 1024 * 1024 }],
        },
      ],
      forgottenTopicsData: [],
      rackId: '',
    },
    { correlationId },
  );
}

/** Reads `count` response frames from a socket that was paused until now. */
function readFrames(socket: Socket, count: number): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const frames: Buffer[] = [];
    let pending = Buffer.alloc(0);
    socket.on('error', reject);
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
        const size = pending.readInt32BE(0);
        frames.push(pending.subarray(4, 4 + size));
        pending = pending.subarray(4 + size);
      }
      if (frames.length >= count) resolve(frames);
    });
    socket.resume();
  });
}

describe('pooled buffers', () => {
  it('of a fetch are not reused while its response is still waiting to be written to a slow consumer', async () => {
    broker = await BrokerProcess.start();
    await withRawClient(broker.port, async (client) => {
      await createTopics(client, [{ name: 'pooled', partitions: 2 }]);
      for (let b = 0; b < BATCHES; b++) {
        await produceValues(client, 'pooled', 0, values(0, b));
        await produceValues(client, 'pooled', 1, values(1, b));
      }
    });

    // A consumer that asks for ~24 MiB and reads none of it: the broker's responses back up
    // behind its socket, holding their read buffers.
    const slow = await new Promise<Socket>((resolve, reject) => {
      const socket = connect({ port: broker!.port, host: '127.0.0.1' }, () => resolve(socket));
      socket.once('error', reject);
    });
    slow.pause();
    const offsets = Array.from({ length: 24 }, (_, i) => i * RECORDS_PER_BATCH);
    for (const [i, offset] of offsets.entries()) slow.write(fetchFrame(i + 1, offset));

    // Meanwhile another consumer reads the other partition over and over, through the same pool.
    await withRawClient(broker.port, async (client) => {
      for (let round = 0; round < 40; round++) {
        const fetched = await fetchBatches(client, 'pooled', 1, (round % BATCHES) * RECORDS_PER_BATCH);
        expect(fetched.errorCode).toBe(0);
        for (const batch of fetched.batches) expect(batch.isValid()).toBe(true);
      }
    });

    const frames = await readFrames(slow, offsets.length);
    slow.destroy();
    for (const [i, frame] of frames.entries()) {
      const { correlationId, body } = decodeResponseFrame(Fetch, FETCH_VERSION, frame);
      expect(correlationId).toBe(i + 1);
      const partition = body.responses[0]!.partitions[0]!;
      expect(partition.errorCode).toBe(0);
      const batches = [...batchesOf(partition.records!)];
      expect(batches.length).toBeGreaterThan(0);
      expect(batches[0]!.baseOffset).toBe(offsets[i]);
      for (const batch of batches) {
        expect(batch.isValid()).toBe(true);
        const batchIndex = batch.baseOffset / RECORDS_PER_BATCH;
        expect(recordsOf(batch).map((r) => r.value!.toString())).toEqual(values(0, batchIndex));
      }
    }
  });

  it('of produce requests spread over many socket reads keep every record, queued behind fsyncs on two connections', async () => {
    broker = await BrokerProcess.start();
    // flush.messages=1: each append waits for its fsync, so the frames read meanwhile queue up.
    await withRawClient(broker.port, (client) =>
      createTopics(client, [{ name: 'pooled', partitions: 2, configs: { 'flush.messages': '1' } }]),
    );
    const requests = 40;
    const produceOn = async (partition: number): Promise<void> => {
      const socket = await new Promise<Socket>((resolve, reject) => {
        const s = connect({ port: broker!.port, host: '127.0.0.1' }, () => resolve(s));
        s.once('error', reject);
      });
      socket.pause();
      for (let b = 0; b < requests; b++) {
        const body = {
          acks: 1,
          timeoutMs: 30_000,
          topicData: [
            {
              name: 'pooled',
              partitionData: [{ index: partition, records: valuesBatch(values(partition, b)) }],
            },
          ],
        };
        socket.write(encodeRequestFrame(Produce, PRODUCE_VERSION, body, { correlationId: b + 1 }));
      }
      const frames = await readFrames(socket, requests);
      socket.destroy();
      for (const [i, frame] of frames.entries()) {
        const { correlationId, body } = decodeResponseFrame(Produce, PRODUCE_VERSION, frame);
        expect(correlationId).toBe(i + 1);
        expect(body.responses[0]!.partitionResponses[0]!.errorCode).toBe(0);
      }
    };
    await Promise.all([produceOn(0), produceOn(1)]);
    for (const partition of [0, 1]) {
      const expected = Array.from({ length: requests }, (_, b) => values(partition, b)).flat();
      expect(await readAllValues(broker.port, 'pooled', partition)).toEqual(expected);
    }
  });
});
