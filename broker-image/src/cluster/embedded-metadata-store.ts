import { join } from 'node:path';
import { KafkaError } from '../protocol/errors.js';
import type { StorageFileSystem } from '../storage/file-system.js';
import type { BrokerRegistration, PartitionState, TopicMetadata } from './metadata.js';
import { newPartitionState, newTopicId } from './metadata.js';
import type { MetadataChange, MetadataStore, NewTopic } from './metadata-store.js';

export const METADATA_FILE = 'strata-metadata.json';

interface PersistedState {
  version: 1;
  clusterId: string;
  nextProducerId: number;
  topics: {
    name: string;
    topicId: string;
    internal: boolean;
    configs: Record<string, string>;
    partitions: PartitionState[];
  }[];
}

/**
 * The metadata of a lone broker (no `coordinator.endpoints`): kept in memory and persisted as one
 * JSON file in the first log dir, rewritten atomically on every change. This broker is the
 * controller and leads every partition.
 */
export class EmbeddedMetadataStore implements MetadataStore {
  private readonly topicsByName = new Map<string, TopicMetadata>();
  private readonly listeners = new Set<(change: MetadataChange) => void>();
  private nextProducerId = 0;
  private storedClusterId: string;

  constructor(
    private readonly fs: StorageFileSystem,
    private readonly dir: string,
    private readonly nodeId: number,
    clusterId: string,
  ) {
    this.storedClusterId = clusterId;
  }

  private self: BrokerRegistration | undefined;

  get clusterId(): string {
    return this.storedClusterId;
  }

  private get path(): string {
    return join(this.dir, METADATA_FILE);
  }

  async start(): Promise<void> {
    this.fs.mkdirSync(this.dir);
    if (!this.fs.existsSync(this.path)) {
      this.persist();
      return;
    }
    const state = JSON.parse(this.fs.readFileSync(this.path).toString('utf8')) as PersistedState;
    if (state.clusterId !== this.storedClusterId) {
      throw new Error(
        `the log dir ${this.dir} belongs to cluster "${state.clusterId}", not "${this.storedClusterId}" (cluster.id)`,
      );
    }
    this.nextProducerId = state.nextProducerId;
    for (const t of state.topics) {
      this.topicsByName.set(t.name, {
        name: t.name,
        topicId: Buffer.from(t.topicId, 'base64url'),
        internal: t.internal,
        configs: new Map(Object.entries(t.configs)),
        // A lone broker leads all its partitions; every restart is a new leader epoch, as in Kafka.
        partitions: t.partitions.map((p) => ({ ...p, leader: this.nodeId, isr: [this.nodeId] })),
      });
    }
  }

  async close(): Promise<void> {
    this.listeners.clear();
  }

  async registerBroker(registration: BrokerRegistration): Promise<void> {
    this.self = registration;
    this.emit({ kind: 'brokers-changed' });
  }

  brokers(): readonly BrokerRegistration[] {
    return this.self ? [this.self] : [];
  }

  controllerId(): number {
    return this.nodeId;
  }

  topics(): readonly TopicMetadata[] {
    return [...this.topicsByName.values()];
  }

  topic(name: string): TopicMetadata | undefined {
    return this.topicsByName.get(name);
  }

  async createTopic(spec: NewTopic): Promise<TopicMetadata> {
    if (this.topicsByName.has(spec.name)) {
      throw new KafkaError('TOPIC_ALREADY_EXISTS', `Topic '${spec.name}' already exists.`);
    }
    const topic: TopicMetadata = {
      name: spec.name,
      topicId: newTopicId(),
      internal: spec.internal ?? false,
      configs: new Map(spec.configs),
      partitions: spec.assignment.map((replicas, partition) => newPartitionState(partition, replicas)),
    };
    this.topicsByName.set(topic.name, topic);
    this.persist();
    this.emit({ kind: 'topic-created', topic });
    return topic;
  }

  async deleteTopic(name: string): Promise<void> {
    const topic = this.requireTopic(name);
    this.topicsByName.delete(name);
    this.persist();
    this.emit({ kind: 'topic-deleted', topic });
  }

  async createPartitions(name: string, assignment: readonly (readonly number[])[]): Promise<TopicMetadata> {
    const topic = this.requireTopic(name);
    const first = topic.partitions.length;
    const updated: TopicMetadata = {
      ...topic,
      partitions: [
        ...topic.partitions,
        ...assignment.map((replicas, i) => newPartitionState(first + i, replicas)),
      ],
    };
    return this.replace(updated);
  }

  async setTopicConfigs(name: string, configs: ReadonlyMap<string, string>): Promise<TopicMetadata> {
    return this.replace({ ...this.requireTopic(name), configs: new Map(configs) });
  }

  async updatePartition(
    name: string,
    state: PartitionState,
    expectedPartitionEpoch: number,
  ): Promise<boolean> {
    const topic = this.requireTopic(name);
    const current = topic.partitions[state.partition];
    if (!current || current.partitionEpoch !== expectedPartitionEpoch) return false;
    const partitions = [...topic.partitions];
    partitions[state.partition] = { ...state, partitionEpoch: expectedPartitionEpoch + 1 };
    this.replace({ ...topic, partitions });
    return true;
  }

  async allocateProducerIds(count: number): Promise<number> {
    const first = this.nextProducerId;
    this.nextProducerId += count;
    this.persist();
    return first;
  }

  subscribe(listener: (change: MetadataChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Every start of a lone broker begins a new leader epoch for its partitions. */
  async bumpLeaderEpochs(): Promise<void> {
    for (const topic of this.topicsByName.values()) {
      this.topicsByName.set(topic.name, {
        ...topic,
        partitions: topic.partitions.map((p) => ({
          ...p,
          leaderEpoch: p.leaderEpoch + 1,
          partitionEpoch: p.partitionEpoch + 1,
        })),
      });
    }
    this.persist();
  }

  private requireTopic(name: string): TopicMetadata {
    const topic = this.topicsByName.get(name);
    if (!topic) throw new KafkaError('UNKNOWN_TOPIC_OR_PARTITION', `Topic '${name}' does not exist.`);
    return topic;
  }

  private replace(topic: TopicMetadata): TopicMetadata {
    this.topicsByName.set(topic.name, topic);
    this.persist();
    this.emit({ kind: 'topic-changed', topic });
    return topic;
  }

  private emit(change: MetadataChange): void {
    for (const listener of this.listeners) listener(change);
  }

  private persist(): void {
    const state: PersistedState = {
      version: 1,
      clusterId: this.storedClusterId,
      nextProducerId: this.nextProducerId,
      topics: [...this.topicsByName.values()].map((t) => ({
        name: t.name,
        topicId: t.topicId.toString('base64url'),
        internal: t.internal,
        configs: Object.fromEntries(t.configs),
        partitions: [...t.partitions],
      })),
    };
    this.fs.writeFileAtomicSync(this.path, JSON.stringify(state, null, 1));
  }
}
