import { spawn, type ChildProcess } from 'node:child_process';
import { killOnExit } from './kill-on-exit.js';

/**
 * A long-running child whose stdout and stderr lines are both collected, with waits on either,
 * and a clean stop (SIGTERM, then SIGKILL if it does not exit in time). For clients whose
 * progress shows on stderr (kcat's rebalance lines) and whose clean shutdown matters (leaving a
 * consumer group).
 */
export class WatchedProcess {
  readonly stdout: string[] = [];
  readonly stderr: string[] = [];
  exitCode: number | null | undefined;
  private readonly child: ChildProcess;
  private readonly exited: Promise<number | null>;
  private waiters: { test: () => boolean; resolve: () => void }[] = [];

  constructor(
    readonly label: string,
    command: string,
    args: readonly string[],
    env: NodeJS.ProcessEnv = {},
  ) {
    this.child = killOnExit(
      spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] }),
    );
    this.collect(this.child.stdout!, this.stdout);
    this.collect(this.child.stderr!, this.stderr);
    this.exited = new Promise((resolve) =>
      this.child.on('exit', (code) => {
        this.exitCode = code;
        resolve(this.exitCode);
        this.check();
      }),
    );
  }

  private collect(stream: NodeJS.ReadableStream, into: string[]): void {
    let buffered = '';
    stream.setEncoding('utf8');
    stream.on('data', (text: string) => {
      buffered += text;
      const parts = buffered.split('\n');
      buffered = parts.pop()!;
      into.push(...parts);
      this.check();
    });
  }

  private check(): void {
    this.waiters = this.waiters.filter((w) => {
      if (!w.test()) return true;
      w.resolve();
      return false;
    });
  }

  get alive(): boolean {
    return this.exitCode === undefined;
  }

  /** Resolves once `test` holds (checked after every line and on exit), or rejects after `timeoutMs`. */
  waitFor(test: () => boolean, what: string, timeoutMs = 90_000): Promise<void> {
    if (test()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.resolve !== done);
        reject(new Error(`${this.label}: timed out waiting for ${what}\n${this.tail()}`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      this.waiters.push({ test, resolve: done });
    });
  }

  /** The last lines of both streams, for failure messages. */
  tail(lines = 30): string {
    return [
      `--- ${this.label} stdout`,
      ...this.stdout.slice(-lines),
      `--- ${this.label} stderr`,
      ...this.stderr.slice(-lines),
    ].join('\n');
  }

  /** SIGTERM (a clean shutdown); SIGKILL after `graceMs`. Resolves with the exit code. */
  async stop(graceMs = 60_000): Promise<number | null> {
    if (!this.alive) return this.exitCode ?? null;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }

  async kill(): Promise<void> {
    if (!this.alive) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }
}
