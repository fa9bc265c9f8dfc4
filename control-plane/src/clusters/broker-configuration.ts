/**
 * The Kafka broker settings a cluster's configuration may set (MSK's configurable properties that
 * Strata's brokers honour), each with its rule. A value breaking its rule is refused before
 * anything is created; the broker validates again at start-up.
 */
type Rule = (value: string) => string | undefined;

const integer =
  (min: number, max = Number.MAX_SAFE_INTEGER): Rule =>
  (value) => {
    if (!/^-?\d+$/.test(value.trim())) return `must be an integer, not "${value}"`;
    const n = Number(value);
    if (n < min || n > max) return `must be between ${min} and ${max}`;
    return undefined;
  };

const boolean: Rule = (value) =>
  /^(true|false)$/.test(value) ? undefined : `must be true or false, not "${value}"`;

const oneOf =
  (...values: string[]): Rule =>
  (value) =>
    values.includes(value) ? undefined : `must be one of ${values.join(', ')}`;

const listOf =
  (...values: string[]): Rule =>
  (value) =>
    value.split(',').every((v) => values.includes(v.trim()))
      ? undefined
      : `must list values among ${values.join(', ')}`;

export const BROKER_CONFIGURATION: Record<string, Rule> = {
  'auto.create.topics.enable': boolean,
  'delete.topic.enable': boolean,
  'default.replication.factor': integer(1, 3),
  'min.insync.replicas': integer(1, 3),
  'num.partitions': integer(1, 1000),
  'log.retention.ms': integer(-1),
  'log.retention.minutes': integer(1),
  'log.retention.hours': integer(1),
  'log.retention.bytes': integer(-1),
  'log.segment.bytes': integer(14, 2 ** 31 - 1),
  'log.roll.ms': integer(1),
  'log.roll.hours': integer(1),
  'log.cleanup.policy': listOf('delete', 'compact'),
  'log.cleaner.delete.retention.ms': integer(0),
  'log.cleaner.min.compaction.lag.ms': integer(0),
  'log.message.timestamp.type': oneOf('CreateTime', 'LogAppendTime'),
  'message.max.bytes': integer(0, 100 * 1024 * 1024),
  'compression.type': oneOf('producer', 'uncompressed', 'gzip', 'snappy', 'lz4', 'zstd'),
  'unclean.leader.election.enable': boolean,
  'offsets.retention.minutes': integer(1),
  'group.initial.rebalance.delay.ms': integer(0),
  'group.min.session.timeout.ms': integer(0),
  'group.max.session.timeout.ms': integer(0),
  'replica.lag.time.max.ms': integer(1),
  'auto.leader.rebalance.enable': boolean,
  'leader.imbalance.check.interval.seconds': integer(1),
  'producer.id.expiration.ms': integer(1),
};

/** Broker settings as a request gives them, each to be checked by its rule. */
export type BrokerConfigurationValues = Readonly<Record<string, string | number | boolean>>;

/** What is wrong with a configuration: each setting a cluster may not change, or whose value breaks its rule. */
export function configurationProblems(
  configuration: BrokerConfigurationValues,
): { readonly setting: string; readonly problem: string }[] {
  const problems: { setting: string; problem: string }[] = [];
  for (const [setting, value] of Object.entries(configuration)) {
    const rule = BROKER_CONFIGURATION[setting];
    const problem = rule ? rule(String(value)) : `${setting} is not a broker setting a cluster may change`;
    if (problem) problems.push({ setting, problem });
  }
  return problems;
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
  const configured = configuration['default.replication.factor'];
  const replicationFactor =
    configured !== undefined ? Number(configured) : Math.min(zoneCount >= 3 ? 3 : 2, brokers);
  const minInSync = configuration['min.insync.replicas'];
  return {
    replicationFactor,
    minInSyncReplicas: minInSync !== undefined ? Number(minInSync) : replicationFactor >= 3 ? 2 : 1,
  };
}
