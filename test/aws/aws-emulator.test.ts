import { CreateVpcCommand, DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { beforeAll, describe, expect, it } from 'vitest';
import { useAwsEmulator, type AwsEmulatorAccount } from '../support/aws-emulator.js';

function ec2(account: AwsEmulatorAccount): EC2Client {
  return new EC2Client({
    endpoint: account.endpoint,
    region: account.region,
    credentials: account.credentials,
  });
}

describe('the shared AWS emulator', () => {
  let first: AwsEmulatorAccount;
  let second: AwsEmulatorAccount;

  beforeAll(async () => {
    first = await useAwsEmulator();
    second = await useAwsEmulator();
  });

  it('gives each caller an account of its own', async () => {
    expect(first.accountId).toMatch(/^\d{12}$/);
    expect(second.accountId).not.toBe(first.accountId);
    const { Vpc } = await ec2(first).send(new CreateVpcCommand({ CidrBlock: '10.42.0.0/16' }));
    const inFirst = await ec2(first).send(new DescribeVpcsCommand({ VpcIds: [Vpc!.VpcId!] }));
    expect(inFirst.Vpcs?.map((v) => v.OwnerId)).toEqual([first.accountId]);
    const inSecond = await ec2(second).send(new DescribeVpcsCommand({}));
    expect(inSecond.Vpcs?.map((v) => v.VpcId)).not.toContain(Vpc!.VpcId);
  });

  it('gives the same settings as AWS_* variables for child processes', () => {
    expect(first.env).toEqual({
      AWS_ENDPOINT_URL: first.endpoint,
      AWS_REGION: first.region,
      AWS_DEFAULT_REGION: first.region,
      AWS_ACCESS_KEY_ID: first.accountId,
      AWS_SECRET_ACCESS_KEY: 'test',
    });
  });
});
