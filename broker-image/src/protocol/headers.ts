import { ProtocolError } from './primitives/protocol-error.js';
import type { Reader } from './primitives/reader.js';
import type { Writer } from './primitives/writer.js';
import { isFlexible } from './schema/api.js';
import { apiByKey } from './registry.js';

export const API_VERSIONS_KEY = 18;
/** First ApiVersions version with a flexible (v2) request header. */
const API_VERSIONS_FIRST_FLEXIBLE = 3;

export interface RequestHeader {
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly clientId: string | null;
  /** 1 or 2: whether tagged fields follow the client id. */
  readonly headerVersion: 1 | 2;
}

/**
 * Whether a request of this key and version uses the flexible header (v2). For an ApiVersions
 * request of a version we do not know, Kafka's rule is that v3 and above are flexible, so that a
 * newer client still gets our version list back.
 */
export function requestHeaderVersion(apiKey: number, apiVersion: number): 1 | 2 {
  const api = apiByKey(apiKey);
  if (apiKey === API_VERSIONS_KEY) return apiVersion >= API_VERSIONS_FIRST_FLEXIBLE ? 2 : 1;
  return api && isFlexible(api, apiVersion) ? 2 : 1;
}

/** The response header version: v1 for flexible APIs, except ApiVersions, which is always v0. */
export function responseHeaderVersion(apiKey: number, apiVersion: number): 0 | 1 {
  if (apiKey === API_VERSIONS_KEY) return 0;
  const api = apiByKey(apiKey);
  return api && isFlexible(api, apiVersion) ? 1 : 0;
}

export function readRequestHeader(r: Reader): RequestHeader {
  const apiKey = r.int16();
  const apiVersion = r.int16();
  const correlationId = r.int32();
  // The client id is a classic (non-compact) nullable string in both header versions.
  const clientIdLength = r.int16();
  if (clientIdLength < -1) throw new ProtocolError(`invalid client id length ${clientIdLength}`);
  const clientId = clientIdLength < 0 ? null : r.utf8Of(clientIdLength);
  const headerVersion = requestHeaderVersion(apiKey, apiVersion);
  if (headerVersion === 2) skipTaggedFields(r);
  return { apiKey, apiVersion, correlationId, clientId, headerVersion };
}

export function writeRequestHeader(w: Writer, header: Omit<RequestHeader, 'headerVersion'>): void {
  w.int16(header.apiKey).int16(header.apiVersion).int32(header.correlationId);
  if (header.clientId === null) w.int16(-1);
  else {
    const length = Buffer.byteLength(header.clientId);
    w.int16(length).utf8(header.clientId, length);
  }
  if (requestHeaderVersion(header.apiKey, header.apiVersion) === 2) w.unsignedVarint(0);
}

export function writeResponseHeader(w: Writer, correlationId: number, headerVersion: 0 | 1): void {
  w.int32(correlationId);
  if (headerVersion === 1) w.unsignedVarint(0);
}

export function readResponseHeader(r: Reader, headerVersion: 0 | 1): number {
  const correlationId = r.int32();
  if (headerVersion === 1) skipTaggedFields(r);
  return correlationId;
}

export function skipTaggedFields(r: Reader): void {
  const count = r.unsignedVarint();
  for (let i = 0; i < count; i++) {
    r.unsignedVarint();
    r.skip(r.unsignedVarint());
  }
}
