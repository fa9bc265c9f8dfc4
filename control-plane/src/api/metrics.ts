import type { NextFunction, Request, Response } from 'express';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ClusterRepository } from '../clusters/cluster-repository.js';
import { CLUSTER_STATES } from '../clusters/cluster-model.js';

/**
 * The control plane's Prometheus metrics: clusters by state, operations by type and state, each
 * broker volume's utilization (read from the database when scraped), HTTP requests, and the
 * process's own figures.
 */
export class ControlPlaneMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'method' | 'route' | 'status'>;
  private readonly durations: Histogram<'method' | 'route'>;

  constructor(repository: ClusterRepository) {
    collectDefaultMetrics({ register: this.registry });
    const registers = [this.registry];
    new Gauge({
      name: 'strata_clusters',
      help: 'Clusters by state',
      labelNames: ['state'],
      registers,
      async collect() {
        const counts = await repository.clusterCountsByState();
        for (const state of CLUSTER_STATES) this.set({ state }, counts.get(state) ?? 0);
      },
    });
    new Gauge({
      name: 'strata_operations',
      help: 'Operations by type and state',
      labelNames: ['type', 'state'],
      registers,
      async collect() {
        this.reset();
        for (const { type, state, count } of await repository.operationCountsByTypeAndState()) {
          this.set({ type, state }, count);
        }
      },
    });
    new Gauge({
      name: 'strata_volume_utilization_ratio',
      help: 'Used share of each broker data volume, as last reported by the broker',
      labelNames: ['cluster', 'broker'],
      registers,
      async collect() {
        this.reset();
        for (const v of await repository.volumeUsages()) {
          this.set({ cluster: v.cluster, broker: String(v.brokerId) }, v.usedBytes / v.capacityBytes);
        }
      },
    });
    this.requests = new Counter({
      name: 'strata_http_requests_total',
      help: 'API requests by method, route and status',
      labelNames: ['method', 'route', 'status'],
      registers,
    });
    this.durations = new Histogram({
      name: 'strata_http_request_duration_seconds',
      help: 'API request durations by method and route',
      labelNames: ['method', 'route'],
      registers,
    });
  }

  /** Counts and times every request, by its route pattern (not its ids). */
  middleware() {
    return (req: Request, res: Response, next: NextFunction): void => {
      const end = this.durations.startTimer();
      res.on('finish', () => {
        const route = req.route ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched';
        end({ method: req.method, route });
        this.requests.inc({ method: req.method, route, status: String(res.statusCode) });
      });
      next();
    };
  }
}
