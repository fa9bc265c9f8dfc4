import type { Logger } from 'pino';
import { ERROR_CODES, KafkaError, errorCodeOf } from '../protocol/errors.js';
import type { TopicPartition } from '../storage/topic-partition.js';
import type { Clock } from '../util/clock.js';
import type { GroupState, JoinResult, SyncResult } from './classic-group.js';
import {
  GroupMembership,
  type JoinRequest,
  type LeaveResult,
  type MembershipConfig,
  type SyncRequest,
} from './group-membership.js';
import { GroupRebalancer, type RebalanceConfig } from './group-rebalancer.js';
import {
  ConsumerGroupMembership,
  type ConsumerGroupConfig,
  type ConsumerHeartbeatRequest,
  type ConsumerHeartbeatResult,
  type DescribedConsumerGroup,
  type TopicCatalog,
} from './consumer-group-membership.js';
import { GroupRegistry } from './group-registry.js';
import { GroupStatePersistence, type OffsetsTopicLog } from './group-state-persistence.js';
import {
  OffsetManager,
  type CommitPartition,
  type FetchedOffset,
  type OffsetManagerConfig,
} from './offset-manager.js';

export type { CommitPartition, FetchedOffset } from './offset-manager.js';
export type { JoinRequest, LeaveResult, SyncRequest } from './group-membership.js';
export type { OffsetsTopicLog } from './group-state-persistence.js';
export type {
  ConsumerHeartbeatRequest,
  ConsumerHeartbeatResult,
  DescribedConsumerGroup,
  TopicCatalog,
} from './consumer-group-membership.js';

export interface GroupCoordinatorConfig
  extends MembershipConfig, RebalanceConfig, OffsetManagerConfig, ConsumerGroupConfig {
  readonly offsetsTopicNumPartitions: number;
}

export interface DescribedGroup {
  readonly errorCode: number;
  readonly groupId: string;
  readonly groupState: string;
  readonly protocolType: string;
  readonly protocolData: string;
  readonly members: {
    memberId: string;
    groupInstanceId: string | null;
    clientId: string;
    clientHost: string;
    memberMetadata: Buffer;
    memberAssignment: Buffer;
  }[];
}

/**
 * The group coordinator for the classic protocol (Kafka's GroupCoordinator), as the request
 * handlers and the broker see it: it wires its parts together and routes each call to the part
 * that owns it. The registry owns the groups and the partitions this broker leads; membership
 * handles JoinGroup, SyncGroup, Heartbeat and LeaveGroup; the rebalancer owns the timers and the
 * rebalance they drive; the offset manager owns committed offsets; persistence reads and writes
 * `__consumer_offsets`. What needs more than one part (loading, unloading, deleting a group,
 * describing and listing groups) is done here.
 *
 * Single-threaded: every method runs on the event loop, and the parts share no state but the
 * registry, which each is handed explicitly.
 */
export class GroupCoordinator {
  private readonly registry: GroupRegistry;
  private readonly persistence: GroupStatePersistence;
  private readonly rebalancer: GroupRebalancer;
  private readonly membership: GroupMembership;
  private readonly offsets: OffsetManager;
  private readonly consumerGroups: ConsumerGroupMembership;

  constructor(
    config: GroupCoordinatorConfig,
    log: OffsetsTopicLog,
    private readonly clock: Clock,
    logger: Logger,
  ) {
    this.registry = new GroupRegistry(config.offsetsTopicNumPartitions);
    this.persistence = new GroupStatePersistence(log, this.registry, clock, logger);
    this.rebalancer = new GroupRebalancer(config, this.registry, this.persistence, clock, logger);
    this.membership = new GroupMembership(
      config,
      this.registry,
      this.rebalancer,
      this.persistence,
      clock,
      logger,
    );
    this.offsets = new OffsetManager(config, this.registry, this.persistence, clock, logger);
    this.consumerGroups = new ConsumerGroupMembership(config, this.registry, logger);
  }

  partitionFor(groupId: string): number {
    return this.registry.partitionFor(groupId);
  }

  isOwned(partition: number): boolean {
    return this.registry.isOwned(partition);
  }

  /** Loads the groups and offsets of a partition this broker now leads. */
  loadPartition(partition: number): void {
    if (this.registry.isOwned(partition)) return;
    const groups = [...this.persistence.load(partition).values()];
    this.registry.ownPartition(partition, groups);
    for (const group of groups) this.rebalancer.groupLoaded(group);
  }

  /** Gives up a partition (leadership moved): its groups are dropped and their waiters told. */
  unloadPartition(partition: number): void {
    for (const group of [...this.registry.allConsumer()])
      if (this.registry.partitionFor(group.groupId) === partition) this.consumerGroups.forget(group.groupId);
    for (const group of this.registry.releasePartition(partition) ?? []) this.rebalancer.groupUnloaded(group);
  }

  /** ConsumerGroupHeartbeat (KIP-848): join, heartbeat or leave a consumer group. */
  consumerGroupHeartbeat(request: ConsumerHeartbeatRequest, topics: TopicCatalog): ConsumerHeartbeatResult {
    return this.consumerGroups.heartbeat(request, topics);
  }

  consumerGroupDescribe(groupId: string, topics: TopicCatalog): DescribedConsumerGroup {
    return this.consumerGroups.describe(groupId, topics);
  }

  joinGroup(request: JoinRequest): Promise<JoinResult> {
    return this.membership.joinGroup(request);
  }

  syncGroup(request: SyncRequest): Promise<SyncResult> {
    return this.membership.syncGroup(request);
  }

  heartbeat(groupId: string, generationId: number, memberId: string, groupInstanceId: string | null): number {
    return this.membership.heartbeat(groupId, generationId, memberId, groupInstanceId);
  }

  leaveGroup(
    groupId: string,
    leaving: readonly { memberId: string; groupInstanceId: string | null }[],
  ): LeaveResult {
    return this.membership.leaveGroup(groupId, leaving);
  }

  commitOffsets(
    groupId: string,
    generationId: number,
    memberId: string,
    groupInstanceId: string | null,
    partitions: readonly CommitPartition[],
    topicExists: (topic: string, partition: number) => boolean,
    apiVersion?: number,
  ): Promise<number[]> {
    return this.offsets.commitOffsets(
      groupId,
      generationId,
      memberId,
      groupInstanceId,
      partitions,
      topicExists,
      apiVersion,
    );
  }

  /** `member`: OffsetFetch v9's member id and epoch, checked against a consumer group's member. */
  fetchOffsets(
    groupId: string,
    partitions: readonly TopicPartition[] | null,
    member?: { memberId: string | null; memberEpoch: number },
  ): FetchedOffset[] {
    return this.offsets.fetchOffsets(groupId, partitions, member);
  }

  deleteOffsets(
    groupId: string,
    partitions: readonly TopicPartition[],
  ): Promise<{ errorCode: number; partitionErrors: number[] }> {
    return this.offsets.deleteOffsets(groupId, partitions);
  }

  expireOffsets(): Promise<number> {
    return this.offsets.expireOffsets();
  }

  onTopicsDeleted(topics: ReadonlySet<string>): Promise<void> {
    return this.offsets.onTopicsDeleted(topics);
  }

  describeGroup(groupId: string): DescribedGroup {
    const dead = (errorCode: number): DescribedGroup => ({
      errorCode,
      groupId,
      groupState: 'Dead',
      protocolType: '',
      protocolData: '',
      members: [],
    });
    try {
      this.registry.checkCoordinator(groupId);
    } catch (error) {
      return dead(errorCodeOf(error));
    }
    const consumerGroup = this.registry.getConsumer(groupId);
    if (consumerGroup) {
      // A consumer group as DescribeGroups shows it to classic tools: members without metadata.
      return {
        errorCode: ERROR_CODES.NONE,
        groupId,
        groupState: consumerGroup.state,
        protocolType: 'consumer',
        protocolData: consumerGroup.assignorName,
        members: [...consumerGroup.members.values()].map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.instanceId,
          clientId: m.clientId,
          clientHost: m.clientHost,
          memberMetadata: Buffer.alloc(0),
          memberAssignment: Buffer.alloc(0),
        })),
      };
    }
    const group = this.registry.get(groupId);
    if (!group) return dead(ERROR_CODES.NONE);
    const stable = group.is('Stable');
    return {
      errorCode: ERROR_CODES.NONE,
      groupId,
      groupState: group.state,
      protocolType: group.protocolType ?? '',
      protocolData: stable ? (group.protocolName ?? '') : '',
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        memberMetadata: stable ? m.metadataFor(group.protocolName!) : Buffer.alloc(0),
        memberAssignment: stable ? m.assignment : Buffer.alloc(0),
      })),
    };
  }

  /** ListGroups: `types` (v5) filters on "classic" or "consumer", case-insensitively. */
  listGroups(
    states: readonly string[],
    types: readonly string[] = [],
  ): { groupId: string; protocolType: string; groupState: GroupState | string; groupType: string }[] {
    const wanted = new Set(states.map((s) => s.toLowerCase()));
    const wantedTypes = new Set(types.map((s) => s.toLowerCase()));
    const consumer = [...this.registry.allConsumer()]
      .filter((g) => this.registry.coordinates(g.groupId))
      .map((g) => ({
        groupId: g.groupId,
        protocolType: 'consumer',
        groupState: g.state as string,
        groupType: 'Consumer',
      }));
    const consumerIds = new Set(consumer.map((g) => g.groupId));
    const classic = [...this.registry.all()]
      .filter((g) => this.registry.coordinates(g.groupId) && !g.is('Dead') && !consumerIds.has(g.groupId))
      .map((g) => ({
        groupId: g.groupId,
        protocolType: g.protocolType ?? '',
        groupState: g.state as string,
        groupType: 'Classic',
      }));
    return [...classic, ...consumer]
      .filter((g) => wanted.size === 0 || wanted.has(g.groupState.toLowerCase()))
      .filter((g) => wantedTypes.size === 0 || wantedTypes.has(g.groupType.toLowerCase()));
  }

  /** DeleteGroups: only empty groups; their metadata and offsets are tombstoned. */
  async deleteGroup(groupId: string): Promise<number> {
    try {
      this.registry.checkCoordinator(groupId);
      const consumerGroup = this.registry.getConsumer(groupId);
      if (consumerGroup) {
        if (consumerGroup.members.size > 0)
          throw new KafkaError('NON_EMPTY_GROUP', `group ${groupId} still has members`);
        this.registry.deleteConsumer(groupId);
        this.consumerGroups.forget(groupId);
        consumerGroup.dead = true;
        const store = this.registry.get(groupId);
        if (!store) {
          await this.persistence.removeOffsets(groupId, [], true);
          return ERROR_CODES.NONE;
        }
      }
      const group = this.registry.get(groupId);
      if (!group || group.is('Dead'))
        throw new KafkaError('GROUP_ID_NOT_FOUND', `group ${groupId} does not exist`);
      if (!group.is('Empty')) throw new KafkaError('NON_EMPTY_GROUP', `group ${groupId} still has members`);
      await this.persistence.removeOffsets(groupId, group.offsets.keys(), true);
      group.transitionTo('Dead', this.clock.now());
      this.registry.delete(groupId);
      this.rebalancer.cancelTimers(groupId);
      return ERROR_CODES.NONE;
    } catch (error) {
      return errorCodeOf(error);
    }
  }

  /** Stops timers; parked requests are answered so their connections can close cleanly. */
  shutdown(): void {
    this.consumerGroups.shutdown();
    this.rebalancer.shutdown();
  }
}
