import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import { killOnExit } from './kill-on-exit.js';

interface Member {
  readonly name: string;
  readonly clientPort: number;
  readonly peerPort: number;
  readonly dataDir: string;
  child: ChildProcess | undefined;
}

/**
 * A real etcd quorum (Debian's etcd-server) on loopback: one member per zone, started by the
 * test, each with its own data dir; members can be killed and started again.
 */
export class EtcdCluster {
  private constructor(
    private readonly members: Member[],
    private readonly root: string,
  ) {}

  static async start(size = 3): Promise<EtcdCluster> {
    const root = mkdtempSync(join(tmpdir(), 'strata-etcd-'));
    const members: Member[] = [];
    for (let i = 0; i < size; i++) {
      members.push({
        name: `etcd-${i}`,
        clientPort: await freePort(),
        peerPort: await freePort(),
        dataDir: join(root, `member-${i}`),
        child: undefined,
      });
    }
    const cluster = new EtcdCluster(members, root);
    for (let i = 0; i < size; i++) cluster.startMember(i, 'new');
    await cluster.waitHealthy(members.map((_, i) => i));
    return cluster;
  }

  /** Client URLs, comma-separated: a broker's `coordinator.endpoints`. */
  get endpoints(): string {
    return this.members.map((m) => `http://127.0.0.1:${m.clientPort}`).join(',');
  }

  private startMember(index: number, state: 'new' | 'existing'): void {
    const m = this.members[index]!;
    const initialCluster = this.members.map((x) => `${x.name}=http://127.0.0.1:${x.peerPort}`).join(',');
    const child = spawn(
      'etcd',
      [
        '--name',
        m.name,
        '--data-dir',
        m.dataDir,
        '--listen-client-urls',
        `http://127.0.0.1:${m.clientPort}`,
        '--advertise-client-urls',
        `http://127.0.0.1:${m.clientPort}`,
        '--listen-peer-urls',
        `http://127.0.0.1:${m.peerPort}`,
        '--initial-advertise-peer-urls',
        `http://127.0.0.1:${m.peerPort}`,
        '--initial-cluster',
        initialCluster,
        '--initial-cluster-state',
        state,
        '--initial-cluster-token',
        'strata-test',
        '--heartbeat-interval',
        '100',
        '--election-timeout',
        '1000',
        '--log-level',
        'error',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    killOnExit(child);
    child.stderr!.resume();
    m.child = child;
  }

  private async waitHealthy(indexes: number[], timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (const i of indexes) {
      const url = `http://127.0.0.1:${this.members[i]!.clientPort}/health`;
      for (;;) {
        try {
          const response = await fetch(url);
          const body = (await response.json()) as { health: string };
          if (body.health === 'true') break;
        } catch {
          // not up yet
        }
        if (Date.now() > deadline) throw new Error(`etcd member ${i} is not healthy after ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }

  /** SIGKILL one member. */
  async kill(index: number): Promise<void> {
    const child = this.members[index]!.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  /** Starts a killed member again on its data dir and waits until the quorum is healthy. */
  async restart(index: number): Promise<void> {
    this.startMember(index, 'existing');
    await this.waitHealthy([index], 60_000);
  }

  async destroy(): Promise<void> {
    for (let i = 0; i < this.members.length; i++) await this.kill(i);
    rmSync(this.root, { recursive: true, force: true });
  }
}
