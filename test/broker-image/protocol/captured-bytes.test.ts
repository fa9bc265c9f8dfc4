import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  readRequestHeader,
  readResponseHeader,
  responseHeaderVersion,
  writeRequestHeader,
  writeResponseHeader,
} from '../../../broker-image/src/protocol/headers.js';
import { Reader } from '../../../broker-image/src/protocol/primitives/reader.js';
import { Writer } from '../../../broker-image/src/protocol/primitives/writer.js';
import { API_LIST } from '../../../broker-image/src/protocol/registry.js';
import {
  decodeRequest,
  decodeResponse,
  encodeRequest,
  encodeResponse,
  type ApiDefinition,
} from '../../../broker-image/src/protocol/schema/api.js';
import type { Encodable, Fields } from '../../../broker-image/src/protocol/schema/fields.js';
import { byteDifference } from './byte-diff.js';

/**
 * Frames captured from real clients and from a real Apache Kafka broker (see
 * test/support/capture-fixtures.ts) decode with the declared API and version, and re-encode to
 * the very bytes that were on the wire.
 */

const FIXTURES_DIR = fileURLToPath(new URL('../../fixtures/captured', import.meta.url));

/**
 * librdkafka 2.12 (confluentinc/librdkafka#5049) writes the null topic array of an all-topics
 * Metadata v9+ request as a 1-byte varint left in a 4-byte placeholder: 00 000000. The three
 * stray zero bytes shift what follows, and Kafka, which ignores bytes after the body, reads
 * allowAutoTopicCreation as false. Kept as a fixture because the broker must read it the same way.
 */
const LIBRDKAFKA_ALL_TOPICS_METADATA = 'node-rdkafka/Metadata-v12-2.request.bin';
const FILE_NAME = /^(\w+)-v(\d+)-(\d+)\.(request|response)\.bin$/;

interface Fixture {
  readonly client: string;
  readonly file: string;
  readonly api: ApiDefinition;
  readonly version: number;
  readonly bytes: Buffer;
  /** For a response, the request it answered. */
  readonly requestBytes?: Buffer;
}

function fixturesOf(client: string, direction: 'request' | 'response'): Fixture[] {
  const dir = join(FIXTURES_DIR, client);
  return readdirSync(dir)
    .filter((file) => file.endsWith(`.${direction}.bin`))
    .sort()
    .map((file) => {
      const [, name, version, n] = FILE_NAME.exec(file) ?? [];
      const api = API_LIST.find((a) => a.name === name);
      if (!api || version === undefined)
        throw new Error(`${client}/${file}: not <ApiName>-v<version>-<n>.${direction}.bin`);
      const read = (suffix: string) => readFileSync(join(dir, `${name}-v${version}-${n}.${suffix}.bin`));
      return {
        client,
        file,
        api,
        version: Number(version),
        bytes: read(direction),
        requestBytes: direction === 'response' ? read('request') : undefined,
      };
    });
}

const clients = readdirSync(FIXTURES_DIR, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort();

it('has captured fixtures from each client', () => {
  expect(clients).toEqual(['java', 'kafkajs', 'kcat', 'node-rdkafka']);
  for (const client of clients) expect(fixturesOf(client, 'request').length).toBeGreaterThan(10);
});

describe.each(clients)('%s', (client) => {
  const requests = fixturesOf(client, 'request').filter(
    (f) => `${f.client}/${f.file}` !== LIBRDKAFKA_ALL_TOPICS_METADATA,
  );
  it.each(requests)('$file decodes and re-encodes to the captured bytes', (f) => {
    expect(f.version).toBeGreaterThanOrEqual(f.api.minVersion);
    expect(f.version).toBeLessThanOrEqual(f.api.maxVersion);
    const r = new Reader(f.bytes);
    const header = readRequestHeader(r);
    expect({ apiKey: header.apiKey, apiVersion: header.apiVersion }).toEqual({
      apiKey: f.api.apiKey,
      apiVersion: f.version,
    });
    const body = decodeRequest(f.api, r, f.version);
    expect(r.remaining, 'bytes left after decoding').toBe(0);

    const w = new Writer();
    writeRequestHeader(w, header);
    encodeRequest(f.api, body as Encodable<Fields>, w, f.version);
    expect(byteDifference(w.toBuffer(), f.bytes)).toBeUndefined();
  });

  const responses = fixturesOf(client, 'response');
  it.skipIf(responses.length === 0).each(responses)(
    "$file (Apache Kafka's) decodes and re-encodes to the captured bytes",
    (f) => {
      const headerVersion = responseHeaderVersion(f.api.apiKey, f.version);
      const r = new Reader(f.bytes);
      const correlationId = readResponseHeader(r, headerVersion);
      expect(correlationId, 'the correlation id of its request').toBe(f.requestBytes!.readInt32BE(4));
      const body = decodeResponse(f.api, r, f.version);
      expect(r.remaining, 'bytes left after decoding').toBe(0);

      const w = new Writer();
      writeResponseHeader(w, correlationId, headerVersion);
      encodeResponse(f.api, body as Encodable<Fields>, w, f.version);
      expect(byteDifference(w.toBuffer(), f.bytes)).toBeUndefined();
    },
  );
});

it("reads librdkafka 2.12's malformed all-topics Metadata v12 request as Kafka does", () => {
  const [client, file] = LIBRDKAFKA_ALL_TOPICS_METADATA.split('/') as [string, string];
  const f = fixturesOf(client, 'request').find((x) => x.file === file)!;
  const r = new Reader(f.bytes);
  const header = readRequestHeader(r);
  const body = decodeRequest(f.api, r, f.version);
  expect(body).toEqual({
    topics: null,
    allowAutoTopicCreation: false,
    includeClusterAuthorizedOperations: false,
    includeTopicAuthorizedOperations: false,
  });
  // librdkafka meant allowAutoTopicCreation=true (01), then the two zero bytes that end the body.
  expect(f.bytes.subarray(r.offset).toString('hex')).toBe('010000');

  const w = new Writer();
  writeRequestHeader(w, header);
  encodeRequest(f.api, body as Encodable<Fields>, w, f.version);
  expect(byteDifference(w.toBuffer(), f.bytes.subarray(0, r.offset))).toBeUndefined();
});
