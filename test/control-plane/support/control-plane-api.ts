import { join } from 'node:path';
import pino from 'pino';
import { ClusterRepository } from '../../../control-plane/src/clusters/cluster-repository.js';
import type { ControlPlaneConfig } from '../../../control-plane/src/config.js';
import { ControlPlane } from '../../../control-plane/src/control-plane.js';
import { openDatabase, type Database } from '../../../control-plane/src/db/database.js';
import { PostgresServer } from '../../support/postgres-server.js';
import { tempDir } from '../../support/temp-dir.js';
import { apiRequest, type ApiResponse, type RequestOptions } from './api-request.js';

export type { ApiResponse } from './api-request.js';

export const API_KEY = 'test-admin-key-94a50d887e2f7d79f94cf443032a99a3d8fe7d1d';

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
      ec2: undefined,
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

  request(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse> {
    return apiRequest(this.controlPlane.url, API_KEY, method, path, options);
  }

  async stop(): Promise<void> {
    await this.cleanup();
  }
}
