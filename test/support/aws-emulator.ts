import { spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';
import { waitUntil } from './wait-until.js';

/**
 * The local AWS emulator (LocalStack on the host) that AWS test files share.
 *
 * In a test file: `const aws = await useAwsEmulator()` in `beforeAll`. The first file of a
 * `vitest run` that asks starts the emulator on 127.0.0.1:4566 (its fixed port); files in other
 * workers, and other `vitest run`s on the same machine, use the same one. Each call gets an AWS
 * account of its own (LocalStack scopes every resource by the account whose 12-digit id is the
 * access key), so files never see each other's resources. The emulator is stopped by the global
 * teardown (`releaseAwsEmulator`) of the last run using it.
 *
 * With `AWS_ENDPOINT_URL` set, that endpoint (a LocalStack container, say) is used as it is and
 * nothing is started or stopped.
 */
export interface AwsEmulatorAccount {
  /** The emulator's endpoint, for every AWS client (`endpoint` in the SDK, AWS_ENDPOINT_URL). */
  readonly endpoint: string;
  readonly region: string;
  /** The 12-digit account this test file's resources live in. */
  readonly accountId: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** The same as AWS_* environment variables, for child processes (the AWS CLI, cdk, the control plane). */
  readonly env: Readonly<Record<string, string>>;
}

export interface AwsEmulatorOptions {
  /** @default 'eu-west-1' */
  readonly region?: string;
  /** @default a random 12-digit id */
  readonly accountId?: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** Identifies the `vitest run` (its main process) that uses the shared AWS emulator. */
    awsEmulatorRun: number;
  }
}

const EMULATOR_PORT = 4566;
const EMULATOR_HOST = '127.0.0.1';
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const INSTALL_DIR = join(ROOT, '.cache', 'aws-emulator');
const PYTHON = join(INSTALL_DIR, 'venv', 'bin', 'python');
const STATE_DIR = join(INSTALL_DIR, 'run');
const STATE_FILE = join(STATE_DIR, 'emulator.json');
const LOCK_FILE = join(STATE_DIR, 'lock');
const INSTALL_SCRIPT = 'scripts/install-aws-emulator.sh';

/** What the runs sharing a started emulator know about it. */
interface EmulatorState {
  readonly pid: number;
  readonly dataDir: string;
  /** The `vitest run`s (main process ids) that use it. */
  readonly runs: number[];
}

/** An account of its own in the shared emulator, which is started if it is not running yet. */
export async function useAwsEmulator(options: AwsEmulatorOptions = {}): Promise<AwsEmulatorAccount> {
  const region = options.region ?? 'eu-west-1';
  const accountId = options.accountId ?? String(randomInt(100_000_000_000, 999_999_999_999));
  if (!/^\d{12}$/.test(accountId)) throw new Error(`accountId must be 12 digits, not ${accountId}`);
  const external = process.env.AWS_ENDPOINT_URL;
  const endpoint = external ?? `http://${EMULATOR_HOST}:${EMULATOR_PORT}`;
  if (external) {
    await waitUntil(() => healthy(endpoint), `the AWS emulator at AWS_ENDPOINT_URL=${external}`, {
      timeoutMs: 60_000,
      intervalMs: 250,
    });
  } else {
    const run = inject('awsEmulatorRun');
    if (!run)
      throw new Error('useAwsEmulator needs the global setup of vitest.config.ts (test/global-setup.ts)');
    await withLock(() => ensureStarted(run));
  }
  const credentials = { accessKeyId: accountId, secretAccessKey: 'test' };
  return {
    endpoint,
    region,
    accountId,
    credentials,
    env: {
      AWS_ENDPOINT_URL: endpoint,
      AWS_REGION: region,
      AWS_DEFAULT_REGION: region,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    },
  };
}

/**
 * For the global teardown: this run no longer uses the emulator; the last run using it stops
 * it (with everything it started) and removes its data.
 */
export async function releaseAwsEmulator(run: number): Promise<void> {
  if (!existsSync(STATE_FILE)) return;
  await withLock(async () => {
    const state = readState();
    if (!state) return;
    const runs = state.runs.filter((r) => r !== run && alive(r));
    if (runs.length > 0) {
      writeState({ ...state, runs });
      return;
    }
    await stopEmulator(state);
  });
}

async function ensureStarted(run: number): Promise<void> {
  const state = readState();
  if (state && alive(state.pid)) {
    await waitUntil(() => healthy(localEndpoint()), 'the shared AWS emulator to answer', {
      timeoutMs: 60_000,
    });
    if (!state.runs.includes(run)) writeState({ ...state, runs: [...state.runs, run] });
    return;
  }
  if (state) await stopEmulator(state);
  if (await portTaken()) {
    throw new Error(
      `${EMULATOR_HOST}:${EMULATOR_PORT} is taken by a process these tests did not start: stop it, or, if it is ` +
        `an AWS emulator to test against, set AWS_ENDPOINT_URL=http://${EMULATOR_HOST}:${EMULATOR_PORT}`,
    );
  }
  if (!existsSync(PYTHON)) {
    throw new Error(
      `the AWS emulator is not installed: run ${INSTALL_SCRIPT} (it installs LocalStack from PyPI)`,
    );
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'strata-aws-emulator-'));
  const log = join(dataDir, 'emulator.log');
  const out = openSync(log, 'a');
  const child = spawn(PYTHON, ['-m', 'localstack.runtime.main'], {
    cwd: dataDir,
    detached: true,
    stdio: ['ignore', out, out],
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? dataDir,
      // Run on the host, not in the container LocalStack normally lives in.
      OVERRIDE_IN_DOCKER: '0',
      SKIP_SSL_CERT_DOWNLOAD: '1',
      FILESYSTEM_ROOT: join(dataDir, 'root'),
      GATEWAY_LISTEN: `${EMULATOR_HOST}:${EMULATOR_PORT}`,
      // No DNS server (it would want port 53) and no usage analytics.
      DNS_ADDRESS: '0',
      DISABLE_EVENTS: '1',
    },
  });
  closeSync(out);
  child.unref();
  const pid = child.pid!;
  writeState({ pid, dataDir, runs: [run] });
  let exited = false;
  child.once('exit', () => (exited = true));
  try {
    await waitUntil(
      async () => {
        if (exited) throw new Error(`the AWS emulator exited while starting:\n${tail(log)}`);
        return readFileSync(log, 'utf8').includes('\nReady.') && (await healthy(localEndpoint()));
      },
      'the AWS emulator to start',
      { timeoutMs: 120_000, intervalMs: 100, describe: () => tail(log) },
    );
  } catch (error) {
    await stopEmulator({ pid, dataDir, runs: [] });
    throw error;
  }
}

/** Stops the emulator's process group and removes its data and the shared state. */
async function stopEmulator(state: EmulatorState): Promise<void> {
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(-state.pid, name);
    } catch {
      // Gone already.
    }
  };
  if (alive(state.pid)) {
    signal('SIGTERM');
    try {
      await waitUntil(() => !alive(state.pid), 'the AWS emulator to stop', { timeoutMs: 20_000 });
    } catch {
      signal('SIGKILL');
      await waitUntil(() => !alive(state.pid), 'the AWS emulator to stop after SIGKILL', {
        timeoutMs: 10_000,
      });
    }
  }
  // Children left in its process group (the group outlives its leader).
  signal('SIGKILL');
  rmSync(state.dataDir, { recursive: true, force: true });
  rmSync(STATE_FILE, { force: true });
}

function localEndpoint(): string {
  return `http://${EMULATOR_HOST}:${EMULATOR_PORT}`;
}

async function healthy(endpoint: string): Promise<boolean> {
  try {
    const response = await fetch(new URL('/_localstack/health', endpoint), {
      signal: AbortSignal.timeout(5000),
    });
    if (!response.ok) return false;
    const { services } = (await response.json()) as { services?: Record<string, string> };
    return services?.ec2 === 'available' || services?.ec2 === 'running';
  } catch {
    return false;
  }
}

function portTaken(): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: EMULATOR_HOST, port: EMULATOR_PORT });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readState(): EmulatorState | undefined {
  try {
    return JSON.parse(readFileSync(STATE_FILE, 'utf8')) as EmulatorState;
  } catch {
    return undefined;
  }
}

function writeState(state: EmulatorState): void {
  writeFileSync(STATE_FILE, JSON.stringify(state));
}

function readIfThere(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-30).join('\n');
  } catch {
    return '';
  }
}

/** Runs `fn` holding a lock that every process sharing the emulator takes (one whose holder died is broken). */
async function withLock<T>(fn: () => Promise<T>): Promise<T> {
  mkdirSync(STATE_DIR, { recursive: true });
  await waitUntil(
    () => {
      try {
        writeFileSync(LOCK_FILE, String(process.pid), { flag: 'wx' });
        return true;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const holder = Number(readIfThere(LOCK_FILE) || 'NaN');
        if (Number.isInteger(holder) && !alive(holder)) rmSync(LOCK_FILE, { force: true });
        return false;
      }
    },
    'the AWS emulator lock',
    { timeoutMs: 300_000, intervalMs: 100 },
  );
  try {
    return await fn();
  } finally {
    rmSync(LOCK_FILE, { force: true });
  }
}
