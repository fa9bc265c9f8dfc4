import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import {
  GIB,
  type Cluster,
  type ClusterNode,
  type ClusterVolume,
  type NodeRole,
} from '../../clusters/cluster-model.js';
import { clusterBrokerProperties, renderProperties } from '../../clusters/broker-configuration.js';
import type { NodeAddress, NodeProvider, StartedBroker } from '../provider.js';
import { MAX_LOCAL_BROKERS, allocatePortBlock, brokerPorts, coordinatorPorts } from './ports.js';
import { LOCAL_NODE_TYPES } from './resource-profiles.js';

const BROKER_BIN = fileURLToPath(new URL('../../../../bin/strata-broker.js', import.meta.url));
const BROKER_BIN_FROM_DIST = fileURLToPath(new URL('../../../../../bin/strata-broker.js', import.meta.url));

function brokerBin(): string {
  return existsSync(BROKER_BIN) ? BROKER_BIN : BROKER_BIN_FROM_DIST;
}

export interface LocalProviderOptions {
  /** Where clusters' data dirs, logs and pid files live (`<state dir>/clusters/<id>/`). */
  readonly stateDir: string;
  readonly logger: Logger;
  /** Base ports of existing clusters, so a new one gets its own block. */
  readonly takenBasePorts: () => Promise<ReadonlySet<number>>;
}

/**
 * Runs clusters as real processes on this machine: one etcd member per coordinator and one
 * strata-broker per broker, each with its own ports, data dir, `broker.rack` = zone, and log file.
 * A broker's "volume" is its data dir with a size quota the broker enforces (and reports as its
 * capacity); growing the volume raises the quota on the running broker. Processes are detached
 * and found again by their pid files, so they outlive a control-plane restart.
 */
export class LocalProvider implements NodeProvider {
  readonly name = 'local' as const;
  readonly maxBrokers = MAX_LOCAL_BROKERS;

  constructor(private readonly options: LocalProviderOptions) {}

  private clusterDir(cluster: Cluster): string {
    return join(this.options.stateDir, 'clusters', cluster.id);
  }

  private nodeDir(cluster: Cluster, role: NodeRole, index: number): string {
    return join(this.clusterDir(cluster), `${role}-${index}`);
  }

  checkNodeType(nodeType: string): string | undefined {
    return LOCAL_NODE_TYPES[nodeType]
      ? undefined
      : `must be one of ${Object.keys(LOCAL_NODE_TYPES).join(', ')} with the local provider`;
  }

  /** Zones are names only: every local node runs on this machine. */
  checkZones(): undefined {
    return undefined;
  }

  async prepareCluster(cluster: Cluster): Promise<Cluster> {
    if (cluster.basePort !== null) return cluster;
    const basePort = await allocatePortBlock(await this.options.takenBasePorts());
    mkdirSync(this.clusterDir(cluster), { recursive: true });
    return { ...cluster, basePort };
  }

  async nodeAddress(cluster: Cluster, role: NodeRole, index: number): Promise<NodeAddress> {
    const base = cluster.basePort;
    if (base === null) throw new Error(`cluster ${cluster.id} has no ports yet`);
    if (role === 'coordinator') {
      const ports = coordinatorPorts(base, index);
      return { host: '127.0.0.1', port: ports.client, adminPort: null, peerPort: ports.peer };
    }
    const ports = brokerPorts(base, index);
    return { host: '127.0.0.1', port: ports.kafka, adminPort: ports.admin, peerPort: null };
  }

  async startCoordinator(
    cluster: Cluster,
    node: ClusterNode,
    coordinators: readonly ClusterNode[],
  ): Promise<string> {
    const dir = this.nodeDir(cluster, 'coordinator', node.nodeIndex);
    const running = this.runningPid(dir);
    if (running) return `pid:${running}`;
    mkdirSync(dir, { recursive: true });
    const dataDir = join(dir, 'data');
    const initial = coordinators.map((c) => `${memberName(c)}=http://${c.host}:${c.peerPort}`).join(',');
    const args = [
      '--name',
      memberName(node),
      '--data-dir',
      dataDir,
      '--listen-client-urls',
      `http://${node.host}:${node.port}`,
      '--advertise-client-urls',
      `http://${node.host}:${node.port}`,
      '--listen-peer-urls',
      `http://${node.host}:${node.peerPort}`,
      '--initial-advertise-peer-urls',
      `http://${node.host}:${node.peerPort}`,
      '--initial-cluster',
      initial,
      '--initial-cluster-token',
      cluster.id,
      '--initial-cluster-state',
      existsSync(dataDir) ? 'existing' : 'new',
      '--heartbeat-interval',
      '100',
      '--election-timeout',
      '1000',
      '--log-level',
      'warn',
    ];
    return `pid:${this.spawnDetached(dir, 'etcd', args)}`;
  }

  async startBroker(
    cluster: Cluster,
    node: ClusterNode,
    volume: ClusterVolume,
    coordinators: readonly ClusterNode[],
  ): Promise<StartedBroker> {
    const dir = this.nodeDir(cluster, 'broker', node.nodeIndex);
    const volumeRef = `dir:${join(dir, 'data')}`;
    const running = this.runningPid(dir);
    if (running) return { nodeRef: `pid:${running}`, volumeRef };
    mkdirSync(join(dir, 'data'), { recursive: true });
    ensureAdminToken(dir);
    writeFileSync(
      join(dir, 'server.properties'),
      this.brokerProperties(cluster, node, volume.sizeGiB, coordinators),
    );
    const heap = LOCAL_NODE_TYPES[cluster.nodeType]?.heapMiB ?? 512;
    const args = [`--max-old-space-size=${heap}`, brokerBin(), join(dir, 'server.properties')];
    return { nodeRef: `pid:${this.spawnDetached(dir, process.execPath, args)}`, volumeRef };
  }

  /** The broker's server.properties (see {@link localBrokerProperties}). */
  private brokerProperties(
    cluster: Cluster,
    node: ClusterNode,
    sizeGiB: number,
    coordinators: readonly ClusterNode[],
  ): string {
    return localBrokerProperties(
      cluster,
      node,
      this.nodeDir(cluster, 'broker', node.nodeIndex),
      sizeGiB,
      coordinators,
    );
  }

  private spawnDetached(dir: string, command: string, args: string[]): number {
    const log = openSync(join(dir, 'process.log'), 'a');
    try {
      const child = spawn(command, args, {
        detached: true,
        stdio: ['ignore', log, log],
        env: nodeEnvironment(),
      });
      child.unref();
      writeFileSync(join(dir, 'pid'), String(child.pid));
      this.options.logger.info({ dir, pid: child.pid, command }, 'started a node process');
      return child.pid!;
    } finally {
      closeSync(log);
    }
  }

  /** The node's process, if its pid file names a live process started for this node. */
  private runningPid(dir: string): number | undefined {
    const pidFile = join(dir, 'pid');
    if (!existsSync(pidFile)) return undefined;
    const pid = Number(readFileSync(pidFile, 'utf8'));
    if (!Number.isInteger(pid) || pid <= 0) return undefined;
    try {
      process.kill(pid, 0);
    } catch {
      return undefined;
    }
    // A reused pid belongs to another program: the command line must name this node's dir.
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (!cmdline.includes(dir)) return undefined;
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (/\) Z /.test(stat)) return undefined; // a zombie has exited
    } catch {
      return undefined;
    }
    return pid;
  }

  async stopNode(cluster: Cluster, node: ClusterNode, mode: 'graceful' | 'kill'): Promise<void> {
    const dir = this.nodeDir(cluster, node.role, node.nodeIndex);
    const pid = this.runningPid(dir);
    if (!pid) return;
    process.kill(pid, mode === 'graceful' ? 'SIGTERM' : 'SIGKILL');
    const deadline = Date.now() + (mode === 'graceful' ? 60_000 : 10_000);
    let killed = mode === 'kill';
    while (this.runningPid(dir)) {
      if (Date.now() > deadline && !killed) {
        this.options.logger.warn({ dir, pid }, 'a node did not stop in time; killing it');
        process.kill(pid, 'SIGKILL');
        killed = true;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    this.options.logger.info({ dir, pid, mode, killed }, 'stopped a node process');
  }

  async isRunning(cluster: Cluster, node: ClusterNode): Promise<boolean> {
    return this.runningPid(this.nodeDir(cluster, node.role, node.nodeIndex)) !== undefined;
  }

  async resizeVolume(
    cluster: Cluster,
    volume: ClusterVolume,
    broker: ClusterNode,
    sizeGiB: number,
  ): Promise<void> {
    const dir = this.nodeDir(cluster, 'broker', volume.brokerId);
    const propertiesFile = join(dir, 'server.properties');
    if (existsSync(propertiesFile)) {
      const text = readFileSync(propertiesFile, 'utf8').replace(
        /^log\.dirs\.capacity\.bytes=.*$/m,
        `log.dirs.capacity.bytes=${sizeGiB * GIB}`,
      );
      writeFileSync(propertiesFile, text);
    }
    if (!this.runningPid(dir)) return; // it starts with the new size
    const response = await fetch(`http://${broker.host}:${broker.adminPort}/storage/capacity`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ensureAdminToken(dir)}` },
      body: JSON.stringify({ bytes: sizeGiB * GIB }),
    });
    if (!response.ok)
      throw new Error(
        `broker ${volume.brokerId} refused the new capacity: ${response.status} ${await response.text()}`,
      );
  }

  // Removed off the event loop: a cluster's data can be gigabytes, and the API keeps answering.
  async releaseBroker(cluster: Cluster, brokerId: number): Promise<void> {
    await rm(this.nodeDir(cluster, 'broker', brokerId), { recursive: true, force: true });
  }

  async releaseCluster(cluster: Cluster): Promise<void> {
    await rm(this.clusterDir(cluster), { recursive: true, force: true });
  }
}

/**
 * The environment of a node process: the control plane's, without its own settings (a broker
 * reads STRATA_* variables as broker settings, etcd reads ETCD_*), with the broker log level.
 */
function nodeEnvironment(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^(STRATA|ETCD)_/.test(name)),
  );
  return { ...env, STRATA_LOG_LEVEL: process.env.STRATA_BROKER_LOG_LEVEL ?? 'info' };
}

/** The file holding the token a broker's admin endpoint takes changes with (admin.listener.token.file). */
function adminTokenFile(brokerDir: string): string {
  return join(brokerDir, 'admin.token');
}

/**
 * The broker's admin token: made (32 random bytes, base64url) on its first start, in a file only
 * this user can read, and kept for its later starts and the control plane's calls.
 */
function ensureAdminToken(brokerDir: string): string {
  const file = adminTokenFile(brokerDir);
  if (!existsSync(file)) {
    mkdirSync(brokerDir, { recursive: true });
    writeFileSync(file, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
  }
  return readFileSync(file, 'utf8').trim();
}

function memberName(node: ClusterNode): string {
  return `coordinator-${node.nodeIndex}`;
}

/**
 * A local broker's server.properties: its identity, zone, ports, volume and coordinators, then the
 * lines every broker of the cluster shares, rendered as for every provider (the managed cluster's
 * replication defaults and the cluster's configuration), then its admin token.
 */
export function localBrokerProperties(
  cluster: Cluster,
  node: ClusterNode,
  dir: string,
  sizeGiB: number,
  coordinators: readonly ClusterNode[],
): string {
  return (
    renderProperties({
      'node.id': node.nodeIndex,
      'broker.rack': node.zone,
      listeners: `PLAINTEXT://${node.host}:${node.port}`,
      'advertised.listeners': `PLAINTEXT://${node.host}:${node.port}`,
      'admin.listener': `${node.host}:${node.adminPort}`,
      'log.dirs': join(dir, 'data'),
      'log.dirs.capacity.bytes': sizeGiB * GIB,
      'coordinator.endpoints': coordinators.map((c) => `http://${c.host}:${c.port}`).join(','),
      'cluster.id': cluster.id,
      // Local brokers come and go quickly; leadership goes back to the preferred replica sooner.
      ...('leader.imbalance.check.interval.seconds' in cluster.configuration
        ? {}
        : { 'leader.imbalance.check.interval.seconds': 10 }),
    }) +
    clusterBrokerProperties(cluster) +
    renderProperties({ 'admin.listener.token.file': adminTokenFile(dir) })
  );
}
