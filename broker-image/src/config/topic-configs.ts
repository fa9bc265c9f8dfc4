import { KafkaError } from '../protocol/errors.js';
import type { LogConfig } from '../storage/log-config.js';
import type { BrokerConfig } from './broker-config.js';
import { ConfigError } from './config-error.js';
import { bool, double, int, listOf, long, oneOf, type ValueParser } from './value-types.js';

interface TopicConfigDefinition {
  readonly parse: ValueParser<unknown>;
  /** Broker properties that set this config's default, most specific first. */
  readonly synonyms: readonly string[];
  /** The broker-wide default, as text. */
  readonly brokerDefault: (broker: BrokerConfig) => string;
}

const fromLog =
  (key: keyof LogConfig) =>
  (broker: BrokerConfig): string => {
    const value = broker.logDefaults[key];
    if (Array.isArray(value)) return value.join(',');
    if (value === Number.MAX_SAFE_INTEGER) return '9223372036854775807';
    return String(value);
  };

/** Topic-level settings, by Kafka's names, each defaulting to its broker-level synonym. */
export const TOPIC_CONFIGS: Record<string, TopicConfigDefinition> = {
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
};

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
    cleanupPolicy: get('cleanup.policy'),
    deleteRetentionMs: get('delete.retention.ms'),
    minCompactionLagMs: get('min.compaction.lag.ms'),
    minCleanableDirtyRatio: get('min.cleanable.dirty.ratio'),
    compressionType: get('compression.type'),
  };
}
