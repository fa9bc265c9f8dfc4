import { ReadBufferPool } from '../storage/read-buffer-pool.js';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { AdminServer } from '../admin/admin-server.js';
import { BrokerMetrics } from '../admin/metrics.js';
import { Controller } from '../cluster/controller.js';
import { EmbeddedMetadataStore } from '../cluster/embedded-metadata-store.js';
import { EtcdMetadataStore } from '../cluster/etcd-metadata-store.js';
import { ReplicaFetcherManager } from '../cluster/replica-fetcher.js';
import { interBrokerClientSecurity } from '../cluster/broker-client.js';
import { Credentials } from '../security/credentials.js';
import type { BrokerRegistration, PartitionState } from '../cluster/metadata.js';
import type { MetadataChange, MetadataStore } from '../cluster/metadata-store.js';
import { ProducerIdManager } from '../cluster/producer-id-manager.js';
import { TopicAdmin } from '../cluster/topic-admin.js';
import type { BrokerConfig } from '../config/broker-config.js';
import { logConfigFor, topicConfigValue } from '../config/topic-configs.js';
import { nodeFileSystem, type StorageFileSystem } from '../storage/file-system.js';
import { LogCleaner } from '../storage/log-cleaner.js';
import { LogManager } from '../storage/log-manager.js';
import { topicPartitionKey } from '../storage/topic-partition.js';
import { systemClock, type Clock } from '../util/clock.js';
import type { BrokerServices } from './api-handler.js';
import { GroupCoordinator } from '../groups/group-coordinator.js';
import { OFFSETS_TOPIC } from '../groups/coordinator-key.js';
import type { TopicMetadata } from '../cluster/metadata.js';
import { brokerHandlers } from './handlers/index.js';
import { StandardAuthorizer } from '../security/authorizer.js';
import { OffsetsTopic } from './offsets-topic.js';
import { ReplicaManager } from './replica-manager.js';
import { SocketServer, type BoundListener } from './socket-server.js';
import { NO_OP_TRANSACTION_MARKER_HOOK } from './transaction-marker-hook.js';

export interface BrokerOptions {
  readonly config: BrokerConfig;
  readonly logger: Logger;
  readonly clock?: Clock;
  readonly fs?: StorageFileSystem;
}

export interface StartedBroker {
  readonly listeners: readonly BoundListener[];
  readonly adminPort: number | undefined;
}

/**
 * The log server: wires storage, metadata, the replica manager, the request handlers, the socket
 * server and the admin endpoint together, and runs the periodic work (retention, flushes,
 * checkpoints). `start` loads and recovers logs before accepting connections; `stop` is a clean
 * shutdown that lets the next start skip recovery.
 */
export class Broker {
  readonly config: BrokerConfig;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly fs: StorageFileSystem;
  readonly metrics: BrokerMetrics;
  readonly logManager: LogManager;
  readonly metadata: MetadataStore;
  readonly replicaManager: ReplicaManager;
  readonly groups: GroupCoordinator;
  private readonly controller: Controller | undefined;
  private readonly fetchers: ReplicaFetcherManager;
  private readonly socketServer: SocketServer;
  private readonly adminServer: AdminServer;
  private readonly timers: NodeJS.Timeout[] = [];
  private unsubscribe: (() => void) | undefined;
  private ready = false;
  private registered = false;
  private stopping: Promise<void> | undefined;

  constructor(options: BrokerOptions) {
    this.config = options.config;
    this.logger = options.logger;
    this.clock = options.clock ?? systemClock;
    this.fs = options.fs ?? nodeFileSystem;
    const config = this.config;
    this.logManager = new LogManager({
      fs: this.fs,
      logDirs: config.logDirs,
      clock: this.clock,
      logger: this.logger,
      capacityBytes: config.logDirsCapacityBytes,
      producerIdExpirationMs: config.producerIdExpirationMs,
    });
    this.metrics = new BrokerMetrics({
      logSizes: () =>
        [...this.logManager.allLogs()].map((log) => ({
          topic: log.topicPartition.topic,
          partition: log.topicPartition.partition,
          bytes: log.size,
        })),
      diskUsage: () => this.logManager.diskUsage(),
      purgatorySizes: () => ({
        fetch: this.replicaManager.fetchPurgatory.size,
        produce: this.replicaManager.producePurgatory.size,
      }),
    });
    if (config.coordinatorEndpoints.length > 0) {
      const store = new EtcdMetadataStore({
        endpoints: config.coordinatorEndpoints,
        clusterId: config.clusterId,
        nodeId: config.nodeId,
        leaseTtlSeconds: config.metadataLeaseTtlSeconds,
        logger: this.logger.child({ component: 'metadata' }),
      });
      this.metadata = store;
      this.controller = new Controller({
        nodeId: config.nodeId,
        store,
        logger: this.logger.child({ component: 'controller' }),
        autoLeaderRebalance: config.autoLeaderRebalanceEnable,
        leaderImbalanceCheckIntervalMs: config.leaderImbalanceCheckIntervalSeconds * 1000,
        uncleanLeaderElection: (topic) =>
          topicConfigValue('unclean.leader.election.enable', topic.configs, config) === 'true',
      });
    } else {
      this.metadata = new EmbeddedMetadataStore(this.fs, config.logDirs[0]!, config.nodeId, config.clusterId);
    }
    this.replicaManager = new ReplicaManager({
      config,
      logManager: this.logManager,
      clock: this.clock,
      logger: this.logger,
      metrics: this.metrics,
      writePartitionState: (topic, state, epoch) => this.metadata.updatePartition(topic, state, epoch),
      brokerEpochOf: (nodeId) => {
        const broker = this.metadata.brokers().find((b) => b.nodeId === nodeId);
        return broker ? (broker.brokerEpoch ?? 0) : undefined;
      },
    });
    this.fetchers = new ReplicaFetcherManager({
      nodeId: config.nodeId,
      interBrokerListener: config.interBrokerListenerName,
      security: interBrokerClientSecurity(config),
      fetchMaxBytes: config.replicaFetchMaxBytes,
      fetchWaitMaxMs: config.replicaFetchWaitMaxMs,
      fetchMinBytes: config.replicaFetchMinBytes,
      fetchBackoffMs: config.replicaFetchBackoffMs,
      clock: this.clock,
      logger: this.logger.child({ component: 'replica-fetcher' }),
      onProgress: (partition) => this.replicaManager.fetchPurgatory.notify(partition.key),
    });
    const topicAdmin = new TopicAdmin(config, this.metadata);
    const offsetsTopic = new OffsetsTopic(config, this.metadata, topicAdmin, this.replicaManager);
    this.groups = new GroupCoordinator(
      config,
      offsetsTopic,
      this.clock,
      this.logger.child({ component: 'groups' }),
    );
    const services: BrokerServices = {
      config,
      clock: this.clock,
      logger: this.logger,
      metrics: this.metrics,
      metadata: this.metadata,
      logManager: this.logManager,
      replicaManager: this.replicaManager,
      topicAdmin,
      producerIds: new ProducerIdManager(this.metadata),
      groups: this.groups,
      offsetsTopic,
      transactionMarkerHook: NO_OP_TRANSACTION_MARKER_HOOK,
      readBuffers: new ReadBufferPool(),
      handlers: brokerHandlers(),
      credentials: Credentials.of(this.metadata, config.listenerSecurity),
      authorizer: config.authorizer
        ? new StandardAuthorizer(config.authorizer, () => this.metadata.acls())
        : undefined,
    };
    this.socketServer = new SocketServer(services);
    this.adminServer = new AdminServer(
      {
        metrics: this.metrics,
        isReady: () => this.ready,
        storage: () => ({ nodeId: config.nodeId, logDirs: this.logManager.diskUsage() }),
        usedBytes: () => this.logManager.totalLogBytes(),
        replication: () => ({ nodeId: config.nodeId, fetchers: this.fetchers.describe() }),
        setCapacity: (bytes) => {
          const changed = this.logManager.setCapacity(bytes);
          if (changed) this.logger.info({ bytes }, 'data volume capacity changed');
          return changed;
        },
      },
      { token: config.adminListenerToken },
    );
  }

  async start(): Promise<StartedBroker> {
    const config = this.config;
    let adminPort: number | undefined;
    if (config.adminListener)
      adminPort = await this.adminServer.start(config.adminListener.host, config.adminListener.port);

    await this.metadata.start();
    this.logManager.loadLogs((tp) => {
      const topic = this.metadata.topic(tp.topic);
      if (!topic || tp.partition >= topic.partitions.length) return undefined;
      return logConfigFor(topic.configs, config);
    });
    if (this.metadata instanceof EmbeddedMetadataStore) {
      // After loading: a new epoch is also newer than any the local logs hold.
      const unwritten = await this.metadata.bumpLeaderEpochs(
        (topic, partition) =>
          this.logManager.getLog({ topic, partition })?.leaderEpochCache.latestEpoch ?? -1,
      );
      if (unwritten) {
        this.logger.warn(
          { err: unwritten },
          'could not write the new leader epochs of this start (is the disk full?): serving with them from memory; they are written with the next metadata change',
        );
      }
    }
    for (const topic of this.metadata.topics()) this.applyTopic(topic);
    this.unsubscribe = this.metadata.subscribe((change) => this.onMetadataChange(change));

    const listeners = await this.socketServer.start(config.listeners);
    await this.metadata.registerBroker(this.registration(listeners));
    // Followers start fetching only now: a leader adds to its ISR only registered (live) brokers.
    this.registered = true;
    this.followLeaders(this.metadata.topics());
    this.controller?.start();
    this.schedulePeriodicWork();
    this.ready = true;
    this.logger.info(
      {
        clusterId: this.metadata.clusterId,
        listeners: listeners.map((l) => `${l.name}://${l.host || '0.0.0.0'}:${l.boundPort}`),
        adminPort,
        withoutEffect: config.withoutEffect.length > 0 ? config.withoutEffect : undefined,
      },
      'broker started',
    );
    return { listeners, adminPort };
  }

  /** This broker's advertised endpoints, with a bound port where the configured one was 0. */
  private registration(bound: readonly BoundListener[]): BrokerRegistration {
    return {
      nodeId: this.config.nodeId,
      rack: this.config.rack,
      endpoints: this.config.advertisedListeners.map((a) => {
        const listener = bound.find((l) => l.name === a.name)!;
        return {
          listener: a.name,
          host: a.host || hostname(),
          port: a.port === 0 ? listener.boundPort : a.port,
          securityProtocol: a.securityProtocol,
        };
      }),
    };
  }

  private onMetadataChange(change: MetadataChange): void {
    switch (change.kind) {
      case 'topic-created':
      case 'topic-changed':
        this.applyTopic(change.topic);
        return;
      case 'topic-deleted':
        for (const p of change.topic.partitions)
          this.fetchers.unfollow(topicPartitionKey(change.topic.name, p.partition));
        this.replicaManager.removeTopic(change.topic);
        this.logManager.checkpointRecoveryPoints();
        void this.groups.onTopicsDeleted(new Set([change.topic.name]));
        return;
      case 'brokers-changed':
        // A follower that left or registered again starts afresh; a leader may have
        // (re)registered with new endpoints, or come back.
        this.replicaManager.brokersChanged();
        this.followLeaders(this.metadata.topics());
        return;
    }
  }

  /**
   * Local replicas follow the topic's state: partitions this broker leads are served, the others
   * are fetched from their leaders; the group coordinator follows `__consumer_offsets` leadership.
   */
  private applyTopic(topic: TopicMetadata): void {
    this.replicaManager.applyTopic(topic);
    this.followLeaders([topic]);
    if (topic.name !== OFFSETS_TOPIC) return;
    for (const p of topic.partitions) {
      if (p.leader === this.config.nodeId) this.groups.loadPartition(p.partition);
      else this.groups.unloadPartition(p.partition);
    }
  }

  /** Local replicas of partitions led elsewhere fetch from their (registered) leaders; the others stop. */
  private followLeaders(topics: readonly TopicMetadata[]): void {
    if (!this.registered) return;
    const brokers = new Map(this.metadata.brokers().map((b) => [b.nodeId, b]));
    for (const topic of topics) {
      for (const state of topic.partitions) {
        const partition = this.replicaManager.getPartition(topic.name, state.partition);
        const leader = state.leader === this.config.nodeId ? undefined : brokers.get(state.leader);
        if (partition && leader) this.fetchers.follow(partition, leader);
        else this.fetchers.unfollow(topicPartitionKey(topic.name, state.partition));
      }
    }
  }

  /**
   * Before a clean stop in a cluster: leadership of every partition this broker leads moves to
   * another replica that is in the ISR and in sync by the leader's own view of its progress (with
   * none, the controller elects once this broker is gone), and the broker leaves the ISRs it is
   * in, so producers and consumers move on at once instead of waiting for its lease to expire.
   */
  private async moveLeadershipAway(): Promise<void> {
    const alive = new Set(this.metadata.brokers().map((b) => b.nodeId));
    alive.delete(this.config.nodeId);
    let handedOver = 0;
    for (const topic of this.metadata.topics()) {
      for (const state of topic.partitions) {
        if (!state.replicas.includes(this.config.nodeId)) continue;
        const isr = state.isr.filter((id) => id !== this.config.nodeId);
        let next: PartitionState | undefined;
        if (state.leader === this.config.nodeId) {
          const successor = this.replicaManager.controlledShutdownSuccessor(topic.name, state);
          if (successor !== undefined && alive.has(successor))
            next = { ...state, leader: successor, isr, leaderEpoch: state.leaderEpoch + 1 };
        } else if (state.isr.includes(this.config.nodeId) && isr.length > 0) {
          next = { ...state, isr };
        }
        if (!next) continue;
        try {
          await this.metadata.updatePartition(topic.name, next, state.partitionEpoch);
          if (next.leader !== state.leader) handedOver++;
        } catch (error) {
          this.logger.warn(
            { err: error, topic: topic.name, partition: state.partition },
            'could not move leadership before stopping',
          );
        }
      }
    }
    this.logger.info({ leaderships: handedOver }, 'controlled shutdown: leaderships handed over');
  }

  private schedulePeriodicWork(): void {
    const c = this.config;
    const every = (ms: number, name: string, task: () => void | Promise<void>): void => {
      if (ms <= 0 || ms >= Number.MAX_SAFE_INTEGER) return;
      let running = false;
      const timer = setInterval(
        () => {
          if (running) return; // a slow run is never overlapped by the next
          running = true;
          Promise.resolve()
            .then(task)
            .catch((error: unknown) => this.logger.error({ err: error }, `${name} failed`))
            .finally(() => (running = false));
        },
        Math.min(ms, 2 ** 31 - 1),
      );

      timer.unref();
      this.timers.push(timer);
    };
    every(c.retentionCheckIntervalMs, 'retention', () => {
      const deleted = this.logManager.runRetention();
      if (deleted > 0) this.logger.info({ segments: deleted }, 'retention deleted segments');
    });
    every(c.flushSchedulerIntervalMs, 'flush', () => this.logManager.flushDueLogs());
    every(c.flushOffsetCheckpointIntervalMs, 'recovery point checkpoint', () =>
      this.logManager.checkpointRecoveryPoints(),
    );
    every(c.flushStartOffsetCheckpointIntervalMs, 'log start offset checkpoint', () =>
      this.logManager.checkpointLogStartOffsets(),
    );
    every(c.producerIdExpirationCheckIntervalMs, 'producer id expiration', () =>
      this.logManager.expireProducers(),
    );
    if (c.logCleanerEnable) {
      const cleaner = new LogCleaner(this.logger.child({ component: 'cleaner' }));
      every(c.logCleanerBackoffMs, 'log cleaner', () =>
        this.logManager.runCleaner(cleaner).then(() => undefined),
      );
    }
    every(c.offsetsRetentionCheckIntervalMs, 'offset expiration', () =>
      this.groups.expireOffsets().then(() => undefined),
    );
    every(Math.max(100, Math.floor(c.replicaLagTimeMaxMs / 2)), 'ISR shrink', () =>
      this.replicaManager.shrinkIsrs(),
    );
    every(c.flushOffsetCheckpointIntervalMs, 'high watermark checkpoint', () =>
      this.logManager.checkpointHighWatermarks(),
    );
  }

  /** Clean shutdown: stop serving, flush and close every log, mark the shutdown clean. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.ready = false;
      if (this.controller && this.config.controlledShutdownEnable) await this.moveLeadershipAway();
      for (const timer of this.timers) clearInterval(timer);
      this.controller?.stop();
      this.fetchers.shutdown();
      await this.socketServer.stop();
      this.groups.shutdown();
      this.replicaManager.shutdown();
      this.unsubscribe?.();
      await this.logManager.shutdown();
      await this.metadata.close();
      await this.adminServer.stop();
      this.logger.info('broker stopped');
    })();
    return this.stopping;
  }
}
