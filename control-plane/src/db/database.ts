import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient as PostgresClient } from './generated/postgresql/client.js';
import { PrismaClient as SqliteClient } from './generated/sqlite/client.js';
import { applyMigrations, isSqlite } from './migrations.js';

/**
 * The Prisma client the control plane uses. Both generated clients have the same models and API
 * (they come from one schema), so the PostgreSQL client's type stands for both.
 */
export type Database = PostgresClient;
export type { Prisma } from './generated/postgresql/client.js';

/**
 * Opens the database named by `url` — `file:<path>` (SQLite, the embedded default) or
 * `postgresql://...` — after bringing its schema up to date with the migrations.
 */
export async function openDatabase(url: string): Promise<Database> {
  if (isSqlite(url)) {
    mkdirSync(dirname(url.slice('file:'.length)), { recursive: true });
  }
  await applyMigrations(url);
  if (isSqlite(url)) {
    return new SqliteClient({ adapter: new PrismaBetterSqlite3({ url }) }) as unknown as Database;
  }
  return new PostgresClient({ adapter: new PrismaPg({ connectionString: url }) });
}
