import { Validations } from 'aws-cdk-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synthesizeStrata, type SynthesizedStrata } from './support/synthesize.js';

/**
 * cdk-nag's AWS Solutions checks over the whole stack, as the app runs them on every synthesis:
 * no finding may stand unacknowledged, and each acknowledgment carries its own reason.
 */

let strata: SynthesizedStrata;
beforeAll(() => {
  strata = synthesizeStrata({}, { awsSolutionsChecks: true });
});
afterAll(() => strata?.cleanup());

/**
 * Every AWS Solutions acknowledgment in the app, by construct path. CDK records an acknowledgment
 * as `Annotation::<rule>`; it also acknowledges a few CloudFormation validator rules of its own
 * (literal zones, flow log fields), which are not the stack's to justify.
 */
function acknowledgments(): { id: string; path: string; reason: string }[] {
  return strata.app.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
          id: id.replace(/^Annotation::/, ''),
          path: construct.node.path,
          reason,
        })),
      )
      .filter((acknowledgment) => acknowledgment.id.startsWith('AwsSolutions-')),
  );
}

describe('AWS Solutions checks', () => {
  it('leave no unacknowledged error or warning', () => {
    const findings = strata.validationReport.pluginReports.flatMap((report) => report.violations ?? []);
    expect(findings).toEqual([]);
  });

  it('are acknowledged only where a rule cannot apply, each with a reason of its own', () => {
    const acknowledged = acknowledgments();
    expect(acknowledged.map((a) => `${a.path} ${a.id}`).sort()).toEqual(
      [
        'Strata/ControlPlane/AdminApiKey AwsSolutions-SMG4',
        'Strata/ControlPlane/Database AwsSolutions-RDS11',
        'Strata/ControlPlane/Database AwsSolutions-SMG4',
        'Strata/ControlPlane/Instance AwsSolutions-EC26',
        'Strata/ControlPlane/Instance AwsSolutions-EC29',
        'Strata/ControlPlane/Role AwsSolutions-IAM5[Resource::*]',
        'Strata/ControlPlane/Role AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:<AWS::Region>::image/*]',
        'Strata/ControlPlane/Role AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:instance/*]',
        'Strata/ControlPlane/Role AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:network-interface/*]',
        'Strata/ControlPlane/Role AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:volume/*]',
        'Strata/DefaultCluster AwsSolutions-EC29',
        'Strata/NodeLaunchTemplates/Role AwsSolutions-IAM5[Resource::*]',
        'Strata/StorageAutoExpansion/Role AwsSolutions-IAM5[Resource::*]',
        'Strata/StorageAutoExpansion/Role AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:volume/*]',
      ].sort(),
    );
    for (const { path, id, reason } of acknowledged) {
      expect(reason.length, `${path} ${id}`).toBeGreaterThan(80);
    }
    const reasons = acknowledged.filter((a) => a.id.includes('IAM5')).map((a) => a.reason);
    expect(new Set(reasons).size).toBe(reasons.length);
  });
});
