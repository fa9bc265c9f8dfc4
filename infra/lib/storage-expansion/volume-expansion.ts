import {
  plannedExpansions,
  type Expansion,
} from '../../../control-plane/src/autoscaling/expansion-policy.js';
import { GIB, type AutoExpansion } from '../../../control-plane/src/clusters/cluster-model.js';
import { TAG } from '../../../control-plane/src/providers/ec2/node-tags.js';

/**
 * What the storage-expansion function does with one alarm, apart from the EC2 calls themselves:
 * read the broker and its usage from the alarm, find the broker's data volume by its tags, and
 * ask the control plane's expansion policy — the same pure function the control plane's storage
 * monitor asks — whether and how far to grow it. No AWS SDK here (the function's handler brings
 * it), so this is what the unit tests drive.
 */

/** The volume tag the function keeps the last expansion's time in (ISO 8601). */
export const LAST_EXPANDED_AT_TAG = 'strata:last-expanded-at';

/** The parts of CloudWatch's alarm-action event the function reads. */
export interface AlarmActionEvent {
  readonly alarmData?: {
    readonly alarmName?: string;
    readonly state?: { readonly value?: string; readonly reasonData?: string; readonly timestamp?: string };
    readonly configuration?: {
      readonly metrics?: readonly {
        readonly metricStat?: { readonly metric?: { readonly dimensions?: Record<string, string> } };
      }[];
    };
  };
}

/** A broker's data volume usage, as the alarm saw it. */
export interface BrokerSample {
  readonly clusterId: string;
  readonly brokerId: number;
  readonly utilizationPercent: number;
  /** The start of the period the value was taken in: nothing in it is older than this. */
  readonly sampledAt: Date;
}

/** A broker's data volume, as its tags and EC2 describe it. */
export interface BrokerVolume {
  readonly volumeId: string;
  readonly sizeGiB: number;
  readonly lastExpandedAt: Date | null;
}

/** The EC2 calls the function makes, behind a seam the tests replace. */
export interface BrokerVolumes {
  find(clusterId: string, brokerId: number): Promise<BrokerVolume | undefined>;
  /** ModifyVolume to the new size. */
  grow(volumeId: string, sizeGiB: number): Promise<void>;
  /** Tags the volume with the expansion's time (the policy's cooldown starts there). */
  recordExpansion(volumeId: string, at: Date): Promise<void>;
}

export type ExpansionOutcome =
  | { readonly result: 'ignored'; readonly reason: string }
  | { readonly result: 'unchanged'; readonly volumeId: string; readonly sample: BrokerSample }
  | ({ readonly result: 'expanded'; readonly volumeId: string } & Expansion)
  | { readonly result: 'refused'; readonly volumeId: string; readonly reason: string };

export interface ExpansionSettings {
  readonly clusterId: string;
  readonly policy: AutoExpansion;
}

/**
 * EC2's answers to a ModifyVolume it will not do now: the volume was modified less than six hours
 * ago, or a modification is still under way. Nothing is wrong; a later alarm tries again.
 */
const EC2_REFUSALS = new Set(['VolumeModificationRateExceeded', 'IncorrectModificationState']);

/** The dimensions the broker alarms' metric carries (see `cloudWatchAgentConfig`). */
export const ALARM_DIMENSIONS = { cluster: 'ClusterId', broker: 'BrokerId' } as const;

export async function expandForAlarm(
  event: AlarmActionEvent,
  deps: { readonly volumes: BrokerVolumes; readonly settings: ExpansionSettings; readonly now: Date },
): Promise<ExpansionOutcome> {
  const sample = brokerSampleFromAlarm(event);
  if ('ignored' in sample) return { result: 'ignored', reason: sample.ignored };
  if (sample.clusterId !== deps.settings.clusterId) {
    return { result: 'ignored', reason: `the alarm is for cluster ${sample.clusterId}, not this one` };
  }
  const volume = await deps.volumes.find(sample.clusterId, sample.brokerId);
  if (!volume) return { result: 'ignored', reason: `broker ${sample.brokerId} has no tagged data volume` };
  const capacityBytes = volume.sizeGiB * GIB;
  const [expansion] = plannedExpansions(
    deps.settings.policy,
    [
      {
        brokerId: sample.brokerId,
        sizeGiB: volume.sizeGiB,
        capacityBytes,
        usedBytes: (capacityBytes * sample.utilizationPercent) / 100,
        sampledAt: sample.sampledAt,
        lastExpandedAt: volume.lastExpandedAt,
      },
    ],
    deps.now,
  );
  if (!expansion) return { result: 'unchanged', volumeId: volume.volumeId, sample };
  try {
    await deps.volumes.grow(volume.volumeId, expansion.toGiB);
  } catch (error) {
    const name = (error as { name?: string }).name ?? '';
    if (!EC2_REFUSALS.has(name)) throw error;
    return { result: 'refused', volumeId: volume.volumeId, reason: `${name}: ${(error as Error).message}` };
  }
  await deps.volumes.recordExpansion(volume.volumeId, deps.now);
  return { result: 'expanded', volumeId: volume.volumeId, ...expansion };
}

/**
 * The broker, its volume's utilization and when it was measured, from an alarm-action event: the
 * newest evaluated datapoint of an alarm in ALARM. An event without one (a state set by hand, an
 * alarm going back to OK) is ignored, with the reason.
 */
export function brokerSampleFromAlarm(event: AlarmActionEvent): BrokerSample | { ignored: string } {
  const alarm = event.alarmData;
  if (alarm?.state?.value !== 'ALARM') return { ignored: `the alarm is ${alarm?.state?.value ?? 'unknown'}` };
  const dimensions = alarm.configuration?.metrics?.[0]?.metricStat?.metric?.dimensions ?? {};
  const clusterId = dimensions[ALARM_DIMENSIONS.cluster];
  const brokerId = Number(dimensions[ALARM_DIMENSIONS.broker]);
  if (!clusterId || !Number.isInteger(brokerId) || brokerId < 1) {
    return { ignored: `the alarm's metric names no cluster and broker (${JSON.stringify(dimensions)})` };
  }
  let datapoints: { timestamp?: string; value?: number }[] = [];
  try {
    const reason = JSON.parse(alarm.state.reasonData ?? '{}') as { evaluatedDatapoints?: typeof datapoints };
    datapoints = reason.evaluatedDatapoints ?? [];
  } catch {
    return { ignored: 'the alarm state has unreadable reason data' };
  }
  const newest = datapoints
    .filter((d) => typeof d.value === 'number' && d.timestamp !== undefined)
    .map((d) => ({ value: d.value!, at: parseAlarmTime(d.timestamp!) }))
    .filter((d) => !Number.isNaN(d.at.getTime()))
    .sort((a, b) => b.at.getTime() - a.at.getTime())[0];
  if (!newest) return { ignored: 'the alarm state has no evaluated datapoint' };
  return { clusterId, brokerId, utilizationPercent: newest.value, sampledAt: newest.at };
}

/** CloudWatch writes alarm times as `2026-11-22T12:00:00.000+0000` (no colon in the offset). */
export function parseAlarmTime(text: string): Date {
  return new Date(text.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
}

/** A broker data volume from what DescribeVolumes says of it. */
export function brokerVolumeFromDescription(volume: {
  readonly VolumeId?: string;
  readonly Size?: number;
  readonly Tags?: readonly { readonly Key?: string; readonly Value?: string }[];
}): BrokerVolume {
  if (!volume.VolumeId || volume.Size === undefined)
    throw new Error('EC2 described a volume without id or size');
  const tagged = volume.Tags?.find((t) => t.Key === LAST_EXPANDED_AT_TAG)?.Value;
  const lastExpandedAt = tagged === undefined ? null : new Date(tagged);
  if (lastExpandedAt && Number.isNaN(lastExpandedAt.getTime())) {
    throw new Error(`volume ${volume.VolumeId} has an unreadable ${LAST_EXPANDED_AT_TAG} tag: ${tagged}`);
  }
  return { volumeId: volume.VolumeId, sizeGiB: volume.Size, lastExpandedAt };
}

/** DescribeVolumes filters for one broker's data volume: the EC2 provider's tags. */
export function brokerVolumeFilters(
  clusterId: string,
  brokerId: number,
): { Name: string; Values: string[] }[] {
  return [
    { Name: `tag:${TAG.managed}`, Values: ['true'] },
    { Name: `tag:${TAG.cluster}`, Values: [clusterId] },
    { Name: `tag:${TAG.role}`, Values: ['broker'] },
    { Name: `tag:${TAG.brokerId}`, Values: [String(brokerId)] },
    { Name: `tag:${TAG.kind}`, Values: ['volume'] },
  ];
}

const ENVIRONMENT = {
  clusterId: 'STRATA_CLUSTER_ID',
  targetUtilizationPercent: 'STRATA_TARGET_UTILIZATION_PERCENT',
  maxVolumeSizeGiB: 'STRATA_MAX_VOLUME_SIZE_GIB',
  cooldownSeconds: 'STRATA_EXPANSION_COOLDOWN_SECONDS',
} as const;

/** The function's environment: which cluster it serves and the expansion policy's settings. */
export function expansionEnvironment(settings: ExpansionSettings): Record<string, string> {
  return {
    [ENVIRONMENT.clusterId]: settings.clusterId,
    [ENVIRONMENT.targetUtilizationPercent]: String(settings.policy.targetUtilizationPercent),
    [ENVIRONMENT.maxVolumeSizeGiB]: String(settings.policy.maxVolumeSizeGiB),
    [ENVIRONMENT.cooldownSeconds]: String(settings.policy.cooldownSeconds),
  };
}

/** The settings back from the function's environment; a missing or malformed one is named. */
export function expansionSettingsFromEnvironment(
  env: Readonly<Record<string, string | undefined>>,
): ExpansionSettings {
  const integer = (name: string): number => {
    const value = env[name];
    if (value === undefined || !/^\d+$/.test(value)) {
      throw new Error(`${name} must be a non-negative integer, not ${JSON.stringify(value)}`);
    }
    return Number(value);
  };
  const clusterId = env[ENVIRONMENT.clusterId];
  if (!clusterId) throw new Error(`${ENVIRONMENT.clusterId} is not set`);
  return {
    clusterId,
    policy: {
      enabled: true,
      targetUtilizationPercent: integer(ENVIRONMENT.targetUtilizationPercent),
      maxVolumeSizeGiB: integer(ENVIRONMENT.maxVolumeSizeGiB),
      cooldownSeconds: integer(ENVIRONMENT.cooldownSeconds),
    },
  };
}
