import type { Logger } from 'pino';
import type { MetadataStore } from './metadata-store.js';
import type { PartitionState, TopicMetadata } from './metadata.js';
import { completeReassignment, electLeader, preferPreferredLeader } from './partition-states.js';

export interface ControllerOptions {
  readonly nodeId: number;
  readonly store: MetadataStore & { campaign?(): Promise<void> };
  readonly logger: Logger;
  readonly autoLeaderRebalance: boolean;
  readonly leaderImbalanceCheckIntervalMs: number;
  readonly uncleanLeaderElection: (topic: TopicMetadata) => boolean;
}

/**
 * The cluster controller. Every broker runs one; only the broker holding the `controller` key
 * acts. It keeps partitions led: when brokers come and go it elects leaders from the ISR and
 * drops dead brokers from ISRs, completes reassignments whose new replicas have caught up, and
 * moves leadership back to preferred replicas. Its decisions are pure functions
 * (partition-states.ts); its writes are compare-and-swap on each partition, so a controller that
 * lost its role (or raced a leader changing its ISR) just retries on the next change.
 */
export class Controller {
  private unsubscribe: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;

  constructor(private readonly options: ControllerOptions) {}

  get isActive(): boolean {
    return this.options.store.controllerId() === this.options.nodeId;
  }

  start(): void {
    this.unsubscribe = this.options.store.subscribe((change) => {
      if (change.kind === 'brokers-changed' && this.options.store.controllerId() === -1) {
        // The controller is gone: stand for election.
        void this.options.store
          .campaign?.()
          .catch((error: unknown) => this.options.logger.warn({ err: error }, 'campaign failed'));
      }
      this.reconcileSoon();
    });
    if (this.options.autoLeaderRebalance) {
      this.timer = setInterval(() => this.reconcileSoon(true), this.options.leaderImbalanceCheckIntervalMs);
      this.timer.unref();
    }
    this.reconcileSoon();
  }

  stop(): void {
    this.unsubscribe?.();
    if (this.timer) clearInterval(this.timer);
  }

  /** Runs one reconciliation at a time; changes arriving meanwhile cause one more pass. */
  private reconcileSoon(preferredLeaders = false): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.reconcile(preferredLeaders)
      .catch((error: unknown) =>
        this.options.logger.warn({ err: error }, 'controller pass failed; retrying on the next change'),
      )
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.reconcileSoon();
        }
      });
  }

  private async reconcile(preferredLeaders: boolean): Promise<void> {
    if (!this.isActive) return;
    const store = this.options.store;
    const alive = new Set(store.brokers().map((b) => b.nodeId));
    for (const topic of store.topics()) {
      for (const state of topic.partitions) {
        let next: PartitionState | undefined = electLeader(
          state,
          alive,
          this.options.uncleanLeaderElection(topic),
        );
        next = completeReassignment(next ?? state) ?? next;
        if (preferredLeaders && !next) next = preferPreferredLeader(state, alive);
        if (!next) continue;
        const written = await store.updatePartition(topic.name, next, state.partitionEpoch);
        if (written && next.leader === state.leader) {
          this.options.logger.info(
            {
              topic: topic.name,
              partition: state.partition,
              isr: next.isr,
              previous: state.isr,
              replicas: next.replicas,
            },
            'partition state changed',
          );
        }
        if (written && next.leader !== state.leader) {
          this.options.logger.info(
            {
              topic: topic.name,
              partition: state.partition,
              leader: next.leader,
              previous: state.leader,
              leaderEpoch: next.leaderEpoch,
            },
            next.leader === -1 ? 'partition offline: no in-sync replica is alive' : 'elected leader',
          );
        }
        if (!written) this.again = true;
      }
    }
  }
}
