import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Sqlite from 'better-sqlite3';
import pg from 'pg';

/** The repository's prisma/ folder, from the sources (control-plane/src/db) or the build (dist/...). */
function prismaDir(): string {
  for (const up of ['../../../prisma/', '../../../../prisma/']) {
    const dir = fileURLToPath(new URL(up, import.meta.url));
    if (existsSync(join(dir, 'schema.prisma'))) return dir;
  }
  throw new Error('cannot find the prisma/ folder with the migrations');
}

/** Whether a database URL names SQLite (`file:<path>`); any other names PostgreSQL. */
export function isSqlite(url: string): boolean {
  return url.startsWith('file:');
}

/** Prisma's migration folders for a database URL: PostgreSQL's, or SQLite's. */
export function migrationsDir(url: string): string {
  return isSqlite(url) ? join(prismaDir(), 'sqlite', 'migrations') : join(prismaDir(), 'migrations');
}

export interface Migration {
  readonly name: string;
  readonly sql: string;
  readonly checksum: string;
}

export function listMigrations(url: string): Migration[] {
  const dir = migrationsDir(url);
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(join(dir, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

/**
 * Applies the migrations not yet applied, in order, each in a transaction, and records them in
 * `_prisma_migrations` exactly as `prisma migrate deploy` does — so either tool can take over
 * from the other. A migration whose file changed after it was applied stops the start-up.
 */
export async function applyMigrations(url: string): Promise<string[]> {
  const migrations = listMigrations(url);
  return isSqlite(url) ? applySqlite(url.slice('file:'.length), migrations) : applyPostgres(url, migrations);
}

const SQLITE_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
  "id" TEXT PRIMARY KEY NOT NULL, "checksum" TEXT NOT NULL, "finished_at" DATETIME, "migration_name" TEXT NOT NULL,
  "logs" TEXT, "rolled_back_at" DATETIME, "started_at" DATETIME NOT NULL DEFAULT current_timestamp,
  "applied_steps_count" INTEGER UNSIGNED NOT NULL DEFAULT 0)`;

const POSTGRES_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
  "id" VARCHAR(36) PRIMARY KEY NOT NULL, "checksum" VARCHAR(64) NOT NULL, "finished_at" TIMESTAMPTZ,
  "migration_name" VARCHAR(255) NOT NULL, "logs" TEXT, "rolled_back_at" TIMESTAMPTZ,
  "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(), "applied_steps_count" INTEGER NOT NULL DEFAULT 0)`;

function checkApplied(applied: Map<string, string>, migrations: readonly Migration[]): Migration[] {
  for (const m of migrations) {
    const checksum = applied.get(m.name);
    if (checksum !== undefined && checksum !== m.checksum) {
      throw new Error(`migration ${m.name} was changed after it was applied`);
    }
  }
  return migrations.filter((m) => !applied.has(m.name));
}

function applySqlite(path: string, migrations: readonly Migration[]): string[] {
  const db = new Sqlite(path);
  try {
    db.pragma('journal_mode = WAL');
    db.exec(SQLITE_TABLE);
    const rows = db
      .prepare(
        'SELECT migration_name, checksum FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL',
      )
      .all() as { migration_name: string; checksum: string }[];
    const pending = checkApplied(new Map(rows.map((r) => [r.migration_name, r.checksum])), migrations);
    for (const m of pending) {
      db.transaction(() => {
        db.exec(m.sql);
        db.prepare(
          'INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, started_at, applied_steps_count) VALUES (?, ?, current_timestamp, ?, current_timestamp, 1)',
        ).run(randomUUID(), m.checksum, m.name);
      })();
    }
    return pending.map((m) => m.name);
  } finally {
    db.close();
  }
}

async function applyPostgres(url: string, migrations: readonly Migration[]): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    // One control plane migrates at a time.
    await client.query('SELECT pg_advisory_lock(72173)');
    await client.query(POSTGRES_TABLE);
    const { rows } = await client.query<{ migration_name: string; checksum: string }>(
      'SELECT migration_name, checksum FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL',
    );
    const pending = checkApplied(new Map(rows.map((r) => [r.migration_name, r.checksum])), migrations);
    for (const m of pending) {
      await client.query('BEGIN');
      try {
        await client.query(m.sql);
        await client.query(
          'INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, started_at, applied_steps_count) VALUES ($1, $2, now(), $3, now(), 1)',
          [randomUUID(), m.checksum, m.name],
        );
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw error;
      }
    }
    return pending.map((m) => m.name);
  } finally {
    await client.query('SELECT pg_advisory_unlock(72173)').catch(() => undefined);
    await client.end();
  }
}
