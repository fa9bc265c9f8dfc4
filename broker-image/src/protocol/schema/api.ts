import type { Reader } from '../primitives/reader.js';
import type { Writer } from '../primitives/writer.js';
import { decodeMessage, encodeMessage } from './codec.js';
import type { Decoded, Encodable, Fields } from './fields.js';

/** One Kafka API: its key, the versions we serve, and the request and response declarations. */
export interface ApiDefinition<Req extends Fields = Fields, Res extends Fields = Fields> {
  readonly apiKey: number;
  readonly name: string;
  /** Lowest and highest version we advertise. */
  readonly minVersion: number;
  readonly maxVersion: number;
  /** First flexible version (compact encodings, tagged fields), or undefined if none is. */
  readonly flexibleFrom: number | undefined;
  readonly request: Req;
  readonly response: Res;
}

export type RequestOf<A> = A extends ApiDefinition<infer Req, Fields> ? Decoded<Req> : never;
export type ResponseOf<A> = A extends ApiDefinition<Fields, infer Res> ? Encodable<Res> : never;
export type DecodedResponseOf<A> = A extends ApiDefinition<Fields, infer Res> ? Decoded<Res> : never;
export type EncodableRequestOf<A> = A extends ApiDefinition<infer Req, Fields> ? Encodable<Req> : never;

export function defineApi<Req extends Fields, Res extends Fields>(definition: {
  apiKey: number;
  name: string;
  versions: readonly [number, number];
  flexibleFrom?: number;
  request: Req;
  response: Res;
}): ApiDefinition<Req, Res> {
  return {
    apiKey: definition.apiKey,
    name: definition.name,
    minVersion: definition.versions[0],
    maxVersion: definition.versions[1],
    flexibleFrom: definition.flexibleFrom,
    request: definition.request,
    response: definition.response,
  };
}

export function isFlexible(api: ApiDefinition, version: number): boolean {
  return api.flexibleFrom !== undefined && version >= api.flexibleFrom;
}

export function decodeRequest<Req extends Fields>(
  api: ApiDefinition<Req, Fields>,
  reader: Reader,
  version: number,
): Decoded<Req> {
  return decodeMessage(api.request, reader, version, isFlexible(api, version));
}

export function encodeResponse<Res extends Fields>(
  api: ApiDefinition<Fields, Res>,
  value: Encodable<Res>,
  writer: Writer,
  version: number,
): void {
  encodeMessage(api.response, value, writer, version, isFlexible(api, version));
}

export function encodeRequest<Req extends Fields>(
  api: ApiDefinition<Req, Fields>,
  value: Encodable<Req>,
  writer: Writer,
  version: number,
): void {
  encodeMessage(api.request, value, writer, version, isFlexible(api, version));
}

export function decodeResponse<Res extends Fields>(
  api: ApiDefinition<Fields, Res>,
  reader: Reader,
  version: number,
): Decoded<Res> {
  return decodeMessage(api.response, reader, version, isFlexible(api, version));
}
