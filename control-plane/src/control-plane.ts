import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { createApp } from './api/app.js';
import { ensureAdminKey } from './api/auth.js';
import { createApiServer, listen } from './api/limits.js';
import { ControlPlaneMetrics } from './api/metrics.js';
import { ClusterRepository } from './clusters/cluster-repository.js';
import { ClusterService } from './clusters/cluster-service.js';
import { EnvironmentError, type ControlPlaneConfig } from './config.js';
import { openDatabase, type Database } from './db/database.js';
import { HealthMonitor } from './monitors/health-monitor.js';
import { PeriodicTask } from './monitors/periodic-task.js';
import { StorageMonitor } from './autoscaling/storage-monitor.js';
import { PLANS } from './operations/operation-plans.js';
import { OperationWorker } from './operations/operation-worker.js';
import { Ec2Provider } from './providers/ec2/ec2-provider.js';
import { LocalProvider } from './providers/local/local-provider.js';
import type { NodeProvider } from './providers/provider.js';

export interface ControlPlaneOptions {
  readonly config: ControlPlaneConfig;
  readonly logger: Logger;
  /**
   * Whether this process runs operations and watches clusters (the default). Without, it only
   * serves the API: requests are validated and recorded, and operations wait for a process that
   * runs them.
   */
  readonly runOperations?: boolean;
}

/**
 * The control plane: database (migrated at start), API key, provider, operation worker, health
 * and storage monitors, and the HTTP API. Operations unfinished at the last stop (or crash)
 * resume as soon as it starts.
 */
export class ControlPlane {
  private constructor(
    readonly url: string,
    /** The admin key created on the very first start: shown to the operator once. */
    readonly newAdminKey: string | undefined,
    private readonly server: Server,
    private readonly db: Database,
    private readonly worker: OperationWorker | undefined,
    private readonly monitors: readonly PeriodicTask[],
  ) {}

  static async start({ config, logger, runOperations = true }: ControlPlaneOptions): Promise<ControlPlane> {
    const db = await openDatabase(config.databaseUrl);
    try {
      const newAdminKey = await ensureAdminKey(
        db,
        config.bootstrapApiKey,
        logger.child({ component: 'api-keys' }),
      );
      const repository = new ClusterRepository(db);
      const provider = createProvider(config, repository, logger);
      const worker = runOperations
        ? new OperationWorker(repository, provider, logger.child({ component: 'operations' }))
        : undefined;
      const wake = () => worker?.wake();
      const service = new ClusterService(repository, provider, { plans: PLANS, wake });
      const metrics = new ControlPlaneMetrics(repository);
      const monitors: PeriodicTask[] = [];
      if (runOperations) {
        const health = new HealthMonitor(repository, provider, wake, logger.child({ component: 'health' }));
        const storage = new StorageMonitor(repository, wake, logger.child({ component: 'storage' }));
        monitors.push(
          new PeriodicTask('health', config.monitorIntervalMs, () => health.pass(), logger),
          new PeriodicTask('storage', config.monitorIntervalMs, () => storage.pass(), logger),
        );
      }
      const app = createApp({ db, service, repository, metrics, logger });
      const server = createApiServer(app);
      await listen(server, config.port, config.host);
      const { port } = server.address() as AddressInfo;
      const host = config.host.includes(':') ? `[${config.host}]` : config.host;
      worker?.start();
      for (const monitor of monitors) monitor.start();
      logger.info(
        { url: `http://${host}:${port}`, provider: provider.name, operations: runOperations },
        'control plane listening',
      );
      return new ControlPlane(`http://${host}:${port}`, newAdminKey, server, db, worker, monitors);
    } catch (error) {
      await db.$disconnect();
      throw error;
    }
  }

  /** Stops serving and working. Clusters keep running; their operations resume at the next start. */
  async stop(): Promise<void> {
    this.worker?.stop();
    await Promise.all(this.monitors.map((m) => m.stop()));
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await this.db.$disconnect();
  }
}

function createProvider(
  config: ControlPlaneConfig,
  repository: ClusterRepository,
  logger: Logger,
): NodeProvider {
  if (config.provider === 'ec2') {
    if (!config.ec2) throw new EnvironmentError('STRATA_PROVIDER: ec2 needs the STRATA_EC2_* settings');
    return new Ec2Provider({ settings: config.ec2, logger: logger.child({ component: 'ec2-provider' }) });
  }
  return new LocalProvider({
    stateDir: config.stateDir,
    logger: logger.child({ component: 'local-provider' }),
    takenBasePorts: async () => repository.basePorts(),
  });
}
