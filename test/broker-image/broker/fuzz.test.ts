import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../../broker-image/src/protocol/errors.js';
import { framePrefix } from '../../../broker-image/src/protocol/frame.js';
import { API_LIST } from '../../../broker-image/src/protocol/registry.js';
import { ATTRIBUTES_OFFSET, CRC_OFFSET } from '../../../broker-image/src/protocol/records/record-batch.js';
import { crc32c } from '../../../broker-image/src/protocol/records/crc32c.js';
import { BrokerProcess } from '../../support/broker-process.js';
import { encodeRequestFrame, RawClient, withRawClient } from '../../support/raw-client.js';
import { apiVersionsOnNewConnection, createTopics } from '../../support/raw-requests.js';
import { runCommand } from '../../support/run-command.js';
import { FUZZ_TOPIC, FUZZ_TOPIC_PARTITIONS, seedFrames, type SeedFrame } from './fuzz-corpus.js';

/**
 * Random and mutated frames over many connections, a fixed number of them from a fixed seed (so a
 * failure replays), then checks that the broker is up and healthy, logged no crash, and still has
 * every record produced before.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed);
const CONNECTIONS = 3000;
const MAX_FRAMES_PER_CONNECTION = 12;
const PARALLEL_CONNECTIONS = 8;
/** How long the broker gets to close a connection after we half-close it. */
const CLOSE_TIMEOUT_MS = 60_000;
const FUZZ_TIMEOUT_MS = 600_000;

const PRECIOUS = 'fuzz-precious';
const PRECIOUS_PARTITIONS = 3;
const PRECIOUS_RECORDS = 100;

/** mulberry32: small, fast and good enough to drive mutations reproducibly. */
class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** In [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)]!;
  }

  bytes(length: number): Buffer {
    const out = Buffer.alloc(length);
    for (let i = 0; i < length; i++) out[i] = this.int(0, 255);
    return out;
  }
}

const INTERESTING_BYTES = [0x00, 0x01, 0x7f, 0x80, 0xff];
const INTERESTING_NUMBERS = [
  -1,
  -2,
  0,
  1,
  2,
  3,
  127,
  128,
  255,
  0x7fff,
  -0x8000,
  0xffff,
  0x7fffffff,
  -0x80000000,
  1 << 20,
  2 ** 40,
  2 ** 53 - 1,
  -(2 ** 53),
];
const INTERESTING_STRINGS = [
  '',
  'x'.repeat(300),
  '.',
  '..',
  'a/b',
  ' ',
  '\u0000',
  'ünïcødé',
  '__consumer_offsets',
  FUZZ_TOPIC,
];
const INTERESTING_INT16 = [-1, -2, 0, 1, 0x7fff, -0x8000];
const INTERESTING_INT32 = [-1, -2, 0, 1, 0x7fff, 0xffff, 0x7fffffff, -0x80000000, 1 << 20];
const KNOWN_API_KEYS = API_LIST.map((api) => api.apiKey);

const payloadOf = (frame: Buffer): Buffer => Buffer.from(frame.subarray(4));
const framed = (payload: Buffer): Buffer => Buffer.concat([framePrefix(payload.length), payload]);

type Mutator = (frame: Buffer, random: Random, seed: SeedFrame, corpus: readonly SeedFrame[]) => Buffer;

/** A copy of a decoded request in which Buffers stay Buffers. */
function cloneValue(value: unknown): unknown {
  if (Buffer.isBuffer(value)) return Buffer.from(value);
  if (Array.isArray(value)) return value.map(cloneValue);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, cloneValue(v)]));
  }
  return value;
}

/** Every place in a request body that holds a value, as [container, key]. */
function leaves(value: unknown, out: [Record<string, unknown> | unknown[], string | number][] = []) {
  const entries: [string | number, unknown][] = Array.isArray(value)
    ? value.map((v, i) => [i, v])
    : Object.entries(value as Record<string, unknown>);
  for (const [key, v] of entries) {
    out.push([value as Record<string, unknown>, key]);
    if (v && typeof v === 'object' && !Buffer.isBuffer(v)) leaves(v, out);
  }
  return out;
}

function replacementFor(current: unknown, random: Random): unknown {
  if (typeof current === 'number') return random.pick(INTERESTING_NUMBERS);
  if (typeof current === 'boolean') return !current;
  if (typeof current === 'string') return random.next() < 0.1 ? null : random.pick(INTERESTING_STRINGS);
  if (Buffer.isBuffer(current)) return random.next() < 0.2 ? null : random.bytes(random.int(0, 64));
  if (Array.isArray(current)) {
    const roll = random.next();
    if (roll < 0.3) return [];
    if (roll < 0.4) return null;
    // Repeat the elements: duplicate topics, partitions and members.
    return Array.from({ length: random.int(2, 5) }, () =>
      cloneValue(random.pick(current.length ? current : [{}])),
    );
  }
  return current;
}

/**
 * Mutations that keep the frame well delimited, so the connection stays in step and the next frame
 * is read as a frame.
 */
const IN_STEP_MUTATORS: Record<string, Mutator> = {
  /** Re-encodes the request with a field set to an edge value: decodable input with odd content. */
  fieldValue(frame, random, seed) {
    for (let attempt = 0; attempt < 5; attempt++) {
      const body = cloneValue(seed.body) as Record<string, unknown>;
      const places = leaves(body);
      for (let n = random.int(1, 3); n > 0 && places.length > 0; n--) {
        const [container, key] = random.pick(places);
        (container as Record<string | number, unknown>)[key] = replacementFor(
          (container as Record<string | number, unknown>)[key],
          random,
        );
      }
      try {
        return encodeRequestFrame(seed.api, seed.version, body as never, {
          correlationId: random.int(0, 0x7fffffff),
        });
      } catch {
        // The value does not fit the field (an int16 given 2^40, a null where none is allowed): try again.
      }
    }
    return frame;
  },
  flipBits(frame, random) {
    const payload = payloadOf(frame);
    for (let n = random.int(1, 8); n > 0; n--) {
      const at = random.int(0, payload.length - 1);
      payload[at] = payload[at]! ^ (1 << random.int(0, 7));
    }
    return framed(payload);
  },
  interestingBytes(frame, random) {
    const payload = payloadOf(frame);
    for (let n = random.int(1, 4); n > 0; n--)
      payload[random.int(0, payload.length - 1)] = random.pick(INTERESTING_BYTES);
    return framed(payload);
  },
  /** Lengths and counts are int16/int32 fields: overwrite some bytes with an edge value. */
  interestingInteger(frame, random) {
    const payload = payloadOf(frame);
    if (payload.length < 4) return frame;
    const at = random.int(0, payload.length - 4);
    if (random.next() < 0.5) payload.writeInt16BE(random.pick(INTERESTING_INT16), at);
    else payload.writeInt32BE(random.pick(INTERESTING_INT32), at);
    return framed(payload);
  },
  truncate(frame, random) {
    return framed(payloadOf(frame).subarray(0, random.int(0, frame.length - 5)));
  },
  appendGarbage(frame, random) {
    return framed(Buffer.concat([payloadOf(frame), random.bytes(random.int(1, 64))]));
  },
  insertOrDelete(frame, random) {
    const payload = payloadOf(frame);
    const at = random.int(0, payload.length);
    if (random.next() < 0.5)
      return framed(
        Buffer.concat([payload.subarray(0, at), random.bytes(random.int(1, 16)), payload.subarray(at)]),
      );
    return framed(Buffer.concat([payload.subarray(0, at), payload.subarray(at + random.int(1, 16))]));
  },
  apiKeyAndVersion(frame, random) {
    const out = Buffer.from(frame);
    if (out.length < 8) return frame;
    out.writeInt16BE(random.next() < 0.8 ? random.pick(KNOWN_API_KEYS) : random.int(-0x8000, 0x7fff), 4);
    out.writeInt16BE(random.next() < 0.8 ? random.int(-1, 16) : random.int(-0x8000, 0x7fff), 6);
    return out;
  },
  splice(frame, random, _seed, corpus) {
    const other = payloadOf(random.pick(corpus).frame);
    const payload = payloadOf(frame);
    return framed(
      Buffer.concat([
        payload.subarray(0, random.int(0, payload.length)),
        other.subarray(random.int(0, other.length)),
      ]),
    );
  },
  /** Changes a record batch and fixes its CRC, so the change reaches record validation and decompression. */
  batchContents(frame, random, seed) {
    // Only where the batch still lies where the seed had it (earlier mutations may have moved it).
    if (!seed.batch || frame.length !== seed.frame.length)
      return IN_STEP_MUTATORS.flipBits!(frame, random, seed, []);
    const out = Buffer.from(frame);
    const start = seed.batch.at + ATTRIBUTES_OFFSET;
    const end = seed.batch.at + seed.batch.length;
    for (let n = random.int(1, 6); n > 0; n--) {
      const at = random.int(start, end - 1);
      out[at] = random.next() < 0.5 ? out[at]! ^ (1 << random.int(0, 7)) : random.pick(INTERESTING_BYTES);
    }
    out.writeUInt32BE(crc32c(out.subarray(start, end)), seed.batch.at + CRC_OFFSET);
    return out;
  },
};
const IN_STEP_NAMES = Object.keys(IN_STEP_MUTATORS);

/** The size prefix lies: whatever follows is read out of step. */
function corruptSize(frame: Buffer, random: Random): Buffer {
  const out = Buffer.from(frame);
  const actual = frame.length - 4;
  out.writeInt32BE(
    random.pick([
      0,
      -1,
      1,
      3,
      actual - 1,
      actual + 1,
      actual + 100,
      0x7fffffff,
      random.int(-0x80000000, 0x7fffffff),
    ]),
    0,
  );
  return out;
}

/** A frame with a plausible header (a known API key, any version) and a random body. */
function randomFrame(random: Random): Buffer {
  const header = Buffer.alloc(10);
  header.writeInt16BE(random.pick(KNOWN_API_KEYS), 0);
  header.writeInt16BE(random.int(-1, 16), 2);
  header.writeInt32BE(random.int(0, 0x7fffffff), 4);
  header.writeInt16BE(-1, 8);
  return framed(Buffer.concat([header, random.bytes(random.int(0, 300))]));
}

/**
 * What one connection sends: a few frames, each as seeded, mutated or random, sometimes ended by
 * bytes that put the stream out of step; split at random points.
 */
function connectionBytes(random: Random, corpus: readonly SeedFrame[]): Buffer[] {
  const frames: Buffer[] = [];
  for (let n = random.int(1, MAX_FRAMES_PER_CONNECTION); n > 0; n--) {
    const roll = random.next();
    const seed = random.pick(corpus);
    if (roll < 0.1) frames.push(seed.frame);
    else if (roll < 0.5) frames.push(IN_STEP_MUTATORS.fieldValue!(seed.frame, random, seed, corpus));
    else if (roll < 0.93) {
      let frame = seed.frame;
      for (let m = random.int(1, 2); m > 0; m--)
        frame = IN_STEP_MUTATORS[random.pick(IN_STEP_NAMES)]!(frame, random, seed, corpus);
      frames.push(frame);
    } else frames.push(randomFrame(random));
  }
  const ending = random.next();
  if (ending < 0.05) frames.push(corruptSize(random.pick(corpus).frame, random));
  else if (ending < 0.1) frames.push(random.bytes(random.int(1, 64)));
  const stream = Buffer.concat(frames);
  const cuts = Array.from({ length: random.int(0, 3) }, () => random.int(0, stream.length)).sort(
    (a, b) => a - b,
  );
  return [0, ...cuts, stream.length]
    .slice(1)
    .map((end, i, ends) => stream.subarray(i === 0 ? 0 : ends[i - 1], end));
}

let broker: BrokerProcess;

async function kcat(args: string[], input?: string): Promise<string> {
  const result = await runCommand('kcat', ['-b', broker.bootstrap, ...args], { input, timeoutMs: 60_000 });
  if (result.code !== 0) throw new Error(`kcat ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
  return result.stdout;
}

const preciousLines = (partition: number): string[] =>
  Array.from({ length: PRECIOUS_RECORDS }, (_, i) => `${partition} ${i} key-${i} precious-${partition}-${i}`);

beforeAll(async () => {
  broker = await BrokerProcess.start({
    properties: { 'group.initial.rebalance.delay.ms': 0 },
    // A request that makes the broker allocate without bound should fail the test quickly, not
    // take the shared machine's memory with it.
    env: { NODE_OPTIONS: '--max-old-space-size=512' },
  });
  await withRawClient(broker.port, (client) =>
    createTopics(client, [
      { name: PRECIOUS, partitions: PRECIOUS_PARTITIONS },
      { name: FUZZ_TOPIC, partitions: FUZZ_TOPIC_PARTITIONS },
    ]),
  );
  for (let p = 0; p < PRECIOUS_PARTITIONS; p++) {
    const input =
      preciousLines(p)
        .map((l) => l.split(' ').slice(2).join(':'))
        .join('\n') + '\n';
    await kcat(
      ['-P', '-t', PRECIOUS, '-p', String(p), '-K', ':', '-z', p === 0 ? 'none' : p === 1 ? 'gzip' : 'zstd'],
      input,
    );
  }
});
afterAll(async () => broker?.destroy());

/** Writes `chunks`, half-closes, and resolves whether the broker closed its side in time. */
async function sendThenHalfClose(chunks: readonly Buffer[]): Promise<boolean> {
  const client = await RawClient.connect(broker.port);
  let timer: NodeJS.Timeout | undefined;
  try {
    // The broker closes the connection at the first frame it cannot parse; later writes may fail.
    for (const chunk of chunks) await client.write(chunk).catch(() => undefined);
    client.end();
    return await Promise.race([
      client.closed.then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), CLOSE_TIMEOUT_MS))),
    ]);
  } finally {
    clearTimeout(timer);
    client.destroy();
  }
}

async function expectPreciousRecords(): Promise<void> {
  for (let p = 0; p < PRECIOUS_PARTITIONS; p++) {
    const out = await kcat([
      '-C',
      '-t',
      PRECIOUS,
      '-p',
      String(p),
      '-o',
      'beginning',
      '-e',
      '-f',
      '%p %o %k %s\\n',
    ]);
    expect(out.trim().split('\n')).toEqual(preciousLines(p));
  }
}

describe('fuzzing the broker', () => {
  it(
    `survives ${CONNECTIONS} connections of random and mutated frames (seed ${SEED})`,
    async () => {
      const corpus = seedFrames();
      const random = new Random(SEED);
      // Generate everything up front so the bytes sent never depend on timing.
      const connections = Array.from({ length: CONNECTIONS }, () => connectionBytes(random, corpus));
      const stuck: number[] = [];
      for (let first = 0; first < connections.length; first += PARALLEL_CONNECTIONS) {
        const batch = connections.slice(first, first + PARALLEL_CONNECTIONS);
        const closed = await Promise.all(batch.map((chunks) => sendThenHalfClose(chunks)));
        closed.forEach((ok, i) => ok || stuck.push(first + i));
        expect(
          broker.alive,
          `the broker exited during connections ${first}-${first + batch.length - 1}`,
        ).toBe(true);
      }
      expect(stuck, 'connections the broker never closed after the client half-closed').toEqual([]);
    },
    FUZZ_TIMEOUT_MS,
  );

  it('is still up and healthy afterwards, with no crash or error in its log', async () => {
    expect(broker.alive).toBe(true);
    expect(await apiVersionsOnNewConnection(broker.port)).toBe(ERROR_CODES.NONE);
    const health = await fetch(`${broker.adminUrl}/healthz`);
    expect(health.status).toBe(200);
    const errors = broker.lines
      .filter((l) => typeof l.level === 'number' && l.level >= 50)
      .map((l) => ({
        msg: l.msg,
        api: l.api,
        version: l.version,
        err: (l.err as { message?: string } | undefined)?.message,
      }));
    expect(errors).toEqual([]);
    expect(broker.stderr).toBe('');
  });

  it('still has every record produced before the fuzzing, and serves new ones', async () => {
    await expectPreciousRecords();
    await kcat(['-P', '-t', 'after-fuzz', '-p', '0'], 'one\ntwo\n');
    expect(await kcat(['-C', '-t', 'after-fuzz', '-p', '0', '-o', 'beginning', '-e', '-f', '%s\\n'])).toBe(
      'one\ntwo\n',
    );
  });

  it('starts again on what the fuzzing left on disk, with the records intact', async () => {
    broker = await broker.restart();
    await expectPreciousRecords();
  });
});
