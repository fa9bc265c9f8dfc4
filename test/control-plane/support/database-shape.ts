import { readFileSync } from 'node:fs';
import Sqlite from 'better-sqlite3';
import pg from 'pg';

/**
 * A database's tables as far as the Prisma client relies on them: columns (type, nullability,
 * whether they have a default), primary key, unique and plain indexes, and foreign keys. Built
 * from the Prisma schema (what the client expects) or read from a migrated database (what the
 * migrations made), so the two can be compared.
 */
export interface TableShape {
  columns: Record<string, { type: string; notNull: boolean; hasDefault: boolean }>;
  primaryKey: string[];
  uniqueIndexes: Record<string, string[]>;
  indexes: Record<string, string[]>;
  foreignKeys: Record<string, { references: string; onDelete: string }>;
}
export type DatabaseShape = Record<string, TableShape>;

function emptyTable(): TableShape {
  return { columns: {}, primaryKey: [], uniqueIndexes: {}, indexes: {}, foreignKeys: {} };
}

const SCALAR_TYPES: Record<'sqlite' | 'postgresql', Record<string, string>> = {
  sqlite: { String: 'TEXT', Int: 'INTEGER', BigInt: 'BIGINT', Boolean: 'BOOLEAN', DateTime: 'DATETIME' },
  postgresql: {
    String: 'text',
    Int: 'integer',
    BigInt: 'bigint',
    Boolean: 'boolean',
    DateTime: 'timestamp(3) without time zone',
  },
};

/** The shape the Prisma schema describes, with the column types Prisma uses for `provider`. */
export function shapeFromSchema(schemaFile: string, provider: 'sqlite' | 'postgresql'): DatabaseShape {
  const text = readFileSync(schemaFile, 'utf8');
  const shape: DatabaseShape = {};
  for (const [, model, body] of text.matchAll(/^model (\w+) \{\n([\s\S]*?)\n\}/gm)) {
    const table = emptyTable();
    for (const raw of body!.split('\n')) {
      const line = raw.replace(/\/\/.*$/, '').trim();
      if (line === '') continue;
      const block = /^@@(unique|index)\(\[([^\]]+)\]\)$/.exec(line);
      if (block) {
        const fields = block[2]!.split(',').map((f) => f.trim());
        const name = `${model}_${fields.join('_')}_${block[1] === 'unique' ? 'key' : 'idx'}`;
        (block[1] === 'unique' ? table.uniqueIndexes : table.indexes)[name] = fields;
        continue;
      }
      const field = /^(\w+)\s+(\w+)(\?|\[\])?\s*(.*)$/.exec(line);
      if (!field) throw new Error(`cannot read the schema line "${line}" of model ${model}`);
      const [, name, type, modifier, attributes] = field;
      const scalar = SCALAR_TYPES[provider][type!];
      if (!scalar) {
        const relation = /@relation\(fields: \[(\w+)\], references: \[(\w+)\], onDelete: (\w+)\)/.exec(
          attributes!,
        );
        if (relation) {
          table.foreignKeys[relation[1]!] = {
            references: `${type}.${relation[2]}`,
            onDelete: relation[3]!.replace(/([a-z])([A-Z])/g, '$1 $2').toUpperCase(),
          };
        }
        continue;
      }
      table.columns[name!] = {
        type: scalar,
        notNull: modifier !== '?',
        hasDefault: /@default\(/.test(attributes!),
      };
      if (/@id\b/.test(attributes!)) table.primaryKey = [name!];
      if (/@unique\b/.test(attributes!)) table.uniqueIndexes[`${model}_${name}_key`] = [name!];
    }
    shape[model!] = table;
  }
  return shape;
}

/** The shape of a migrated SQLite database (Prisma's migrations table left out). */
export function shapeOfSqlite(path: string): DatabaseShape {
  const db = new Sqlite(path, { readonly: true });
  try {
    const tables = db
      .prepare(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> '_prisma_migrations'",
      )
      .all() as { name: string }[];
    const shape: DatabaseShape = {};
    for (const { name } of tables) {
      const table = emptyTable();
      const columns = db.prepare(`PRAGMA table_info("${name}")`).all() as {
        name: string;
        type: string;
        notnull: number;
        dflt_value: string | null;
        pk: number;
      }[];
      for (const c of columns) {
        table.columns[c.name] = { type: c.type, notNull: c.notnull === 1, hasDefault: c.dflt_value !== null };
      }
      table.primaryKey = columns
        .filter((c) => c.pk > 0)
        .sort((a, b) => a.pk - b.pk)
        .map((c) => c.name);
      const indexes = db.prepare(`PRAGMA index_list("${name}")`).all() as {
        name: string;
        unique: number;
        origin: string;
      }[];
      for (const index of indexes.filter((i) => i.origin === 'c')) {
        const cols = (
          db.prepare(`PRAGMA index_info("${index.name}")`).all() as { seqno: number; name: string }[]
        )
          .sort((a, b) => a.seqno - b.seqno)
          .map((c) => c.name);
        (index.unique ? table.uniqueIndexes : table.indexes)[index.name] = cols;
      }
      const keys = db.prepare(`PRAGMA foreign_key_list("${name}")`).all() as {
        table: string;
        from: string;
        to: string;
        on_delete: string;
      }[];
      for (const k of keys)
        table.foreignKeys[k.from] = { references: `${k.table}.${k.to}`, onDelete: k.on_delete };
      shape[name] = table;
    }
    return shape;
  } finally {
    db.close();
  }
}

/** The shape of a migrated PostgreSQL database's public schema (Prisma's migrations table left out). */
export async function shapeOfPostgres(url: string): Promise<DatabaseShape> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const shape: DatabaseShape = {};
    const columns = await client.query<{
      table_name: string;
      column_name: string;
      type: string;
      is_nullable: string;
      column_default: string | null;
    }>(
      `SELECT c.table_name, c.column_name, format_type(a.atttypid, a.atttypmod) AS type, c.is_nullable, c.column_default
         FROM information_schema.columns c
         JOIN pg_attribute a ON a.attrelid = format('%I', c.table_name)::regclass AND a.attname = c.column_name
        WHERE c.table_schema = 'public' AND c.table_name <> '_prisma_migrations'`,
    );
    for (const c of columns.rows) {
      shape[c.table_name] ??= emptyTable();
      shape[c.table_name]!.columns[c.column_name] = {
        type: c.type,
        notNull: c.is_nullable === 'NO',
        hasDefault: c.column_default !== null,
      };
    }
    const indexes = await client.query<{
      table: string;
      name: string;
      unique: boolean;
      primary: boolean;
      columns: string[];
    }>(
      `SELECT t.relname AS table, i.relname AS name, ix.indisunique AS unique, ix.indisprimary AS primary,
              array_agg(a.attname::text ORDER BY k.ord) AS columns
         FROM pg_index ix
         JOIN pg_class t ON t.oid = ix.indrelid
         JOIN pg_class i ON i.oid = ix.indexrelid
         JOIN pg_namespace n ON n.oid = t.relnamespace
         CROSS JOIN LATERAL unnest(ix.indkey) WITH ORDINALITY AS k(attnum, ord)
         JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
        WHERE n.nspname = 'public' AND t.relname <> '_prisma_migrations'
        GROUP BY t.relname, i.relname, ix.indisunique, ix.indisprimary`,
    );
    for (const index of indexes.rows) {
      const table = shape[index.table]!;
      if (index.primary) table.primaryKey = index.columns;
      else (index.unique ? table.uniqueIndexes : table.indexes)[index.name] = index.columns;
    }
    const keys = await client.query<{
      table: string;
      column: string;
      ref_table: string;
      ref_column: string;
      delete_rule: string;
    }>(
      `SELECT kcu.table_name AS table, kcu.column_name AS column, ccu.table_name AS ref_table,
              ccu.column_name AS ref_column, rc.delete_rule
         FROM information_schema.referential_constraints rc
         JOIN information_schema.key_column_usage kcu ON kcu.constraint_name = rc.constraint_name
         JOIN information_schema.constraint_column_usage ccu ON ccu.constraint_name = rc.constraint_name
        WHERE rc.constraint_schema = 'public'`,
    );
    for (const k of keys.rows) {
      shape[k.table]!.foreignKeys[k.column] = {
        references: `${k.ref_table}.${k.ref_column}`,
        onDelete: k.delete_rule,
      };
    }
    return shape;
  } finally {
    await client.end();
  }
}
