import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, closeSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
  DescribeVolumesCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import { GIB } from '../../../control-plane/src/clusters/cluster-model.js';
import { EC2_PORTS } from '../../../control-plane/src/providers/ec2/ec2-provider.js';
import { TAG } from '../../../control-plane/src/providers/ec2/node-tags.js';

/** The admin endpoint token of the brokers the agent runs. */
const AGENT_ADMIN_TOKEN = 'instance-agent-token-6c2e9f4a1b8d3e7c0a5f2d9b';

const run = promisify(execFile);
const BOOTSTRAP = fileURLToPath(new URL('../../../broker-image/bootstrap/', import.meta.url));
const BROKER_BIN = fileURLToPath(new URL('../../../bin/strata-broker.js', import.meta.url));

interface RunningNode {
  readonly instanceId: string;
  readonly role: string;
  readonly privateIp: string;
  readonly process: ChildProcess;
  readonly exited: Promise<void>;
  readonly volumeId: string | undefined;
  /** The data volume size the broker was last told (bytes). */
  capacity: number;
}

/**
 * Plays the part of the instances' operating system for emulated EC2 instances whose private IPs
 * are loopback addresses (a VPC in 127.0.0.0/8): for every running Strata instance it reads the
 * instance's user data, renders the node's configuration with the node bootstrap's own renderers,
 * and runs the node as a real process on the instance's IP — etcd for a coordinator, the broker
 * for a broker, its volume's size as the broker's capacity (raised when the volume grows, as the
 * node's volume watcher does). When the instance ends, so does its process.
 */
export class InstanceAgent {
  readonly nodes = new Map<string, RunningNode>();
  readonly errors: string[] = [];
  private stopped = false;
  private loop: Promise<void>;

  constructor(
    private readonly ec2: EC2Client,
    private readonly workDir: string,
  ) {
    this.loop = this.watch();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
    await Promise.all([...this.nodes.keys()].map((id) => this.end(id)));
  }

  private async watch(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.pass();
      } catch (error) {
        this.errors.push(String(error));
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  private async pass(): Promise<void> {
    const { Reservations } = await this.ec2.send(
      new DescribeInstancesCommand({
        Filters: [
          { Name: `tag:${TAG.managed}`, Values: ['true'] },
          { Name: 'instance-state-name', Values: ['running'] },
        ],
      }),
    );
    const running = (Reservations ?? []).flatMap((r) => r.Instances ?? []);
    const ids = new Set(running.map((i) => i.InstanceId!));
    for (const id of this.nodes.keys()) if (!ids.has(id)) await this.end(id);
    for (const instance of running) {
      if (this.stopped) return;
      if (!this.nodes.has(instance.InstanceId!))
        await this.begin(instance.InstanceId!, instance.PrivateIpAddress!);
    }
    for (const node of this.nodes.values()) if (node.volumeId) await this.followVolume(node);
  }

  private async begin(instanceId: string, privateIp: string): Promise<void> {
    const { UserData } = await this.ec2.send(
      new DescribeInstanceAttributeCommand({ InstanceId: instanceId, Attribute: 'userData' }),
    );
    const userData = Buffer.from(UserData?.Value ?? '', 'base64').toString('utf8');
    const nodeEnv = /<<'STRATA_NODE_ENV'\n([\s\S]*?)\nSTRATA_NODE_ENV\n/.exec(userData)?.[1];
    if (!nodeEnv) throw new Error(`instance ${instanceId} has no node environment in its user data`);
    const env = Object.fromEntries(
      nodeEnv
        .split('\n')
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );
    const dir = join(this.workDir, instanceId);
    mkdirSync(join(dir, 'data'), { recursive: true });
    const envFile = join(dir, 'node.env');
    writeFileSync(envFile, `${nodeEnv}\n`);
    const role = env.STRATA_NODE_ROLE!;
    let command: string;
    let args: string[];
    let capacity = 0;
    const volumeId = env.STRATA_DATA_VOLUME_ID || undefined;
    if (role === 'coordinator') {
      const { stdout } = await run(join(BOOTSTRAP, 'render-etcd-flags.sh'), [
        envFile,
        privateIp,
        join(dir, 'data'),
      ]);
      command = 'etcd';
      args = stdout.split('\n').filter(Boolean);
    } else {
      const { stdout } = await run(join(BOOTSTRAP, 'render-broker-properties.sh'), [
        envFile,
        privateIp,
        join(dir, 'data'),
      ]);
      const properties = join(dir, 'server.properties');
      writeFileSync(properties, stdout);
      capacity = await this.volumeBytes(volumeId!);
      command = process.execPath;
      // As the node's own grow service would, the agent changes the capacity with the broker's token.
      writeFileSync(join(dir, 'admin.token'), `${AGENT_ADMIN_TOKEN}\n`, { mode: 0o600 });
      args = [
        BROKER_BIN,
        properties,
        '--override',
        `log.dirs.capacity.bytes=${capacity}`,
        '--override',
        `admin.listener.token.file=${join(dir, 'admin.token')}`,
      ];
    }
    const log = openSync(join(dir, 'process.log'), 'a');
    const child = spawn(command, args, { cwd: dir, stdio: ['ignore', log, log] });
    closeSync(log);
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    this.nodes.set(instanceId, { instanceId, role, privateIp, process: child, exited, volumeId, capacity });
  }

  private async end(instanceId: string): Promise<void> {
    const node = this.nodes.get(instanceId);
    if (!node) return;
    this.nodes.delete(instanceId);
    if (node.process.exitCode === null && node.process.signalCode === null) {
      node.process.kill('SIGTERM');
      const timer = setTimeout(() => node.process.kill('SIGKILL'), 15_000);
      await node.exited;
      clearTimeout(timer);
    }
  }

  private async volumeBytes(volumeId: string): Promise<number> {
    const { Volumes } = await this.ec2.send(new DescribeVolumesCommand({ VolumeIds: [volumeId] }));
    return (Volumes?.[0]?.Size ?? 0) * GIB;
  }

  /** A grown volume: the node sees the larger device and grows its file system. */
  private async followVolume(node: RunningNode): Promise<void> {
    const bytes = await this.volumeBytes(node.volumeId!);
    if (bytes <= node.capacity) return;
    const response = await fetch(`http://${node.privateIp}:${EC2_PORTS.admin}/storage/capacity`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${AGENT_ADMIN_TOKEN}` },
      body: JSON.stringify({ bytes }),
    }).catch(() => undefined);
    if (response?.ok) node.capacity = bytes;
  }
}
