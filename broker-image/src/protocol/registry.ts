import type { ApiDefinition } from './schema/api.js';
import * as messages from './messages/index.js';

/**
 * Every API the protocol layer can decode, by key. The broker advertises the subset it has a
 * handler for, so what ApiVersions lists is exactly what decodes.
 */
export const API_LIST: readonly ApiDefinition[] = Object.values(
  messages as Record<string, ApiDefinition>,
).sort((a, b) => a.apiKey - b.apiKey);

const byKey = new Map<number, ApiDefinition>(API_LIST.map((api) => [api.apiKey, api]));

export function apiByKey(apiKey: number): ApiDefinition | undefined {
  return byKey.get(apiKey);
}
