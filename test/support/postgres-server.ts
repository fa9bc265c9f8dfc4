import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './free-port.js';
import { killOnExit } from './kill-on-exit.js';
import { waitUntil } from './wait-until.js';

/** Debian's PostgreSQL server programs (the newest installed major version). */
function postgresBin(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => /^\d+$/.test(v)) : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  if (!newest)
    throw new Error(`PostgreSQL is not installed (no ${root}/<version>/bin): apt-get install postgresql`);
  return join(root, newest, 'bin');
}

/** PostgreSQL refuses to run as root; as root the server runs as Debian's `postgres` user. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

/**
 * A real PostgreSQL server for one test file: a fresh data dir under the temp dir, loopback on an
 * ephemeral port, trust authentication, durability off (it is thrown away). Each test database is
 * created fresh with `createDatabase`.
 */
export class PostgresServer {
  private constructor(
    private readonly child: ChildProcess,
    private readonly root: string,
    readonly port: number,
  ) {}

  static async start(): Promise<PostgresServer> {
    const bin = postgresBin();
    const root = mkdtempSync(join(tmpdir(), 'strata-postgres-'));
    const user = serverUser();
    if (user) chownSync(root, user.uid, user.gid);
    const dataDir = join(root, 'data');
    execFileSync(
      join(bin, 'initdb'),
      ['-D', dataDir, '-U', 'strata', '-A', 'trust', '-E', 'UTF8', '--no-sync'],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
        ...user,
      },
    );
    const port = await freePort();
    const child = spawn(
      join(bin, 'postgres'),
      ['-D', dataDir, '-p', String(port), '-k', root, '-h', '127.0.0.1', '-F', '-c', 'full_page_writes=off'],
      { stdio: ['ignore', 'ignore', 'pipe'], ...user },
    );
    killOnExit(child);
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const server = new PostgresServer(child, root, port);
    await waitUntil(() => server.accepts(), 'PostgreSQL to accept connections', {
      timeoutMs: 60_000,
      describe: () => stderr,
    });
    return server;
  }

  private async accepts(): Promise<boolean> {
    if (this.child.exitCode !== null) throw new Error(`PostgreSQL exited with ${this.child.exitCode}`);
    const client = new pg.Client({
      host: '127.0.0.1',
      port: this.port,
      user: 'strata',
      database: 'postgres',
    });
    try {
      await client.connect();
      return true;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  url(database: string): string {
    return `postgresql://strata@127.0.0.1:${this.port}/${database}`;
  }

  /** A new, empty database; its URL. */
  async createDatabase(name: string): Promise<string> {
    const client = new pg.Client({ connectionString: this.url('postgres') });
    await client.connect();
    try {
      await client.query(`CREATE DATABASE "${name}"`);
    } finally {
      await client.end();
    }
    return this.url(name);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill('SIGINT'); // fast shutdown
      await exited;
    }
    rmSync(this.root, { recursive: true, force: true });
  }
}
