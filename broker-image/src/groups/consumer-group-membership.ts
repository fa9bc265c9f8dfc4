import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { ERROR_CODES, KafkaError, errorCodeOf } from '../protocol/errors.js';
import {
  addPartition,
  sameAssignment,
  type Assignment,
  type AssignorMember,
  type AssignorTopic,
  consumerAssignors,
  type ConsumerAssignor,
} from './consumer-assignors.js';
import { ConsumerGroup, ConsumerGroupMember, reconcile } from './consumer-group.js';
import type { GroupRegistry } from './group-registry.js';
import { GroupTimers } from './group-timers.js';

export interface ConsumerGroupConfig {
  /** `group.consumer.assignors`: short names or Kafka's class names; the first is the default. */
  readonly groupConsumerAssignors: readonly string[];
  readonly groupConsumerHeartbeatIntervalMs: number;
  readonly groupConsumerSessionTimeoutMs: number;
  readonly groupMaxSize: number;
}

/** The topics a consumer group can subscribe to, as the broker's metadata knows them now. */
export interface TopicCatalog {
  byName(name: string): { topicId: Buffer; partitions: number } | undefined;
  nameOf(topicId: Buffer): string | undefined;
  /** Every topic name (for regex subscriptions). */
  names(): readonly string[];
}

export interface ConsumerHeartbeatRequest {
  readonly apiVersion: number;
  readonly groupId: string;
  readonly memberId: string;
  readonly memberEpoch: number;
  readonly instanceId: string | null;
  readonly rackId: string | null;
  readonly rebalanceTimeoutMs: number;
  readonly subscribedTopicNames: readonly string[] | null;
  readonly subscribedTopicRegex: string | null;
  readonly serverAssignor: string | null;
  readonly topicPartitions: readonly { topicId: Buffer; partitions: readonly number[] }[] | null;
  readonly clientId: string;
  readonly clientHost: string;
}

export interface WireAssignment {
  topicPartitions: { topicId: Buffer; partitions: number[] }[];
}

export interface ConsumerHeartbeatResult {
  readonly errorCode: number;
  readonly errorMessage: string | null;
  readonly memberId: string | null;
  readonly memberEpoch: number;
  readonly heartbeatIntervalMs: number;
  readonly assignment: WireAssignment | null;
}

export interface DescribedConsumerGroup {
  readonly errorCode: number;
  readonly errorMessage: string | null;
  readonly groupId: string;
  readonly groupState: string;
  readonly groupEpoch: number;
  readonly assignmentEpoch: number;
  readonly assignorName: string;
  readonly members: {
    memberId: string;
    instanceId: string | null;
    rackId: string | null;
    memberEpoch: number;
    clientId: string;
    clientHost: string;
    subscribedTopicNames: string[];
    subscribedTopicRegex: string | null;
    assignment: { topicPartitions: { topicId: Buffer; topicName: string; partitions: number[] }[] };
    targetAssignment: { topicPartitions: { topicId: Buffer; topicName: string; partitions: number[] }[] };
    memberType: number;
  }[];
}

const LEAVE_EPOCH = -1;
const STATIC_LEAVE_EPOCH = -2;

/**
 * KIP-848 consumer groups (Kafka's GroupMetadataManager, consumer half): ConsumerGroupHeartbeat
 * joins, heartbeats and leaves; the group epoch bumps when membership, a subscription or the
 * subscribed topics' partition counts change, the target assignment is recomputed by the group's
 * assignor, and each member is moved toward it on its own heartbeats (see `reconcile`).
 *
 * State is kept in memory only, not written to `__consumer_offsets` (committed offsets are): after
 * the coordinator moves or restarts, members heartbeating with their old epoch get
 * UNKNOWN_MEMBER_ID, rejoin with epoch 0 and the group is rebuilt from their heartbeats.
 */
export class ConsumerGroupMembership {
  private readonly timers = new GroupTimers();
  private readonly assignors: readonly ConsumerAssignor[];

  constructor(
    private readonly config: ConsumerGroupConfig,
    private readonly registry: GroupRegistry,
    private readonly logger: Logger,
  ) {
    this.assignors = consumerAssignors(config.groupConsumerAssignors);
    if (this.assignors.length === 0) throw new Error('group.consumer.assignors names no assignor');
  }

  heartbeat(request: ConsumerHeartbeatRequest, topics: TopicCatalog): ConsumerHeartbeatResult {
    try {
      return this.handle(request, topics);
    } catch (error) {
      return {
        errorCode: errorCodeOf(error),
        errorMessage: error instanceof Error ? error.message : null,
        memberId: null,
        memberEpoch: 0,
        heartbeatIntervalMs: 0,
        assignment: null,
      };
    }
  }

  private handle(request: ConsumerHeartbeatRequest, topics: TopicCatalog): ConsumerHeartbeatResult {
    const { groupId, memberEpoch } = request;
    this.validate(request);
    this.registry.checkCoordinator(groupId);
    let group = this.registry.getConsumer(groupId);
    if (!group) {
      const classic = this.registry.get(groupId);
      if (classic && !classic.is('Empty') && !classic.is('Dead')) {
        throw new KafkaError('GROUP_ID_NOT_FOUND', `group ${groupId} is not a consumer group`);
      }
      if (memberEpoch !== 0) {
        // Unknown here (e.g. the coordinator moved): the member rejoins with epoch 0.
        throw new KafkaError('UNKNOWN_MEMBER_ID', `member ${request.memberId} is not in group ${groupId}`);
      }
      // A new group, or an empty classic group becoming a consumer group (its offsets stay).
      group = new ConsumerGroup(groupId, this.assignors[0]!.name);
      this.registry.addConsumer(group);
    }

    if (memberEpoch === LEAVE_EPOCH || memberEpoch === STATIC_LEAVE_EPOCH) return this.leave(group, request);

    let member: ConsumerGroupMember;
    let changed = false;
    if (memberEpoch === 0) {
      ({ member, changed } = this.join(group, request));
    } else {
      member = this.existingMember(group, request);
    }
    // What the member owns (sent when it changed): revocations are acknowledged through it.
    if (request.topicPartitions !== null) member.owned = toAssignment(request.topicPartitions);
    if (request.subscribedTopicNames !== null) {
      const names = [...request.subscribedTopicNames];
      if (!sameList(names, member.subscribedTopicNames)) changed = true;
      member.subscribedTopicNames = names;
    }
    if (
      request.subscribedTopicRegex !== null &&
      request.subscribedTopicRegex !== member.subscribedTopicRegex
    ) {
      member.subscribedTopicRegex = request.subscribedTopicRegex === '' ? null : request.subscribedTopicRegex;
      changed = true;
    }
    if (request.serverAssignor !== null && request.serverAssignor !== member.serverAssignor) {
      member.serverAssignor = request.serverAssignor;
      changed = true;
    }
    if (request.rebalanceTimeoutMs > 0) member.rebalanceTimeoutMs = request.rebalanceTimeoutMs;
    if (request.rackId !== null) member.rackId = request.rackId;
    member.clientId = request.clientId;
    member.clientHost = request.clientHost;

    const metadata = subscriptionMetadata(group, topics);
    if (changed || metadata.signature !== group.subscriptionMetadata) {
      group.groupEpoch++;
      group.subscriptionMetadata = metadata.signature;
    }
    if (group.targetAssignmentEpoch !== group.groupEpoch) this.computeTarget(group, metadata.topics);

    const before = { epoch: member.memberEpoch, assigned: member.assigned };
    reconcile(group, member);
    if (before.epoch !== member.memberEpoch || !sameAssignment(before.assigned, member.assigned)) {
      this.logger.debug(
        { group: groupId, member: member.memberId, epoch: member.memberEpoch, state: member.state },
        'consumer group member moved toward its target assignment',
      );
    }
    this.scheduleSession(group, member);
    this.scheduleRevocation(group, member);
    return {
      errorCode: ERROR_CODES.NONE,
      errorMessage: null,
      memberId: member.memberId,
      memberEpoch: member.memberEpoch,
      heartbeatIntervalMs: this.config.groupConsumerHeartbeatIntervalMs,
      assignment: toWire(member.assigned),
    };
  }

  /** Kafka's request checks, by version: from v1 the client generates its member id. */
  private validate(request: ConsumerHeartbeatRequest): void {
    const invalid = (message: string) => new KafkaError('INVALID_REQUEST', message);
    if (request.groupId === '') throw new KafkaError('INVALID_GROUP_ID', 'the group id is empty');
    if (request.apiVersion >= 1 && request.memberId === '') throw invalid('MemberId can not be empty.');
    if (request.memberEpoch > 0 && request.memberId === '') throw invalid('MemberId can not be empty.');
    if (request.memberEpoch === 0) {
      if (request.rebalanceTimeoutMs === -1)
        throw invalid('RebalanceTimeoutMs must be provided in first request.');
      if (request.topicPartitions !== null && request.topicPartitions.length > 0)
        throw invalid('TopicPartitions must be empty when (re-)joining.');
      if (
        request.subscribedTopicNames === null &&
        (request.subscribedTopicRegex === null || request.subscribedTopicRegex === '')
      )
        throw invalid('SubscribedTopicNames or SubscribedTopicRegex must be set in first request.');
    } else if (request.memberEpoch === STATIC_LEAVE_EPOCH && request.instanceId === null) {
      throw invalid('InstanceId can not be null when MemberEpoch is -2.');
    } else if (request.memberEpoch < STATIC_LEAVE_EPOCH) {
      throw invalid(`MemberEpoch ${request.memberEpoch} is invalid.`);
    }
    if (request.subscribedTopicRegex) {
      try {
        new RegExp(request.subscribedTopicRegex);
      } catch {
        throw new KafkaError('INVALID_REQUEST', `invalid regex ${request.subscribedTopicRegex}`);
      }
    }
    if (request.serverAssignor !== null && !this.assignors.some((a) => a.name === request.serverAssignor)) {
      throw new KafkaError('UNSUPPORTED_ASSIGNOR', `assignor ${request.serverAssignor} is not supported`);
    }
  }

  private join(
    group: ConsumerGroup,
    request: ConsumerHeartbeatRequest,
  ): { member: ConsumerGroupMember; changed: boolean } {
    const memberId = request.memberId !== '' ? request.memberId : randomUUID().replace(/-/g, '').slice(0, 22);
    if (request.instanceId !== null) {
      const previousId = group.staticMembers.get(request.instanceId);
      const previous = previousId === undefined ? undefined : group.members.get(previousId);
      if (previous) {
        if (previous.memberEpoch !== STATIC_LEAVE_EPOCH && previous.memberId !== memberId) {
          throw new KafkaError(
            'UNRELEASED_INSTANCE_ID',
            `static member ${request.instanceId} is still in use by member ${previous.memberId}`,
          );
        }
        // A static member coming back takes its old place: assignment and epoch.
        this.timers.cancel(`${group.groupId}\u0000${previous.memberId}`);
        group.members.delete(previous.memberId);
        previous.memberId = memberId;
        previous.memberEpoch = previous.previousMemberEpoch >= 0 ? previous.previousMemberEpoch : 0;
        group.add(previous);
        const target = group.target.get(previousId!);
        if (target) {
          group.target.delete(previousId!);
          group.target.set(memberId, target);
        }
        return { member: previous, changed: false };
      }
    }
    const existing = group.members.get(memberId);
    if (existing) {
      // The same member rejoining (after an error): it starts over with nothing assigned.
      this.removeMember(group, existing);
    }
    if (group.members.size >= this.config.groupMaxSize)
      throw new KafkaError('GROUP_MAX_SIZE_REACHED', `group ${group.groupId} has reached group.max.size`);
    const member = new ConsumerGroupMember(
      memberId,
      request.instanceId,
      request.clientId,
      request.clientHost,
    );
    group.add(member);
    return { member, changed: true };
  }

  private existingMember(group: ConsumerGroup, request: ConsumerHeartbeatRequest): ConsumerGroupMember {
    const member = group.members.get(request.memberId);
    if (!member || member.memberEpoch === STATIC_LEAVE_EPOCH) {
      throw new KafkaError(
        'UNKNOWN_MEMBER_ID',
        `member ${request.memberId} is not in group ${group.groupId}`,
      );
    }
    if (request.memberEpoch !== member.memberEpoch) {
      // A heartbeat whose answer was lost: the previous epoch is accepted if what it owns is
      // within what it is assigned now.
      const owned = request.topicPartitions === null ? null : toAssignment(request.topicPartitions);
      const lostResponse =
        request.memberEpoch === member.previousMemberEpoch &&
        owned !== null &&
        isSubset(owned, member.assigned);
      if (!lostResponse) {
        throw new KafkaError(
          'FENCED_MEMBER_EPOCH',
          `member epoch ${request.memberEpoch} is not the member's ${member.memberEpoch}`,
        );
      }
    }
    return member;
  }

  private leave(group: ConsumerGroup, request: ConsumerHeartbeatRequest): ConsumerHeartbeatResult {
    let member = group.members.get(request.memberId);
    if (!member && request.instanceId !== null) {
      const id = group.staticMembers.get(request.instanceId);
      member = id === undefined ? undefined : group.members.get(id);
    }
    if (!member)
      throw new KafkaError(
        'UNKNOWN_MEMBER_ID',
        `member ${request.memberId} is not in group ${group.groupId}`,
      );
    if (request.memberEpoch === STATIC_LEAVE_EPOCH && member.instanceId !== null) {
      // A static member leaving for a while keeps its assignment until its session expires.
      member.previousMemberEpoch = member.memberEpoch;
      member.memberEpoch = STATIC_LEAVE_EPOCH;
      this.timers.cancel(`revoke\u0000${group.groupId}\u0000${member.memberId}`);
      this.scheduleSession(group, member);
    } else {
      this.removeMember(group, member);
    }
    return {
      errorCode: ERROR_CODES.NONE,
      errorMessage: null,
      memberId: request.memberId,
      memberEpoch: request.memberEpoch,
      heartbeatIntervalMs: 0,
      assignment: null,
    };
  }

  /** Removes a member (left, expired or fenced): its partitions are free at once; the epoch bumps. */
  removeMember(group: ConsumerGroup, member: ConsumerGroupMember): void {
    group.remove(member.memberId);
    group.groupEpoch++;
    this.timers.cancel(`${group.groupId}\u0000${member.memberId}`);
    this.timers.cancel(`revoke\u0000${group.groupId}\u0000${member.memberId}`);
    this.logger.debug({ group: group.groupId, member: member.memberId }, 'consumer group member removed');
  }

  private computeTarget(group: ConsumerGroup, topics: Map<string, AssignorTopic>): void {
    const assignor = this.assignorFor(group);
    group.assignorName = assignor.name;
    const members: AssignorMember[] = [...group.members.values()].map((m) => ({
      memberId: m.memberId,
      subscribedTopicIds: new Set(
        [...topics.values()].filter((t) => subscribes(m, t.name)).map((t) => t.topicId),
      ),
      currentAssignment: group.target.get(m.memberId) ?? m.assigned,
    }));
    const target = assignor.assign(members, topics);
    group.target.clear();
    for (const [memberId, assignment] of target) group.target.set(memberId, assignment);
    group.targetAssignmentEpoch = group.groupEpoch;
  }

  /** The assignor most members ask for (ties: the configured order), else the default. */
  private assignorFor(group: ConsumerGroup): ConsumerAssignor {
    const votes = new Map<string, number>();
    for (const m of group.members.values())
      if (m.serverAssignor) votes.set(m.serverAssignor, (votes.get(m.serverAssignor) ?? 0) + 1);
    let best = this.assignors[0]!;
    let bestVotes = 0;
    for (const assignor of this.assignors) {
      const n = votes.get(assignor.name) ?? 0;
      if (n > bestVotes) {
        best = assignor;
        bestVotes = n;
      }
    }
    return best;
  }

  private scheduleSession(group: ConsumerGroup, member: ConsumerGroupMember): void {
    this.timers.schedule(
      `${group.groupId}\u0000${member.memberId}`,
      this.config.groupConsumerSessionTimeoutMs,
      () => {
        if (
          this.registry.getConsumer(group.groupId) !== group ||
          group.members.get(member.memberId) !== member
        )
          return;
        this.logger.info(
          { group: group.groupId, member: member.memberId },
          'consumer group member session expired',
        );
        this.removeMember(group, member);
      },
    );
  }

  /** A member that does not revoke within its rebalance timeout is fenced. */
  private scheduleRevocation(group: ConsumerGroup, member: ConsumerGroupMember): void {
    const key = `revoke\u0000${group.groupId}\u0000${member.memberId}`;
    if (member.state !== 'unrevoked_partitions') {
      this.timers.cancel(key);
      return;
    }
    if (this.timers.has(key)) return;
    this.timers.schedule(key, member.rebalanceTimeoutMs, () => {
      if (this.registry.getConsumer(group.groupId) !== group || group.members.get(member.memberId) !== member)
        return;
      if (member.state !== 'unrevoked_partitions') return;
      this.logger.info(
        { group: group.groupId, member: member.memberId },
        'consumer group member did not revoke in time',
      );
      this.removeMember(group, member);
    });
  }

  describe(groupId: string, topics: TopicCatalog): DescribedConsumerGroup {
    const empty = (errorCode: number, errorMessage: string | null): DescribedConsumerGroup => ({
      errorCode,
      errorMessage,
      groupId,
      groupState: 'Dead',
      groupEpoch: -1,
      assignmentEpoch: -1,
      assignorName: '',
      members: [],
    });
    try {
      this.registry.checkCoordinator(groupId);
    } catch (error) {
      return empty(errorCodeOf(error), null);
    }
    const group = this.registry.getConsumer(groupId);
    if (!group) {
      const classic = this.registry.get(groupId);
      return empty(
        ERROR_CODES.GROUP_ID_NOT_FOUND,
        classic && !classic.is('Dead') && !classic.is('Empty')
          ? `Group ${groupId} is not a consumer group.`
          : `Group ${groupId} not found.`,
      );
    }
    const described = (assignment: Assignment) => ({
      topicPartitions: [...assignment]
        .filter(([, p]) => p.size > 0)
        .map(([topicId, partitions]) => {
          const id = Buffer.from(topicId, 'base64url');
          return {
            topicId: id,
            topicName: topics.nameOf(id) ?? '',
            partitions: [...partitions].sort((a, b) => a - b),
          };
        }),
    });
    return {
      errorCode: ERROR_CODES.NONE,
      errorMessage: null,
      groupId,
      groupState: group.state,
      groupEpoch: group.groupEpoch,
      assignmentEpoch: group.targetAssignmentEpoch,
      assignorName: group.assignorName,
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        instanceId: m.instanceId,
        rackId: m.rackId,
        memberEpoch: m.memberEpoch,
        clientId: m.clientId,
        clientHost: m.clientHost,
        subscribedTopicNames: [...m.subscribedTopicNames],
        subscribedTopicRegex: m.subscribedTopicRegex,
        assignment: described(m.assigned),
        targetAssignment: described(group.target.get(m.memberId) ?? new Map()),
        memberType: 1,
      })),
    };
  }

  /** Drops a consumer group's timers (the group was unloaded or deleted). */
  forget(groupId: string): void {
    this.timers.cancelPrefix(`${groupId}\u0000`);
    this.timers.cancelPrefix(`revoke\u0000${groupId}\u0000`);
  }

  shutdown(): void {
    this.timers.cancelAll();
  }
}

function subscribes(member: ConsumerGroupMember, topic: string): boolean {
  if (member.subscribedTopicNames.includes(topic)) return true;
  if (member.subscribedTopicRegex === null) return false;
  // Kafka matches the whole name (RE2/J); internal topics are never matched.
  return !topic.startsWith('__') && new RegExp(`^(?:${member.subscribedTopicRegex})$`).test(topic);
}

/** The topics the group's members subscribe to that exist, and a signature of their partition counts. */
function subscriptionMetadata(
  group: ConsumerGroup,
  catalog: TopicCatalog,
): { topics: Map<string, AssignorTopic>; signature: string } {
  const names = group.subscribedTopicNames();
  const regexMembers = [...group.members.values()].filter((m) => m.subscribedTopicRegex !== null);
  if (regexMembers.length > 0)
    for (const name of catalog.names()) if (regexMembers.some((m) => subscribes(m, name))) names.add(name);
  const topics = new Map<string, AssignorTopic>();
  const parts: string[] = [];
  for (const name of [...names].sort()) {
    const found = catalog.byName(name);
    if (!found) continue;
    const topicId = found.topicId.toString('base64url');
    topics.set(topicId, { topicId, name, partitions: found.partitions });
    parts.push(`${name}:${topicId}:${found.partitions}`);
  }
  return { topics, signature: parts.join(',') };
}

function toAssignment(partitions: readonly { topicId: Buffer; partitions: readonly number[] }[]): Assignment {
  const out: Assignment = new Map();
  for (const t of partitions)
    for (const p of t.partitions) addPartition(out, t.topicId.toString('base64url'), p);
  return out;
}

function toWire(assignment: Assignment): WireAssignment {
  return {
    topicPartitions: [...assignment]
      .filter(([, p]) => p.size > 0)
      .map(([topicId, partitions]) => ({
        topicId: Buffer.from(topicId, 'base64url'),
        partitions: [...partitions].sort((a, b) => a - b),
      })),
  };
}

function isSubset(a: Assignment, b: Assignment): boolean {
  for (const [topicId, partitions] of a)
    for (const p of partitions) if (!(b.get(topicId)?.has(p) ?? false)) return false;
  return true;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  const sa = [...a].sort();
  const sb = [...b].sort();
  return sa.length === sb.length && sa.every((v, i) => v === sb[i]);
}
