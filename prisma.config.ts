// For Prisma's CLI where its schema engine can be installed (`prisma migrate deploy`): the
// PostgreSQL schema and migrations, and the database from STRATA_DATABASE_URL. The control plane
// applies the same migrations itself at start-up.
import { defineConfig, env } from 'prisma/config';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: env('STRATA_DATABASE_URL') },
});
