import { renderProperties } from '../../clusters/broker-configuration.js';
import type { NodeRole } from '../../clusters/cluster-model.js';

export interface NodeEnvironment {
  readonly role: NodeRole;
  readonly clusterId: string;
  readonly nodeId: number;
  readonly zone: string;
  /** The coordinators' private IPs, in index order. */
  readonly coordinators: readonly string[];
  readonly dataVolumeId?: string;
  /**
   * The server.properties settings the cluster's brokers share (its replication defaults and
   * configuration), brokers only; the node bootstrap writes the node's own lines before them.
   */
  readonly brokerSettings?: Readonly<Record<string, string>>;
  readonly bundleUri: string;
}

const SAFE = /^[A-Za-z0-9._:/=+,@-]*$/;

/** The node's `/etc/strata/node.env`: KEY=VALUE lines the node bootstrap reads. */
export function nodeEnvFile(env: NodeEnvironment): string {
  const settings = renderProperties(env.brokerSettings ?? {});
  const entries: [string, string][] = [
    ['STRATA_NODE_ROLE', env.role],
    ['STRATA_CLUSTER_ID', env.clusterId],
    ['STRATA_NODE_ID', String(env.nodeId)],
    ['STRATA_ZONE', env.zone],
    ['STRATA_COORDINATORS', env.coordinators.join(',')],
    ['STRATA_DATA_VOLUME_ID', env.dataVolumeId ?? ''],
    ['STRATA_BROKER_SETTINGS_B64', Buffer.from(settings).toString('base64')],
    ['STRATA_BUNDLE_URI', env.bundleUri],
  ];
  for (const [key, value] of entries) {
    if (!SAFE.test(value))
      throw new Error(`${key} has characters a node environment file cannot carry: ${value}`);
  }
  return entries.map(([k, v]) => `${k}=${v}\n`).join('');
}

/**
 * The instance's user data: write the node environment, fetch and unpack the node bundle, run
 * the node bootstrap (which formats and mounts the data volume and starts the broker or etcd).
 */
export function nodeUserData(env: NodeEnvironment): string {
  return [
    '#!/bin/bash',
    'set -euo pipefail',
    'mkdir -p /etc/strata /opt/strata',
    "cat > /etc/strata/node.env <<'STRATA_NODE_ENV'",
    nodeEnvFile(env).trimEnd(),
    'STRATA_NODE_ENV',
    `aws s3 cp '${env.bundleUri}' /opt/strata/strata-node.tgz`,
    'tar -xzf /opt/strata/strata-node.tgz -C /opt/strata',
    'exec /opt/strata/bootstrap/strata-node.sh',
    '',
  ].join('\n');
}
