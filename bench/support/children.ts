import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { constants } from 'node:os';
import { killOnExit } from '../../test/support/kill-on-exit.js';

/** Spawns a child that is killed (SIGKILL) if the harness exits while it still runs. */
export function spawnTracked(
  command: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; stdio?: StdioOptions; cwd?: string } = {},
): ChildProcess {
  return killOnExit(
    spawn(command, args, {
      env: { ...process.env, ...options.env },
      stdio: options.stdio ?? ['ignore', 'pipe', 'pipe'],
      cwd: options.cwd,
    }),
  );
}

/** Whether the child has neither exited nor been killed by a signal yet. */
export function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the child has exited. */
export async function stopChild(child: ChildProcess, graceMs = 30_000): Promise<void> {
  if (!isRunning(child)) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

export interface Completed {
  /** Exit code; 128 + signal number when killed; -1 when it timed out. */
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly wallSeconds: number;
  readonly timedOut: boolean;
}

/**
 * Runs a command to completion, capturing its output. A run past `timeoutMs` is killed and
 * resolves with `timedOut` and whatever it printed, so a stuck workload becomes a recorded
 * failure rather than a stuck harness.
 */
export function runToCompletion(
  command: string,
  args: readonly string[],
  options: { timeoutMs: number; env?: NodeJS.ProcessEnv },
): Promise<Completed> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawnTracked(command, args, { env: options.env });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs);
    child.stdout!.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        code: timedOut ? -1 : (code ?? 128 + (signal ? constants.signals[signal] : 0)),
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
        wallSeconds: Number(process.hrtime.bigint() - started) / 1e9,
        timedOut,
      });
    });
  });
}
