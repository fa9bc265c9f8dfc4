import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../support/free-port.js';
import { WatchedProcess } from '../../support/watched-process.js';
import { apiRequest, type ApiResponse, type RequestOptions } from './api-request.js';

const MAIN = fileURLToPath(new URL('../../../dist/control-plane/src/main.js', import.meta.url));
export const E2E_API_KEY = 'e2e-admin-key-a2d69a2866c321c061f7bcdfcaea466a3f9f37cf';
export const CONTROL_PLANE_MAIN = MAIN;

/**
 * The control plane as `npm start` runs it — its own process, SQLite under a state dir, the local
 * provider — that a test can kill -9 and start again on the same state and port.
 */
export class ControlPlaneProcess {
  private constructor(
    readonly process: WatchedProcess,
    readonly url: string,
    private readonly stateDir: string,
    private readonly port: number,
  ) {}

  /** `apiKey: null` starts it without STRATA_API_KEY (so the first start makes a key). */
  static async start(
    stateDir: string,
    port?: number,
    options: { apiKey?: string | null } = {},
  ): Promise<ControlPlaneProcess> {
    const listenPort = port ?? (await freePort());
    const child = new WatchedProcess('control plane', process.execPath, ['--enable-source-maps', MAIN], {
      PORT: String(listenPort),
      HOST: '127.0.0.1',
      STRATA_STATE_DIR: stateDir,
      STRATA_API_KEY: options.apiKey === null ? '' : (options.apiKey ?? E2E_API_KEY),
      STRATA_MONITOR_INTERVAL_MS: '500',
      STRATA_LOG_LEVEL: 'info',
      STRATA_DATABASE_URL: '',
    });
    await child.waitFor(
      () => child.stdout.some((line) => line.startsWith('Strata control plane on ')) || !child.alive,
      'the control plane to listen',
      60_000,
    );
    if (!child.alive) throw new Error(`the control plane exited\n${child.tail()}`);
    return new ControlPlaneProcess(child, `http://127.0.0.1:${listenPort}`, stateDir, listenPort);
  }

  request(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse> {
    return apiRequest(this.url, E2E_API_KEY, method, path, options);
  }

  /** kill -9, then a new process on the same state dir and port. */
  async crashAndRestart(): Promise<ControlPlaneProcess> {
    await this.process.kill();
    return ControlPlaneProcess.start(this.stateDir, this.port);
  }

  async kill(): Promise<void> {
    await this.process.kill();
  }
}

/** Whether a process runs (a zombie, exited but not yet reaped, does not). */
export function isAlive(pid: number): boolean {
  try {
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Pids of live processes whose command line mentions `dir` (a cluster's etcd members and brokers). */
export function processesUnder(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmdline.includes(dir) && isAlive(Number(entry))) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** Kills what a test's clusters left running (they are detached, so they outlive the control plane). */
export function killProcessesUnder(dir: string): void {
  for (const pid of processesUnder(dir)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
}
