import { KafkaError } from '../../protocol/errors.js';
import { authorizedCluster, authorizedTopic } from '../../security/request-authorization.js';
import type { BrokerServices, RequestContext } from '../api-handler.js';

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

/**
 * As Kafka: a topic's configs need DESCRIBE_CONFIGS or ALTER_CONFIGS on the topic (else
 * TOPIC_AUTHORIZATION_FAILED), a broker's on the cluster (else CLUSTER_AUTHORIZATION_FAILED).
 */
export function requireConfigAccess(
  context: RequestContext,
  operation: number,
  resourceType: number,
  resourceName: string,
): void {
  if (resourceType === ResourceType.TOPIC) {
    if (!authorizedTopic(context, operation, resourceName))
      throw new KafkaError('TOPIC_AUTHORIZATION_FAILED', 'Topic authorization failed.');
  } else if (!authorizedCluster(context, operation)) {
    throw new KafkaError('CLUSTER_AUTHORIZATION_FAILED', 'Cluster authorization failed.');
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
