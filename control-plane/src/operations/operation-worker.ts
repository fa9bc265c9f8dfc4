import type { Logger } from 'pino';
import type { Operation } from '../clusters/cluster-model.js';
import type { ClusterRepository } from '../clusters/cluster-repository.js';
import type { NodeProvider } from '../providers/provider.js';
import { compensate } from './compensations.js';
import { stateAfterFailure } from './operation-plans.js';
import { STEPS } from './steps.js';

/** Attempts per step before the operation fails (steps are idempotent, so retrying is safe). */
const STEP_ATTEMPTS = 3;
const POLL_MS = 500;

/**
 * Runs operations: one at a time per cluster, clusters in parallel, each step in order from the
 * first one not done. Progress is in the database, so after a crash (kill -9 included) the worker
 * picks up every unfinished operation at the step it was in, and runs that step again.
 */
export class OperationWorker {
  private readonly running = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly repository: ClusterRepository,
    private readonly provider: NodeProvider,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.stopped = false;
    this.wake();
  }

  /** Looks for work now (after an operation is created) rather than at the next poll. */
  wake(): void {
    if (this.stopped) return;
    if (this.ticking) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.loop(), 0);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private ticking = false;
  private again = false;

  /** One pass, then the next one after a poll interval (or at once if woken meanwhile). */
  private async loop(): Promise<void> {
    this.ticking = true;
    try {
      await this.startUnfinished();
    } catch (error) {
      this.logger.error({ err: error }, 'operation worker pass failed');
    } finally {
      this.ticking = false;
      if (!this.stopped) {
        this.timer = setTimeout(() => void this.loop(), this.again ? 0 : POLL_MS);
        this.again = false;
      }
    }
  }

  /** Starts the oldest unfinished operation of every cluster that has none running. */
  private async startUnfinished(): Promise<void> {
    const unfinished = await this.repository.unfinishedOperations();
    const busyClusters = new Set<string>();
    for (const operation of unfinished) {
      if (busyClusters.has(operation.clusterId)) continue;
      busyClusters.add(operation.clusterId);
      if (this.running.has(operation.id)) continue;
      this.running.add(operation.id);
      void this.run(operation)
        .catch((error: unknown) =>
          this.logger.error({ err: error, operation: operation.id }, 'operation run failed'),
        )
        .finally(() => {
          this.running.delete(operation.id);
          this.wake();
        });
    }
  }

  private async run(operation: Operation): Promise<void> {
    const log = this.logger.child({
      operation: operation.id,
      type: operation.type,
      cluster: operation.clusterId,
    });
    await this.repository.markOperationRunning(operation.id);
    for (const step of operation.steps) {
      if (step.state === 'DONE') continue;
      if (this.stopped) return;
      const implementation = STEPS[step.name];
      if (!implementation) return this.fail(operation, `unknown step ${step.name}`);
      await this.repository.markStep(operation.id, step.position, 'RUNNING');
      let lastError: unknown;
      for (let attempt = 1; attempt <= STEP_ATTEMPTS; attempt++) {
        const cluster = await this.repository.getCluster(operation.clusterId);
        if (!cluster) return;
        const current = (await this.repository.operation(operation.id)) ?? operation;
        try {
          log.info({ step: step.name, attempt }, 'running step');
          await implementation({
            cluster,
            operation: current,
            repository: this.repository,
            provider: this.provider,
            logger: log,
          });
          lastError = undefined;
          break;
        } catch (error) {
          lastError = error;
          log.warn({ err: error, step: step.name, attempt }, 'step failed');
          if (this.stopped) return;
          await new Promise((resolve) => setTimeout(resolve, 1000 * attempt));
        }
      }
      if (lastError !== undefined) {
        const message = `${step.name}: ${(lastError as Error).message}`;
        await this.repository.markStep(operation.id, step.position, 'FAILED', message);
        return this.fail(operation, message, step.name);
      }
      await this.repository.markStep(operation.id, step.position, 'DONE');
    }
    await this.repository.finishOperation(operation.id, 'SUCCEEDED');
    if (operation.type === 'DELETE_CLUSTER') await this.repository.deleteCluster(operation.clusterId);
    else await this.repository.setClusterState(operation.clusterId, 'ACTIVE');
    log.info('operation succeeded');
  }

  private async fail(operation: Operation, message: string, failedStep = ''): Promise<void> {
    const cluster = await this.repository.getCluster(operation.clusterId);
    if (cluster) {
      try {
        await compensate({
          cluster,
          operation,
          failedStep,
          repository: this.repository,
          provider: this.provider,
          logger: this.logger,
        });
      } catch (error) {
        this.logger.error({ err: error, operation: operation.id }, 'undoing the failed operation failed');
      }
    }
    await this.repository.finishOperation(operation.id, 'FAILED', message);
    await this.repository.setClusterState(operation.clusterId, stateAfterFailure(operation.type), message);
    this.logger.error(
      { operation: operation.id, type: operation.type, cluster: operation.clusterId, error: message },
      'operation failed',
    );
  }
}
