import express, { type Express } from 'express';
import type { Logger } from 'pino';
import type { ClusterRepository } from '../clusters/cluster-repository.js';
import type { ClusterService } from '../clusters/cluster-service.js';
import type { Database } from '../db/database.js';
import { requireApiKey } from './auth.js';
import { MAX_BODY } from './limits.js';
import { clustersRouter } from './clusters-router.js';
import type { ControlPlaneMetrics } from './metrics.js';
import { openApiDocument } from './openapi.js';
import { operationsRouter } from './operations-router.js';
import { ApiProblem, problemHandler, sendProblem } from './problem.js';

export interface AppDependencies {
  readonly db: Database;
  readonly service: ClusterService;
  readonly repository: ClusterRepository;
  readonly metrics: ControlPlaneMetrics;
  readonly logger: Logger;
}

/**
 * The HTTP API: /healthz, /metrics and /openapi.json are open; everything under /v1 needs an
 * API key. Every error is answered as application/problem+json.
 */
export function createApp({ db, service, repository, metrics, logger }: AppDependencies): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(metrics.middleware());

  app.get('/healthz', async (_req, res) => {
    await db.$queryRawUnsafe('SELECT 1');
    res.json({ status: 'ok' });
  });
  app.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  const document = openApiDocument();
  app.get('/openapi.json', (_req, res) => {
    res.json(document);
  });

  const v1 = express.Router();
  v1.use(requireApiKey(db));
  v1.use(express.json({ limit: MAX_BODY, strict: true }));
  v1.use('/clusters', clustersRouter(service, repository));
  v1.use('/operations', operationsRouter(repository));
  app.use('/v1', v1);

  app.use((req, res) => {
    sendProblem(res, new ApiProblem(404, 'Not Found', `no route for ${req.method} ${req.path}`));
  });
  app.use(problemHandler((error) => logger.error({ err: error }, 'request failed')));
  return app;
}
