import type { BrokerConfigurationValues } from './broker-configuration.js';
import type { AutoExpansion } from './cluster-model.js';

/**
 * What a request to create or change a cluster means once it is valid: the cluster use cases'
 * inputs, and the limits a valid value keeps to. The API's schemas parse HTTP bodies into these
 * types with these limits, and the stack checks its cluster settings against the same limits.
 */

/** An inclusive range of whole numbers. */
export interface IntegerRange {
  readonly min: number;
  readonly max: number;
}

export const CLUSTER_NAME = {
  pattern: /^[a-zA-Z0-9][a-zA-Z0-9-]{0,63}$/,
  rule: 'must be 1-64 letters, digits and dashes, starting with a letter or digit',
} as const;

export const ZONE_NAME = {
  pattern: /^[a-z0-9][a-z0-9-]{0,62}$/,
  rule: 'must be a zone name of lowercase letters, digits and dashes',
} as const;

/** How many zones a cluster spans, and how many brokers it has in each (MSK's limits). */
export const ZONE_COUNT: IntegerRange = { min: 2, max: 3 };
export const BROKERS_PER_ZONE: IntegerRange = { min: 1, max: 15 };
/** A scaled cluster's broker count: at most three zones of fifteen. */
export const BROKER_COUNT: IntegerRange = { min: 1, max: 45 };
/** The first broker id: brokers are numbered 1..n. */
export const FIRST_BROKER_ID = 1;

export const VOLUME_SIZE_GIB: IntegerRange = { min: 1, max: 16384 };

/** The limits of each auto-expansion setting. */
export const AUTO_EXPANSION_LIMITS = {
  targetUtilizationPercent: { min: 10, max: 80 },
  maxVolumeSizeGiB: { min: 1, max: 16384 },
  /** Seconds between two expansions of one volume (MSK: 6 hours). */
  cooldownSeconds: { min: 0, max: 6 * 3600 },
} as const satisfies Record<string, IntegerRange>;

/** The auto-expansion a cluster gets when a request leaves it out, or leaves settings of it out. */
export const AUTO_EXPANSION_DEFAULTS: AutoExpansion = {
  enabled: true,
  targetUtilizationPercent: 60,
  maxVolumeSizeGiB: 1000,
  cooldownSeconds: 60,
};

export const DEFAULT_NODE_TYPE = 'local.small';

/** The most tags a cluster may have (MSK's limit), and the longest tag key and value, in characters. */
export const TAG_COUNT = 50;
export const TAG_KEY_LENGTH = 128;
export const TAG_VALUE_LENGTH = 256;

/** A new cluster: names, placement, node type, storage, broker settings and tags. */
export interface ClusterCreation {
  readonly name: string;
  /** Distinct zone names. */
  readonly zones: readonly string[];
  readonly brokersPerZone: number;
  readonly nodeType: string;
  readonly storage: {
    readonly volumeSizeGiB: number;
    readonly autoExpansion: AutoExpansion;
  };
  readonly configuration: BrokerConfigurationValues;
  readonly tags: Readonly<Record<string, string>>;
}

/** A change of a cluster's broker count, from the version it was asked of. */
export interface BrokerCountUpdate {
  readonly currentVersion: string;
  readonly targetBrokerCount: number;
}

/**
 * A change of a cluster's storage, from the version it was asked of: the new volume size and,
 * when given, new auto-expansion settings (else the cluster keeps its own).
 */
export interface StorageUpdate {
  readonly currentVersion: string;
  readonly volumeSizeGiB: number;
  readonly autoExpansion?: AutoExpansion;
}
