import { Router } from 'express';
import { notFound } from '../clusters/cluster-error.js';
import type { ClusterRepository } from '../clusters/cluster-repository.js';
import { operationView } from './views.js';

/** /v1/operations/:id: one operation with its steps. */
export function operationsRouter(repository: ClusterRepository): Router {
  const router = Router();
  router.get('/:id', async (req, res) => {
    const operation = await repository.operation(req.params.id);
    if (!operation) throw notFound('operationId', `operation ${req.params.id}`);
    res.json(operationView(operation));
  });
  return router;
}
