import type { BrokerConfig } from '../config/broker-config.js';
import { validateTopicConfigs } from '../config/topic-configs.js';
import { KafkaError } from '../protocol/errors.js';
import { topicNameProblem, type TopicMetadata } from './metadata.js';
import type { MetadataStore } from './metadata-store.js';
import { assignReplicas } from './placement.js';

export interface CreateTopicRequest {
  readonly name: string;
  /** -1 for the broker default (`num.partitions`). */
  readonly numPartitions: number;
  /** -1 for the broker default (`default.replication.factor`). */
  readonly replicationFactor: number;
  /** Manual replica assignment by partition, instead of counts. */
  readonly assignments: readonly { partitionIndex: number; brokerIds: readonly number[] }[];
  readonly configs: ReadonlyMap<string, string>;
  readonly validateOnly: boolean;
  readonly internal?: boolean;
}

export interface CreatedTopic {
  readonly topic: TopicMetadata | undefined;
  readonly numPartitions: number;
  readonly replicationFactor: number;
  readonly configs: ReadonlyMap<string, string>;
}

/**
 * Topic management as the controller does it: validation of names, counts, assignments and
 * configs, rack-aware placement, then the change in the metadata store. Each call either fully
 * succeeds or changes nothing.
 */
export class TopicAdmin {
  constructor(
    private readonly config: BrokerConfig,
    private readonly store: MetadataStore,
  ) {}

  async createTopic(request: CreateTopicRequest): Promise<CreatedTopic> {
    const problem = topicNameProblem(request.name);
    if (problem) throw new KafkaError('INVALID_TOPIC_EXCEPTION', problem);
    if (this.store.topic(request.name))
      throw new KafkaError('TOPIC_ALREADY_EXISTS', `Topic '${request.name}' already exists.`);
    const collision = this.store
      .topics()
      .find((t) => t.name.replace(/\./g, '_') === request.name.replace(/\./g, '_'));
    if (collision) {
      throw new KafkaError(
        'INVALID_TOPIC_EXCEPTION',
        `Topic '${request.name}' collides with existing topic: ${collision.name}`,
      );
    }
    const configs = validateTopicConfigs(request.configs);
    let assignment: number[][];
    if (request.assignments.length > 0) {
      if (request.numPartitions !== -1 || request.replicationFactor !== -1) {
        throw new KafkaError(
          'INVALID_REQUEST',
          'Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.',
        );
      }
      assignment = this.validateAssignments(request.assignments, 0);
    } else {
      const numPartitions = request.numPartitions === -1 ? this.config.numPartitions : request.numPartitions;
      const replicationFactor =
        request.replicationFactor === -1 ? this.config.defaultReplicationFactor : request.replicationFactor;
      if (numPartitions <= 0)
        throw new KafkaError('INVALID_PARTITIONS', 'Number of partitions must be larger than 0.');
      if (replicationFactor <= 0) {
        throw new KafkaError('INVALID_REPLICATION_FACTOR', 'Replication factor must be larger than 0.');
      }
      assignment = assignReplicas({
        brokers: this.store.brokers(),
        partitions: numPartitions,
        replicationFactor,
      });
    }
    const result = {
      numPartitions: assignment.length,
      replicationFactor: assignment[0]?.length ?? 0,
      configs,
    };
    if (request.validateOnly) return { topic: undefined, ...result };
    const topic = await this.store.createTopic({
      name: request.name,
      assignment,
      configs,
      internal: request.internal ?? false,
    });
    return { topic, ...result };
  }

  private validateAssignments(
    assignments: readonly { partitionIndex: number; brokerIds: readonly number[] }[],
    firstPartition: number,
  ): number[][] {
    const brokerIds = new Set(this.store.brokers().map((b) => b.nodeId));
    const sorted = [...assignments].sort((a, b) => a.partitionIndex - b.partitionIndex);
    const factor = sorted[0]!.brokerIds.length;
    return sorted.map((a, i) => {
      if (a.partitionIndex !== firstPartition + i) {
        throw new KafkaError(
          'INVALID_REPLICA_ASSIGNMENT',
          'Partitions should be a consecutive 0-based integer sequence',
        );
      }
      if (a.brokerIds.length === 0)
        throw new KafkaError('INVALID_REPLICA_ASSIGNMENT', `Partition ${a.partitionIndex} has no replicas`);
      if (a.brokerIds.length !== factor) {
        throw new KafkaError(
          'INVALID_REPLICA_ASSIGNMENT',
          'All partitions should have the same number of replicas',
        );
      }
      if (new Set(a.brokerIds).size !== a.brokerIds.length) {
        throw new KafkaError(
          'INVALID_REPLICA_ASSIGNMENT',
          `Duplicate brokers in the assignment of partition ${a.partitionIndex}`,
        );
      }
      const unknown = a.brokerIds.find((id) => !brokerIds.has(id));
      if (unknown !== undefined) {
        throw new KafkaError(
          'INVALID_REPLICA_ASSIGNMENT',
          `Unknown broker id ${unknown} in the assignment of partition ${a.partitionIndex}`,
        );
      }
      return [...a.brokerIds];
    });
  }

  async deleteTopic(name: string): Promise<TopicMetadata> {
    if (!this.config.deleteTopicEnable)
      throw new KafkaError(
        'TOPIC_DELETION_DISABLED',
        'Topic deletion is disabled (delete.topic.enable=false)',
      );
    const topic = this.store.topic(name);
    if (!topic) throw new KafkaError('UNKNOWN_TOPIC_OR_PARTITION', `Topic '${name}' does not exist.`);
    await this.store.deleteTopic(name);
    return topic;
  }

  async createPartitions(
    name: string,
    count: number,
    assignments: readonly (readonly number[])[] | null,
    validateOnly: boolean,
  ): Promise<void> {
    const topic = this.store.topic(name);
    if (!topic) throw new KafkaError('UNKNOWN_TOPIC_OR_PARTITION', `Topic '${name}' does not exist.`);
    const current = topic.partitions.length;
    if (count < current) {
      throw new KafkaError(
        'INVALID_PARTITIONS',
        `Topic currently has ${current} partitions, which is higher than the requested ${count}.`,
      );
    }
    if (count === current) {
      throw new KafkaError('INVALID_PARTITIONS', `Topic already has ${current} partitions.`);
    }
    const added = count - current;
    let assignment: number[][];
    if (assignments && assignments.length > 0) {
      if (assignments.length !== added) {
        throw new KafkaError(
          'INVALID_REPLICA_ASSIGNMENT',
          `Attempted to add ${added} additional partition(s), but only ${assignments.length} assignment(s) were specified.`,
        );
      }
      assignment = this.validateAssignments(
        assignments.map((brokerIds, i) => ({ partitionIndex: current + i, brokerIds })),
        current,
      );
      if (assignment[0]!.length !== topic.partitions[0]!.replicas.length) {
        throw new KafkaError(
          'INVALID_REPLICA_ASSIGNMENT',
          "The new partitions must have the topic's replication factor",
        );
      }
    } else {
      assignment = assignReplicas({
        brokers: this.store.brokers(),
        partitions: added,
        replicationFactor: topic.partitions[0]!.replicas.length,
        firstPartition: current,
      });
    }
    if (!validateOnly) await this.store.createPartitions(name, assignment);
  }

  async setTopicConfigs(
    name: string,
    configs: ReadonlyMap<string, string>,
    validateOnly: boolean,
  ): Promise<void> {
    const topic = this.store.topic(name);
    if (!topic) throw new KafkaError('UNKNOWN_TOPIC_OR_PARTITION', `Topic '${name}' does not exist.`);
    const validated = validateTopicConfigs(configs);
    if (!validateOnly) await this.store.setTopicConfigs(name, validated);
  }
}
