import {
  AutoExpansionInput,
  BrokerConfigurationInput,
  CreateClusterInput,
  StorageInput,
} from '../../control-plane/src/api/schemas.js';
import type { z } from 'zod';
import type { AutoExpansion } from '../../control-plane/src/clusters/cluster-model.js';

/**
 * The stack's cluster settings, checked by the control plane API's own rules (the zod schemas a
 * `POST /v1/clusters` is validated with), so the stack's cluster is one the API would accept.
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
    CreateClusterInput.shape.brokersPerZone,
    input.brokersPerZone ?? CLUSTER_DEFAULTS.brokersPerZone,
    'brokersPerZone',
  );
  const volumeSizeGiB = parse(
    StorageInput.shape.volumeSizeGiB,
    input.volumeSizeGiB ?? CLUSTER_DEFAULTS.volumeSizeGiB,
    'volumeSizeGiB',
  );
  const autoExpansion = parse(AutoExpansionInput, {
    targetUtilizationPercent: input.targetUtilizationPercent ?? CLUSTER_DEFAULTS.targetUtilizationPercent,
    maxVolumeSizeGiB: input.maxVolumeSizeGiB ?? CLUSTER_DEFAULTS.maxVolumeSizeGiB,
    cooldown: input.expansionCooldownSeconds ?? CLUSTER_DEFAULTS.expansionCooldownSeconds,
  });
  if (autoExpansion.maxVolumeSizeGiB < volumeSizeGiB) {
    throw new ClusterSettingsError(
      `maxVolumeSizeGiB: ${autoExpansion.maxVolumeSizeGiB} is below volumeSizeGiB (${volumeSizeGiB})`,
    );
  }
  const configuration = parse(
    BrokerConfigurationInput,
    input.brokerConfiguration ?? {},
    'brokerConfiguration',
  );
  return {
    clusterId,
    brokersPerZone,
    volumeSizeGiB,
    autoExpansion: {
      enabled: autoExpansion.enabled,
      targetUtilizationPercent: autoExpansion.targetUtilizationPercent,
      maxVolumeSizeGiB: autoExpansion.maxVolumeSizeGiB,
      cooldownSeconds: autoExpansion.cooldown,
    },
    brokerConfiguration: Object.fromEntries(Object.entries(configuration).map(([k, v]) => [k, String(v)])),
  };
}

/** The API's names for the settings the stack names otherwise. */
const INPUT_NAMES: Record<string, string> = { cooldown: 'expansionCooldownSeconds' };

function parse<T>(schema: z.ZodType<T>, value: unknown, field?: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const path = [...(field ? [field] : []), ...issue.path.map((p) => INPUT_NAMES[String(p)] ?? String(p))];
  throw new ClusterSettingsError(`${path.join('.')}: ${issue.message}`);
}
