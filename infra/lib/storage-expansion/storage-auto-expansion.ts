import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { fileURLToPath } from 'node:url';
import type { AutoExpansion } from '../../../control-plane/src/clusters/cluster-model.js';
import { STRATA_TAG } from '../node-tags.js';
import { DATA_VOLUME_METRIC } from '../user-data.js';
import { expansionEnvironment, LAST_EXPANDED_AT_TAG } from './volume-expansion.js';

/** The function's source: bundled with esbuild at synthesis, the control plane's policy inside. */
const HANDLER_ENTRY = fileURLToPath(new URL('./handler.ts', import.meta.url));
const REPOSITORY_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface StorageAutoExpansionProps {
  readonly clusterId: string;
  /** The brokers whose data volumes are watched and grown. */
  readonly brokerIds: readonly number[];
  /** The expansion policy: target utilization, maximum size and cooldown (`enabled` must be true). */
  readonly policy: AutoExpansion;

  /**
   * The length of one alarm evaluation period: how long a volume may be above the target before
   * the function is invoked.
   *
   * @default Duration.minutes(1)
   */
  readonly period?: Duration;

  /**
   * How long the function's logs are kept.
   *
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * Storage auto-expansion in AWS, for brokers the stack runs itself: each broker's CloudWatch agent
 * publishes its data volume's `disk_used_percent`; one alarm per broker goes off above the target
 * utilization and invokes a function that applies the control plane's own expansion policy
 * (`plannedExpansions`, bundled from the control plane's source) to that broker's volume, found by
 * its tags: ModifyVolume to the planned size, within the maximum size and the cooldown, and the
 * time kept in the volume's `strata:last-expanded-at` tag. The node bootstrap grows the file system
 * when the device has grown.
 *
 * An alarm invokes the function when it goes into ALARM; a volume still above the target after an
 * expansion (or during the cooldown) stays in ALARM and is not looked at again until usage has
 * gone below the target and above it again.
 */
export class StorageAutoExpansion extends Construct {
  readonly function: nodejs.NodejsFunction;
  /** Broker id → the alarm watching its data volume. */
  readonly alarms: ReadonlyMap<number, cloudwatch.Alarm>;

  constructor(scope: Construct, id: string, props: StorageAutoExpansionProps) {
    super(scope, id);
    if (!props.policy.enabled) throw new Error('StorageAutoExpansion needs an enabled policy');
    const stack = Stack.of(this);
    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Grows the data volumes of Strata cluster ${props.clusterId}'s brokers`,
    });
    logGroup.grantWrite(role);
    const brokerVolumes = stack.formatArn({ service: 'ec2', resource: 'volume', resourceName: '*' });
    const ofThisClustersBrokers = {
      [`aws:ResourceTag/${STRATA_TAG.managed}`]: 'true',
      [`aws:ResourceTag/${STRATA_TAG.cluster}`]: props.clusterId,
      [`aws:ResourceTag/${STRATA_TAG.role}`]: 'broker',
    };
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'FindBrokerVolumes',
        actions: ['ec2:DescribeVolumes'],
        resources: ['*'],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'GrowBrokerVolumes',
        actions: ['ec2:ModifyVolume'],
        resources: [brokerVolumes],
        conditions: { StringEquals: ofThisClustersBrokers },
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'RecordExpansions',
        actions: ['ec2:CreateTags'],
        resources: [brokerVolumes],
        conditions: {
          StringEquals: ofThisClustersBrokers,
          'ForAllValues:StringEquals': { 'aws:TagKeys': [LAST_EXPANDED_AT_TAG] },
        },
      }),
    );
    Validations.of(role).acknowledge(
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'ec2:DescribeVolumes has no resource-level permissions; it is the only action granted on "*" ' +
          "(the function finds a broker's volume by its tags).",
      },
      {
        id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:volume/*]',
        reason:
          'Volume ids are not known to the policy: ModifyVolume and CreateTags are limited by condition to ' +
          "volumes tagged as this cluster's broker volumes, and CreateTags to the last-expanded-at tag alone.",
      },
    );

    this.function = new nodejs.NodejsFunction(this, 'Function', {
      description: `Grows the data volumes of Strata cluster ${props.clusterId}'s brokers as the control plane's expansion policy says`,
      entry: HANDLER_ENTRY,
      handler: 'handler',
      projectRoot: REPOSITORY_ROOT,
      depsLockFilePath: `${REPOSITORY_ROOT}package-lock.json`,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      timeout: Duration.seconds(30),
      role,
      logGroup,
      environment: expansionEnvironment({ clusterId: props.clusterId, policy: props.policy }),
      bundling: {
        format: nodejs.OutputFormat.ESM,
        externalModules: ['@aws-sdk/*'],
      },
    });

    const alarms = new Map<number, cloudwatch.Alarm>();
    const action = new actions.LambdaAction(this.function, { useUniquePermissionId: true });
    for (const brokerId of props.brokerIds) {
      const alarm = new cloudwatch.Alarm(this, `Broker${brokerId}DataVolume`, {
        alarmDescription: `Broker ${brokerId} of Strata cluster ${props.clusterId}: data volume above ${props.policy.targetUtilizationPercent} % used`,
        metric: new cloudwatch.Metric({
          namespace: DATA_VOLUME_METRIC.namespace,
          metricName: DATA_VOLUME_METRIC.metricName,
          dimensionsMap: {
            [DATA_VOLUME_METRIC.clusterDimension]: props.clusterId,
            [DATA_VOLUME_METRIC.brokerDimension]: String(brokerId),
          },
          statistic: cloudwatch.Stats.MAXIMUM,
          period: props.period ?? Duration.minutes(1),
        }),
        threshold: props.policy.targetUtilizationPercent,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.MISSING,
      });
      alarm.addAlarmAction(action);
      alarms.set(brokerId, alarm);
    }
    this.alarms = alarms;
  }
}
