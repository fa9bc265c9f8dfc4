import {
  CreateVolumeCommand,
  DeleteVolumeCommand,
  DescribeVolumesCommand,
  EC2Client,
  type Volume,
} from '@aws-sdk/client-ec2';
import { readdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useAwsEmulator, type AwsEmulatorAccount } from '../support/aws-emulator.js';
import { runCommand } from '../support/run-command.js';
import { resourcesOfType, synthesizeStrata, type SynthesizedStrata } from '../infra/support/synthesize.js';

/**
 * The storage-expansion function as the stack deploys it — the esbuild bundle from the cloud
 * assembly, with the environment the template gives it — invoked with CloudWatch alarm-action
 * events in a Node process of its own, against the EC2 API of the local AWS emulator. (The
 * emulator cannot run Lambda functions on a host without Docker, so the test runs the handler
 * the way the Lambda runtime would: import the bundle, call `handler(event)`.)
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLUSTER = 'default';

let aws: AwsEmulatorAccount;
let strata: SynthesizedStrata;
let ec2: EC2Client;
let bundle: string;
let functionEnvironment: Record<string, string>;
let zone: string;
const created: string[] = [];

beforeAll(async () => {
  aws = await useAwsEmulator();
  strata = synthesizeStrata();
  const [, fn] = resourcesOfType(strata.json, 'AWS::Lambda::Function')[0]!;
  functionEnvironment = fn.Properties!.Environment.Variables as Record<string, string>;
  const hash = String(fn.Properties!.Code.S3Key).replace(/\.zip$/, '');
  const assetDir = join(strata.assemblyDirectory, `asset.${hash}`);
  expect(readdirSync(assetDir)).toContain('index.mjs');
  // The Lambda runtime provides the AWS SDK, which the bundle leaves out; here the repository's.
  symlinkSync(join(ROOT, 'node_modules'), join(assetDir, 'node_modules'));
  bundle = join(assetDir, 'index.mjs');
  ec2 = new EC2Client({ endpoint: aws.endpoint, region: aws.region, credentials: aws.credentials });
  zone = `${aws.region}a`;
}, 120_000);

afterAll(async () => {
  for (const VolumeId of created) await ec2?.send(new DeleteVolumeCommand({ VolumeId }));
  ec2?.destroy();
  strata?.cleanup();
});

/** A broker data volume tagged as the EC2 provider and the stack tag one. */
async function brokerVolume(brokerId: number, sizeGiB: number, clusterId = CLUSTER): Promise<string> {
  const tags = {
    'strata:managed': 'true',
    'strata:cluster': clusterId,
    'strata:role': 'broker',
    'strata:zone': zone,
    'strata:node-index': String(brokerId),
    'strata:broker-id': String(brokerId),
    'strata:kind': 'volume',
  };
  const { VolumeId } = await ec2.send(
    new CreateVolumeCommand({
      AvailabilityZone: zone,
      Size: sizeGiB,
      VolumeType: 'gp3',
      Encrypted: true,
      TagSpecifications: [
        { ResourceType: 'volume', Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) },
      ],
    }),
  );
  created.push(VolumeId!);
  return VolumeId!;
}

async function describe1(volumeId: string): Promise<Volume> {
  const { Volumes } = await ec2.send(new DescribeVolumesCommand({ VolumeIds: [volumeId] }));
  return Volumes![0]!;
}

/** CloudWatch's alarm-action event for a broker's disk-usage alarm. */
function alarmEvent(options: {
  brokerId: number;
  usedPercent: number;
  at: Date;
  state?: string;
  clusterId?: string;
}): object {
  const timestamp = options.at.toISOString().replace('Z', '+0000');
  return {
    source: 'aws.cloudwatch',
    alarmArn: `arn:aws:cloudwatch:${aws.region}:${aws.accountId}:alarm:broker-${options.brokerId}`,
    accountId: aws.accountId,
    time: timestamp,
    region: aws.region,
    alarmData: {
      alarmName: `broker-${options.brokerId}`,
      state: {
        value: options.state ?? 'ALARM',
        reason: 'Threshold Crossed',
        reasonData: JSON.stringify({
          version: '1.0',
          statistic: 'Maximum',
          period: 60,
          threshold: 60,
          evaluatedDatapoints: [{ timestamp, sampleCount: 1, value: options.usedPercent }],
        }),
        timestamp,
      },
      configuration: {
        metrics: [
          {
            id: 'm1',
            metricStat: {
              metric: {
                namespace: 'CWAgent',
                name: 'disk_used_percent',
                dimensions: { ClusterId: options.clusterId ?? CLUSTER, BrokerId: String(options.brokerId) },
              },
              period: 60,
              stat: 'Maximum',
            },
            returnData: true,
          },
        ],
      },
    },
  };
}

/** Invokes the bundled handler once, in a process of its own, as the Lambda runtime would. */
async function invoke(event: object): Promise<Record<string, unknown>> {
  const script =
    `const { handler } = await import(${JSON.stringify(bundle)});` +
    `const result = await handler(JSON.parse(process.env.EVENT));` +
    `process.stdout.write('\\n' + JSON.stringify(result));`;
  const result = await runCommand(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...aws.env, ...functionEnvironment, EVENT: JSON.stringify(event) },
    timeoutMs: 60_000,
  });
  if (result.code !== 0) throw new Error(`the handler failed (${result.code}):\n${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
}

describe('the storage-expansion function', () => {
  it('is deployed with the policy settings of the stack', () => {
    expect(functionEnvironment).toEqual({
      STRATA_CLUSTER_ID: CLUSTER,
      STRATA_TARGET_UTILIZATION_PERCENT: '60',
      STRATA_MAX_VOLUME_SIZE_GIB: '1000',
      STRATA_EXPANSION_COOLDOWN_SECONDS: '21600',
    });
  });

  it("grows a broker's volume above the target by 10 %, records when, and waits out the cooldown", async () => {
    const volumeId = await brokerVolume(1, 100);
    const first = await invoke(alarmEvent({ brokerId: 1, usedPercent: 75, at: new Date() }));
    expect(first).toMatchObject({ result: 'expanded', volumeId, brokerId: 1, fromGiB: 100, toGiB: 110 });
    const grown = await describe1(volumeId);
    expect(grown.Size).toBe(110);
    const recorded = grown.Tags?.find((t) => t.Key === 'strata:last-expanded-at')?.Value;
    expect(Date.parse(recorded!)).not.toBeNaN();

    // Still above the target a minute later: within the six-hour cooldown, nothing changes.
    const again = await invoke(
      alarmEvent({ brokerId: 1, usedPercent: 70, at: new Date(Date.now() + 60_000) }),
    );
    expect(again).toMatchObject({ result: 'unchanged', volumeId });
    expect((await describe1(volumeId)).Size).toBe(110);
  });

  it('grows a small volume by the 1 GiB minimum, and never past the maximum size', async () => {
    const small = await brokerVolume(2, 5);
    expect(await invoke(alarmEvent({ brokerId: 2, usedPercent: 90, at: new Date() }))).toMatchObject({
      result: 'expanded',
      volumeId: small,
      fromGiB: 5,
      toGiB: 6,
    });
    expect((await describe1(small)).Size).toBe(6);
    const full = await brokerVolume(3, 1000);
    expect(await invoke(alarmEvent({ brokerId: 3, usedPercent: 99, at: new Date() }))).toMatchObject({
      result: 'unchanged',
      volumeId: full,
    });
    expect((await describe1(full)).Size).toBe(1000);
  });

  it("leaves alone alarms that are not this cluster's brokers in ALARM, and says why", async () => {
    const otherCluster = await brokerVolume(4, 100, 'another');
    expect(
      await invoke(alarmEvent({ brokerId: 4, usedPercent: 90, at: new Date(), clusterId: 'another' })),
    ).toEqual({ result: 'ignored', reason: 'the alarm is for cluster another, not this one' });
    expect(await invoke(alarmEvent({ brokerId: 4, usedPercent: 90, at: new Date(), state: 'OK' }))).toEqual({
      result: 'ignored',
      reason: 'the alarm is OK',
    });
    expect(await invoke(alarmEvent({ brokerId: 9, usedPercent: 90, at: new Date() }))).toEqual({
      result: 'ignored',
      reason: 'broker 9 has no tagged data volume',
    });
    expect((await describe1(otherCluster)).Size).toBe(100);
  });
});
