import {
  CreateTagsCommand,
  DescribeVolumesCommand,
  EC2Client,
  ModifyVolumeCommand,
} from '@aws-sdk/client-ec2';
import {
  brokerVolumeFilters,
  brokerVolumeFromDescription,
  expandForAlarm,
  expansionSettingsFromEnvironment,
  LAST_EXPANDED_AT_TAG,
  type AlarmActionEvent,
  type BrokerVolumes,
  type ExpansionOutcome,
} from './volume-expansion.js';

/**
 * The storage-expansion function: invoked by a broker's disk-usage alarm, it grows that broker's
 * data volume as the control plane's expansion policy says. Bundled with esbuild; the AWS SDK is
 * the Lambda runtime's.
 */

const client = new EC2Client({});
const settings = expansionSettingsFromEnvironment(process.env);

const volumes: BrokerVolumes = {
  async find(clusterId, brokerId) {
    const { Volumes = [] } = await client.send(
      new DescribeVolumesCommand({ Filters: brokerVolumeFilters(clusterId, brokerId) }),
    );
    if (Volumes.length > 1) {
      throw new Error(
        `broker ${brokerId} of ${clusterId} has ${Volumes.length} data volumes tagged as its own`,
      );
    }
    return Volumes[0] && brokerVolumeFromDescription(Volumes[0]);
  },
  async grow(volumeId, sizeGiB) {
    await client.send(new ModifyVolumeCommand({ VolumeId: volumeId, Size: sizeGiB }));
  },
  async recordExpansion(volumeId, at) {
    await client.send(
      new CreateTagsCommand({
        Resources: [volumeId],
        Tags: [{ Key: LAST_EXPANDED_AT_TAG, Value: at.toISOString() }],
      }),
    );
  },
};

export async function handler(event: AlarmActionEvent): Promise<ExpansionOutcome> {
  const outcome = await expandForAlarm(event, { volumes, settings, now: new Date() });
  console.log(JSON.stringify({ alarm: event.alarmData?.alarmName, ...outcome }));
  return outcome;
}
