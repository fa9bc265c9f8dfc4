import { BROKER_PROPERTIES, type BrokerPropertyName } from './broker-properties.js';
import { ConfigError } from './config-error.js';

/**
 * The settings of a managed cluster, in one place: the replication defaults a broker runs with in
 * a cluster, the Kafka settings a cluster's configuration may set (each checked with the broker's
 * own parser, then against MSK's bounds), and the server.properties text every node of a cluster
 * shares. Pure: no I/O, and nothing outside broker-image/src/config, so that the control plane may
 * import it as well.
 */

/** MSK's replication for a cluster on three zones: three replicas, two of them in sync for acks=all. */
export const MANAGED_REPLICATION_FACTOR = 3;
export const MANAGED_MIN_INSYNC_REPLICAS = 2;

/** The settings whose default in a cluster (MSK's for three zones) differs from Kafka's own. */
export const MANAGED_CLUSTER_DEFAULTS: Readonly<Partial<Record<BrokerPropertyName, string>>> = {
  'default.replication.factor': String(MANAGED_REPLICATION_FACTOR),
  'min.insync.replicas': String(MANAGED_MIN_INSYNC_REPLICAS),
};

/** MSK's bounds on a setting, beyond what the broker's parser accepts. */
interface Bounds {
  readonly min?: number;
  readonly max?: number;
}

/** The Kafka settings a cluster's configuration may set (MSK's configurable properties that Strata honours). */
const CONFIGURABLE: Readonly<Partial<Record<BrokerPropertyName, Bounds>>> = {
  'auto.create.topics.enable': {},
  'delete.topic.enable': {},
  'default.replication.factor': { min: 1, max: 3 },
  'min.insync.replicas': { min: 1, max: 3 },
  'num.partitions': { min: 1, max: 1000 },
  'log.retention.ms': {},
  'log.retention.minutes': { min: 1 },
  'log.retention.hours': { min: 1 },
  'log.retention.bytes': { min: -1 },
  'log.segment.bytes': { min: 14 },
  'log.roll.ms': {},
  'log.roll.hours': { min: 1 },
  'log.cleanup.policy': {},
  'log.cleaner.delete.retention.ms': {},
  'log.cleaner.min.compaction.lag.ms': {},
  'log.message.timestamp.type': {},
  'message.max.bytes': { max: 100 * 1024 * 1024 },
  'compression.type': {},
  'unclean.leader.election.enable': {},
  'offsets.retention.minutes': {},
  'group.initial.rebalance.delay.ms': {},
  'group.min.session.timeout.ms': {},
  'group.max.session.timeout.ms': {},
  'replica.lag.time.max.ms': {},
  'auto.leader.rebalance.enable': {},
  'leader.imbalance.check.interval.seconds': {},
  'producer.id.expiration.ms': {},
};

/** The settings a cluster's configuration may set, by name. */
export const CONFIGURABLE_SETTINGS: readonly string[] = Object.keys(CONFIGURABLE);

/** A configuration value as a request may give it. */
export type SettingValue = string | number | boolean;

/** The text a parsed value is stored and rendered as. */
function normalised(value: unknown): string {
  if (Array.isArray(value)) return value.join(',');
  return String(value);
}

/**
 * A cluster setting's value checked with the broker's own parser and MSK's bounds, as the text
 * to store and render (trimmed: `" 5 "` and `"5\n"` are `5`). Throws a {@link ConfigError}
 * naming the setting.
 */
export function normaliseSetting(setting: string, value: SettingValue): string {
  if (!Object.hasOwn(CONFIGURABLE, setting))
    throw new ConfigError(setting, 'is not a broker setting a cluster may change');
  const name = setting as BrokerPropertyName;
  const parsed = BROKER_PROPERTIES[name].parse(setting, String(value));
  const { min, max } = CONFIGURABLE[name]!;
  if (typeof parsed === 'number') {
    if (min !== undefined && parsed < min)
      throw new ConfigError(setting, `${parsed} is below the minimum ${min}`);
    if (max !== undefined && parsed > max)
      throw new ConfigError(setting, `${parsed} is above the maximum ${max}`);
  }
  return normalised(parsed);
}

/** A configuration's values normalised, and what is wrong with each value refused. */
export function normaliseConfiguration(configuration: Readonly<Record<string, SettingValue>>): {
  readonly values: Record<string, string>;
  readonly problems: { readonly setting: string; readonly problem: string }[];
} {
  const values: Record<string, string> = {};
  const problems: { setting: string; problem: string }[] = [];
  for (const [setting, value] of Object.entries(configuration)) {
    try {
      values[setting] = normaliseSetting(setting, value);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push({ setting, problem: error.message.slice(`${setting}: `.length) });
    }
  }
  return { values, problems };
}

/**
 * A managed cluster's replication, as MSK's: three replicas on three zones, two on two (never more
 * than the brokers); two in sync required where there are three replicas, else one; the offsets
 * topic on three replicas, or on every broker where there are fewer. The configuration wins.
 */
export function managedReplication(
  zoneCount: number,
  brokers: number,
  configuration: Readonly<Record<string, SettingValue>>,
): { replicationFactor: number; minInSyncReplicas: number; offsetsTopicReplicationFactor: number } {
  const configured = configuration['default.replication.factor'];
  const replicationFactor =
    configured !== undefined
      ? Number(String(configured).trim())
      : Math.min(zoneCount >= 3 ? MANAGED_REPLICATION_FACTOR : 2, brokers);
  const minInSync = configuration['min.insync.replicas'];
  return {
    replicationFactor,
    minInSyncReplicas:
      minInSync !== undefined
        ? Number(String(minInSync).trim())
        : replicationFactor >= MANAGED_REPLICATION_FACTOR
          ? MANAGED_MIN_INSYNC_REPLICAS
          : 1,
    offsetsTopicReplicationFactor: Math.min(MANAGED_REPLICATION_FACTOR, brokers),
  };
}

/**
 * The server.properties settings every broker of a managed cluster shares, in order: its
 * replication defaults, then the cluster's configuration (normalised), which wins. The node adds
 * its own (identity, zone, listeners, data directory, coordinators) before these.
 */
export function clusterProperties(
  zoneCount: number,
  brokers: number,
  configuration: Readonly<Record<string, SettingValue>>,
): Record<string, string> {
  const replication = managedReplication(zoneCount, brokers, configuration);
  const properties: Record<string, string> = {
    'default.replication.factor': String(replication.replicationFactor),
    'min.insync.replicas': String(replication.minInSyncReplicas),
    'offsets.topic.replication.factor': String(replication.offsetsTopicReplicationFactor),
  };
  for (const [setting, value] of Object.entries(configuration)) {
    properties[setting] = normaliseSetting(setting, value);
  }
  return properties;
}

/** {@link clusterProperties} as server.properties lines. */
export function renderClusterProperties(
  zoneCount: number,
  brokers: number,
  configuration: Readonly<Record<string, SettingValue>>,
): string {
  return renderProperties(clusterProperties(zoneCount, brokers, configuration));
}

/** `key=value` lines, one per setting, in order, ending with a line break. */
export function renderProperties(properties: Readonly<Record<string, string | number>>): string {
  const lines = Object.entries(properties).map(([key, value]) => {
    const text = String(value);
    if (/[\r\n]/.test(text) || /[\r\n=:\s]/.test(key))
      throw new ConfigError(key, 'a properties line cannot hold this name or value');
    return `${key}=${text}\n`;
  });
  return lines.join('');
}
