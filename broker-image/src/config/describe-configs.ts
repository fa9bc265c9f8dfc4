import { derivedDefaults, type BrokerConfig } from './broker-config.js';
import { BROKER_PROPERTIES } from './broker-properties.js';
import { TOPIC_CONFIGS } from './topic-configs.js';
import type { ValueKind } from './value-types.js';

/** DescribeConfigs' config type codes. */
const CONFIG_TYPE: Record<ValueKind, number> = {
  BOOLEAN: 1,
  STRING: 2,
  INT: 3,
  SHORT: 4,
  LONG: 5,
  DOUBLE: 6,
  LIST: 7,
};

/** DescribeConfigs' config sources. */
export const ConfigSource = {
  DYNAMIC_TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
} as const;

export interface DescribedConfig {
  readonly name: string;
  readonly value: string | null;
  readonly source: number;
  readonly type: number;
  readonly readOnly: boolean;
  /** A password or key, whose value is never shown. */
  readonly sensitive?: boolean;
  readonly synonyms: { name: string; value: string | null; source: number }[];
}

/** Every topic setting with its value, where it comes from, and its synonyms. */
export function describeTopicConfigs(
  topicConfigs: ReadonlyMap<string, string>,
  broker: BrokerConfig,
): DescribedConfig[] {
  return Object.entries(TOPIC_CONFIGS).map(([name, definition]) => {
    const synonyms: DescribedConfig['synonyms'] = [];
    const own = topicConfigs.get(name);
    if (own !== undefined) synonyms.push({ name, value: own, source: ConfigSource.DYNAMIC_TOPIC_CONFIG });
    for (const synonym of definition.synonyms) {
      const value = broker.raw.get(synonym);
      if (value !== undefined)
        synonyms.push({ name: synonym, value, source: ConfigSource.STATIC_BROKER_CONFIG });
    }
    const brokerValue = definition.brokerDefault(broker);
    synonyms.push({
      name: definition.synonyms[0] ?? name,
      value: brokerValue,
      source: ConfigSource.DEFAULT_CONFIG,
    });
    return {
      name,
      value: own ?? brokerValue,
      source: synonyms[0]!.source,
      type: CONFIG_TYPE[definition.parse.configType ?? 'STRING'],
      readOnly: false,
      synonyms,
    };
  });
}

/**
 * Every broker setting: the value given (file, environment or override) or Kafka's default.
 * Broker settings are static: changing one means a restart, so all are read-only here.
 */
export function describeBrokerConfigs(broker: BrokerConfig): DescribedConfig[] {
  // Defaults that depend on the mode (a cluster defaults to three replicas, two in sync) or on
  // other settings.
  const modeDefaults: Partial<Record<string, string>> = derivedDefaults(broker);
  return Object.entries(BROKER_PROPERTIES).map(([name, definition]) => {
    const sensitive = 'sensitive' in definition && definition.sensitive === true;
    const given = sensitive && broker.raw.has(name) ? '' : broker.raw.get(name);
    const fallback = modeDefaults[name] ?? ('default' in definition ? (definition.default as string) : null);
    const synonyms: DescribedConfig['synonyms'] = [];
    if (given !== undefined) synonyms.push({ name, value: given, source: ConfigSource.STATIC_BROKER_CONFIG });
    if (fallback !== null) synonyms.push({ name, value: fallback, source: ConfigSource.DEFAULT_CONFIG });
    return {
      name,
      value: sensitive ? null : (given ?? fallback),
      source: given !== undefined ? ConfigSource.STATIC_BROKER_CONFIG : ConfigSource.DEFAULT_CONFIG,
      type: CONFIG_TYPE[(definition.parse as { configType?: ValueKind }).configType ?? 'STRING'],
      readOnly: true,
      sensitive,
      synonyms: sensitive ? synonyms.map((synonym) => ({ ...synonym, value: null })) : synonyms,
    };
  });
}
