import { Etcd3, type IKeyValue, type Lease, type Watcher } from 'etcd3';
import type { Logger } from 'pino';
import { KafkaError } from '../protocol/errors.js';
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

/**
 * The cluster's metadata in etcd, under `/strata/<cluster.id>/`:
 *
 * | key                          | value                                                     |
 * |------------------------------|-----------------------------------------------------------|
 * | `brokers/<id>`               | registration: rack, endpoints (under the broker's lease); its mod revision is the broker epoch |
 * | `controller`                 | `{"nodeId"}` of the elected controller (under its lease)  |
 * | `topics/<name>`              | `{"topicId","internal","configs"}`                         |
 * | `partitions/<name>/<index>`  | replicas, ISR, leader, leader epoch, partition epoch, reassignment |
 * | `producer-ids`               | `{"next"}`: the next unreserved producer id               |
 * | `scram/<mechanism>/<user>`   | a SCRAM credential: salt, iterations, StoredKey, ServerKey (user URI-encoded) |
 * | `acls/<id>`                  | one ACL: resource type, name and pattern type, principal, host, operation, permission |
 *
 * Every broker keeps the whole tree in memory, loaded at start and kept current by one watch;
 * reads are served from it. Writes are etcd transactions that compare what they change (a topic
 * that must not exist, a partition's mod revision), so concurrent writers never lose an update,
 * and each resolves once this broker's copy has caught up with it.
 */

interface StoredTopic {
  readonly topicId: string;
  readonly internal: boolean;
  readonly configs: Record<string, string>;
}

interface CachedTopic {
  stored: StoredTopic;
  readonly partitions: Map<number, { state: PartitionState; modRevision: string }>;
}

export interface EtcdStoreOptions {
  readonly endpoints: readonly string[];
  readonly clusterId: string;
  readonly nodeId: number;
  readonly leaseTtlSeconds: number;
  readonly logger: Logger;
}

/** How long a metadata write may wait for the coordinator quorum. */
const WRITE_DEADLINE_MS = 10_000;

const decoder = (kv: IKeyValue): unknown => JSON.parse(kv.value.toString('utf8'));

export class EtcdMetadataStore implements MetadataStore {
  readonly clusterId: string;
  private readonly client: Etcd3;
  private readonly prefix: string;
  private readonly brokersById = new Map<number, BrokerRegistration>();
  private readonly topicsByName = new Map<string, CachedTopic>();
  private controller: number | undefined;
  private revision = 0n;
  private readonly revisionWaiters: { revision: bigint; resolve: () => void }[] = [];
  private readonly listeners = new Set<(change: MetadataChange) => void>();
  private watcher: Watcher | undefined;
  private lease: Lease | undefined;
  private registration: BrokerRegistration | undefined;
  private closed = false;

  constructor(private readonly options: EtcdStoreOptions) {
    this.clusterId = options.clusterId;
    this.prefix = `/strata/${options.clusterId}/`;
    this.client = new Etcd3({ hosts: [...options.endpoints], dialTimeout: 5000 });
  }

  private key(...parts: (string | number)[]): string {
    return this.prefix + parts.join('/');
  }

  // -------------------------------------------------------------------------------------------
  // loading and watching

  async start(): Promise<void> {
    const response = await this.client.getAll().prefix(this.prefix).exec();
    // Keys come sorted, so a topic's partitions come before the topic itself: topics first.
    const isPartition = (kv: IKeyValue): boolean =>
      kv.key.toString('utf8').startsWith(this.key('partitions', ''));
    for (const kv of response.kvs.filter((kv) => !isPartition(kv))) this.apply('put', kv);
    for (const kv of response.kvs.filter(isPartition)) this.apply('put', kv);
    this.revision = BigInt(response.header.revision);
    this.watcher = await this.client
      .watch()
      .prefix(this.prefix)
      .startRevision((this.revision + 1n).toString())
      .create();
    this.watcher.on('data', (res) => {
      const touched = new Map<string, 'created' | 'changed' | 'deleted'>();
      let brokersChanged = false;
      for (const event of res.events) {
        const kind = event.type === 'Put' ? 'put' : 'delete';
        const effect = this.apply(kind, event.kv);
        if (effect?.broker) brokersChanged = true;
        if (effect?.topic) {
          const previous = touched.get(effect.topic.name);
          touched.set(
            effect.topic.name,
            previous === 'created' && effect.topic.what !== 'deleted' ? 'created' : effect.topic.what,
          );
        }
        const revision = BigInt(event.kv.mod_revision);
        if (revision > this.revision) this.revision = revision;
      }
      const headerRevision = BigInt(res.header.revision);
      if (headerRevision > this.revision) this.revision = headerRevision;
      if (brokersChanged) this.emit({ kind: 'brokers-changed' });
      for (const [name, what] of touched) {
        if (what === 'deleted') {
          this.emit({ kind: 'topic-deleted', topic: this.deletedTopics.get(name)! });
          this.deletedTopics.delete(name);
        } else {
          const topic = this.topic(name);
          if (topic) this.emit({ kind: what === 'created' ? 'topic-created' : 'topic-changed', topic });
        }
      }
      this.releaseWaiters();
    });
    this.watcher.on('error', (error) =>
      this.options.logger.warn({ err: error }, 'etcd watch error; it resumes on its own'),
    );
  }

  private readonly deletedTopics = new Map<string, TopicMetadata>();

  /** Applies one key change to the in-memory copy; says what it touched. */
  private apply(
    kind: 'put' | 'delete',
    kv: IKeyValue,
  ): { broker?: boolean; topic?: { name: string; what: 'created' | 'changed' | 'deleted' } } | undefined {
    const path = kv.key.toString('utf8').slice(this.prefix.length).split('/');
    switch (path[0]) {
      case 'brokers': {
        const id = Number(path[1]);
        // The registration's mod revision is its broker epoch: every registration is a new put.
        if (kind === 'put')
          this.brokersById.set(id, {
            ...(decoder(kv) as BrokerRegistration),
            brokerEpoch: Number(kv.mod_revision),
          });
        else this.brokersById.delete(id);
        return { broker: true };
      }
      case 'controller':
        this.controller = kind === 'put' ? (decoder(kv) as { nodeId: number }).nodeId : undefined;
        return { broker: true };
      case 'topics': {
        const name = path.slice(1).join('/');
        if (kind === 'delete') {
          const existing = this.topic(name);
          if (existing) this.deletedTopics.set(name, existing);
          this.topicsByName.delete(name);
          return { topic: { name, what: 'deleted' } };
        }
        const existing = this.topicsByName.get(name);
        if (existing) {
          existing.stored = decoder(kv) as StoredTopic;
          return { topic: { name, what: 'changed' } };
        }
        this.topicsByName.set(name, { stored: decoder(kv) as StoredTopic, partitions: new Map() });
        return { topic: { name, what: 'created' } };
      }
      case 'acls':
        this.applyAcl(kind, path.slice(1).join('/'), kv);
        return undefined;
      case 'scram':
        this.applyScram(kind, path, kv);
        return undefined;
      case 'partitions': {
        const name = path.slice(1, -1).join('/');
        const index = Number(path.at(-1));
        const topic = this.topicsByName.get(name);
        if (!topic) return undefined;
        if (kind === 'put')
          topic.partitions.set(index, { state: decoder(kv) as PartitionState, modRevision: kv.mod_revision });
        else topic.partitions.delete(index);
        return { topic: { name, what: 'changed' } };
      }
      default:
        return undefined;
    }
  }

  private releaseWaiters(): void {
    for (let i = this.revisionWaiters.length - 1; i >= 0; i--) {
      const waiter = this.revisionWaiters[i]!;
      if (waiter.revision <= this.revision) {
        this.revisionWaiters.splice(i, 1);
        waiter.resolve();
      }
    }
  }

  /** Resolves once this broker's copy includes everything up to `revision`. */
  private caughtUp(revision: string | bigint): Promise<void> {
    const wanted = BigInt(revision);
    if (wanted <= this.revision) return Promise.resolve();
    return new Promise((resolve) => this.revisionWaiters.push({ revision: wanted, resolve }));
  }

  // -------------------------------------------------------------------------------------------
  // the broker's registration and the controller election

  /**
   * Registers this broker under a lease (it disappears when the broker stops renewing it) and
   * stands for controller. A lease lost (etcd unreachable for longer than its TTL) is replaced by
   * a new one and the broker registers again.
   */
  async registerBroker(registration: BrokerRegistration): Promise<void> {
    this.registration = registration;
    await this.grantLeaseAndRegister();
  }

  private async grantLeaseAndRegister(): Promise<void> {
    if (this.closed || !this.registration) return;
    const lease = this.client.lease(this.options.leaseTtlSeconds, { autoKeepAlive: true });
    this.lease = lease;
    lease.on('lost', (error) => {
      if (this.closed || this.lease !== lease) return;
      this.options.logger.warn({ err: error }, 'lost the etcd lease; registering again');
      void this.retry(() => this.grantLeaseAndRegister());
    });
    const { brokerEpoch: _assignedByTheStore, ...registration } = this.registration;
    const response = await lease
      .put(this.key('brokers', this.options.nodeId))
      .value(JSON.stringify(registration));
    await this.caughtUp(response.header.revision);
    await this.campaign();
  }

  /** Becomes controller if nobody is: the key is created only when absent, under our lease. */
  async campaign(): Promise<void> {
    if (this.closed || !this.lease) return;
    const key = this.key('controller');
    const leaseId = await this.lease.grant();
    const result = await this.client
      .if(key, 'Create', '==', 0)
      .then(
        this.client
          .put(key)
          .value(JSON.stringify({ nodeId: this.options.nodeId }))
          .lease(leaseId),
      )
      .commit();
    await this.caughtUp(result.header.revision);
  }

  private async retry(task: () => Promise<void>): Promise<void> {
    for (let attempt = 0; !this.closed; attempt++) {
      try {
        await task();
        return;
      } catch (error) {
        this.options.logger.warn({ err: error, attempt }, 'etcd unavailable; retrying');
        await new Promise((resolve) => setTimeout(resolve, Math.min(5000, 200 * 2 ** attempt)));
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.listeners.clear();
    await this.watcher?.cancel().catch(() => undefined);
    // Revoking the lease removes the registration (and the controller key) at once.
    await this.lease?.revoke().catch(() => undefined);
    this.client.close();
  }

  // -------------------------------------------------------------------------------------------
  // reads

  brokers(): readonly BrokerRegistration[] {
    return [...this.brokersById.values()].sort((a, b) => a.nodeId - b.nodeId);
  }

  controllerId(): number {
    return this.controller ?? -1;
  }

  topics(): readonly TopicMetadata[] {
    return [...this.topicsByName.keys()].map((name) => this.topic(name)!).filter(Boolean);
  }

  topic(name: string): TopicMetadata | undefined {
    const cached = this.topicsByName.get(name);
    if (!cached) return undefined;
    const partitions = [...cached.partitions.values()]
      .map((p) => p.state)
      .sort((a, b) => a.partition - b.partition);
    return {
      name,
      topicId: Buffer.from(cached.stored.topicId, 'base64url'),
      internal: cached.stored.internal,
      configs: new Map(Object.entries(cached.stored.configs)),
      partitions,
    };
  }

  // -------------------------------------------------------------------------------------------
  // writes

  createTopic(spec: NewTopic): Promise<TopicMetadata> {
    return this.withDeadline('creating a topic', () => this.createTopicNow(spec));
  }

  private async createTopicNow(spec: NewTopic): Promise<TopicMetadata> {
    const topicKey = this.key('topics', spec.name);
    const stored: StoredTopic = {
      topicId: newTopicId().toString('base64url'),
      internal: spec.internal ?? false,
      configs: Object.fromEntries(spec.configs),
    };
    const puts = [this.client.put(topicKey).value(JSON.stringify(stored))];
    spec.assignment.forEach((replicas, partition) => {
      const state = newPartitionState(partition, replicas);
      puts.push(this.client.put(this.key('partitions', spec.name, partition)).value(JSON.stringify(state)));
    });
    const result = await this.client
      .if(topicKey, 'Create', '==', 0)
      .then(...puts)
      .commit();
    if (!result.succeeded)
      throw new KafkaError('TOPIC_ALREADY_EXISTS', `Topic '${spec.name}' already exists.`);
    await this.caughtUp(result.header.revision);
    return this.topic(spec.name)!;
  }

  deleteTopic(name: string): Promise<void> {
    return this.withDeadline('deleting a topic', () => this.deleteTopicNow(name));
  }

  private async deleteTopicNow(name: string): Promise<void> {
    const topicKey = this.key('topics', name);
    const result = await this.client
      .if(topicKey, 'Create', '>', 0)
      .then(this.client.delete().key(topicKey), this.client.delete().prefix(this.key('partitions', name, '')))
      .commit();
    if (!result.succeeded)
      throw new KafkaError('UNKNOWN_TOPIC_OR_PARTITION', `Topic '${name}' does not exist.`);
    await this.caughtUp(result.header.revision);
  }

  createPartitions(name: string, assignment: readonly (readonly number[])[]): Promise<TopicMetadata> {
    return this.withDeadline('adding partitions', () => this.createPartitionsNow(name, assignment));
  }

  private async createPartitionsNow(
    name: string,
    assignment: readonly (readonly number[])[],
  ): Promise<TopicMetadata> {
    const topic = this.topic(name);
    if (!topic) throw new KafkaError('UNKNOWN_TOPIC_OR_PARTITION', `Topic '${name}' does not exist.`);
    const first = topic.partitions.length;
    const ops = assignment.map((replicas, i) => {
      const state = newPartitionState(first + i, replicas);
      return this.client.put(this.key('partitions', name, first + i)).value(JSON.stringify(state));
    });
    // Only if nobody added partitions meanwhile: the next index must still be free.
    const result = await this.client
      .if(this.key('partitions', name, first), 'Create', '==', 0)
      .then(...ops)
      .commit();
    if (!result.succeeded)
      throw new KafkaError('REASSIGNMENT_IN_PROGRESS', `partitions of ${name} changed concurrently; retry`);
    await this.caughtUp(result.header.revision);
    return this.topic(name)!;
  }

  setTopicConfigs(name: string, configs: ReadonlyMap<string, string>): Promise<TopicMetadata> {
    return this.withDeadline('changing topic configs', () => this.setTopicConfigsNow(name, configs));
  }

  private async setTopicConfigsNow(
    name: string,
    configs: ReadonlyMap<string, string>,
  ): Promise<TopicMetadata> {
    const cached = this.topicsByName.get(name);
    if (!cached) throw new KafkaError('UNKNOWN_TOPIC_OR_PARTITION', `Topic '${name}' does not exist.`);
    const stored: StoredTopic = { ...cached.stored, configs: Object.fromEntries(configs) };
    const response = await this.client.put(this.key('topics', name)).value(JSON.stringify(stored)).exec();
    await this.caughtUp(response.header.revision);
    return this.topic(name)!;
  }

  updatePartition(name: string, state: PartitionState, expectedPartitionEpoch: number): Promise<boolean> {
    return this.withDeadline('changing a partition', () =>
      this.updatePartitionNow(name, state, expectedPartitionEpoch),
    );
  }

  private async updatePartitionNow(
    name: string,
    state: PartitionState,
    expectedPartitionEpoch: number,
  ): Promise<boolean> {
    const cached = this.topicsByName.get(name)?.partitions.get(state.partition);
    if (!cached || cached.state.partitionEpoch !== expectedPartitionEpoch) return false;
    const key = this.key('partitions', name, state.partition);
    const result = await this.client
      .if(key, 'Mod', '==', cached.modRevision)
      .then(
        this.client.put(key).value(JSON.stringify({ ...state, partitionEpoch: expectedPartitionEpoch + 1 })),
      )
      .commit();
    await this.caughtUp(result.header.revision);
    return result.succeeded;
  }

  allocateProducerIds(count: number): Promise<number> {
    return this.withDeadline('reserving producer ids', () => this.allocateProducerIdsNow(count));
  }

  private async allocateProducerIdsNow(count: number): Promise<number> {
    const key = this.key('producer-ids');
    for (;;) {
      const current = await this.client.get(key).exec();
      const kv = current.kvs[0];
      const next = kv ? (decoder(kv) as { next: number }).next : 0;
      const txn = kv
        ? this.client.if(key, 'Mod', '==', kv.mod_revision)
        : this.client.if(key, 'Create', '==', 0);
      const result = await txn
        .then(this.client.put(key).value(JSON.stringify({ next: next + count })))
        .commit();
      if (result.succeeded) return next;
    }
  }

  /**
   * Metadata writes need the coordinator quorum. Without it they fail after a deadline (the client
   * sees REQUEST_TIMED_OUT and may retry) while produce and fetch go on with the metadata as it is.
   */
  private withDeadline<T>(what: string, write: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new KafkaError(
              'REQUEST_TIMED_OUT',
              `${what}: the coordinator quorum did not answer within ${WRITE_DEADLINE_MS} ms`,
            ),
          ),
        WRITE_DEADLINE_MS,
      );
      write().then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }

  subscribe(listener: (change: MetadataChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // -------------------------------------------------------------------------------------------
  // ACLs

  private readonly aclsById = new Map<string, AclBinding>();
  /** The list `acls()` hands out, rebuilt after a change. */
  private aclList: readonly StoredAcl[] | undefined;

  private applyAcl(kind: 'put' | 'delete', id: string, kv: IKeyValue): void {
    if (kind === 'put') this.aclsById.set(id, decoder(kv) as AclBinding);
    else this.aclsById.delete(id);
    this.aclList = undefined;
  }

  acls(): readonly StoredAcl[] {
    this.aclList ??= [...this.aclsById].map(([id, binding]) => ({ id, binding }));
    return this.aclList;
  }

  createAcls(bindings: readonly AclBinding[]): Promise<void> {
    return this.withDeadline('creating ACLs', () => this.createAclsNow(bindings));
  }

  private async createAclsNow(bindings: readonly AclBinding[]): Promise<void> {
    const existing = [...this.aclsById.values()];
    const added: AclBinding[] = [];
    for (const binding of bindings) {
      if (![...existing, ...added].some((acl) => sameBinding(acl, binding))) added.push(binding);
    }
    if (added.length === 0) return;
    // One transaction for all; its comparison always holds (the bare `acls/` key is never written).
    const puts = added.map((binding) =>
      this.client.put(this.key('acls', randomUUID())).value(JSON.stringify(binding)),
    );
    const result = await this.client
      .if(this.key('acls', ''), 'Create', '==', 0)
      .then(...puts)
      .commit();
    await this.caughtUp(result.header.revision);
  }

  deleteAcls(ids: readonly string[]): Promise<void> {
    return this.withDeadline('deleting ACLs', () => this.deleteAclsNow(ids));
  }

  private async deleteAclsNow(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    const deletes = ids.map((id) => this.client.delete().key(this.key('acls', id)));
    const result = await this.client
      .if(this.key('acls', ''), 'Create', '==', 0)
      .then(...deletes)
      .commit();
    await this.caughtUp(result.header.revision);
  }

  // -------------------------------------------------------------------------------------------

  // -------------------------------------------------------------------------------------------
  // SCRAM credentials

  /** By `<mechanism>/<user>`. */
  private readonly scramByKey = new Map<string, UserScramCredential>();

  private applyScram(kind: 'put' | 'delete', path: readonly string[], kv: IKeyValue): void {
    if (path.length !== 3) return;
    const mechanism = path[1] as ScramMechanism;
    const user = decodeURIComponent(path[2]!);
    const key = `${mechanism}/${user}`;
    if (kind === 'put')
      this.scramByKey.set(key, {
        user,
        mechanism,
        credential: scramCredentialOf(decoder(kv) as StoredScramCredential),
      });
    else this.scramByKey.delete(key);
  }

  scramCredential(mechanism: ScramMechanism, user: string): ScramCredential | undefined {
    return this.scramByKey.get(`${mechanism}/${user}`)?.credential;
  }

  scramCredentials(): readonly UserScramCredential[] {
    return [...this.scramByKey.values()];
  }

  alterScramCredentials(
    upsertions: readonly UserScramCredential[],
    deletions: readonly ScramCredentialKey[],
  ): Promise<void> {
    return this.withDeadline('changing SCRAM credentials', () =>
      this.alterScramCredentialsNow(upsertions, deletions),
    );
  }

  private async alterScramCredentialsNow(
    upsertions: readonly UserScramCredential[],
    deletions: readonly ScramCredentialKey[],
  ): Promise<void> {
    const scramKey = (c: ScramCredentialKey): string =>
      this.key('scram', c.mechanism, encodeURIComponent(c.user));
    const ops = [
      ...deletions.map((c) => this.client.delete().key(scramKey(c))),
      ...upsertions.map((c) =>
        this.client.put(scramKey(c)).value(JSON.stringify(storedScramCredential(c.credential))),
      ),
    ];
    if (ops.length === 0) return;
    // One transaction for all; its comparison always holds (the bare `scram/` key is never written).
    const result = await this.client
      .if(this.key('scram', ''), 'Create', '==', 0)
      .then(...ops)
      .commit();
    await this.caughtUp(result.header.revision);
  }

  // -------------------------------------------------------------------------------------------

  private emit(change: MetadataChange): void {
    for (const listener of this.listeners) listener(change);
  }
}
