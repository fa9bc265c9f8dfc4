/**
 * The Kafka broker settings a cluster's configuration may set, and the replication a managed
 * cluster runs with. Both come from the broker's own managed-cluster settings (its pure config
 * code, the one part of broker-image the control plane imports): a value is checked with the
 * parser the broker itself reads it with, and stored as the normalised text the brokers receive.
 */
import {
  clusterProperties,
  managedReplication,
  normaliseConfiguration,
  renderClusterProperties,
  type SettingValue,
} from '../../../broker-image/src/config/managed-cluster.js';
import { brokerCount, type Cluster } from './cluster-model.js';

export { CONFIGURABLE_SETTINGS, renderProperties } from '../../../broker-image/src/config/managed-cluster.js';

/** Broker settings as a request gives them, each to be checked by its rule. */
export type BrokerConfigurationValues = Readonly<Record<string, SettingValue>>;

/** What is wrong with a configuration: each setting a cluster may not change, or whose value breaks its rule. */
export function configurationProblems(
  configuration: BrokerConfigurationValues,
): { readonly setting: string; readonly problem: string }[] {
  return normaliseConfiguration(configuration).problems;
}

/** A configuration's values as they are stored: trimmed and normalised by the broker's parsers. */
export function normalisedConfiguration(configuration: BrokerConfigurationValues): Record<string, string> {
  return normaliseConfiguration(configuration).values;
}

/**
 * A managed cluster's replication defaults, as MSK's: three replicas on three zones, two on two
 * (never more than the brokers); two in sync required where there are three replicas, else one.
 */
export function replicationDefaults(
  zoneCount: number,
  brokers: number,
  configuration: BrokerConfigurationValues,
): { replicationFactor: number; minInSyncReplicas: number } {
  const { replicationFactor, minInSyncReplicas } = managedReplication(zoneCount, brokers, configuration);
  return { replicationFactor, minInSyncReplicas };
}

/**
 * The server.properties settings all of a cluster's brokers share (replication defaults, then the
 * cluster's configuration), the same for every provider; each node adds its own.
 */
export function clusterBrokerSettings(
  cluster: Pick<Cluster, 'zones' | 'brokersPerZone' | 'configuration'>,
): Record<string, string> {
  return clusterProperties(cluster.zones.length, brokerCount(cluster), cluster.configuration);
}

/**
 * The server.properties lines all of a cluster's brokers share (replication defaults, then the
 * cluster's configuration), rendered the same way for every provider; each node adds its own.
 */
export function clusterBrokerProperties(
  cluster: Pick<Cluster, 'zones' | 'brokersPerZone' | 'configuration'>,
): string {
  return renderClusterProperties(cluster.zones.length, brokerCount(cluster), cluster.configuration);
}
