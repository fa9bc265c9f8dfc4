import { KafkaError } from '../../protocol/errors.js';
import type { BrokerServices } from '../api-handler.js';

/** Kafka's config resource types. */
export const ResourceType = { TOPIC: 2, BROKER: 4, BROKER_LOGGER: 8 } as const;

/** Checks that a broker resource names this broker (or "", the cluster default). */
export function requireThisBroker(resourceName: string, services: BrokerServices): void {
  if (resourceName !== '' && resourceName !== String(services.config.nodeId)) {
    throw new KafkaError(
      'INVALID_REQUEST',
      `broker ${resourceName} is not this broker (${services.config.nodeId})`,
    );
  }
}

export function unsupportedResource(resourceType: number): KafkaError {
  return new KafkaError('INVALID_REQUEST', `config resource type ${resourceType} is not supported`);
}

export const staticBrokerConfigs = (): KafkaError =>
  new KafkaError(
    'INVALID_REQUEST',
    'broker settings are static in Strata: change server.properties (or the cluster configuration) and restart the broker',
  );

/**
 * Kafka's replication throttle settings. Strata does not throttle replication, so they can never
 * be set; deleting them (which `kafka-reassign-partitions --verify` does for every broker and
 * topic when a reassignment completes) is a no-op that succeeds.
 */
export const REPLICATION_THROTTLE_CONFIGS: ReadonlySet<string> = new Set([
  'leader.replication.throttled.rate',
  'follower.replication.throttled.rate',
  'replica.alter.log.dirs.io.max.bytes.per.second',
  'leader.replication.throttled.replicas',
  'follower.replication.throttled.replicas',
]);

export function throttleNotSupported(name: string): KafkaError {
  return new KafkaError('INVALID_CONFIG', `${name}: replication throttles are not supported by Strata`);
}
