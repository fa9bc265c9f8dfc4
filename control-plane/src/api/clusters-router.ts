import { Router } from 'express';
import type { ClusterService } from '../clusters/cluster-service.js';
import type { ClusterRepository } from '../clusters/cluster-repository.js';
import {
  CreateClusterInput,
  ListClustersQuery,
  ListOperationsQuery,
  RebootBrokerInput,
  UpdateBrokerCountInput,
  UpdateStorageInput,
} from './schemas.js';
import { body, query } from './validate.js';
import { clusterView, nodeView, operationView } from './views.js';

/** /v1/clusters: MSK's cluster API. */
export function clustersRouter(service: ClusterService, repository: ClusterRepository): Router {
  const router = Router();

  router.post('/', async (req, res) => {
    const { cluster, operation } = await service.create(body(CreateClusterInput, req));
    res
      .status(202)
      .location(`/v1/clusters/${cluster.id}`)
      .json({ cluster: clusterView(cluster), operation: operationView(operation) });
  });

  router.get('/', async (req, res) => {
    const q = query(ListClustersQuery, req);
    const page = await repository.listClusters({
      state: q.state,
      nameFilter: q.name,
      maxResults: q.maxResults,
      after: q.nextToken,
    });
    res.json({
      clusters: page.clusters.map((c) => clusterView(c)),
      ...(page.next ? { nextToken: page.next } : {}),
    });
  });

  router.get('/:id', async (req, res) => {
    const details = await service.describe(req.params.id);
    res.json(clusterView(details.cluster, details));
  });

  router.delete('/:id', async (req, res) => {
    const { cluster, operation } = await service.delete(req.params.id);
    res.status(202).json({ cluster: clusterView(cluster), operation: operationView(operation) });
  });

  router.get('/:id/bootstrap-brokers', async (req, res) => {
    res.json({ bootstrapBrokerString: await service.bootstrapBrokers(req.params.id) });
  });

  router.get('/:id/nodes', async (req, res) => {
    await service.get(req.params.id);
    res.json({ nodes: (await repository.nodes(req.params.id)).map(nodeView) });
  });

  router.put('/:id/broker-count', async (req, res) => {
    const { cluster, operation } = await service.updateBrokerCount(
      req.params.id,
      body(UpdateBrokerCountInput, req),
    );
    res.status(202).json({ cluster: clusterView(cluster), operation: operationView(operation) });
  });

  router.put('/:id/storage', async (req, res) => {
    const { cluster, operation } = await service.updateStorage(req.params.id, body(UpdateStorageInput, req));
    res.status(202).json({ cluster: clusterView(cluster), operation: operationView(operation) });
  });

  router.post('/:id/reboot-broker', async (req, res) => {
    const { cluster, operation } = await service.rebootBroker(
      req.params.id,
      body(RebootBrokerInput, req).brokerId,
    );
    res.status(202).json({ cluster: clusterView(cluster), operation: operationView(operation) });
  });

  router.get('/:id/operations', async (req, res) => {
    await service.get(req.params.id);
    const q = query(ListOperationsQuery, req);
    const page = await repository.operations(req.params.id, { maxResults: q.maxResults, after: q.nextToken });
    res.json({
      operations: page.operations.map(operationView),
      ...(page.next ? { nextToken: page.next } : {}),
    });
  });

  return router;
}
