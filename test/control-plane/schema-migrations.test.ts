import { execFileSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Sqlite from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { ensureAdminKey } from '../../control-plane/src/api/auth.js';
import { openDatabase } from '../../control-plane/src/db/database.js';
import { applyMigrations, listMigrations, type Migration } from '../../control-plane/src/db/migrations.js';
import { PostgresServer } from '../support/postgres-server.js';
import { tempDir } from '../support/temp-dir.js';
import { shapeFromSchema, shapeOfPostgres, shapeOfSqlite } from './support/database-shape.js';

/**
 * The Prisma schema and the SQL migrations in prisma/ agree: a database migrated from empty has
 * exactly the tables, columns, keys and indexes the schema (and so the generated client) expects,
 * on SQLite and on PostgreSQL; the migrations are recorded as Prisma records them.
 */
const root = fileURLToPath(new URL('../../', import.meta.url));
const schema = join(root, 'prisma/schema.prisma');

let postgres: PostgresServer;
const dir = tempDir('strata-migrations-');
beforeAll(async () => {
  postgres = await PostgresServer.start();
});
afterAll(async () => {
  await postgres?.stop();
  dir.cleanup();
});

describe('schema and migrations', () => {
  it('the SQLite schema is the one derived from the PostgreSQL schema', () => {
    execFileSync(process.execPath, [join(root, 'scripts/prisma.mjs'), '--check'], { stdio: 'pipe' });
  });

  it('SQLite: migrating from empty gives what the schema describes', async () => {
    const file = join(dir.path, 'shape.db');
    expect(await applyMigrations(`file:${file}`)).toEqual(listMigrations(`file:${file}`).map((m) => m.name));
    expect(shapeOfSqlite(file)).toEqual(shapeFromSchema(schema, 'sqlite'));
  });

  it('PostgreSQL: migrating from empty gives what the schema describes', async () => {
    const url = await postgres.createDatabase('shape');
    expect(await applyMigrations(url)).toEqual(listMigrations(url).map((m) => m.name));
    expect(await shapeOfPostgres(url)).toEqual(shapeFromSchema(schema, 'postgresql'));
  });

  it('records migrations as Prisma does, applies each once, and refuses one changed after it was applied', async () => {
    const file = join(dir.path, 'records.db');
    const url = `file:${file}`;
    await applyMigrations(url);
    expect(await applyMigrations(url)).toEqual([]);
    const db = new Sqlite(file);
    try {
      const rows = db
        .prepare('SELECT migration_name, checksum, finished_at, applied_steps_count FROM _prisma_migrations')
        .all();
      expect(rows).toEqual(
        listMigrations(url).map((m) => ({
          migration_name: m.name,
          checksum: m.checksum,
          finished_at: expect.any(String),
          applied_steps_count: 1,
        })),
      );
      db.prepare("UPDATE _prisma_migrations SET checksum = 'changed'").run();
    } finally {
      db.close();
    }
    await expect(applyMigrations(url)).rejects.toThrow(/was changed after it was applied/);
  });

  it('PostgreSQL: a second start applies nothing again', async () => {
    const url = await postgres.createDatabase('twice');
    await applyMigrations(url);
    expect(await applyMigrations(url)).toEqual([]);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query('SELECT migration_name FROM _prisma_migrations');
      expect(rows.map((r) => r.migration_name)).toEqual(listMigrations(url).map((m) => m.name));
    } finally {
      await client.end();
    }
  });

  /**
   * Keys stored before keys were hashed with scrypt: an unsalted SHA-256 beside the key's first
   * twelve characters. The migration removes both; the control plane then deletes the row with a
   * warning naming it, and makes a new admin key when none is left.
   */
  const OLD_KEY = 'strata_0ldF0rmatKeyWithItsFirst12Shown';
  const OLD_HASH = createHash('sha256').update(OLD_KEY).digest('hex');
  const INSERT_OLD_KEY = `INSERT INTO "ApiKey" (id, name, hash, prefix, role) VALUES ('k1', 'admin', '${OLD_HASH}', '${OLD_KEY.slice(0, 12)}', 'admin')`;
  const RECORD = (m: Migration) =>
    `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, started_at, applied_steps_count) VALUES ('${randomUUID()}', '${m.checksum}', CURRENT_TIMESTAMP, '${m.name}', CURRENT_TIMESTAMP, 1)`;

  it('SQLite: an old-format API key loses its hash and prefix, then is removed with a warning', async () => {
    const file = join(dir.path, 'old-keys.db');
    const url = `file:${file}`;
    const [init, ...later] = listMigrations(url);
    const db = new Sqlite(file);
    try {
      db.exec(init!.sql);
      db.exec(
        'CREATE TABLE "_prisma_migrations" ("id" TEXT PRIMARY KEY NOT NULL, "checksum" TEXT NOT NULL, "finished_at" DATETIME, "migration_name" TEXT NOT NULL, "logs" TEXT, "rolled_back_at" DATETIME, "started_at" DATETIME NOT NULL DEFAULT current_timestamp, "applied_steps_count" INTEGER UNSIGNED NOT NULL DEFAULT 0)',
      );
      db.exec(RECORD(init!));
      db.exec(INSERT_OLD_KEY);
    } finally {
      db.close();
    }
    expect(await applyMigrations(url)).toEqual(later.map((m) => m.name));
    const migrated = new Sqlite(file);
    try {
      expect(migrated.prepare('SELECT * FROM "ApiKey"').all()).toEqual([
        expect.objectContaining({ id: 'k1', name: 'admin', hash: 'invalidated', role: 'admin' }),
      ]);
      expect(JSON.stringify(migrated.prepare('SELECT * FROM "ApiKey"').all())).not.toContain(
        OLD_KEY.slice(0, 12),
      );
    } finally {
      migrated.close();
    }
    await expectRemovedAtStart(url);
  });

  it('PostgreSQL: an old-format API key loses its hash and prefix, then is removed with a warning', async () => {
    const url = await postgres.createDatabase('old_keys');
    const [init, ...later] = listMigrations(url);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(init!.sql);
      await client.query(
        'CREATE TABLE "_prisma_migrations" ("id" VARCHAR(36) PRIMARY KEY NOT NULL, "checksum" VARCHAR(64) NOT NULL, "finished_at" TIMESTAMPTZ, "migration_name" VARCHAR(255) NOT NULL, "logs" TEXT, "rolled_back_at" TIMESTAMPTZ, "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(), "applied_steps_count" INTEGER NOT NULL DEFAULT 0)',
      );
      await client.query(RECORD(init!));
      await client.query(INSERT_OLD_KEY);
      expect(await applyMigrations(url)).toEqual(later.map((m) => m.name));
      const { rows } = await client.query('SELECT * FROM "ApiKey"');
      expect(rows).toEqual([expect.objectContaining({ id: 'k1', name: 'admin', hash: 'invalidated' })]);
      expect(rows[0]).not.toHaveProperty('prefix');
    } finally {
      await client.end();
    }
    await expectRemovedAtStart(url);
  });

  async function expectRemovedAtStart(url: string): Promise<void> {
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
    const db = await openDatabase(url);
    try {
      const made = await ensureAdminKey(db, undefined, logger);
      expect(made).toMatch(/^strata_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
      const warning = lines.map((l) => JSON.parse(l)).find((l) => l.level === 40);
      expect(warning.msg).toMatch(/API key "admin" was stored in a format that is no longer accepted/);
      expect(warning.msg).toMatch(/STRATA_API_KEY/);
      const rows = await db.apiKey.findMany();
      expect(rows.map((r) => r.id)).toEqual([made!.split('_')[1]]);
      expect(await ensureAdminKey(db, undefined, logger)).toBeUndefined();
    } finally {
      await db.$disconnect();
    }
  }
});
