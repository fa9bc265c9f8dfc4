import type { Logger } from 'pino';
import { ERROR_CODES, KafkaError, errorCodeOf } from '../protocol/errors.js';
import type { TopicPartition } from '../storage/topic-partition.js';
import type { Clock } from '../util/clock.js';
import { ClassicGroup, offsetKey, parseOffsetKey, type OffsetAndMetadata } from './classic-group.js';
import type { ConsumerGroup } from './consumer-group.js';
import type { GroupRegistry } from './group-registry.js';
import { appendErrorToGroupError, type GroupStatePersistence } from './group-state-persistence.js';

export interface OffsetManagerConfig {
  readonly offsetMetadataMaxBytes: number;
  readonly offsetsRetentionMinutes: number;
}

export interface CommitPartition {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly leaderEpoch: number;
  readonly metadata: string | null;
}

export interface FetchedOffset {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly leaderEpoch: number;
  readonly metadata: string;
  readonly errorCode: number;
}

/**
 * Committed offsets of groups (Kafka's offset half of GroupMetadataManager): OffsetCommit,
 * OffsetFetch and OffsetDelete, removing offsets past `offsets.retention.minutes` and those of
 * deleted topics.
 *
 * Invariants: a group's `offsets` only change after the write that records the change is
 * committed to `__consumer_offsets` (a failed write leaves them as they were); offsets are only written for
 * groups of partitions this broker owns; a group removed here (expired) is Empty with no offsets
 * left, and is Dead.
 */
export class OffsetManager {
  constructor(
    private readonly config: OffsetManagerConfig,
    private readonly registry: GroupRegistry,
    private readonly persistence: GroupStatePersistence,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  /**
   * OffsetCommit: validates the member and generation as Kafka does, then writes every valid
   * partition's offset in one batch. Returns an error code per partition, in request order.
   */
  async commitOffsets(
    groupId: string,
    generationId: number,
    memberId: string,
    groupInstanceId: string | null,
    partitions: readonly CommitPartition[],
    topicExists: (topic: string, partition: number) => boolean,
    apiVersion = 9,
  ): Promise<number[]> {
    try {
      if (groupId === '') throw new KafkaError('INVALID_GROUP_ID', 'the group id is empty');
      this.registry.checkCoordinator(groupId);
      const group = this.registry.get(groupId);
      const consumerGroup = this.registry.getConsumer(groupId);
      if (consumerGroup) {
        validateConsumerOffsetCommit(consumerGroup, generationId, memberId, groupInstanceId, apiVersion);
        // The consumer group's offsets are kept by the classic group of the same id.
        if (!group) this.registry.add(new ClassicGroup(groupId, this.clock.now()));
      } else if (!group) {
        if (generationId >= 0 || memberId !== '' || groupInstanceId !== null) {
          throw new KafkaError('ILLEGAL_GENERATION', `group ${groupId} has no generation ${generationId}`);
        }
        this.registry.add(new ClassicGroup(groupId, this.clock.now()));
      } else {
        validateOffsetCommit(group, generationId, memberId, groupInstanceId);
      }
    } catch (error) {
      return partitions.map(() => errorCodeOf(error));
    }
    const now = this.clock.now();
    const codes: number[] = [];
    const accepted: { topic: string; partition: number; value: OffsetAndMetadata }[] = [];
    for (const p of partitions) {
      const metadata = p.metadata ?? '';
      if (!topicExists(p.topic, p.partition)) {
        codes.push(ERROR_CODES.UNKNOWN_TOPIC_OR_PARTITION);
      } else if (Buffer.byteLength(metadata) > this.config.offsetMetadataMaxBytes) {
        codes.push(ERROR_CODES.OFFSET_METADATA_TOO_LARGE);
      } else if (p.offset < 0) {
        codes.push(ERROR_CODES.INVALID_COMMIT_OFFSET_SIZE);
      } else {
        codes.push(ERROR_CODES.NONE);
        accepted.push({
          topic: p.topic,
          partition: p.partition,
          value: {
            offset: p.offset,
            leaderEpoch: p.leaderEpoch,
            metadata,
            commitTimestamp: now,
            expireTimestamp: -1,
          },
        });
      }
    }
    if (accepted.length === 0) return codes;
    try {
      await this.persistence.storeOffsets(groupId, accepted);
    } catch (error) {
      const code = appendErrorToGroupError(error);
      return codes.map((c) => (c === ERROR_CODES.NONE ? code : c));
    }
    // The group is looked up again: it may have been unloaded or deleted during the write.
    const target = this.registry.get(groupId);
    if (target) for (const o of accepted) target.offsets.set(offsetKey(o.topic, o.partition), o.value);
    return codes;
  }

  /**
   * OffsetFetch: the committed offset of each requested partition (or of every partition with one
   * when `partitions` is null). Partitions without a commit get offset -1.
   */
  fetchOffsets(
    groupId: string,
    partitions: readonly TopicPartition[] | null,
    member?: { memberId: string | null; memberEpoch: number },
  ): FetchedOffset[] {
    this.registry.checkCoordinator(groupId);
    const consumerGroup = this.registry.getConsumer(groupId);
    if (consumerGroup && member && (member.memberId !== null || member.memberEpoch >= 0)) {
      // A consumer group member fetching (OffsetFetch v9+) must be in the group at its epoch.
      const m = consumerGroup.members.get(member.memberId ?? '');
      if (!m)
        throw new KafkaError('UNKNOWN_MEMBER_ID', `member ${member.memberId} is not in group ${groupId}`);
      if (member.memberEpoch !== m.memberEpoch)
        throw new KafkaError(
          'STALE_MEMBER_EPOCH',
          `member epoch ${member.memberEpoch} is not ${m.memberEpoch}`,
        );
    }
    const group = this.registry.get(groupId);
    const found = (topic: string, partition: number, o: OffsetAndMetadata): FetchedOffset => ({
      topic,
      partition,
      offset: o.offset,
      leaderEpoch: o.leaderEpoch,
      metadata: o.metadata,
      errorCode: 0,
    });
    if (partitions === null) {
      if (!group) return [];
      return [...group.offsets].map(([key, o]) => {
        const { topic, partition } = parseOffsetKey(key);
        return found(topic, partition, o);
      });
    }
    return partitions.map(({ topic, partition }) => {
      const o = group?.offsets.get(offsetKey(topic, partition));
      return o
        ? found(topic, partition, o)
        : { topic, partition, offset: -1, leaderEpoch: -1, metadata: '', errorCode: 0 };
    });
  }

  /**
   * OffsetDelete: removes a group's committed offsets for some partitions; refused for topics the
   * group's consumers still subscribe to (GROUP_SUBSCRIBED_TO_TOPIC).
   */
  async deleteOffsets(
    groupId: string,
    partitions: readonly TopicPartition[],
  ): Promise<{ errorCode: number; partitionErrors: number[] }> {
    try {
      this.registry.checkCoordinator(groupId);
      const group = this.registry.get(groupId);
      if (!group || group.is('Dead'))
        throw new KafkaError('GROUP_ID_NOT_FOUND', `group ${groupId} does not exist`);
      const consumerGroup = this.registry.getConsumer(groupId);
      const subscribed =
        consumerGroup && consumerGroup.members.size > 0
          ? consumerGroup.subscribedTopicNames()
          : group.is('Empty')
            ? new Set<string>()
            : group.subscribedTopics();
      if (!subscribed) throw new KafkaError('NON_EMPTY_GROUP', `group ${groupId} has members`);
      const partitionErrors = partitions.map((p) =>
        subscribed.has(p.topic) ? ERROR_CODES.GROUP_SUBSCRIBED_TO_TOPIC : ERROR_CODES.NONE,
      );
      const deletable = partitions
        .filter((_, i) => partitionErrors[i] === ERROR_CODES.NONE)
        .map((p) => offsetKey(p.topic, p.partition))
        .filter((key) => group.offsets.has(key));
      if (deletable.length > 0) {
        await this.persistence.removeOffsets(groupId, deletable);
        for (const key of deletable) group.offsets.delete(key);
      }
      return { errorCode: ERROR_CODES.NONE, partitionErrors };
    } catch (error) {
      return { errorCode: errorCodeOf(error), partitionErrors: [] };
    }
  }

  /**
   * Removes offsets past `offsets.retention.minutes`: for an empty group counted from when it
   * became empty (or from the commit, for groups that never had members); for a consumer group
   * with members, only offsets of topics it no longer subscribes to, counted from the commit.
   * Groups left empty with no offsets are removed.
   */
  async expireOffsets(): Promise<number> {
    const now = this.clock.now();
    const retentionMs = this.config.offsetsRetentionMinutes * 60_000;
    let expired = 0;
    for (const group of [...this.registry.all()]) {
      if (!this.registry.coordinates(group.groupId)) continue;
      // A consumer group with members keeps its offsets (its classic group is only their store).
      if ((this.registry.getConsumer(group.groupId)?.members.size ?? 0) > 0) continue;
      const subscribed = group.is('Empty') ? undefined : group.subscribedTopics();
      if (!group.is('Empty') && !subscribed) continue;
      const gone: string[] = [];
      for (const [key, o] of group.offsets) {
        const { topic } = parseOffsetKey(key);
        let deadline: number;
        if (o.expireTimestamp >= 0) deadline = o.expireTimestamp;
        else if (group.is('Empty'))
          deadline = (group.generationId > 0 ? group.stateTimestamp : o.commitTimestamp) + retentionMs;
        else if (!subscribed!.has(topic)) deadline = o.commitTimestamp + retentionMs;
        else continue;
        if (now >= deadline) gone.push(key);
      }
      const removeGroup =
        group.is('Empty') &&
        group.offsets.size === gone.length &&
        (gone.length > 0 || group.generationId === 0);
      if (gone.length === 0 && !removeGroup) continue;
      try {
        await this.persistence.removeOffsets(group.groupId, gone, removeGroup);
      } catch (error) {
        this.logger.warn({ err: error, group: group.groupId }, 'could not expire offsets');
        continue;
      }
      for (const key of gone) group.offsets.delete(key);
      expired += gone.length;
      if (removeGroup && group.is('Empty') && group.offsets.size === 0) {
        group.transitionTo('Dead', now);
        this.registry.delete(group.groupId);
      }
    }
    if (expired > 0) this.logger.info({ offsets: expired }, 'expired committed offsets');
    return expired;
  }

  /** Drops committed offsets of deleted topics (tombstoned, as Kafka does). */
  async onTopicsDeleted(topics: ReadonlySet<string>): Promise<void> {
    for (const group of this.registry.all()) {
      if (!this.registry.coordinates(group.groupId)) continue;
      const gone = [...group.offsets.keys()].filter((key) => topics.has(parseOffsetKey(key).topic));
      if (gone.length === 0) continue;
      try {
        await this.persistence.removeOffsets(group.groupId, gone);
        for (const key of gone) group.offsets.delete(key);
      } catch (error) {
        this.logger.warn({ err: error, group: group.groupId }, 'could not remove offsets of deleted topics');
      }
    }
  }
}

/**
 * Whether a consumer group member may commit (Kafka's ConsumerGroup.validateOffsetCommit): commits
 * without a member are accepted only while the group is empty; a member must be known and commit
 * at its current epoch (an older one is STALE_MEMBER_EPOCH, a newer one FENCED_MEMBER_EPOCH), with
 * OffsetCommit v9 or later.
 */
function validateConsumerOffsetCommit(
  group: ConsumerGroup,
  memberEpoch: number,
  memberId: string,
  groupInstanceId: string | null,
  apiVersion: number,
): void {
  if (memberEpoch < 0 && memberId === '' && groupInstanceId === null) {
    if (group.members.size === 0) return;
    throw new KafkaError(
      'UNKNOWN_MEMBER_ID',
      'offsets without a member id are only accepted while the group is empty',
    );
  }
  const member = group.members.get(memberId);
  if (!member)
    throw new KafkaError('UNKNOWN_MEMBER_ID', `member ${memberId} is not in group ${group.groupId}`);
  if (apiVersion < 9)
    throw new KafkaError(
      'UNSUPPORTED_VERSION',
      'consumer group members commit with OffsetCommit v9 or later',
    );
  if (memberEpoch > member.memberEpoch)
    throw new KafkaError(
      'FENCED_MEMBER_EPOCH',
      `member epoch ${memberEpoch} is newer than ${member.memberEpoch}`,
    );
  if (memberEpoch < member.memberEpoch)
    throw new KafkaError(
      'STALE_MEMBER_EPOCH',
      `member epoch ${memberEpoch} is older than ${member.memberEpoch}`,
    );
}

/** Whether a member may commit offsets for the group, as Kafka decides; throws the refusal. */
function validateOffsetCommit(
  group: ClassicGroup,
  generationId: number,
  memberId: string,
  groupInstanceId: string | null,
): void {
  if (group.is('Dead')) throw new KafkaError('COORDINATOR_NOT_AVAILABLE');
  if (generationId < 0 && group.is('Empty')) return;
  if (generationId >= 0 || memberId !== '' || groupInstanceId !== null) {
    group.validateMember(memberId, groupInstanceId);
    if (generationId !== group.generationId) {
      throw new KafkaError(
        'ILLEGAL_GENERATION',
        `generation ${generationId} is not the group's ${group.generationId}`,
      );
    }
  } else if (!group.is('Empty')) {
    throw new KafkaError(
      'UNKNOWN_MEMBER_ID',
      'offsets without a member id are only accepted while the group is empty',
    );
  }
  if (group.is('CompletingRebalance')) throw new KafkaError('REBALANCE_IN_PROGRESS');
}
