import { Token } from 'aws-cdk-lib';
import { nodeUserData, type NodeEnvironment } from '../../control-plane/src/providers/ec2/user-data.js';
import { CLOUDWATCH_AGENT_NAMESPACE } from './node-launch-templates.js';
import { ALARM_DIMENSIONS } from './storage-expansion/volume-expansion.js';

/**
 * A node's user data, rendered by the control plane's EC2 provider's own function (so the stack's
 * nodes boot exactly as the ones the control plane launches), with deploy-time values — the
 * coordinators' addresses, the volume id, the zone, the bundle's bucket — passed through it.
 */
export function nodeUserDataScript(env: NodeEnvironment): string {
  return renderWithDeployTimeValues(env, nodeUserData);
}

/**
 * Renders text whose inputs may hold deploy-time values (CDK tokens). Each string holding one is
 * handed to `render` as a plain stand-in and put back into the result, so a renderer that checks
 * its values checks the literal ones and carries the deploy-time ones to CloudFormation. A
 * deploy-time value the renderer transforms (encodes, hashes) cannot be put back, and is refused.
 */
export function renderWithDeployTimeValues<T>(values: T, render: (values: T) => string): string {
  const standIns = new Map<string, string>();
  const replace = (value: unknown): unknown => {
    if (typeof value === 'string') {
      if (!Token.isUnresolved(value)) return value;
      const standIn = `@strata-deploy-time-value.${standIns.size + 1}@`;
      standIns.set(standIn, value);
      return standIn;
    }
    if (Array.isArray(value)) return value.map(replace);
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replace(v)]));
    }
    return value;
  };
  let text = render(replace(values) as T);
  for (const [standIn, value] of standIns) {
    if (!text.includes(standIn)) {
      throw new Error(`a deploy-time value (${value}) does not appear as itself in the rendered text`);
    }
    text = text.split(standIn).join(value);
  }
  return text;
}

/** The metric a broker's data volume is watched by: the CloudWatch agent's disk usage. */
export const DATA_VOLUME_METRIC = {
  namespace: CLOUDWATCH_AGENT_NAMESPACE,
  metricName: 'disk_used_percent',
  clusterDimension: ALARM_DIMENSIONS.cluster,
  brokerDimension: ALARM_DIMENSIONS.broker,
} as const;

export interface DataVolumeMetricProps {
  readonly clusterId: string;
  readonly brokerId: number;
  /** Where the node bootstrap mounts the broker's data volume. */
  readonly dataMountPath: string;
  /** How often the agent samples the disk (seconds). */
  readonly intervalSeconds: number;
}

/**
 * The CloudWatch agent's configuration on a broker: the data mount's `disk_used_percent` in the
 * CWAgent namespace, published once with the agent's own dimensions and once rolled up to just
 * the cluster and broker, the dimensions the broker's alarm names (host, device and file system
 * type would otherwise be part of the metric's identity).
 */
export function cloudWatchAgentConfig(props: DataVolumeMetricProps): object {
  if (!/^\/[A-Za-z0-9._/-]*$/.test(props.dataMountPath)) {
    throw new Error(`dataMountPath must be an absolute path, not "${props.dataMountPath}"`);
  }
  return {
    agent: { metrics_collection_interval: props.intervalSeconds, omit_hostname: true },
    metrics: {
      namespace: DATA_VOLUME_METRIC.namespace,
      metrics_collected: {
        disk: {
          resources: [props.dataMountPath],
          measurement: ['used_percent'],
          drop_device: true,
          append_dimensions: {
            [DATA_VOLUME_METRIC.clusterDimension]: props.clusterId,
            [DATA_VOLUME_METRIC.brokerDimension]: String(props.brokerId),
          },
        },
      },
      aggregation_dimensions: [[DATA_VOLUME_METRIC.clusterDimension, DATA_VOLUME_METRIC.brokerDimension]],
    },
  };
}

const AGENT_DIR = '/opt/aws/amazon-cloudwatch-agent';

/**
 * A user data part that installs and starts the CloudWatch agent with the broker's data volume
 * metric. It is a part of its own, so that a failure here (a package mirror down) never keeps the
 * node's own part from starting the broker.
 */
export function cloudWatchAgentScript(props: DataVolumeMetricProps): string {
  const configFile = `${AGENT_DIR}/etc/strata-data-volume.json`;
  return [
    '#!/bin/bash',
    'set -euo pipefail',
    'dnf install -y amazon-cloudwatch-agent',
    `cat > ${configFile} <<'STRATA_AGENT_CONFIG'`,
    JSON.stringify(cloudWatchAgentConfig(props), null, 2),
    'STRATA_AGENT_CONFIG',
    `${AGENT_DIR}/bin/amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s -c file:${configFile}`,
    '',
  ].join('\n');
}

/** Where the control plane's host keeps its settings, its bundle and its start-up script. */
export const CONTROL_PLANE_PATHS = {
  bundleDir: '/opt/strata',
  environmentFile: '/etc/strata/control-plane.env',
  startScript: '/usr/local/libexec/strata-control-plane',
  rdsCaBundle: '/etc/strata/rds-ca-bundle.pem',
  stateDir: '/var/lib/strata',
  unit: 'strata-control-plane.service',
} as const;

export interface ControlPlaneUserDataProps {
  /** The control plane's environment (settings, no secrets): written to its environment file. */
  readonly environment: Readonly<Record<string, string>>;
  /** The node bundle (s3:// URI), which holds the control plane's build too. */
  readonly bundleUri: string;
  /**
   * The generated PostgreSQL credentials (Secrets Manager, RDS's JSON shape).
   *
   * @default - none: the control plane keeps its state in SQLite in its state directory
   */
  readonly databaseSecretArn?: string;
  /** The admin API key the control plane accepts (Secrets Manager, a plain string). */
  readonly apiKeySecretArn: string;
  readonly region: string;
  /**
   * The RDS certificate bundle PostgreSQL connections are verified against.
   *
   * @default the global bundle (every commercial region)
   */
  readonly rdsCaBundleUrl?: string;
}

const ENVIRONMENT_NAME = /^[A-Z][A-Z0-9_]*$/;
const ENVIRONMENT_VALUE = /^[A-Za-z0-9._:/=+,@-]*$/;

/**
 * The control plane's user data: install Node.js 20, fetch and unpack the node bundle, write the
 * settings, and run `node dist/control-plane/src/main.js` as a systemd service. Secrets never pass
 * through user data (any principal allowed DescribeInstanceAttribute can read it): the service's
 * start-up script reads the database credentials and the admin key from Secrets Manager each time
 * it starts and builds STRATA_DATABASE_URL from them (TLS, verified against RDS's certificates).
 * Without database credentials the control plane uses its embedded default, SQLite in its state
 * directory.
 */
export function controlPlaneUserData(props: ControlPlaneUserDataProps): string {
  const postgresql = props.databaseSecretArn !== undefined;
  const environment: Record<string, string> = {
    ...props.environment,
    ...(postgresql
      ? {
          NODE_EXTRA_CA_CERTS: CONTROL_PLANE_PATHS.rdsCaBundle,
          STRATA_DATABASE_SECRET_ARN: props.databaseSecretArn!,
        }
      : {}),
    STRATA_API_KEY_SECRET_ARN: props.apiKeySecretArn,
  };
  for (const [name, value] of Object.entries(environment)) {
    if (!ENVIRONMENT_NAME.test(name)) throw new Error(`${name} is not an environment variable name`);
    if (!Token.isUnresolved(value) && !ENVIRONMENT_VALUE.test(value)) {
      throw new Error(`${name} has characters the environment file cannot carry: ${value}`);
    }
  }
  const paths = CONTROL_PLANE_PATHS;
  const caBundleUrl =
    props.rdsCaBundleUrl ?? 'https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem';
  const databaseUrl =
    'const s = JSON.parse(require("fs").readFileSync(0, "utf8")), e = encodeURIComponent;' +
    ' process.stdout.write(`postgresql://${e(s.username)}:${e(s.password)}@${s.host}:${s.port}/${e(s.dbname)}?sslmode=verify-full`)';
  return [
    '#!/bin/bash',
    'set -euo pipefail',
    'dnf install -y nodejs20',
    'id -u strata >/dev/null 2>&1 || useradd --system --user-group --no-create-home --shell /sbin/nologin strata',
    `mkdir -p /etc/strata ${paths.bundleDir} ${paths.stateDir} $(dirname ${paths.startScript})`,
    `chown strata:strata ${paths.stateDir}`,
    `aws s3 cp --region '${props.region}' '${props.bundleUri}' ${paths.bundleDir}/strata-node.tgz`,
    `tar -xzf ${paths.bundleDir}/strata-node.tgz -C ${paths.bundleDir}`,
    ...(postgresql ? [`curl -fsS --retry 5 -o ${paths.rdsCaBundle} '${caBundleUrl}'`] : []),
    `cat > ${paths.environmentFile} <<'STRATA_CONTROL_PLANE_ENV'`,
    ...Object.entries(environment).map(([name, value]) => `${name}=${value}`),
    'STRATA_CONTROL_PLANE_ENV',
    `cat > ${paths.startScript} <<'STRATA_CONTROL_PLANE_START'`,
    '#!/bin/bash',
    'set -euo pipefail',
    'secret() { aws secretsmanager get-secret-value --region "$AWS_REGION" --secret-id "$1" --query SecretString --output text; }',
    ...(postgresql
      ? [
          `STRATA_DATABASE_URL=$(secret "$STRATA_DATABASE_SECRET_ARN" | node-20 -e '${databaseUrl}')`,
          'export STRATA_DATABASE_URL',
        ]
      : []),
    'STRATA_API_KEY=$(secret "$STRATA_API_KEY_SECRET_ARN")',
    'export STRATA_API_KEY',
    `cd ${paths.bundleDir}`,
    'exec node-20 dist/control-plane/src/main.js',
    'STRATA_CONTROL_PLANE_START',
    `chmod 0755 ${paths.startScript}`,
    `cat > /etc/systemd/system/${paths.unit} <<'STRATA_CONTROL_PLANE_UNIT'`,
    '[Unit]',
    'Description=Strata control plane',
    'Wants=network-online.target',
    'After=network-online.target',
    '',
    '[Service]',
    'User=strata',
    `Environment=HOME=${paths.stateDir}`,
    `EnvironmentFile=${paths.environmentFile}`,
    `ExecStart=${paths.startScript}`,
    'Restart=always',
    'RestartSec=5',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    'STRATA_CONTROL_PLANE_UNIT',
    'systemctl daemon-reload',
    `systemctl enable --now ${paths.unit}`,
    '',
  ].join('\n');
}
