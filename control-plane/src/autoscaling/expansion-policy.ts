import type { AutoExpansion } from '../clusters/cluster-model.js';

/** What the policy knows of one broker's data volume. */
export interface VolumeState {
  readonly brokerId: number;
  readonly sizeGiB: number;
  /** Bytes in use and the volume's capacity, as the broker last reported them. */
  readonly usedBytes: number;
  readonly capacityBytes: number;
  /** When the broker reported that usage. */
  readonly sampledAt: Date;
  readonly lastExpandedAt: Date | null;
}

export interface Expansion {
  readonly brokerId: number;
  readonly fromGiB: number;
  readonly toGiB: number;
  readonly utilizationPercent: number;
}

/** The least a volume grows by at once (10 % of a small volume is less than this). */
export const MINIMUM_STEP_GIB = 1;

/**
 * Storage auto-expansion as target tracking: a volume whose utilization is above the target grows
 * by the larger of 10 % and the minimum step, up to the maximum size, at most once per cooldown.
 * Pure: the local and the EC2 paths both ask it, and it is tested on its own.
 */
export function plannedExpansions(
  policy: AutoExpansion,
  volumes: readonly VolumeState[],
  now: Date,
  minimumStepGiB = MINIMUM_STEP_GIB,
): Expansion[] {
  if (!policy.enabled) return [];
  const expansions: Expansion[] = [];
  for (const volume of volumes) {
    if (volume.capacityBytes <= 0) continue;
    const utilizationPercent = (volume.usedBytes / volume.capacityBytes) * 100;
    if (utilizationPercent <= policy.targetUtilizationPercent) continue;
    if (volume.sizeGiB >= policy.maxVolumeSizeGiB) continue;
    if (volume.lastExpandedAt) {
      // Usage read before the last expansion says nothing about the grown volume.
      if (volume.sampledAt.getTime() <= volume.lastExpandedAt.getTime()) continue;
      if (now.getTime() - volume.lastExpandedAt.getTime() < policy.cooldownSeconds * 1000) continue;
    }
    const step = Math.max(Math.ceil(volume.sizeGiB * 0.1), minimumStepGiB);
    const toGiB = Math.min(volume.sizeGiB + step, policy.maxVolumeSizeGiB);
    expansions.push({ brokerId: volume.brokerId, fromGiB: volume.sizeGiB, toGiB, utilizationPercent });
  }
  return expansions;
}
