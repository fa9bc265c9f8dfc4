import { CfnElement } from 'aws-cdk-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControlPlaneDatabase } from '../../infra/lib/control-plane.js';
import {
  renderIntrinsic,
  resourcesOfType,
  synthesizeStrata,
  type SynthesizedStrata,
} from './support/synthesize.js';

/**
 * The stack as it is deployed to an AWS emulator without RDS, Elastic IPs or Lambda: the control
 * plane on SQLite, no NAT gateways, no storage auto-expansion; the cluster itself unchanged.
 */

let strata: SynthesizedStrata;
beforeAll(() => {
  strata = synthesizeStrata({
    controlPlaneDatabase: ControlPlaneDatabase.SQLITE,
    storageAutoExpansion: false,
    natGateways: 0,
  });
});
afterAll(() => strata?.cleanup());

describe('without RDS, NAT gateways and Lambda', () => {
  it.each([
    'AWS::RDS::DBInstance',
    'AWS::RDS::DBSubnetGroup',
    'AWS::SecretsManager::SecretTargetAttachment',
    'AWS::Lambda::Function',
    'AWS::CloudWatch::Alarm',
    'AWS::EC2::NatGateway',
    'AWS::EC2::EIP',
  ])('has no %s', (type) => {
    expect(resourcesOfType(strata.json, type)).toEqual([]);
  });

  it('has no database security group', () => {
    expect(strata.stack.securityGroups.database).toBeUndefined();
    expect(resourcesOfType(strata.json, 'AWS::EC2::SecurityGroup')).toHaveLength(5);
  });

  it('keeps the control plane state in SQLite in its state directory, and still reads its API key', () => {
    const instance = strata.stack.getLogicalId(
      strata.stack.controlPlane.instance.node.defaultChild as CfnElement,
    );
    const script = renderIntrinsic(strata.json.Resources[instance]!.Properties!.UserData);
    expect(script).not.toContain('STRATA_DATABASE');
    expect(script).not.toContain('rds-ca-bundle');
    expect(script).toContain('STRATA_STATE_DIR=/var/lib/strata\n');
    expect(script).toContain('STRATA_API_KEY=$(secret "$STRATA_API_KEY_SECRET_ARN")');
  });

  it('runs the same cluster: seven instances, three data volumes', () => {
    expect(resourcesOfType(strata.json, 'AWS::EC2::Volume')).toHaveLength(3);
    expect(resourcesOfType(strata.json, 'AWS::EC2::Instance')).toHaveLength(7);
  });
});
