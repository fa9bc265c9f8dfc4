import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CONNECTION_WARNING_INTERVAL_MS,
  CONNECTION_WARNINGS_PER_INTERVAL,
} from '../../../broker-image/src/broker/connection-log.js';
import { ERROR_CODES } from '../../../broker-image/src/protocol/errors.js';
import { framePrefix } from '../../../broker-image/src/protocol/frame.js';
import { ApiVersions, Fetch, Produce } from '../../../broker-image/src/protocol/messages/index.js';
import { batchesOf } from '../../../broker-image/src/protocol/records/record-batch.js';
import { recordsOf } from '../../../broker-image/src/protocol/records/records.js';
import { BrokerProcess } from '../../support/broker-process.js';
import { encodeRequestFrame, RawClient, withRawClient } from '../../support/raw-client.js';
import {
  API_VERSIONS_VERSION,
  FETCH_VERSION,
  PRODUCE_VERSION,
  apiVersionsOnNewConnection,
  createTopics,
  produceValues,
  valuesBatch,
} from '../../support/raw-requests.js';
import { waitUntil } from '../../support/wait-until.js';

/**
 * The broker's bounded resources, over raw TCP: the broker-wide cap on request bytes being read
 * (queued.max.request.bytes), the connection limits (max.connections, max.connections.per.ip and
 * its overrides), idle connections (connections.max.idle.ms), and warnings about bad connections,
 * which are rate-limited and counted in /metrics.
 */

/** The broker's /metrics, by series as printed (`name{label="value"}`). */
async function scrape(broker: BrokerProcess): Promise<Map<string, number>> {
  const text = await (await fetch(`${broker.adminUrl}/metrics`)).text();
  const series = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    series.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return series;
}

async function metric(broker: BrokerProcess, series: string): Promise<number> {
  return (await scrape(broker)).get(series) ?? 0;
}

const closedFor = (reason: string): string => `strata_network_connections_closed_total{reason="${reason}"}`;
const QUEUED = 'strata_network_queued_request_bytes';
const PEAK = 'strata_network_queued_request_peak_bytes';
const WAITS = 'strata_network_request_memory_waits_total';

const MIB = 1024 * 1024;

describe('queued.max.request.bytes', () => {
  const MAX_REQUEST = 4 * MIB;
  const CAP = 10 * MIB;
  const SENDERS = 8;
  const TOPIC = 'big';
  let broker: BrokerProcess;

  beforeAll(async () => {
    broker = await BrokerProcess.start({
      properties: {
        'socket.request.max.bytes': MAX_REQUEST,
        'message.max.bytes': MAX_REQUEST,
        'queued.max.request.bytes': CAP,
      },
    });
    await withRawClient(broker.port, (client) => createTopics(client, [{ name: TOPIC, partitions: 1 }]));
  });
  afterAll(async () => broker?.destroy());

  /** A Produce of one 3 MiB record: three fit under the cap, a fourth does not. */
  function bigProduce(correlationId: number, sender: number): Buffer {
    return encodeRequestFrame(
      Produce,
      PRODUCE_VERSION,
      {
        acks: -1,
        timeoutMs: 30_000,
        topicData: [
          {
            name: TOPIC,
            partitionData: [{ index: 0, records: valuesBatch([`${sender}:`.padEnd(3 * MIB, 'v')]) }],
          },
        ],
      },
      { correlationId },
    );
  }

  /** The value of the record at `offset`, fetched alone (the broker returns at least one batch). */
  async function firstValueAt(client: RawClient, offset: number): Promise<string> {
    const response = await client.request(Fetch, FETCH_VERSION, {
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 1,
      isolationLevel: 0,
      sessionId: 0,
      topics: [{ topic: TOPIC, partitions: [{ partition: 0, fetchOffset: offset, partitionMaxBytes: 1 }] }],
      forgottenTopicsData: [],
      rackId: '',
    });
    const [batch] = batchesOf(response.responses[0]!.partitions[0]!.records!);
    return recordsOf(batch!)[0]!.value!.toString('latin1', 0, 16);
  }

  /** Samples the queued bytes until stopped; resolves with the most seen. */
  function sampleQueuedBytes(): { stop: () => Promise<number> } {
    let running = true;
    const sampling = (async () => {
      let most = 0;
      while (running) {
        most = Math.max(most, await metric(broker, QUEUED));
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return most;
    })();
    return {
      stop: () => {
        running = false;
        return sampling;
      },
    };
  }

  /**
   * Opens `SENDERS` connections that each send all of a big Produce but its last bytes, and waits
   * until the broker holds as many as fit under the cap and has stopped reading the others.
   */
  async function startSenders(): Promise<{ clients: RawClient[]; frames: Buffer[]; frameBytes: number }> {
    const waitsBefore = await metric(broker, WAITS);
    const clients = await Promise.all(Array.from({ length: SENDERS }, () => RawClient.connect(broker.port)));
    const frames = clients.map((client, i) => bigProduce(client.correlationId(), i));
    // Writes to a connection the broker stopped reading complete only once it reads on.
    for (const [i, client] of clients.entries())
      void client.write(frames[i]!.subarray(0, -100)).catch(() => {});
    const frameBytes = frames[0]!.length - 4;
    const admitted = Math.floor(CAP / frameBytes);
    await waitUntil(
      async () => {
        const series = await scrape(broker);
        return (
          series.get(QUEUED) === admitted * frameBytes &&
          (series.get(WAITS) ?? 0) - waitsBefore >= SENDERS - admitted
        );
      },
      `${admitted} requests admitted and the others waiting`,
      { timeoutMs: 60_000 },
    );
    return { clients, frames, frameBytes };
  }

  it('holds no more request bytes than the cap, keeps serving small requests, and serves every sender once they finish', async () => {
    const sampler = sampleQueuedBytes();
    const { clients, frames } = await startSenders();
    // A request that fits beside the ones being read is served while the others wait.
    expect(await apiVersionsOnNewConnection(broker.port)).toBe(ERROR_CODES.NONE);

    const responses = clients.map((client, i) =>
      client.response(Produce, PRODUCE_VERSION, frames[i]!.readInt32BE(8)),
    );
    for (const [i, client] of clients.entries()) void client.write(frames[i]!.subarray(-100)).catch(() => {});
    for (const response of await Promise.all(responses)) {
      expect(response.responses[0]!.partitionResponses[0]!.errorCode).toBe(ERROR_CODES.NONE);
    }
    for (const client of clients) client.destroy();
    await waitUntil(async () => (await metric(broker, QUEUED)) === 0, 'every request byte released');

    expect(await sampler.stop()).toBeLessThanOrEqual(CAP);
    const series = await scrape(broker);
    expect(series.get(PEAK)).toBeLessThanOrEqual(CAP);
    expect(series.get(PEAK)).toBeGreaterThan(CAP - 4 * MIB);
    // Every sender's record was stored (read one at a time: each is 3 MiB).
    const senders = await withRawClient(broker.port, async (client) => {
      const found: string[] = [];
      for (let offset = 0; offset < SENDERS; offset++)
        found.push((await firstValueAt(client, offset)).split(':')[0]!);
      return found;
    });
    expect(senders.sort()).toEqual(Array.from({ length: SENDERS }, (_, i) => String(i)).sort());
  });

  it('releases the bytes of senders that disconnect half-way, and serves normal clients after', async () => {
    const sampler = sampleQueuedBytes();
    const { clients } = await startSenders();
    for (const client of clients) client.destroy();
    await waitUntil(async () => (await metric(broker, QUEUED)) === 0, 'every request byte released');
    expect(await sampler.stop()).toBeLessThanOrEqual(CAP);
    expect(await metric(broker, PEAK)).toBeLessThanOrEqual(CAP);

    await withRawClient(broker.port, async (client) => {
      const offset = await produceValues(client, TOPIC, 0, ['after the flood']);
      expect(await firstValueAt(client, offset)).toBe('after the flood');
    });
    expect(await apiVersionsOnNewConnection(broker.port)).toBe(ERROR_CODES.NONE);
  });
});

/** A connection from `localAddress` (any 127.x address is loopback on Linux). */
function connectFrom(port: number, localAddress: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', localAddress }, () => {
      socket.off('error', reject);
      socket.on('error', () => {});
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/** Whether the broker answers an ApiVersions on `socket` ('served') or closes it ('closed'). */
function outcome(socket: Socket): Promise<'served' | 'closed'> {
  return new Promise((resolve) => {
    let received = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length >= 4 && received.length >= 4 + received.readInt32BE(0)) resolve('served');
    });
    socket.on('close', () => resolve('closed'));
    socket.write(
      encodeRequestFrame(
        ApiVersions,
        API_VERSIONS_VERSION,
        { clientSoftwareName: 'limits', clientSoftwareVersion: '1.0' },
        { correlationId: 1 },
      ),
      () => {},
    );
  });
}

describe('max.connections and max.connections.per.ip', () => {
  let broker: BrokerProcess;
  const open: Socket[] = [];

  beforeAll(async () => {
    broker = await BrokerProcess.start({
      properties: {
        'max.connections': 6,
        'max.connections.per.ip': 2,
        'max.connections.per.ip.overrides': '127.0.0.2:3',
      },
    });
  });
  afterAll(async () => {
    for (const socket of open) socket.destroy();
    await broker?.destroy();
  });

  /** Opens a connection from `from` and reports whether the broker serves it. */
  async function attempt(from: string): Promise<'served' | 'closed'> {
    const socket = await connectFrom(broker.port, from);
    open.push(socket);
    return outcome(socket);
  }

  it('closes a connection beyond the limit per address (or its override) and beyond the broker-wide limit, counting each', async () => {
    expect([await attempt('127.0.0.1'), await attempt('127.0.0.1')]).toEqual(['served', 'served']);
    expect(await attempt('127.0.0.1')).toBe('closed');
    expect(await metric(broker, closedFor('max_connections_per_ip'))).toBe(1);

    // The override lets 127.0.0.2 open three.
    for (let i = 0; i < 3; i++) expect(await attempt('127.0.0.2')).toBe('served');
    expect(await attempt('127.0.0.2')).toBe('closed');
    expect(await metric(broker, closedFor('max_connections_per_ip'))).toBe(2);

    // Five open; a sixth from a third address, then the broker is full.
    expect(await attempt('127.0.0.3')).toBe('served');
    expect(await attempt('127.0.0.4')).toBe('closed');
    expect(await metric(broker, closedFor('max_connections'))).toBe(1);
    expect(await metric(broker, 'strata_network_connections{listener="PLAINTEXT"}')).toBe(6);

    // One leaving makes room for another.
    open[0]!.destroy();
    await waitUntil(
      async () => (await metric(broker, 'strata_network_connections{listener="PLAINTEXT"}')) === 5,
      'the broker to see the connection closed',
    );
    expect(await attempt('127.0.0.4')).toBe('served');
    expect(broker.lines.filter((l) => l.msg?.startsWith('refused connection')).length).toBe(3);
  });
});

describe('connections.max.idle.ms', () => {
  const IDLE_MS = 1500;
  let broker: BrokerProcess;

  beforeAll(async () => {
    broker = await BrokerProcess.start({ properties: { 'connections.max.idle.ms': IDLE_MS } });
    await withRawClient(broker.port, (client) => createTopics(client, [{ name: 'quiet', partitions: 1 }]));
  });
  afterAll(async () => broker?.destroy());

  it('closes a connection idle for longer, and counts it', async () => {
    const idleBefore = await metric(broker, closedFor('idle'));
    const client = await RawClient.connect(broker.port);
    try {
      const answer = await client.request(ApiVersions, API_VERSIONS_VERSION, {
        clientSoftwareName: 'idle',
        clientSoftwareVersion: '1.0',
      });
      expect(answer.errorCode).toBe(ERROR_CODES.NONE);
      await client.closed;
    } finally {
      client.destroy();
    }
    await waitUntil(
      async () => (await metric(broker, closedFor('idle'))) > idleBefore,
      'the idle close counted',
    );
  });

  it('keeps a connection whose request the broker holds longer than that (a long-poll fetch)', async () => {
    const client = await RawClient.connect(broker.port);
    try {
      const response = await client.request(Fetch, FETCH_VERSION, {
        maxWaitMs: 3 * IDLE_MS,
        minBytes: 1,
        maxBytes: 1024 * 1024,
        isolationLevel: 0,
        sessionId: 0,
        topics: [
          { topic: 'quiet', partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1024 * 1024 }] },
        ],
        forgottenTopicsData: [],
        rackId: '',
      });
      expect(response.responses[0]!.partitions[0]!.errorCode).toBe(ERROR_CODES.NONE);
      expect(client.isClosed).toBe(false);
      // Then idle again: closed.
      await client.closed;
    } finally {
      client.destroy();
    }
  });
});

describe('warnings about bad connections', () => {
  const MAX_REQUEST = 64 * 1024;
  const BAD = 200;
  let broker: BrokerProcess;

  beforeAll(async () => {
    broker = await BrokerProcess.start({
      properties: { 'socket.request.max.bytes': MAX_REQUEST, 'message.max.bytes': MAX_REQUEST },
    });
  });
  afterAll(async () => broker?.destroy());

  /** A connection that sends a bad size prefix: too large for even numbers, negative for odd. */
  async function badConnection(i: number): Promise<void> {
    const client = await RawClient.connect(broker.port);
    try {
      const prefix = i % 2 === 0 ? framePrefix(MAX_REQUEST + 1) : Buffer.from([0xff, 0xff, 0xff, 0xfe]);
      await client.write(Buffer.concat([prefix, Buffer.alloc(16)])).catch(() => undefined);
      await client.expectClosed();
    } finally {
      client.destroy();
    }
  }

  it('are rate-limited, with the rest summed up in one line per interval, and all counted in /metrics', async () => {
    for (let at = 0; at < BAD; at += 20) {
      await Promise.all(Array.from({ length: 20 }, (_, i) => badConnection(at + i)));
    }
    await waitUntil(async () => {
      const series = await scrape(broker);
      return (
        series.get(closedFor('frame_too_large')) === BAD / 2 &&
        series.get(closedFor('invalid_frame')) === BAD / 2
      );
    }, 'every bad connection counted');

    const warned = () => broker.lines.filter((l) => l.msg?.startsWith('closing connection: invalid frame'));
    const summaries = () => broker.lines.filter((l) => /^suppressed \d+ similar warnings$/.test(l.msg ?? ''));
    const suppressed = () => summaries().reduce((sum, l) => sum + (l.suppressed as number), 0);
    await waitUntil(() => warned().length + suppressed() === BAD, 'the suppressed warnings summed up', {
      timeoutMs: CONNECTION_WARNING_INTERVAL_MS * 3,
      describe: () => `${warned().length} logged, ${suppressed()} suppressed`,
    });
    expect(suppressed()).toBeGreaterThan(0);
    // At most so many lines per interval, and every interval that suppressed some ends in a summary.
    expect(warned().length).toBeLessThanOrEqual(CONNECTION_WARNINGS_PER_INTERVAL * (summaries().length + 1));
    const reasons = summaries().map((l) => l.reasons as Record<string, number>);
    const byReason = (reason: string) => reasons.reduce((sum, r) => sum + (r[reason] ?? 0), 0);
    expect(byReason('frame_too_large') + byReason('invalid_frame')).toBe(suppressed());

    expect(await apiVersionsOnNewConnection(broker.port)).toBe(ERROR_CODES.NONE);
  });
});
