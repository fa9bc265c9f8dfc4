import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { killOnExit } from './kill-on-exit.js';

const BROKER_BIN = fileURLToPath(new URL('../../bin/strata-broker.js', import.meta.url));

export interface BrokerProcessOptions {
  /** Extra properties (Kafka names). */
  readonly properties?: Record<string, string | number | boolean>;
  /** Reuse a data directory (a restart); a fresh temp dir by default. */
  readonly dataDir?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Fixed Kafka port (a restart keeps its address); ephemeral by default. */
  readonly port?: number;
  /** Flags for node itself, before the bin (e.g. `--cpu-prof`, which NODE_OPTIONS does not take). */
  readonly nodeArgs?: readonly string[];
}

interface LogLine {
  readonly msg?: string;
  readonly listeners?: string[];
  readonly adminPort?: number;
  readonly [key: string]: unknown;
}

/**
 * A real broker process started from the compiled bin, on ephemeral loopback ports and a temp
 * data dir. Its JSON log lines are kept so tests can wait for what it reports.
 */
export class BrokerProcess {
  readonly lines: LogLine[] = [];
  stderr = '';
  port = 0;
  adminPort = 0;
  private exitCode: number | null | undefined;
  private readonly exited: Promise<number | null>;
  private readonly waiters: { test: (line: LogLine) => boolean; resolve: (line: LogLine) => void }[] = [];

  private constructor(
    readonly child: ChildProcess,
    readonly dataDir: string,
    readonly propertiesFile: string,
    readonly options: BrokerProcessOptions,
  ) {
    killOnExit(child);
    let buffered = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (text: string) => {
      buffered += text;
      let at: number;
      while ((at = buffered.indexOf('\n')) >= 0) {
        const raw = buffered.slice(0, at);
        buffered = buffered.slice(at + 1);
        let line: LogLine;
        try {
          line = JSON.parse(raw) as LogLine;
        } catch {
          line = { msg: raw };
        }
        this.lines.push(line);
        for (const w of [...this.waiters]) {
          if (w.test(line)) {
            this.waiters.splice(this.waiters.indexOf(w), 1);
            w.resolve(line);
          }
        }
      }
    });
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (text: string) => (this.stderr += text));
    this.exited = new Promise((resolve) =>
      child.on('exit', (code) => {
        this.exitCode = code;
        resolve(code);
      }),
    );
  }

  static async start(options: BrokerProcessOptions = {}): Promise<BrokerProcess> {
    const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'strata-broker-'));
    const port = options.port ?? 0;
    const properties: Record<string, string | number | boolean> = {
      'node.id': 1,
      listeners: `PLAINTEXT://127.0.0.1:${port}`,
      'log.dirs': join(dataDir, 'logs'),
      'admin.listener': '127.0.0.1:0',
      'offsets.topic.replication.factor': 1,
      ...options.properties,
    };
    const propertiesFile = join(dataDir, 'server.properties');
    writeFileSync(
      propertiesFile,
      Object.entries(properties)
        .map(([k, v]) => `${k}=${v}`)
        .join('\n') + '\n',
    );
    const child = spawn(process.execPath, [...(options.nodeArgs ?? []), BROKER_BIN, propertiesFile], {
      env: { ...process.env, STRATA_LOG_LEVEL: 'info', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const broker = new BrokerProcess(child, dataDir, propertiesFile, options);
    const started = await Promise.race([
      broker.waitForLog((l) => l.msg === 'broker started', 60_000),
      broker.exited.then((code) => {
        throw new Error(
          `broker exited with ${code} before starting: ${broker.stderr}${broker.lines.map((l) => JSON.stringify(l)).join('\n')}`,
        );
      }),
    ]);
    broker.port = Number(/:(\d+)$/.exec(started.listeners![0]!)![1]);
    broker.adminPort = started.adminPort ?? 0;
    return broker;
  }

  get bootstrap(): string {
    return `127.0.0.1:${this.port}`;
  }

  get adminUrl(): string {
    return `http://127.0.0.1:${this.adminPort}`;
  }

  /** Resolves with the first log line (already seen or future) matching `test`. */
  waitForLog(test: (line: LogLine) => boolean, timeoutMs = 60_000): Promise<LogLine> {
    const seen = this.lines.find(test);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no matching broker log line within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.waiters.push({
        test,
        resolve: (line) => {
          clearTimeout(timer);
          resolve(line);
        },
      });
    });
  }

  get alive(): boolean {
    return this.exitCode === undefined;
  }

  /** SIGKILL: no clean shutdown. */
  async kill(): Promise<void> {
    if (!this.alive) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }

  /** SIGSTOP: the process freezes (no heartbeats, no replies) until `resume`. */
  pause(): void {
    this.child.kill('SIGSTOP');
    this.paused = true;
  }

  resume(): void {
    this.child.kill('SIGCONT');
    this.paused = false;
  }

  /** Frozen by `pause`: its sockets accept connections but nothing answers. */
  paused = false;

  /** SIGTERM: a clean shutdown; resolves with the exit code. */
  async stop(): Promise<number | null> {
    if (!this.alive) return this.exitCode ?? null;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 60_000);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }

  /** Starts the broker again on the same data dir and port. */
  async restart(): Promise<BrokerProcess> {
    if (this.alive) await this.stop();
    return BrokerProcess.start({ ...this.options, dataDir: this.dataDir, port: this.port });
  }

  /** Stops the process (if running) and removes its data dir. */
  async destroy(): Promise<void> {
    await this.kill();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/** Runs the broker bin to completion (for start-up refusals); returns its exit code and output. */
export async function runBrokerExpectingExit(
  propertiesText: string,
  args: string[] = [],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; stderr: string; stdout: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'strata-config-'));
  const file = join(dir, 'server.properties');
  writeFileSync(file, propertiesText);
  try {
    const child = killOnExit(
      spawn(process.execPath, [BROKER_BIN, file, ...args], {
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    clearTimeout(timer);
    return { code, stderr, stdout };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
