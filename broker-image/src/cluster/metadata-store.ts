import type { BrokerRegistration, PartitionState, TopicMetadata } from './metadata.js';
import type { ScramCredential, ScramMechanism } from '../security/scram.js';
import type { AclBinding, StoredAcl } from '../security/acl.js';

export interface NewTopic {
  readonly name: string;
  /** Replica broker ids per partition, already placed. */
  readonly assignment: readonly (readonly number[])[];
  readonly configs: ReadonlyMap<string, string>;
  readonly internal?: boolean;
}

export type MetadataChange =
  | { readonly kind: 'topic-created'; readonly topic: TopicMetadata }
  | { readonly kind: 'topic-deleted'; readonly topic: TopicMetadata }
  | { readonly kind: 'topic-changed'; readonly topic: TopicMetadata }
  | { readonly kind: 'brokers-changed' };

/**
 * Where the cluster's metadata lives: brokers, topics with their configs, partition replicas,
 * leaders, epochs and ISRs, and the producer id counter. Reads are synchronous from the store's
 * current image; changes are asynchronous and every broker learns of them through `subscribe`.
 * The embedded store serves a lone broker; the etcd store a cluster.
 */
export interface MetadataStore {
  readonly clusterId: string;
  start(): Promise<void>;
  /** Announces this broker (once its listeners are bound) so clients and peers can reach it. */
  registerBroker(registration: BrokerRegistration): Promise<void>;
  close(): Promise<void>;

  brokers(): readonly BrokerRegistration[];
  controllerId(): number;
  topics(): readonly TopicMetadata[];
  topic(name: string): TopicMetadata | undefined;

  createTopic(topic: NewTopic): Promise<TopicMetadata>;
  deleteTopic(name: string): Promise<void>;
  /** Appends partitions with the given replica assignments. */
  createPartitions(name: string, assignment: readonly (readonly number[])[]): Promise<TopicMetadata>;
  /** Replaces the topic's own settings. */
  setTopicConfigs(name: string, configs: ReadonlyMap<string, string>): Promise<TopicMetadata>;
  /** Replaces the state of one partition (leader, ISR, replicas) if its partition epoch still matches. */
  updatePartition(name: string, state: PartitionState, expectedPartitionEpoch: number): Promise<boolean>;
  /** Reserves a block of producer ids for this broker; returns the first. */
  allocateProducerIds(count: number): Promise<number>;

  subscribe(listener: (change: MetadataChange) => void): () => void;

  // SCRAM credentials (see UserScramCredential) ---------------------------------------------
  /** A user's SCRAM credential for a mechanism, from the store's current image. */
  scramCredential(mechanism: ScramMechanism, user: string): ScramCredential | undefined;
  /** Every stored SCRAM credential. */
  scramCredentials(): readonly UserScramCredential[];
  /** Upserts and deletes credentials in one change. */
  alterScramCredentials(
    upsertions: readonly UserScramCredential[],
    deletions: readonly ScramCredentialKey[],
  ): Promise<void>;

  // ACLs ------------------------------------------------------------------------------------
  /**
   * Every ACL of the cluster, from the store's current image. The same list is returned until
   * the ACLs change, so a reader may index it once per list.
   */
  acls(): readonly StoredAcl[];
  /** Adds ACLs (each under a new id); an ACL equal to one already stored is not added again. */
  createAcls(bindings: readonly AclBinding[]): Promise<void>;
  /** Removes the ACLs with these ids (ids no longer stored are ignored). */
  deleteAcls(ids: readonly string[]): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// SCRAM credentials

export interface ScramCredentialKey {
  readonly user: string;
  readonly mechanism: ScramMechanism;
}

/** A user's SCRAM credential for one mechanism: salt, iterations, StoredKey and ServerKey only. */
export interface UserScramCredential extends ScramCredentialKey {
  readonly credential: ScramCredential;
}

/** A credential as stored (JSON, base64 bytes). */
export interface StoredScramCredential {
  readonly salt: string;
  readonly iterations: number;
  readonly storedKey: string;
  readonly serverKey: string;
}

export function storedScramCredential(credential: ScramCredential): StoredScramCredential {
  return {
    salt: credential.salt.toString('base64'),
    iterations: credential.iterations,
    storedKey: credential.storedKey.toString('base64'),
    serverKey: credential.serverKey.toString('base64'),
  };
}

export function scramCredentialOf(stored: StoredScramCredential): ScramCredential {
  return {
    salt: Buffer.from(stored.salt, 'base64'),
    iterations: stored.iterations,
    storedKey: Buffer.from(stored.storedKey, 'base64'),
    serverKey: Buffer.from(stored.serverKey, 'base64'),
  };
}
