import { spawn, type ChildProcess } from 'node:child_process';
import { killOnExit } from './kill-on-exit.js';

export interface LineProcessOptions {
  /** Called with each stdout line as it arrives (before waits are checked). */
  readonly onLine?: (line: string) => void;
  /** Keep every line in `lines` (the default); a long run that only needs `onLine` can say false. */
  readonly keepLines?: boolean;
}

/**
 * A long-running child process whose stdout lines are collected, with waits on what it printed.
 * Killed on `stop()` and when the test process exits.
 */
export class LineProcess {
  readonly lines: string[] = [];
  stderr = '';
  private readonly child: ChildProcess;
  private readonly exited: Promise<number | null>;
  private waiters: { test: () => boolean; resolve: () => void }[] = [];
  private readonly counts = new Map<string, { lines: number; matching: number }>();

  constructor(
    command: string,
    args: readonly string[],
    env: NodeJS.ProcessEnv = {},
    options: LineProcessOptions = {},
  ) {
    this.child = killOnExit(
      spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] }),
    );
    let buffered = '';
    this.child.stdout!.setEncoding('utf8');
    this.child.stdout!.on('data', (text: string) => {
      buffered += text;
      const parts = buffered.split('\n');
      buffered = parts.pop()!;
      if (options.onLine) for (const part of parts) options.onLine(part);
      if (options.keepLines !== false) this.lines.push(...parts);
      this.check();
    });
    this.child.stderr!.setEncoding('utf8');
    this.child.stderr!.on('data', (text: string) => (this.stderr += text));
    this.exited = new Promise((resolve) =>
      this.child.on('exit', (code) => {
        resolve(code);
        this.check();
      }),
    );
  }

  private check(): void {
    this.waiters = this.waiters.filter((w) => {
      if (!w.test()) return true;
      w.resolve();
      return false;
    });
  }

  /** Resolves once `test` holds (checked after every line), or rejects after `timeoutMs`. */
  waitFor(test: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (test()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`timed out waiting for ${what}\n${this.stderr.slice(-2000)}`)),
        timeoutMs,
      );
      this.waiters.push({
        test,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Lines printed so far that start with `prefix`; counted once each, so a wait may ask often. */
  count(prefix: string): number {
    const counted = this.counts.get(prefix) ?? { lines: 0, matching: 0 };
    for (let i = counted.lines; i < this.lines.length; i++)
      if (this.lines[i]!.startsWith(prefix)) counted.matching++;
    counted.lines = this.lines.length;
    this.counts.set(prefix, counted);
    return counted.matching;
  }

  /** SIGKILL: the process dies without any cleanup of its own. */
  async stop(): Promise<void> {
    this.child.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM, then waits for the process to exit on its own. */
  async terminate(): Promise<number | null> {
    this.child.kill('SIGTERM');
    return this.exited;
  }
}
