import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCommand, type CommandResult } from '../../support/run-command.js';
import { waitUntil } from '../../support/wait-until.js';

/** The node bootstrap's scripts, as the bundle carries them. */
export const BOOTSTRAP_DIR = fileURLToPath(new URL('../../../broker-image/bootstrap/', import.meta.url));

export function bootstrapScript(name: string): string {
  return join(BOOTSTRAP_DIR, name);
}

/** A node.env as the EC2 provider writes it: `KEY=VALUE` lines. */
export function writeNodeEnv(
  dir: string,
  settings: Readonly<Record<string, string>>,
  name = 'node.env',
): string {
  const file = join(dir, name);
  writeFileSync(
    file,
    Object.entries(settings)
      .map(([key, value]) => `${key}=${value}\n`)
      .join(''),
  );
  return file;
}

export function base64Lines(lines: readonly string[]): string {
  return Buffer.from(lines.map((line) => `${line}\n`).join('')).toString('base64');
}

/**
 * Runs a bootstrap script with only the environment given (plus PATH), as cloud-init does: the
 * test runner's own STRATA_* variables never leak in.
 */
export function runBootstrap(
  script: string,
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
  timeoutMs = 60_000,
): Promise<CommandResult> {
  return runCommand('env', ['-i', `PATH=${process.env.PATH ?? ''}`, ...envPairs(env), script, ...args], {
    timeoutMs,
  });
}

function envPairs(env: Readonly<Record<string, string>>): string[] {
  return Object.entries(env).map(([key, value]) => `${key}=${value}`);
}

/**
 * A stand-in for a command that cannot run in a test (systemctl without systemd, dnf on Debian):
 * an executable that appends its arguments, one call per line, to a log, and succeeds.
 */
export function recordingCommand(dir: string, name: string): { path: string; calls: () => string[] } {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  const log = join(dir, `${name}.calls`);
  writeFileSync(log, '');
  writeFileSync(path, `#!/bin/sh\nprintf '%s\\n' "$*" >>'${log}'\n`);
  chmodSync(path, 0o755);
  return { path, calls: () => readFileSync(log, 'utf8').split('\n').filter(Boolean) };
}

/** A systemd unit's ExecStart as argv (backslash-continued lines joined). */
export function unitExecStart(unitFile: string): string[] {
  const text = readFileSync(unitFile, 'utf8').replace(/\\\n\s*/g, ' ');
  const line = text.split('\n').find((l) => l.startsWith('ExecStart='));
  if (!line) throw new Error(`${unitFile} has no ExecStart`);
  return line.slice('ExecStart='.length).trim().split(/\s+/);
}

export function unitSetting(unitFile: string, name: string): string | undefined {
  const line = readFileSync(unitFile, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${name}=`));
  return line?.slice(name.length + 1);
}

/** Starts argv as a child process whose output is kept; killed when the test process exits. */
export function startProcess(argv: readonly string[], env: NodeJS.ProcessEnv): TrackedProcess {
  return new TrackedProcess(spawn(argv[0]!, argv.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] }));
}

/**
 * Starts a broker with argv (in a clean environment), adds it to `processes` for the test to stop,
 * and waits until it has started; fails with its output if it exits first.
 */
export async function startBroker(
  argv: readonly string[],
  processes: TrackedProcess[],
): Promise<TrackedProcess> {
  const broker = startProcess(argv, cleanEnvironment());
  processes.push(broker);
  await waitUntil(() => broker.output.includes('"broker started"') || !broker.alive, 'the broker to start', {
    timeoutMs: 60_000,
  });
  if (!broker.alive) throw new Error(`the broker exited before it started:\n${broker.output}`);
  return broker;
}

export class TrackedProcess {
  output = '';
  private readonly exited: Promise<number | null>;
  private exitCode: number | null | undefined;

  constructor(readonly child: ChildProcess) {
    const kill = (): void => void child.kill('SIGKILL');
    process.once('exit', kill);
    child.stdout!.on('data', (d: Buffer) => (this.output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (this.output += d.toString()));
    this.exited = new Promise((resolve) =>
      child.on('exit', (code) => {
        process.off('exit', kill);
        this.exitCode = code;
        resolve(code);
      }),
    );
  }

  get alive(): boolean {
    return this.exitCode === undefined;
  }

  async stop(): Promise<void> {
    if (!this.alive) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }
}

/** A node bundle's environment for a process it starts: nothing of the test runner's STRATA_*. */
export function cleanEnvironment(extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('STRATA_')) env[key] = value;
  return { ...env, ...extra };
}

/**
 * systemd's own check of unit files (syntax, settings, executables): the messages it has beyond
 * `allowed` warnings. It runs without a running systemd.
 */
export async function systemdVerify(
  unitFiles: readonly string[],
  allowed: readonly RegExp[] = [],
): Promise<string[]> {
  const result = await runCommand('systemd-analyze', ['verify', ...unitFiles]);
  const messages = (result.stdout + result.stderr)
    .split('\n')
    .filter((line) => line.trim() !== '' && !allowed.some((pattern) => pattern.test(line)));
  if (result.code !== 0 && messages.length === 0) messages.push(`systemd-analyze exited with ${result.code}`);
  return messages;
}
