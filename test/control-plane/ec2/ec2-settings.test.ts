import { describe, expect, it } from 'vitest';
import { EnvironmentError, loadConfig } from '../../../control-plane/src/config.js';

/** The EC2 provider's settings: read from the environment, each refused by name when wrong. */
const valid = {
  STRATA_PROVIDER: 'ec2',
  STRATA_EC2_BROKER_LAUNCH_TEMPLATE: 'lt-0123456789abcdef0',
  STRATA_EC2_COORDINATOR_LAUNCH_TEMPLATE: 'lt-0fedcba9876543210',
  STRATA_EC2_BROKER_SECURITY_GROUPS: 'sg-0a1b2c3d',
  STRATA_EC2_COORDINATOR_SECURITY_GROUPS: 'sg-0d3c2b1a,sg-0abc',
  STRATA_EC2_SUBNETS: 'us-east-1a=subnet-0aa,us-east-1b=subnet-0bb,us-east-1c=subnet-0cc',
  STRATA_EC2_NODE_BUNDLE_URI: 's3://assets/strata-node.tgz',
};

describe('EC2 settings', () => {
  it('reads launch templates, security groups, the zone → subnet map and the bundle', () => {
    const { ec2 } = loadConfig(valid);
    expect(ec2).toEqual({
      brokerLaunchTemplate: 'lt-0123456789abcdef0',
      coordinatorLaunchTemplate: 'lt-0fedcba9876543210',
      brokerSecurityGroups: ['sg-0a1b2c3d'],
      coordinatorSecurityGroups: ['sg-0d3c2b1a', 'sg-0abc'],
      subnets: new Map([
        ['us-east-1a', 'subnet-0aa'],
        ['us-east-1b', 'subnet-0bb'],
        ['us-east-1c', 'subnet-0cc'],
      ]),
      nodeBundleUri: 's3://assets/strata-node.tgz',
    });
  });

  it('needs none of them with the local provider', () => {
    expect(loadConfig({}).ec2).toBeUndefined();
  });

  it.each([
    ['STRATA_EC2_BROKER_LAUNCH_TEMPLATE', 'my-template', /launch template id/],
    ['STRATA_EC2_BROKER_SECURITY_GROUPS', 'default', /sg-… ids/],
    ['STRATA_EC2_SUBNETS', 'subnet-0aa,subnet-0bb', /zone|pairs/],
    ['STRATA_EC2_SUBNETS', 'us-east-1a=subnet-0aa', /at least 2 zones/],
    ['STRATA_EC2_SUBNETS', 'us-east-1a=subnet-0aa,us-east-1a=subnet-0bb', /each zone once/],
    ['STRATA_EC2_NODE_BUNDLE_URI', 'https://example.com/x.tgz', /s3:\/\//],
  ])('refuses %s=%s naming it', (name, value, rule) => {
    expect(() => loadConfig({ ...valid, [name]: value })).toThrow(EnvironmentError);
    expect(() => loadConfig({ ...valid, [name]: value })).toThrow(new RegExp(`${name}`));
    expect(() => loadConfig({ ...valid, [name]: value })).toThrow(rule);
  });
});
