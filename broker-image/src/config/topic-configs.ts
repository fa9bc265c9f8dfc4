import { KafkaError } from '../protocol/errors.js';
import type { LogConfig } from '../storage/log-config.js';
import type { BrokerConfig } from './broker-config.js';
import { ConfigError } from './config-error.js';
import { bool, double, int, list, listOf, long, oneOf, type ValueParser } from './value-types.js';

interface TopicConfigDefinition {
  readonly parse: ValueParser<unknown>;
  /** Broker properties that set this config's default, most specific first. */
  readonly synonyms: readonly string[];
  /** The broker-wide default, as text. */
  readonly brokerDefault: (broker: BrokerConfig) => string;
  /**
   * Why Strata stores and describes this setting but does not act on it, for settings Kafka knows
   * that have no counterpart here (so a topic created for Kafka is accepted unchanged).
   */
  readonly withoutEffect?: string;
}

const LONG_MAX = '9223372036854775807';

/** A setting whose broker-wide default is Kafka's, unless the broker's properties give its synonym. */
const kafkaDefault =
  (value: string, synonym?: string) =>
  (broker: BrokerConfig): string =>
    (synonym === undefined ? undefined : broker.raw.get(synonym)?.trim()) ?? value;

/** Kafka's gzip levels: 1 (fastest) to 9 (smallest), or -1 for zlib's default. */
const gzipLevel: ValueParser<number> = Object.assign(
  (name: string, text: string) => {
    const level = int(-1, 9)(name, text);
    if (level === 0) throw new ConfigError(name, '0 is not a gzip level: use -1 or 1 to 9');
    return level;
  },
  { configType: 'INT' as const },
);

/** A throttled-replicas list: `*`, or `partition:broker` pairs (Kafka's format). */
const throttledReplicas: ValueParser<string[]> = Object.assign(
  (name: string, text: string) => {
    const items = list(name, text);
    if (items.length === 1 && items[0] === '*') return items;
    for (const item of items) {
      if (!/^\d+:\d+$/.test(item))
        throw new ConfigError(name, `"${item}" is not * or a list of partitionId:brokerId pairs`);
    }
    return items;
  },
  { configType: 'LIST' as const },
);

/** Tiered storage: there is no remote tier, so a topic cannot be told to use one. */
const remoteStorageEnable: ValueParser<boolean> = Object.assign(
  (name: string, text: string) => {
    const enabled = bool(name, text);
    if (enabled)
      throw new ConfigError(
        name,
        'tiered storage is not enabled on this broker (Strata keeps every segment on the data volume, which grows instead)',
      );
    return enabled;
  },
  { configType: 'BOOLEAN' as const },
);

const NO_REMOTE_TIER = 'there is no remote storage tier; segments stay on the data volume';
const NOT_THROTTLED = 'replication is not throttled';

const fromLog =
  (key: keyof LogConfig) =>
  (broker: BrokerConfig): string => {
    const value = broker.logDefaults[key];
    if (Array.isArray(value)) return value.join(',');
    if (value === Number.MAX_SAFE_INTEGER) return '9223372036854775807';
    return String(value);
  };

/**
 * Topic-level settings, by Kafka's names, each defaulting to its broker-level synonym: every one
 * Kafka 4.3 knows, in its order (by name), those Strata does not act on saying why.
 */
export const TOPIC_CONFIGS: Record<string, TopicConfigDefinition> = byName({
  'cleanup.policy': {
    parse: listOf('delete', 'compact'),
    synonyms: ['log.cleanup.policy'],
    brokerDefault: fromLog('cleanupPolicy'),
  },
  'compression.type': {
    parse: oneOf('producer', 'uncompressed', 'gzip', 'snappy', 'lz4', 'zstd'),
    synonyms: ['compression.type'],
    brokerDefault: fromLog('compressionType'),
  },
  'delete.retention.ms': {
    parse: long(0),
    synonyms: ['log.cleaner.delete.retention.ms'],
    brokerDefault: fromLog('deleteRetentionMs'),
  },
  'flush.messages': {
    parse: long(1),
    synonyms: ['flush.messages', 'log.flush.interval.messages'],
    brokerDefault: fromLog('flushMessages'),
  },
  'flush.ms': {
    parse: long(0),
    synonyms: ['flush.ms', 'log.flush.interval.ms', 'log.flush.scheduler.interval.ms'],
    brokerDefault: fromLog('flushMs'),
  },
  'index.interval.bytes': {
    parse: int(0),
    synonyms: ['log.index.interval.bytes'],
    brokerDefault: fromLog('indexIntervalBytes'),
  },
  'max.message.bytes': {
    parse: int(0),
    synonyms: ['message.max.bytes'],
    brokerDefault: fromLog('maxMessageBytes'),
  },
  'message.timestamp.type': {
    parse: oneOf('CreateTime', 'LogAppendTime'),
    synonyms: ['log.message.timestamp.type'],
    brokerDefault: fromLog('messageTimestampType'),
  },
  'min.cleanable.dirty.ratio': {
    parse: double(0, 1),
    synonyms: ['log.cleaner.min.cleanable.ratio'],
    brokerDefault: fromLog('minCleanableDirtyRatio'),
  },
  'min.compaction.lag.ms': {
    parse: long(0),
    synonyms: ['log.cleaner.min.compaction.lag.ms'],
    brokerDefault: fromLog('minCompactionLagMs'),
  },
  'min.insync.replicas': {
    parse: int(1),
    synonyms: ['min.insync.replicas'],
    brokerDefault: (b) => String(b.minInsyncReplicas),
  },
  'retention.bytes': {
    parse: long(),
    synonyms: ['log.retention.bytes'],
    brokerDefault: fromLog('retentionBytes'),
  },
  'retention.ms': {
    parse: long(-1),
    synonyms: ['log.retention.ms', 'log.retention.minutes', 'log.retention.hours'],
    brokerDefault: fromLog('retentionMs'),
  },
  'segment.bytes': {
    parse: int(14),
    synonyms: ['log.segment.bytes'],
    brokerDefault: fromLog('segmentBytes'),
  },
  'segment.ms': {
    parse: long(1),
    synonyms: ['log.roll.ms', 'log.roll.hours'],
    brokerDefault: fromLog('segmentMs'),
  },
  'unclean.leader.election.enable': {
    parse: bool,
    synonyms: ['unclean.leader.election.enable'],
    brokerDefault: (b) => String(b.uncleanLeaderElectionEnable),
  },
  'compression.gzip.level': {
    parse: gzipLevel,
    synonyms: ['compression.gzip.level'],
    brokerDefault: kafkaDefault('-1', 'compression.gzip.level'),
    withoutEffect: 'batches are stored as the producer compressed them; recompression uses the codec default',
  },
  'compression.lz4.level': {
    parse: int(1, 17),
    synonyms: ['compression.lz4.level'],
    brokerDefault: kafkaDefault('9', 'compression.lz4.level'),
    withoutEffect: 'batches are stored as the producer compressed them; recompression uses the codec default',
  },
  'compression.zstd.level': {
    parse: int(-131072, 22),
    synonyms: ['compression.zstd.level'],
    brokerDefault: kafkaDefault('3', 'compression.zstd.level'),
    withoutEffect: 'batches are stored as the producer compressed them; recompression uses the codec default',
  },
  'file.delete.delay.ms': {
    parse: long(0),
    synonyms: ['log.segment.delete.delay.ms'],
    brokerDefault: kafkaDefault('60000', 'log.segment.delete.delay.ms'),
    withoutEffect: 'segments are deleted at once: reads in progress keep their open file',
  },
  'follower.replication.throttled.replicas': {
    parse: throttledReplicas,
    synonyms: [],
    brokerDefault: kafkaDefault(''),
    withoutEffect: NOT_THROTTLED,
  },
  'leader.replication.throttled.replicas': {
    parse: throttledReplicas,
    synonyms: [],
    brokerDefault: kafkaDefault(''),
    withoutEffect: NOT_THROTTLED,
  },
  'local.retention.bytes': {
    parse: long(-2),
    synonyms: ['log.local.retention.bytes'],
    brokerDefault: kafkaDefault('-2', 'log.local.retention.bytes'),
    withoutEffect: NO_REMOTE_TIER,
  },
  'local.retention.ms': {
    parse: long(-2),
    synonyms: ['log.local.retention.ms'],
    brokerDefault: kafkaDefault('-2', 'log.local.retention.ms'),
    withoutEffect: NO_REMOTE_TIER,
  },
  'max.compaction.lag.ms': {
    parse: long(1),
    synonyms: ['log.cleaner.max.compaction.lag.ms'],
    brokerDefault: kafkaDefault(LONG_MAX, 'log.cleaner.max.compaction.lag.ms'),
    withoutEffect: 'the cleaner picks logs by min.cleanable.dirty.ratio alone',
  },
  'message.timestamp.after.max.ms': {
    parse: long(0),
    synonyms: ['log.message.timestamp.after.max.ms'],
    brokerDefault: kafkaDefault('3600000', 'log.message.timestamp.after.max.ms'),
  },
  'message.timestamp.before.max.ms': {
    parse: long(0),
    synonyms: ['log.message.timestamp.before.max.ms'],
    brokerDefault: kafkaDefault(LONG_MAX, 'log.message.timestamp.before.max.ms'),
  },
  preallocate: {
    parse: bool,
    synonyms: ['log.preallocate'],
    brokerDefault: kafkaDefault('false', 'log.preallocate'),
    withoutEffect: 'segment files grow as they are written',
  },
  'remote.log.copy.disable': {
    parse: bool,
    synonyms: [],
    brokerDefault: kafkaDefault('false'),
    withoutEffect: NO_REMOTE_TIER,
  },
  'remote.log.delete.on.disable': {
    parse: bool,
    synonyms: [],
    brokerDefault: kafkaDefault('false'),
    withoutEffect: NO_REMOTE_TIER,
  },
  'remote.storage.enable': {
    parse: remoteStorageEnable,
    synonyms: [],
    brokerDefault: kafkaDefault('false'),
    withoutEffect: NO_REMOTE_TIER,
  },
  'segment.index.bytes': {
    parse: int(4),
    synonyms: ['log.index.size.max.bytes'],
    brokerDefault: kafkaDefault('10485760', 'log.index.size.max.bytes'),
    withoutEffect: 'offset and time indexes grow with their segment instead of being preallocated',
  },
  'segment.jitter.ms': {
    parse: long(0),
    synonyms: ['log.roll.jitter.ms', 'log.roll.jitter.hours'],
    brokerDefault: kafkaDefault('0', 'log.roll.jitter.ms'),
    withoutEffect: 'segments roll at segment.ms exactly',
  },
});

function byName(configs: Record<string, TopicConfigDefinition>): Record<string, TopicConfigDefinition> {
  return Object.fromEntries(Object.entries(configs).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** The topic settings Strata stores and describes without acting on them, with the reason. */
export const TOPIC_CONFIGS_WITHOUT_EFFECT: ReadonlyMap<string, string> = new Map(
  Object.entries(TOPIC_CONFIGS).flatMap(([name, d]) => (d.withoutEffect ? [[name, d.withoutEffect]] : [])),
);

/**
 * Validates topic settings (CreateTopics, AlterConfigs); throws INVALID_CONFIG naming the first bad
 * one. Returns them normalised (trimmed, canonical enum spelling).
 */
export function validateTopicConfigs(configs: ReadonlyMap<string, string>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, value] of configs) {
    const definition = TOPIC_CONFIGS[name];
    if (!definition) throw new KafkaError('INVALID_CONFIG', `Unknown topic config name: ${name}`);
    try {
      const parsed = definition.parse(name, value);
      out.set(
        name,
        Array.isArray(parsed)
          ? parsed.join(',')
          : String(parsed === Number.MAX_SAFE_INTEGER ? value.trim() : parsed),
      );
    } catch (error) {
      if (error instanceof ConfigError)
        throw new KafkaError('INVALID_CONFIG', `Invalid value for ${error.message}`);
      throw error;
    }
  }
  return out;
}

/** The value of a topic setting: the topic's own, else the broker's default. */
export function topicConfigValue(
  name: string,
  topicConfigs: ReadonlyMap<string, string>,
  broker: BrokerConfig,
): string {
  return topicConfigs.get(name) ?? TOPIC_CONFIGS[name]!.brokerDefault(broker);
}

function parsed<T>(name: string, topicConfigs: ReadonlyMap<string, string>, broker: BrokerConfig): T {
  return TOPIC_CONFIGS[name]!.parse(name, topicConfigValue(name, topicConfigs, broker)) as T;
}

/** The log settings of a topic: its own configs over the broker's defaults. */
export function logConfigFor(topicConfigs: ReadonlyMap<string, string>, broker: BrokerConfig): LogConfig {
  const get = <T>(name: string) => parsed<T>(name, topicConfigs, broker);
  return {
    segmentBytes: get('segment.bytes'),
    segmentMs: get('segment.ms'),
    retentionMs: get('retention.ms'),
    retentionBytes: get('retention.bytes'),
    indexIntervalBytes: get('index.interval.bytes'),
    maxMessageBytes: get('max.message.bytes'),
    flushMessages: get('flush.messages'),
    flushMs: get('flush.ms'),
    messageTimestampType: get('message.timestamp.type'),
    messageTimestampBeforeMaxMs: get('message.timestamp.before.max.ms'),
    messageTimestampAfterMaxMs: get('message.timestamp.after.max.ms'),
    cleanupPolicy: get('cleanup.policy'),
    deleteRetentionMs: get('delete.retention.ms'),
    minCompactionLagMs: get('min.compaction.lag.ms'),
    minCleanableDirtyRatio: get('min.cleanable.dirty.ratio'),
    compressionType: get('compression.type'),
  };
}
