import type { ApiDefinition } from './schema/api.js';
import { ApiVersions } from './messages/api-versions.js';
import { Fetch } from './messages/fetch.js';
import { Produce } from './messages/produce.js';

/**
 * Every API the broker serves. ApiVersions answers from this list, so what is advertised is
 * exactly what decodes.
 */
export const API_LIST: readonly ApiDefinition[] = [Produce, Fetch, ApiVersions];

const byKey = new Map<number, ApiDefinition>(API_LIST.map((api) => [api.apiKey, api]));

export function apiByKey(apiKey: number): ApiDefinition | undefined {
  return byKey.get(apiKey);
}
