import type { Logger } from 'pino';
import { ERROR_CODES, errorCodeOf } from '../protocol/errors.js';
import type { Clock } from '../util/clock.js';
import {
  ClassicGroup,
  GroupMember,
  offsetKey,
  parseOffsetKey,
  type OffsetAndMetadata,
} from './classic-group.js';
import type { GroupRegistry } from './group-registry.js';
import {
  groupMetadataKey,
  groupMetadataValue,
  offsetCommitKey,
  offsetCommitValue,
  parseOffsetsTopicRecord,
} from './offsets-records.js';

/** How the coordinator reaches its storage: the partitions of `__consumer_offsets`. */
export interface OffsetsTopicLog {
  /** Appends records to a partition and resolves once they are committed; throws a KafkaError. */
  append(partition: number, records: readonly { key: Buffer; value: Buffer | null }[]): Promise<void>;
  /** Every record of a partition, oldest first (for loading). */
  read(partition: number): Iterable<{ key: Buffer | null; value: Buffer | null }>;
}

/** Kafka's mapping of a failed `__consumer_offsets` write to what a group member should see. */
export function appendErrorToGroupError(error: unknown): number {
  const code = errorCodeOf(error);
  switch (code) {
    case ERROR_CODES.UNKNOWN_TOPIC_OR_PARTITION:
    case ERROR_CODES.NOT_ENOUGH_REPLICAS:
    case ERROR_CODES.REQUEST_TIMED_OUT:
      return ERROR_CODES.COORDINATOR_NOT_AVAILABLE;
    case ERROR_CODES.NOT_LEADER_OR_FOLLOWER:
    case ERROR_CODES.KAFKA_STORAGE_ERROR:
      return ERROR_CODES.NOT_COORDINATOR;
    case ERROR_CODES.MESSAGE_TOO_LARGE:
    case ERROR_CODES.RECORD_LIST_TOO_LARGE:
      return ERROR_CODES.UNKNOWN_SERVER_ERROR;
    default:
      return code;
  }
}

/**
 * Groups and committed offsets as records of `__consumer_offsets` (Kafka's GroupMetadataManager's
 * storage half): writes group metadata, offset commits and tombstones to a group's partition, and
 * rebuilds a partition's groups by replaying its records.
 *
 * Invariants: it only reads and writes the log and never changes the registry or a live group; a
 * write resolves once committed, and callers apply its effect to their groups only after that.
 * Loading yields groups as the last records left them: members with no parked requests, Stable
 * when they have members and Empty otherwise.
 */
export class GroupStatePersistence {
  constructor(
    private readonly log: OffsetsTopicLog,
    private readonly registry: GroupRegistry,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  /** The groups and offsets a partition's records leave, by group id. */
  load(partition: number): Map<string, ClassicGroup> {
    const started = this.clock.now();
    const loaded = new Map<string, ClassicGroup>();
    const group = (id: string): ClassicGroup => {
      let g = loaded.get(id);
      if (!g) {
        g = new ClassicGroup(id, started);
        loaded.set(id, g);
      }
      return g;
    };
    let records = 0;
    for (const { key, value } of this.log.read(partition)) {
      if (!key) continue;
      let record: ReturnType<typeof parseOffsetsTopicRecord>;
      try {
        record = parseOffsetsTopicRecord(key, value);
      } catch (error) {
        // A record this broker cannot read is skipped, not fatal: the others still load.
        this.logger.warn({ partition, err: error }, 'skipping an unreadable __consumer_offsets record');
        continue;
      }
      records++;
      if (!record) continue;
      if (record.kind === 'offset') {
        const { group: groupId, topic, partition: p } = record.key;
        if (record.value === null) {
          loaded.get(groupId)?.offsets.delete(offsetKey(topic, p));
        } else {
          group(groupId).offsets.set(offsetKey(topic, p), {
            offset: record.value.offset,
            leaderEpoch: record.value.leaderEpoch,
            metadata: record.value.metadata,
            commitTimestamp: record.value.commitTimestamp,
            expireTimestamp: record.value.expireTimestamp,
          });
        }
      } else if (record.value === null) {
        const g = loaded.get(record.group);
        if (g) {
          // A group tombstone removes the group; its offsets were tombstoned before it.
          g.members.clear();
          g.staticMembers.clear();
          g.generationId = 0;
          g.protocolType = null;
          g.protocolName = null;
          g.leaderId = null;
          if (g.offsets.size === 0) loaded.delete(record.group);
        }
      } else {
        const g = group(record.group);
        const v = record.value;
        g.members.clear();
        g.staticMembers.clear();
        g.generationId = v.generation;
        g.protocolType = v.protocolType === '' ? null : v.protocolType;
        g.protocolName = v.protocol;
        g.leaderId = v.leader;
        g.stateTimestamp = v.currentStateTimestamp >= 0 ? v.currentStateTimestamp : started;
        for (const m of v.members) {
          const member = new GroupMember(
            m.memberId,
            m.groupInstanceId,
            m.clientId,
            m.clientHost,
            m.rebalanceTimeout >= 0 ? m.rebalanceTimeout : m.sessionTimeout,
            m.sessionTimeout,
            v.protocolType,
            v.protocol ? [{ name: v.protocol, metadata: m.subscription }] : [],
          );
          member.assignment = m.assignment;
          g.members.set(member.memberId, member);
          if (member.groupInstanceId !== null) g.staticMembers.set(member.groupInstanceId, member.memberId);
        }
      }
    }
    for (const g of loaded.values()) {
      g.state = g.members.size > 0 ? 'Stable' : 'Empty';
      g.previousState = g.state;
    }
    this.logger.debug(
      { partition, groups: loaded.size, records, ms: this.clock.now() - started },
      'loaded group coordinator partition',
    );
    return loaded;
  }

  /** Writes the group's metadata record (members and, after a sync, their assignments). */
  storeGroup(group: ClassicGroup, assignment?: ReadonlyMap<string, Buffer>): Promise<void> {
    const value = groupMetadataValue({
      protocolType: group.protocolType ?? '',
      generation: group.generationId,
      protocol: group.protocolName,
      leader: group.leaderId,
      currentStateTimestamp: group.stateTimestamp,
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        rebalanceTimeout: m.rebalanceTimeoutMs,
        sessionTimeout: m.sessionTimeoutMs,
        subscription: group.protocolName ? m.metadataFor(group.protocolName) : Buffer.alloc(0),
        assignment: assignment?.get(m.memberId) ?? m.assignment,
      })),
    });
    return this.append(group.groupId, [{ key: groupMetadataKey(group.groupId), value }]);
  }

  /** Writes committed offsets of a group, in one batch. */
  storeOffsets(
    groupId: string,
    offsets: readonly { topic: string; partition: number; value: OffsetAndMetadata }[],
  ): Promise<void> {
    return this.append(
      groupId,
      offsets.map(({ topic, partition, value }) => ({
        key: offsetCommitKey(groupId, topic, partition),
        value: offsetCommitValue({
          offset: value.offset,
          leaderEpoch: value.leaderEpoch,
          metadata: value.metadata,
          commitTimestamp: value.commitTimestamp,
        }),
      })),
    );
  }

  /**
   * Tombstones committed offsets of a group (named by their `offsetKey`) and, with `andGroup`, the
   * group's metadata after them, in one batch.
   */
  removeOffsets(groupId: string, offsetKeys: Iterable<string>, andGroup = false): Promise<void> {
    const records: { key: Buffer; value: null }[] = [];
    for (const key of offsetKeys) {
      const { topic, partition } = parseOffsetKey(key);
      records.push({ key: offsetCommitKey(groupId, topic, partition), value: null });
    }
    if (andGroup) records.push({ key: groupMetadataKey(groupId), value: null });
    return this.append(groupId, records);
  }

  private append(groupId: string, records: readonly { key: Buffer; value: Buffer | null }[]): Promise<void> {
    return this.log.append(this.registry.partitionFor(groupId), records);
  }
}
