import { randomBytes } from 'node:crypto';

/** A broker as the cluster knows it: where clients and other brokers reach it. */
export interface BrokerRegistration {
  readonly nodeId: number;
  readonly rack: string | null;
  readonly endpoints: readonly BrokerEndpoint[];
  /**
   * Which registration of the broker this is (KRaft's broker epoch): a new, larger one each time
   * it registers, so its peers can tell a restarted broker from the one they knew. Set by the
   * metadata store; absent for a lone broker.
   */
  readonly brokerEpoch?: number;
}

export interface BrokerEndpoint {
  readonly listener: string;
  readonly host: string;
  readonly port: number;
  readonly securityProtocol: string;
}

/** One partition's replicas and leadership, as the controller decided them. */
export interface PartitionState {
  readonly partition: number;
  /** Replica broker ids; the first is the preferred leader. */
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
  /** -1 when no replica can lead. */
  readonly leader: number;
  readonly leaderEpoch: number;
  /** Bumped on every change of this partition's state. */
  readonly partitionEpoch: number;
  /** Replicas being added and removed by a reassignment in progress. */
  readonly addingReplicas: readonly number[];
  readonly removingReplicas: readonly number[];
}

/** A new partition: every replica in sync, the first (the preferred one) leading, at epoch 0. */
export function newPartitionState(partition: number, replicas: readonly number[]): PartitionState {
  return {
    partition,
    replicas: [...replicas],
    isr: [...replicas],
    leader: replicas[0] ?? -1,
    leaderEpoch: 0,
    partitionEpoch: 0,
    addingReplicas: [],
    removingReplicas: [],
  };
}

export interface TopicMetadata {
  readonly name: string;
  /** Kafka's topic id: 16 random bytes. */
  readonly topicId: Buffer;
  readonly partitions: readonly PartitionState[];
  /** The topic's own settings (overrides of the broker defaults). */
  readonly configs: ReadonlyMap<string, string>;
  readonly internal: boolean;
}

export function newTopicId(): Buffer {
  let id = randomBytes(16);
  // The all-zero id means "no id" in the protocol.
  while (id.every((b) => b === 0)) id = randomBytes(16);
  return id;
}

/** Kafka prints topic ids as URL-safe base64 without padding. */
export function topicIdString(id: Buffer): string {
  return id.toString('base64url');
}

export const TOPIC_NAME_MAX_LENGTH = 249;

/** Kafka's topic name rule: 1-249 characters of [a-zA-Z0-9._-], and not "." or "..". */
export function topicNameProblem(name: string): string | undefined {
  if (name.length === 0) return "Topic name is illegal, it can't be empty";
  if (name === '.' || name === '..') return 'Topic name cannot be "." or ".."';
  if (name.length > TOPIC_NAME_MAX_LENGTH) {
    return `Topic name is illegal, it can't be longer than ${TOPIC_NAME_MAX_LENGTH} characters, topic name: ${name}`;
  }
  if (!/^[a-zA-Z0-9._-]+$/.test(name)) {
    return `Topic name "${name}" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`;
  }
  return undefined;
}
