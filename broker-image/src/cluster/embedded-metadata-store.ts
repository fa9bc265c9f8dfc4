import { join } from 'node:path';
import { KafkaError } from '../protocol/errors.js';
import type { StorageFileSystem } from '../storage/file-system.js';
import type { BrokerRegistration, PartitionState, TopicMetadata } from './metadata.js';
import { newPartitionState, newTopicId } from './metadata.js';
import type { MetadataChange, MetadataStore, NewTopic } from './metadata-store.js';
import {
  scramCredentialOf,
  storedScramCredential,
  type ScramCredentialKey,
  type StoredScramCredential,
  type UserScramCredential,
} from './metadata-store.js';
import type { ScramCredential, ScramMechanism } from '../security/scram.js';
import { sameBinding, type AclBinding, type StoredAcl } from '../security/acl.js';
import { randomUUID } from 'node:crypto';

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
  /** SCRAM credentials by mechanism, then user (absent in files written before they were kept). */
  scram?: Record<string, Record<string, StoredScramCredential>>;
  /** The cluster's ACLs (absent in files written before ACLs were kept). */
  acls?: StoredAcl[];
}

/**
 * The metadata of a lone broker (no `coordinator.endpoints`): kept in memory and persisted as one
 * JSON file in the first log dir, rewritten atomically on every change. This broker is the
 * controller and leads every partition.
 *
 * A change is written before it is applied: when the write fails (a full disk) the request fails
 * with KAFKA_STORAGE_ERROR and nothing changes in memory. Starting needs no write, so a broker
 * starts on a full disk; only the new leader epochs of a start may stay unwritten for a while
 * (see `bumpLeaderEpochs`).
 */
export class EmbeddedMetadataStore implements MetadataStore {
  private topicsByName = new Map<string, TopicMetadata>();
  private readonly listeners = new Set<(change: MetadataChange) => void>();
  private nextProducerId = 0;
  private storedClusterId: string;
  /** The state in memory is ahead of the file (a start's leader epochs could not be written). */
  private unpersisted = false;

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
    // No file is the empty state of a new broker: it is written with the first change.
    if (!this.fs.existsSync(this.path)) return;
    const state = JSON.parse(this.fs.readFileSync(this.path).toString('utf8')) as PersistedState;
    if (state.clusterId !== this.storedClusterId) {
      throw new Error(
        `the log dir ${this.dir} belongs to cluster "${state.clusterId}", not "${this.storedClusterId}" (cluster.id)`,
      );
    }
    this.nextProducerId = state.nextProducerId;
    this.scram = state.scram ?? {};
    this.storedAcls = state.acls ?? [];
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
    if (this.unpersisted)
      this.unpersisted = this.tryPersist(this.topicsByName, this.nextProducerId) !== undefined;
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
    this.commit(new Map(this.topicsByName).set(topic.name, topic));
    this.emit({ kind: 'topic-created', topic });
    return topic;
  }

  async deleteTopic(name: string): Promise<void> {
    const topic = this.requireTopic(name);
    const topics = new Map(this.topicsByName);
    topics.delete(name);
    this.commit(topics);
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
    this.commit(this.topicsByName, first + count);
    return first;
  }

  subscribe(listener: (change: MetadataChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // SCRAM credentials -----------------------------------------------------------------------

  /** By mechanism, then user; replaced (never changed in place) on every change. */
  private scram: Record<string, Record<string, StoredScramCredential>> = {};

  scramCredential(mechanism: ScramMechanism, user: string): ScramCredential | undefined {
    const stored = Object.hasOwn(this.scram, mechanism) ? this.scram[mechanism]! : {};
    return Object.hasOwn(stored, user) ? scramCredentialOf(stored[user]!) : undefined;
  }

  scramCredentials(): readonly UserScramCredential[] {
    return Object.entries(this.scram).flatMap(([mechanism, users]) =>
      Object.entries(users).map(([user, stored]) => ({
        user,
        mechanism: mechanism as ScramMechanism,
        credential: scramCredentialOf(stored),
      })),
    );
  }

  async alterScramCredentials(
    upsertions: readonly UserScramCredential[],
    deletions: readonly ScramCredentialKey[],
  ): Promise<void> {
    const previous = this.scram;
    const next: Record<string, Record<string, StoredScramCredential>> = {};
    for (const [mechanism, users] of Object.entries(previous)) next[mechanism] = { ...users };
    for (const { user, mechanism } of deletions) if (next[mechanism]) delete next[mechanism][user];
    for (const { user, mechanism, credential } of upsertions)
      (next[mechanism] ??= {})[user] = storedScramCredential(credential);
    // Written first, then kept, as every change (KAFKA_STORAGE_ERROR when it cannot be written).
    this.scram = next;
    const error = this.tryPersist(this.topicsByName, this.nextProducerId);
    if (error) {
      this.scram = previous;
      throw new KafkaError(
        'KAFKA_STORAGE_ERROR',
        `the SCRAM credential change could not be written to ${this.path}: ${error.message}`,
      );
    }
  }

  // -------------------------------------------------------------------------------------------

  // ACLs ------------------------------------------------------------------------------------

  /** Replaced (never changed in place) on every change, as `acls()` promises. */
  private storedAcls: readonly StoredAcl[] = [];

  acls(): readonly StoredAcl[] {
    return this.storedAcls;
  }

  async createAcls(bindings: readonly AclBinding[]): Promise<void> {
    const next = [...this.storedAcls];
    for (const binding of bindings) {
      if (!next.some((acl) => sameBinding(acl.binding, binding))) next.push({ id: randomUUID(), binding });
    }
    if (next.length !== this.storedAcls.length) this.commitAcls(next);
  }

  async deleteAcls(ids: readonly string[]): Promise<void> {
    const removed = new Set(ids);
    const next = this.storedAcls.filter((acl) => !removed.has(acl.id));
    if (next.length !== this.storedAcls.length) this.commitAcls(next);
  }

  /** Written first, then applied, as every change (KAFKA_STORAGE_ERROR when it cannot be written). */
  private commitAcls(acls: readonly StoredAcl[]): void {
    const error = this.tryPersist(this.topicsByName, this.nextProducerId, acls);
    if (error) {
      throw new KafkaError(
        'KAFKA_STORAGE_ERROR',
        `the ACL change could not be written to ${this.path}: ${error.message}`,
      );
    }
    this.storedAcls = acls;
    this.unpersisted = false;
  }

  // -------------------------------------------------------------------------------------------

  /**
   * Every start of a lone broker begins a new leader epoch for its partitions: one past both the
   * stored epoch and `latestLocalEpoch`, the newest epoch in the partition's local log (ahead of
   * the stored one when an earlier start could not write its bump, and its records carry it).
   *
   * Writing the bump is best-effort, so a full disk does not stop the start (a lone broker has no
   * follower an epoch must fence): when it fails, the error is returned, the new epochs serve from
   * memory and are written with the next change that persists, or at close. Until then a crash
   * loses them, and the next start derives its epochs from the stored ones and the log again.
   */
  async bumpLeaderEpochs(
    latestLocalEpoch: (topic: string, partition: number) => number = () => -1,
  ): Promise<Error | undefined> {
    const topics = new Map<string, TopicMetadata>();
    for (const topic of this.topicsByName.values()) {
      topics.set(topic.name, {
        ...topic,
        partitions: topic.partitions.map((p) => ({
          ...p,
          leaderEpoch: Math.max(p.leaderEpoch, latestLocalEpoch(topic.name, p.partition)) + 1,
          partitionEpoch: p.partitionEpoch + 1,
        })),
      });
    }
    this.topicsByName = topics;
    const error = this.tryPersist(topics, this.nextProducerId);
    this.unpersisted = error !== undefined;
    return error;
  }

  private requireTopic(name: string): TopicMetadata {
    const topic = this.topicsByName.get(name);
    if (!topic) throw new KafkaError('UNKNOWN_TOPIC_OR_PARTITION', `Topic '${name}' does not exist.`);
    return topic;
  }

  private replace(topic: TopicMetadata): TopicMetadata {
    this.commit(new Map(this.topicsByName).set(topic.name, topic));
    this.emit({ kind: 'topic-changed', topic });
    return topic;
  }

  private emit(change: MetadataChange): void {
    for (const listener of this.listeners) listener(change);
  }

  /**
   * Makes `topics` and `nextProducerId` the state: written first, then applied. When the write
   * fails nothing changes and the request fails with KAFKA_STORAGE_ERROR (a retriable error).
   */
  private commit(topics: Map<string, TopicMetadata>, nextProducerId = this.nextProducerId): void {
    const error = this.tryPersist(topics, nextProducerId);
    if (error) {
      throw new KafkaError(
        'KAFKA_STORAGE_ERROR',
        `the metadata change could not be written to ${this.path}: ${error.message}`,
      );
    }
    this.topicsByName = topics;
    this.nextProducerId = nextProducerId;
    this.unpersisted = false;
  }

  /** Writes a state to the file atomically; the error when that failed (the file is unchanged). */
  private tryPersist(
    topics: ReadonlyMap<string, TopicMetadata>,
    nextProducerId: number,
    acls: readonly StoredAcl[] = this.storedAcls,
  ): Error | undefined {
    const state: PersistedState = {
      version: 1,
      clusterId: this.storedClusterId,
      nextProducerId,
      topics: [...topics.values()].map((t) => ({
        name: t.name,
        topicId: t.topicId.toString('base64url'),
        internal: t.internal,
        configs: Object.fromEntries(t.configs),
        partitions: [...t.partitions],
      })),
      scram: this.scram,
      acls: [...acls],
    };
    try {
      this.fs.writeFileAtomicSync(this.path, JSON.stringify(state, null, 1));
      return undefined;
    } catch (error) {
      return error instanceof Error ? error : new Error(String(error));
    }
  }
}
