import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Sqlite from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyMigrations, listMigrations } from '../../control-plane/src/db/migrations.js';
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
});
