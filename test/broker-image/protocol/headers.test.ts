import { describe, expect, it } from 'vitest';
import {
  API_VERSIONS_KEY,
  readRequestHeader,
  readResponseHeader,
  requestHeaderVersion,
  responseHeaderVersion,
  writeRequestHeader,
  writeResponseHeader,
} from '../../../broker-image/src/protocol/headers.js';
import { Reader } from '../../../broker-image/src/protocol/primitives/reader.js';
import { Writer } from '../../../broker-image/src/protocol/primitives/writer.js';
import { API_LIST } from '../../../broker-image/src/protocol/registry.js';
import { isFlexible } from '../../../broker-image/src/protocol/schema/api.js';

const METADATA_KEY = 3;

function everyApiVersion() {
  return API_LIST.flatMap((api) =>
    Array.from({ length: api.maxVersion - api.minVersion + 1 }, (_, i) => ({
      api,
      version: api.minVersion + i,
      title: `${api.name} v${api.minVersion + i}`,
    })),
  );
}

function requestHeaderHex(header: Parameters<typeof writeRequestHeader>[1]): string {
  const w = new Writer();
  writeRequestHeader(w, header);
  return w.toBuffer().toString('hex');
}

describe('header versions', () => {
  it.each(everyApiVersion())(
    '$title: request header v2 and response header v1 exactly when the version is flexible',
    ({ api, version }) => {
      const flexible = isFlexible(api, version);
      expect(requestHeaderVersion(api.apiKey, version)).toBe(flexible ? 2 : 1);
      if (api.apiKey !== API_VERSIONS_KEY)
        expect(responseHeaderVersion(api.apiKey, version)).toBe(flexible ? 1 : 0);
    },
  );

  it('answers ApiVersions with response header v0 in every version, flexible ones included', () => {
    for (let version = 0; version <= 10; version++)
      expect(responseHeaderVersion(API_VERSIONS_KEY, version)).toBe(0);
  });

  it('reads an ApiVersions request newer than any we know with header v2, as Kafka does from v3', () => {
    expect(requestHeaderVersion(API_VERSIONS_KEY, 2)).toBe(1);
    expect(requestHeaderVersion(API_VERSIONS_KEY, 3)).toBe(2);
    expect(requestHeaderVersion(API_VERSIONS_KEY, 99)).toBe(2);
  });

  it('uses the classic headers for an API key it does not know', () => {
    expect(requestHeaderVersion(9999, 5)).toBe(1);
    expect(responseHeaderVersion(9999, 5)).toBe(0);
  });
});

describe('request header', () => {
  it('v1: key, version, correlation id and a classic int16-length client id, nothing after', () => {
    const header = { apiKey: METADATA_KEY, apiVersion: 8, correlationId: 42, clientId: 'é' };
    expect(requestHeaderHex(header)).toBe('0003' + '0008' + '0000002a' + '0002c3a9');
  });

  it('v2: the client id stays a classic string, followed by an empty tagged-field section', () => {
    const header = { apiKey: METADATA_KEY, apiVersion: 9, correlationId: 42, clientId: 'é' };
    expect(requestHeaderHex(header)).toBe('0003' + '0009' + '0000002a' + '0002c3a9' + '00');
  });

  it('writes a null client id as length -1', () => {
    const header = { apiKey: API_VERSIONS_KEY, apiVersion: 3, correlationId: 1, clientId: null };
    expect(requestHeaderHex(header)).toBe('0012' + '0003' + '00000001' + 'ffff' + '00');
  });

  it.each([
    { apiVersion: 8, clientId: 'rdkafka 日本', headerVersion: 1 },
    { apiVersion: 9, clientId: null, headerVersion: 2 },
  ])('reads back what it wrote (header v$headerVersion)', ({ apiVersion, clientId, headerVersion }) => {
    const w = new Writer();
    writeRequestHeader(w, { apiKey: METADATA_KEY, apiVersion, correlationId: -7, clientId });
    const bytes = Buffer.concat([w.toBuffer(), Buffer.from('beef', 'hex')]);
    const r = new Reader(bytes);
    expect(readRequestHeader(r)).toEqual({
      apiKey: METADATA_KEY,
      apiVersion,
      correlationId: -7,
      clientId,
      headerVersion,
    });
    expect(r.remaining).toBe(2);
  });

  it('skips tagged fields in a v2 header and leaves the reader at the body', () => {
    const bytes = Buffer.from(
      '0003' +
        '0009' +
        '00000005' +
        '0001' +
        '63' +
        '02' +
        '00' +
        '01' +
        'ff' +
        '07' +
        '02' +
        'aaaa' +
        'beef',
      'hex',
    );
    const r = new Reader(bytes);
    expect(readRequestHeader(r)).toMatchObject({ correlationId: 5, clientId: 'c', headerVersion: 2 });
    expect(r.buffer.subarray(r.offset).toString('hex')).toBe('beef');
  });

  it('refuses a client id length below -1', () => {
    expect(() => readRequestHeader(new Reader(Buffer.from('0003000800000001fffe', 'hex')))).toThrow(
      'invalid client id length -2',
    );
  });
});

describe('response header', () => {
  it('v0 is the correlation id alone; v1 adds an empty tagged-field section', () => {
    const v0 = new Writer();
    writeResponseHeader(v0, 42, 0);
    expect(v0.toBuffer().toString('hex')).toBe('0000002a');
    const v1 = new Writer();
    writeResponseHeader(v1, 42, 1);
    expect(v1.toBuffer().toString('hex')).toBe('0000002a00');
  });

  it('reads the correlation id and skips tagged fields in v1', () => {
    const r = new Reader(Buffer.from('0000002a' + '01' + '03' + '02' + 'abcd' + 'beef', 'hex'));
    expect(readResponseHeader(r, 1)).toBe(42);
    expect(r.remaining).toBe(2);
    const v0 = new Reader(Buffer.from('0000002a00', 'hex'));
    expect(readResponseHeader(v0, 0)).toBe(42);
    expect(v0.remaining).toBe(1);
  });
});
