import { join } from 'node:path';
import pino from 'pino';
import { ClusterRepository } from '../../../control-plane/src/clusters/cluster-repository.js';
import type { ControlPlaneConfig } from '../../../control-plane/src/config.js';
import { ControlPlane } from '../../../control-plane/src/control-plane.js';
import { openDatabase, type Database } from '../../../control-plane/src/db/database.js';
import { PostgresServer } from '../../support/postgres-server.js';
import { tempDir } from '../../support/temp-dir.js';

export const API_KEY = 'test-admin-key-0123456789';

export interface ApiResponse {
  readonly status: number;
  readonly headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON bodies are checked field by field
  readonly body: any;
}

/**
 * The control plane's API on real HTTP (port 0) over a real database — SQLite in a temp dir, or
 * a database of a PostgreSQL server started for the file — serving requests only: operations are
 * recorded, not run (the end-to-end tests run them). `repository` is a second connection to the
 * same database, for arranging cluster states the API alone cannot reach quickly.
 */
export class ControlPlaneApi {
  private constructor(
    readonly controlPlane: ControlPlane,
    readonly db: Database,
    readonly repository: ClusterRepository,
    private readonly cleanup: () => Promise<void>,
  ) {}

  static async start(database: 'sqlite' | 'postgresql', postgres?: PostgresServer): Promise<ControlPlaneApi> {
    const dir = tempDir('strata-control-plane-');
    const databaseUrl =
      database === 'sqlite'
        ? `file:${join(dir.path, 'strata.db')}`
        : await postgres!.createDatabase(`strata_${Math.random().toString(36).slice(2, 10)}`);
    const config: ControlPlaneConfig = {
      port: 0,
      host: '127.0.0.1',
      stateDir: dir.path,
      databaseUrl,
      provider: 'local',
      bootstrapApiKey: API_KEY,
      logLevel: 'silent',
      monitorIntervalMs: 60_000,
    };
    const controlPlane = await ControlPlane.start({
      config,
      logger: pino({ level: 'silent' }),
      runOperations: false,
    });
    const db = await openDatabase(databaseUrl);
    return new ControlPlaneApi(controlPlane, db, new ClusterRepository(db), async () => {
      await controlPlane.stop();
      await db.$disconnect();
      dir.cleanup();
    });
  }

  async request(
    method: string,
    path: string,
    options: { body?: unknown; rawBody?: string; key?: string | null; headers?: Record<string, string> } = {},
  ): Promise<ApiResponse> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.key !== null) headers.authorization = `Bearer ${options.key ?? API_KEY}`;
    let body: string | undefined;
    if (options.body !== undefined || options.rawBody !== undefined) {
      headers['content-type'] ??= 'application/json';
      body = options.rawBody ?? JSON.stringify(options.body);
    }
    const response = await fetch(`${this.controlPlane.url}${path}`, { method, headers, body });
    const text = await response.text();
    const type = response.headers.get('content-type') ?? '';
    return {
      status: response.status,
      headers: response.headers,
      body: type.includes('json') ? JSON.parse(text) : text,
    };
  }

  async stop(): Promise<void> {
    await this.cleanup();
  }
}
