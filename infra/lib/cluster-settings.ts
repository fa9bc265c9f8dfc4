import { z } from 'zod';
import {
  configurationProblems,
  normalisedConfiguration,
} from '../../control-plane/src/clusters/broker-configuration.js';
import {
  AUTO_EXPANSION_LIMITS,
  BROKERS_PER_ZONE,
  VOLUME_SIZE_GIB,
  type IntegerRange,
} from '../../control-plane/src/clusters/cluster-inputs.js';
import type { AutoExpansion } from '../../control-plane/src/clusters/cluster-model.js';

/**
 * The stack's cluster settings, checked against the limits of the control plane's cluster inputs
 * (the ones a `POST /v1/clusters` is validated with), so the stack's cluster is one the API would
 * accept.
 */
export interface ClusterSettingsInput {
  readonly clusterId?: string;
  readonly brokersPerZone?: number;
  readonly volumeSizeGiB?: number;
  readonly targetUtilizationPercent?: number;
  readonly maxVolumeSizeGiB?: number;
  readonly expansionCooldownSeconds?: number;
  readonly brokerConfiguration?: Readonly<Record<string, string>>;
}

export interface ClusterSettings {
  readonly clusterId: string;
  readonly brokersPerZone: number;
  readonly volumeSizeGiB: number;
  readonly autoExpansion: AutoExpansion;
  readonly brokerConfiguration: Readonly<Record<string, string>>;
}

export const CLUSTER_DEFAULTS = {
  clusterId: 'default',
  brokersPerZone: 1,
  volumeSizeGiB: 100,
  targetUtilizationPercent: 60,
  maxVolumeSizeGiB: 1000,
  /** EBS modifies a volume at most once in six hours, so a shorter cooldown only meets refusals. */
  expansionCooldownSeconds: 6 * 3600,
} as const;

/** Letters, digits, dots, underscores and dashes: what the node bootstrap takes as a cluster id. */
const CLUSTER_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export class ClusterSettingsError extends Error {
  override readonly name = 'ClusterSettingsError';
}

export function clusterSettings(input: ClusterSettingsInput = {}): ClusterSettings {
  const clusterId = input.clusterId ?? CLUSTER_DEFAULTS.clusterId;
  if (!CLUSTER_ID.test(clusterId)) {
    throw new ClusterSettingsError(
      `clusterId: "${clusterId}" must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit`,
    );
  }
  const brokersPerZone = parse(
    BROKERS_PER_ZONE,
    input.brokersPerZone ?? CLUSTER_DEFAULTS.brokersPerZone,
    'brokersPerZone',
  );
  const volumeSizeGiB = parse(
    VOLUME_SIZE_GIB,
    input.volumeSizeGiB ?? CLUSTER_DEFAULTS.volumeSizeGiB,
    'volumeSizeGiB',
  );
  const autoExpansion: AutoExpansion = {
    enabled: true,
    targetUtilizationPercent: parse(
      AUTO_EXPANSION_LIMITS.targetUtilizationPercent,
      input.targetUtilizationPercent ?? CLUSTER_DEFAULTS.targetUtilizationPercent,
      'targetUtilizationPercent',
    ),
    maxVolumeSizeGiB: parse(
      AUTO_EXPANSION_LIMITS.maxVolumeSizeGiB,
      input.maxVolumeSizeGiB ?? CLUSTER_DEFAULTS.maxVolumeSizeGiB,
      'maxVolumeSizeGiB',
    ),
    cooldownSeconds: parse(
      AUTO_EXPANSION_LIMITS.cooldownSeconds,
      input.expansionCooldownSeconds ?? CLUSTER_DEFAULTS.expansionCooldownSeconds,
      'expansionCooldownSeconds',
    ),
  };
  if (autoExpansion.maxVolumeSizeGiB < volumeSizeGiB) {
    throw new ClusterSettingsError(
      `maxVolumeSizeGiB: ${autoExpansion.maxVolumeSizeGiB} is below volumeSizeGiB (${volumeSizeGiB})`,
    );
  }
  const configuration = input.brokerConfiguration ?? {};
  const [problem] = configurationProblems(configuration);
  if (problem) throw new ClusterSettingsError(`brokerConfiguration.${problem.setting}: ${problem.problem}`);
  return {
    clusterId,
    brokersPerZone,
    volumeSizeGiB,
    autoExpansion,
    brokerConfiguration: normalisedConfiguration(configuration),
  };
}

/** A whole number within the range, or the error naming the setting with zod's message. */
function parse(range: IntegerRange, value: number, field: string): number {
  const result = z.number().int().min(range.min).max(range.max).safeParse(value);
  if (result.success) return result.data;
  throw new ClusterSettingsError(`${field}: ${result.error.issues[0]!.message}`);
}
