import { ApiVersions } from '../../protocol/messages/api-versions.js';
import { defineHandler, type BrokerServices } from '../api-handler.js';

/** Our API list, built from the handlers the broker has: what is advertised is what is served. */
export function advertisedApis(
  services: Pick<BrokerServices, 'handlers'>,
): { apiKey: number; minVersion: number; maxVersion: number }[] {
  return [...services.handlers.values()]
    .map((h) => ({
      apiKey: h.api.apiKey,
      minVersion: h.minVersion ?? h.api.minVersion,
      maxVersion: h.api.maxVersion,
    }))
    .sort((a, b) => a.apiKey - b.apiKey);
}

export const apiVersionsHandler = defineHandler(ApiVersions, (_request, { services }) => ({
  errorCode: 0,
  apiKeys: advertisedApis(services),
  throttleTimeMs: 0,
}));
