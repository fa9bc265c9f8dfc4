import type { BrokerConfig } from '../config/broker-config.js';
import type { TopicAdmin } from '../cluster/topic-admin.js';
import type { MetadataStore } from '../cluster/metadata-store.js';
import { OFFSETS_TOPIC } from '../groups/coordinator-key.js';
import type { OffsetsTopicLog } from '../groups/group-coordinator.js';
import { ERROR_CODES, KafkaError, kafkaErrorFromCode } from '../protocol/errors.js';
import { batchesOf } from '../protocol/records/record-batch.js';
import { buildRecordBatch, recordsOf } from '../protocol/records/records.js';
import type { ReplicaManager } from './replica-manager.js';

/**
 * `__consumer_offsets` as the group coordinator sees it: created on first use (compacted, internal,
 * `offsets.topic.*` settings), written through the replica manager with acks=all, read back
 * batch by batch when a partition is loaded.
 */
export class OffsetsTopic implements OffsetsTopicLog {
  private creating: Promise<void> | undefined;

  constructor(
    private readonly config: BrokerConfig,
    private readonly metadata: MetadataStore,
    private readonly topicAdmin: TopicAdmin,
    private readonly replicaManager: ReplicaManager,
  ) {}

  /**
   * Creates the topic if it does not exist yet. Fails with COORDINATOR_NOT_AVAILABLE while the
   * cluster has fewer brokers than `offsets.topic.replication.factor`, as Kafka does.
   */
  ensureExists(): Promise<void> {
    if (this.metadata.topic(OFFSETS_TOPIC)) return Promise.resolve();
    this.creating ??= this.topicAdmin
      .createTopic({
        name: OFFSETS_TOPIC,
        numPartitions: this.config.offsetsTopicNumPartitions,
        replicationFactor: this.config.offsetsTopicReplicationFactor,
        assignments: [],
        configs: new Map([
          ['cleanup.policy', 'compact'],
          ['segment.bytes', String(this.config.offsetsTopicSegmentBytes)],
          ['compression.type', 'producer'],
        ]),
        validateOnly: false,
        internal: true,
      })
      .then(
        () => undefined,
        (error: unknown) => {
          if (this.metadata.topic(OFFSETS_TOPIC)) return;
          throw new KafkaError(
            'COORDINATOR_NOT_AVAILABLE',
            `cannot create ${OFFSETS_TOPIC}: ${(error as Error).message}`,
          );
        },
      )
      .finally(() => {
        this.creating = undefined;
      });
    return this.creating;
  }

  async append(partition: number, records: readonly { key: Buffer; value: Buffer | null }[]): Promise<void> {
    const batch = buildRecordBatch(records.map((r) => ({ key: r.key, value: r.value })));
    const topic = this.metadata.topic(OFFSETS_TOPIC);
    const minIsr = topic ? this.replicaManager.minInsyncReplicas(topic) : 1;
    const [result] = await this.replicaManager.appendRecords(
      -1,
      this.config.offsetsCommitTimeoutMs,
      [{ topic: OFFSETS_TOPIC, partition, records: batch }],
      () => minIsr,
    );
    if (result!.errorCode !== ERROR_CODES.NONE)
      throw kafkaErrorFromCode(result!.errorCode, result!.errorMessage);
  }

  *read(partition: number): Generator<{ key: Buffer | null; value: Buffer | null }> {
    const log = this.replicaManager.getPartition(OFFSETS_TOPIC, partition)?.log;
    if (!log) return;
    let offset = log.logStartOffset;
    while (offset < log.highWatermark) {
      const { records } = log.read(offset, 1 << 20, log.highWatermark, true);
      if (records.length === 0) break;
      for (const batch of batchesOf(records)) {
        if (!batch.isControl) {
          for (const record of recordsOf(batch)) {
            if (record.offset >= offset) yield { key: record.key, value: record.value };
          }
        }
        offset = batch.nextOffset;
      }
    }
  }
}
