import type { Logger } from 'pino';
import { ERROR_CODES, KafkaError, errorCodeOf } from '../protocol/errors.js';
import type { TopicPartition } from '../storage/topic-partition.js';
import type { Clock } from '../util/clock.js';
import {
  ClassicGroup,
  GroupMember,
  type GroupState,
  type JoinResult,
  type Protocol,
  type SyncResult,
} from './classic-group.js';
import { GroupRegistry } from './group-registry.js';
import {
  GroupStatePersistence,
  appendErrorToGroupError,
  type OffsetsTopicLog,
} from './group-state-persistence.js';
import { GroupTimers } from './group-timers.js';
import { OffsetManager, type CommitPartition, type FetchedOffset } from './offset-manager.js';

export type { CommitPartition, FetchedOffset } from './offset-manager.js';
export type { OffsetsTopicLog } from './group-state-persistence.js';

export interface GroupCoordinatorConfig {
  readonly offsetsTopicNumPartitions: number;
  readonly groupMinSessionTimeoutMs: number;
  readonly groupMaxSessionTimeoutMs: number;
  readonly groupInitialRebalanceDelayMs: number;
  readonly groupMaxSize: number;
  readonly offsetMetadataMaxBytes: number;
  readonly offsetsRetentionMinutes: number;
}

export interface JoinRequest {
  readonly groupId: string;
  readonly sessionTimeoutMs: number;
  readonly rebalanceTimeoutMs: number;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly protocolType: string;
  readonly protocols: readonly Protocol[];
  readonly clientId: string;
  readonly clientHost: string;
  /** JoinGroup v4+ requires a known member id (the MEMBER_ID_REQUIRED round trip). */
  readonly requireKnownMemberId: boolean;
}

export interface SyncRequest {
  readonly groupId: string;
  readonly generationId: number;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly protocolType: string | null;
  readonly protocolName: string | null;
  readonly assignments: readonly { memberId: string; assignment: Buffer }[];
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

/** A new member has this long to complete its first join before it is dropped. */
const NEW_MEMBER_JOIN_TIMEOUT_MS = 5 * 60 * 1000;

function joinError(errorCode: number, memberId: string): JoinResult {
  return {
    errorCode,
    generationId: -1,
    protocolType: null,
    protocolName: null,
    leader: '',
    memberId,
    members: [],
  };
}

function syncError(errorCode: number): SyncResult {
  return { errorCode, protocolType: null, protocolName: null, assignment: Buffer.alloc(0) };
}

/**
 * The group coordinator for the classic protocol (Kafka's GroupCoordinator): joins, syncs,
 * heartbeats and leaves drive each group's state machine; committed offsets are the offset
 * manager's; group metadata is written to the `__consumer_offsets` partitions this broker leads
 * and reloaded from them.
 * Single-threaded: every method runs on the event loop, state changes happen before any await.
 */
export class GroupCoordinator {
  private readonly registry: GroupRegistry;
  private readonly persistence: GroupStatePersistence;
  private readonly offsets: OffsetManager;
  private readonly timers = new GroupTimers();

  constructor(
    private readonly config: GroupCoordinatorConfig,
    log: OffsetsTopicLog,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {
    this.registry = new GroupRegistry(config.offsetsTopicNumPartitions);
    this.persistence = new GroupStatePersistence(log, this.registry, clock, logger);
    this.offsets = new OffsetManager(config, this.registry, this.persistence, clock, logger);
  }

  partitionFor(groupId: string): number {
    return this.registry.partitionFor(groupId);
  }

  isOwned(partition: number): boolean {
    return this.registry.isOwned(partition);
  }

  private checkCoordinator(groupId: string): void {
    this.registry.checkCoordinator(groupId);
  }

  private now(): number {
    return this.clock.now();
  }

  // -------------------------------------------------------------------------------------------
  // loading and unloading partitions of __consumer_offsets

  /** Loads the groups and offsets of a partition this broker now leads. */
  loadPartition(partition: number): void {
    if (this.registry.isOwned(partition)) return;
    const groups = [...this.persistence.load(partition).values()];
    this.registry.ownPartition(partition, groups);
    for (const group of groups) {
      for (const member of group.members.values()) this.scheduleHeartbeat(group, member);
    }
  }

  /** Gives up a partition (leadership moved): its groups are dropped and their waiters told. */
  unloadPartition(partition: number): void {
    for (const group of this.registry.releasePartition(partition) ?? []) {
      for (const member of group.members.values()) {
        member.awaitingJoin?.(joinError(ERROR_CODES.NOT_COORDINATOR, member.memberId));
        member.awaitingSync?.(syncError(ERROR_CODES.NOT_COORDINATOR));
      }
      this.timers.cancelPrefix(`${group.groupId}\u0000`);
    }
  }

  // -------------------------------------------------------------------------------------------
  // JoinGroup

  async joinGroup(request: JoinRequest): Promise<JoinResult> {
    const { groupId, memberId } = request;
    try {
      if (groupId === '') throw new KafkaError('INVALID_GROUP_ID', 'the group id is empty');
      this.checkCoordinator(groupId);
      if (
        request.sessionTimeoutMs < this.config.groupMinSessionTimeoutMs ||
        request.sessionTimeoutMs > this.config.groupMaxSessionTimeoutMs
      ) {
        throw new KafkaError(
          'INVALID_SESSION_TIMEOUT',
          `session.timeout.ms ${request.sessionTimeoutMs} is outside [group.min.session.timeout.ms ${this.config.groupMinSessionTimeoutMs}, group.max.session.timeout.ms ${this.config.groupMaxSessionTimeoutMs}]`,
        );
      }
    } catch (error) {
      return joinError(errorCodeOf(error), memberId);
    }
    const isUnknownMember = memberId === '';
    let group = this.registry.get(groupId);
    const isNewGroup = !group;
    if (!group) {
      if (!isUnknownMember) return joinError(ERROR_CODES.UNKNOWN_MEMBER_ID, memberId);
      group = new ClassicGroup(groupId, this.now());
      this.registry.add(group);
    }
    if (!this.acceptJoiningMember(group, memberId)) {
      group.remove(memberId);
      if (isNewGroup) this.registry.delete(groupId);
      return joinError(ERROR_CODES.GROUP_MAX_SIZE_REACHED, '');
    }
    const response = new Promise<JoinResult>((resolve) => {
      if (isUnknownMember) this.joinNewMember(group, request, resolve);
      else this.joinExistingMember(group, request, resolve);
    });
    if (isNewGroup && group.is('Empty') && group.members.size === 0 && group.pendingJoinMembers.size === 0) {
      // Nothing joined (e.g. an inconsistent protocol): do not keep an empty new group.
      this.registry.delete(groupId);
    }
    return response;
  }

  private acceptJoiningMember(group: ClassicGroup, memberId: string): boolean {
    switch (group.state) {
      case 'Empty':
      case 'Dead':
        return true;
      case 'PreparingRebalance':
        return (
          !!group.members.get(memberId)?.awaitingJoin || group.awaitingJoinCount < this.config.groupMaxSize
        );
      default:
        return group.members.has(memberId) || group.members.size < this.config.groupMaxSize;
    }
  }

  private joinNewMember(group: ClassicGroup, request: JoinRequest, respond: (r: JoinResult) => void): void {
    if (group.is('Dead')) return respond(joinError(ERROR_CODES.COORDINATOR_NOT_AVAILABLE, ''));
    if (!group.supportsProtocols(request.protocolType, request.protocols)) {
      return respond(joinError(ERROR_CODES.INCONSISTENT_GROUP_PROTOCOL, ''));
    }
    const newMemberId = group.generateMemberId(request.clientId, request.groupInstanceId);
    if (request.groupInstanceId !== null) {
      const existing = group.staticMembers.get(request.groupInstanceId);
      if (existing !== undefined)
        return this.replaceStaticMember(group, request, existing, newMemberId, respond);
      return this.addMemberThenRebalanceOrCompleteJoin(group, request, newMemberId, respond);
    }
    if (request.requireKnownMemberId) {
      group.pendingJoinMembers.add(newMemberId);
      this.timers.schedule(this.heartbeatKey(group.groupId, newMemberId), request.sessionTimeoutMs, () =>
        this.expireHeartbeat(group.groupId, newMemberId),
      );
      return respond(joinError(ERROR_CODES.MEMBER_ID_REQUIRED, newMemberId));
    }
    this.addMemberThenRebalanceOrCompleteJoin(group, request, newMemberId, respond);
  }

  private joinExistingMember(
    group: ClassicGroup,
    request: JoinRequest,
    respond: (r: JoinResult) => void,
  ): void {
    const { memberId } = request;
    if (group.is('Dead')) return respond(joinError(ERROR_CODES.COORDINATOR_NOT_AVAILABLE, memberId));
    if (!group.supportsProtocols(request.protocolType, request.protocols)) {
      return respond(joinError(ERROR_CODES.INCONSISTENT_GROUP_PROTOCOL, memberId));
    }
    if (group.pendingJoinMembers.has(memberId)) {
      return this.addMemberThenRebalanceOrCompleteJoin(group, request, memberId, respond);
    }
    let member: GroupMember;
    try {
      member = group.validateMember(memberId, request.groupInstanceId);
    } catch (error) {
      return respond(joinError(errorCodeOf(error), memberId));
    }
    const current = (members: JoinResult['members']): JoinResult => ({
      errorCode: ERROR_CODES.NONE,
      generationId: group.generationId,
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      leader: group.leaderId ?? '',
      memberId,
      members,
    });
    switch (group.state) {
      case 'PreparingRebalance':
        return this.updateMemberThenRebalanceOrCompleteJoin(group, member, request, respond);
      case 'CompletingRebalance':
        if (member.matches(request.protocols)) {
          return respond(current(group.isLeader(memberId) ? group.currentMemberMetadata() : []));
        }
        return this.updateMemberThenRebalanceOrCompleteJoin(group, member, request, respond);
      case 'Stable':
        if (group.isLeader(memberId) || !member.matches(request.protocols)) {
          return this.updateMemberThenRebalanceOrCompleteJoin(group, member, request, respond);
        }
        return respond(current([]));
      default:
        return respond(joinError(ERROR_CODES.UNKNOWN_MEMBER_ID, memberId));
    }
  }

  private addMemberThenRebalanceOrCompleteJoin(
    group: ClassicGroup,
    request: JoinRequest,
    memberId: string,
    respond: (r: JoinResult) => void,
  ): void {
    const member = new GroupMember(
      memberId,
      request.groupInstanceId,
      request.clientId,
      request.clientHost,
      request.rebalanceTimeoutMs,
      request.sessionTimeoutMs,
      request.protocolType,
      [...request.protocols],
    );
    member.isNew = true;
    if (group.is('PreparingRebalance') && group.previousState === 'Empty') group.newMemberAdded = true;
    member.awaitingJoin = respond;
    group.add(member);
    this.scheduleHeartbeat(group, member, NEW_MEMBER_JOIN_TIMEOUT_MS);
    this.maybePrepareRebalanceOrCompleteJoin(group);
  }

  private updateMemberThenRebalanceOrCompleteJoin(
    group: ClassicGroup,
    member: GroupMember,
    request: JoinRequest,
    respond: (r: JoinResult) => void,
  ): void {
    member.protocols = [...request.protocols];
    member.rebalanceTimeoutMs = request.rebalanceTimeoutMs;
    member.sessionTimeoutMs = request.sessionTimeoutMs;
    // A join from the same member while one is parked replaces it; the old request is answered.
    member.awaitingJoin?.(joinError(ERROR_CODES.UNKNOWN_MEMBER_ID, member.memberId));
    member.awaitingJoin = respond;
    this.maybePrepareRebalanceOrCompleteJoin(group);
  }

  /**
   * A static member rejoining with an unknown member id (a restart): it takes over its old place.
   * In a Stable group with unchanged subscriptions this costs no rebalance.
   */
  private replaceStaticMember(
    group: ClassicGroup,
    request: JoinRequest,
    oldMemberId: string,
    newMemberId: string,
    respond: (r: JoinResult) => void,
  ): void {
    const member = group.replaceStaticMember(request.groupInstanceId!, oldMemberId, newMemberId);
    this.timers.cancel(this.heartbeatKey(group.groupId, oldMemberId));
    this.scheduleHeartbeat(group, member);
    const previous = {
      protocols: member.protocols,
      rebalanceTimeoutMs: member.rebalanceTimeoutMs,
      sessionTimeoutMs: member.sessionTimeoutMs,
    };
    member.protocols = [...request.protocols];
    member.rebalanceTimeoutMs = request.rebalanceTimeoutMs;
    member.sessionTimeoutMs = request.sessionTimeoutMs;
    if (group.is('Stable')) {
      if (group.protocolName === group.selectProtocol()) {
        const generation = group.generationId;
        this.persistence.storeGroup(group).then(
          () =>
            respond({
              errorCode: ERROR_CODES.NONE,
              generationId: generation,
              protocolType: group.protocolType,
              protocolName: group.protocolName,
              leader: group.leaderId ?? '',
              memberId: newMemberId,
              members: [],
            }),
          (error: unknown) => {
            // Undo: the old instance keeps its place.
            Object.assign(member, previous);
            group.replaceStaticMember(request.groupInstanceId!, newMemberId, oldMemberId);
            this.scheduleHeartbeat(group, member);
            respond(joinError(appendErrorToGroupError(error), ''));
          },
        );
        return;
      }
      member.awaitingJoin = respond;
      return this.maybePrepareRebalanceOrCompleteJoin(group);
    }
    member.awaitingJoin = respond;
    if (group.is('CompletingRebalance')) return this.prepareRebalance(group);
    this.maybeCompleteJoinPhase(group);
  }

  private maybePrepareRebalanceOrCompleteJoin(group: ClassicGroup): void {
    if (group.canRebalance) this.prepareRebalance(group);
    else this.maybeCompleteJoinPhase(group);
  }

  private maybeCompleteJoinPhase(group: ClassicGroup): void {
    if (!group.is('PreparingRebalance') || group.previousState === 'Empty' || !group.hasAllMembersJoined)
      return;
    this.completeJoin(group);
  }

  private prepareRebalance(group: ClassicGroup): void {
    if (group.is('CompletingRebalance'))
      this.resetAssignmentsWithError(group, ERROR_CODES.REBALANCE_IN_PROGRESS);
    group.pendingSyncMembers.clear();
    this.timers.cancel(this.syncKey(group.groupId));
    const initial = group.is('Empty');
    group.transitionTo('PreparingRebalance', this.now());
    this.logger.info(
      { group: group.groupId, generation: group.generationId, members: group.members.size },
      'preparing to rebalance',
    );
    if (initial) {
      // A new group waits for more members before the first generation (group.initial.rebalance.delay.ms).
      const delay = this.config.groupInitialRebalanceDelayMs;
      const remaining = Math.max(group.rebalanceTimeoutMs - delay, 0);
      this.timers.schedule(this.joinKey(group.groupId), delay, () =>
        this.tryCompleteInitialRebalance(group.groupId, delay, remaining),
      );
      return;
    }
    if (group.hasAllMembersJoined) return this.completeJoin(group);
    this.timers.schedule(this.joinKey(group.groupId), group.rebalanceTimeoutMs, () =>
      this.completeJoinById(group.groupId),
    );
  }

  private tryCompleteInitialRebalance(groupId: string, delayMs: number, remainingMs: number): void {
    const group = this.registry.get(groupId);
    if (!group || !group.is('PreparingRebalance')) return;
    if (group.newMemberAdded && remainingMs !== 0) {
      group.newMemberAdded = false;
      const nextDelay = Math.min(this.config.groupInitialRebalanceDelayMs, remainingMs);
      const nextRemaining = Math.max(remainingMs - delayMs, 0);
      this.timers.schedule(this.joinKey(groupId), nextDelay, () =>
        this.tryCompleteInitialRebalance(groupId, nextDelay, nextRemaining),
      );
      return;
    }
    this.completeJoin(group);
  }

  private completeJoinById(groupId: string): void {
    const group = this.registry.get(groupId);
    if (group) this.completeJoin(group);
  }

  /** The join phase ends: laggards are dropped, a new generation starts, every joiner is answered. */
  private completeJoin(group: ClassicGroup): void {
    this.timers.cancel(this.joinKey(group.groupId));
    if (!group.is('PreparingRebalance')) return;
    for (const member of [...group.members.values()]) {
      if (!member.awaitingJoin && member.groupInstanceId === null) {
        group.remove(member.memberId);
        this.timers.cancel(this.heartbeatKey(group.groupId, member.memberId));
      }
    }
    if (!group.maybeElectNewJoinedLeader() && group.members.size > 0) {
      // Only static members that have not rejoined are left: wait for them or their session to end.
      this.timers.schedule(this.joinKey(group.groupId), group.rebalanceTimeoutMs, () =>
        this.completeJoinById(group.groupId),
      );
      return;
    }
    group.initNextGeneration(this.now());
    if (group.is('Empty')) {
      this.logger.info({ group: group.groupId, generation: group.generationId }, 'group is empty');
      this.persistence
        .storeGroup(group)
        .catch((error: unknown) =>
          this.logger.warn({ err: error, group: group.groupId }, 'could not store empty group metadata'),
        );
      return;
    }
    this.logger.info(
      {
        group: group.groupId,
        generation: group.generationId,
        protocol: group.protocolName,
        members: group.members.size,
      },
      'group rebalanced',
    );
    for (const member of group.members.values()) {
      const respond = member.awaitingJoin;
      member.awaitingJoin = undefined;
      respond?.({
        errorCode: ERROR_CODES.NONE,
        generationId: group.generationId,
        protocolType: group.protocolType,
        protocolName: group.protocolName,
        leader: group.leaderId ?? '',
        memberId: member.memberId,
        members: group.isLeader(member.memberId) ? group.currentMemberMetadata() : [],
      });
      member.isNew = false;
      this.scheduleHeartbeat(group, member);
      group.pendingSyncMembers.add(member.memberId);
    }
    const generation = group.generationId;
    this.timers.schedule(this.syncKey(group.groupId), group.rebalanceTimeoutMs, () =>
      this.expirePendingSync(group.groupId, generation),
    );
  }

  private expirePendingSync(groupId: string, generation: number): void {
    const group = this.registry.get(groupId);
    if (!group || group.generationId !== generation) return;
    if (!(group.is('CompletingRebalance') || group.is('Stable')) || group.pendingSyncMembers.size === 0)
      return;
    for (const memberId of [...group.pendingSyncMembers]) {
      group.remove(memberId);
      this.timers.cancel(this.heartbeatKey(groupId, memberId));
    }
    this.prepareRebalance(group);
  }

  private resetAssignmentsWithError(group: ClassicGroup, errorCode: number): void {
    for (const member of group.members.values()) {
      member.assignment = Buffer.alloc(0);
      const respond = member.awaitingSync;
      member.awaitingSync = undefined;
      respond?.(syncError(errorCode));
    }
  }

  // -------------------------------------------------------------------------------------------
  // SyncGroup

  async syncGroup(request: SyncRequest): Promise<SyncResult> {
    const group = this.registry.get(request.groupId);
    try {
      this.checkCoordinator(request.groupId);
    } catch (error) {
      return syncError(errorCodeOf(error));
    }
    if (!group || group.is('Empty')) return syncError(ERROR_CODES.UNKNOWN_MEMBER_ID);
    if (group.is('Dead')) return syncError(ERROR_CODES.COORDINATOR_NOT_AVAILABLE);
    let member: GroupMember;
    try {
      member = group.validateMember(request.memberId, request.groupInstanceId);
    } catch (error) {
      return syncError(errorCodeOf(error));
    }
    if (request.generationId !== group.generationId) return syncError(ERROR_CODES.ILLEGAL_GENERATION);
    if (
      (request.protocolType !== null && request.protocolType !== group.protocolType) ||
      (request.protocolName !== null && request.protocolName !== group.protocolName)
    ) {
      return syncError(ERROR_CODES.INCONSISTENT_GROUP_PROTOCOL);
    }
    if (group.is('PreparingRebalance')) return syncError(ERROR_CODES.REBALANCE_IN_PROGRESS);
    if (group.is('Stable')) {
      this.removePendingSync(group, member.memberId);
      return {
        errorCode: ERROR_CODES.NONE,
        protocolType: group.protocolType,
        protocolName: group.protocolName,
        assignment: member.assignment,
      };
    }
    // CompletingRebalance: wait for the leader's assignment.
    const response = new Promise<SyncResult>((resolve) => {
      member.awaitingSync?.(syncError(ERROR_CODES.REBALANCE_IN_PROGRESS));
      member.awaitingSync = resolve;
    });
    this.removePendingSync(group, member.memberId);
    if (group.isLeader(member.memberId)) {
      const assignment = new Map(request.assignments.map((a) => [a.memberId, a.assignment]));
      for (const id of group.members.keys()) if (!assignment.has(id)) assignment.set(id, Buffer.alloc(0));
      const generation = group.generationId;
      this.persistence.storeGroup(group, assignment).then(
        () => {
          if (!group.is('CompletingRebalance') || group.generationId !== generation) return;
          for (const m of group.members.values())
            m.assignment = assignment.get(m.memberId) ?? Buffer.alloc(0);
          group.transitionTo('Stable', this.now());
          for (const m of group.members.values()) {
            const respond = m.awaitingSync;
            m.awaitingSync = undefined;
            respond?.({
              errorCode: ERROR_CODES.NONE,
              protocolType: group.protocolType,
              protocolName: group.protocolName,
              assignment: m.assignment,
            });
            this.scheduleHeartbeat(group, m);
          }
          this.logger.info({ group: group.groupId, generation }, 'group stable');
        },
        (error: unknown) => {
          if (!group.is('CompletingRebalance') || group.generationId !== generation) return;
          this.resetAssignmentsWithError(group, appendErrorToGroupError(error));
          this.maybePrepareRebalanceOrCompleteJoin(group);
        },
      );
    }
    return response;
  }

  private removePendingSync(group: ClassicGroup, memberId: string): void {
    group.pendingSyncMembers.delete(memberId);
    if (group.pendingSyncMembers.size === 0) this.timers.cancel(this.syncKey(group.groupId));
  }

  // -------------------------------------------------------------------------------------------
  // Heartbeat, LeaveGroup, member expiry

  heartbeat(groupId: string, generationId: number, memberId: string, groupInstanceId: string | null): number {
    try {
      this.checkCoordinator(groupId);
      const group = this.registry.get(groupId);
      if (!group) throw new KafkaError('UNKNOWN_MEMBER_ID', `group ${groupId} not found`);
      if (group.is('Dead')) throw new KafkaError('COORDINATOR_NOT_AVAILABLE');
      const member = group.validateMember(memberId, groupInstanceId);
      if (generationId !== group.generationId) throw new KafkaError('ILLEGAL_GENERATION');
      switch (group.state) {
        case 'Empty':
          return ERROR_CODES.UNKNOWN_MEMBER_ID;
        case 'PreparingRebalance':
          this.scheduleHeartbeat(group, member);
          return ERROR_CODES.REBALANCE_IN_PROGRESS;
        default:
          this.scheduleHeartbeat(group, member);
          return ERROR_CODES.NONE;
      }
    } catch (error) {
      return errorCodeOf(error);
    }
  }

  leaveGroup(
    groupId: string,
    leaving: readonly { memberId: string; groupInstanceId: string | null }[],
  ): {
    errorCode: number;
    members: { memberId: string; groupInstanceId: string | null; errorCode: number }[];
  } {
    try {
      this.checkCoordinator(groupId);
    } catch (error) {
      return { errorCode: errorCodeOf(error), members: [] };
    }
    const group = this.registry.get(groupId);
    if (!group) return { errorCode: ERROR_CODES.UNKNOWN_MEMBER_ID, members: [] };
    if (group.is('Dead')) return { errorCode: ERROR_CODES.COORDINATOR_NOT_AVAILABLE, members: [] };
    const results = leaving.map(({ memberId, groupInstanceId }) => {
      try {
        if (memberId === '' && groupInstanceId !== null) {
          const id = group.staticMembers.get(groupInstanceId);
          if (id === undefined) throw new KafkaError('UNKNOWN_MEMBER_ID');
          this.removeMember(group, group.members.get(id)!);
          return { memberId: id, groupInstanceId, errorCode: ERROR_CODES.NONE };
        }
        if (group.pendingJoinMembers.has(memberId)) {
          group.remove(memberId);
          this.timers.cancel(this.heartbeatKey(groupId, memberId));
          if (group.is('PreparingRebalance') && group.hasAllMembersJoined) this.completeJoin(group);
          return { memberId, groupInstanceId, errorCode: ERROR_CODES.NONE };
        }
        const member = group.validateMember(memberId, groupInstanceId);
        this.removeMember(group, member);
        return { memberId, groupInstanceId, errorCode: ERROR_CODES.NONE };
      } catch (error) {
        return { memberId, groupInstanceId, errorCode: errorCodeOf(error) };
      }
    });
    return { errorCode: ERROR_CODES.NONE, members: results };
  }

  private removeMember(group: ClassicGroup, member: GroupMember): void {
    this.timers.cancel(this.heartbeatKey(group.groupId, member.memberId));
    // A parked JoinGroup of this member is answered so the client can start over.
    member.awaitingJoin?.(joinError(ERROR_CODES.UNKNOWN_MEMBER_ID, ''));
    member.awaitingJoin = undefined;
    member.awaitingSync?.(syncError(ERROR_CODES.UNKNOWN_MEMBER_ID));
    member.awaitingSync = undefined;
    group.remove(member.memberId);
    this.logger.info({ group: group.groupId, member: member.memberId }, 'member left or expired');
    if (group.is('Stable') || group.is('CompletingRebalance'))
      this.maybePrepareRebalanceOrCompleteJoin(group);
    else if (group.is('PreparingRebalance') && group.hasAllMembersJoined) this.completeJoin(group);
  }

  private scheduleHeartbeat(
    group: ClassicGroup,
    member: GroupMember,
    timeoutMs = member.sessionTimeoutMs,
  ): void {
    const memberId = member.memberId;
    this.timers.schedule(this.heartbeatKey(group.groupId, memberId), timeoutMs, () =>
      this.expireHeartbeat(group.groupId, memberId),
    );
  }

  private expireHeartbeat(groupId: string, memberId: string): void {
    const group = this.registry.get(groupId);
    if (!group || group.is('Dead')) return;
    if (group.pendingJoinMembers.has(memberId)) {
      group.remove(memberId);
      if (group.is('PreparingRebalance') && group.hasAllMembersJoined) this.completeJoin(group);
      return;
    }
    const member = group.members.get(memberId);
    if (!member) return;
    // Members waiting in a rebalance satisfy their heartbeats, except new ones (their join timed out).
    if (!member.isNew && (member.awaitingJoin || member.awaitingSync)) return;
    this.logger.info({ group: groupId, member: memberId }, 'member session expired');
    this.removeMember(group, member);
  }

  private heartbeatKey(groupId: string, memberId: string): string {
    return `${groupId}\u0000hb\u0000${memberId}`;
  }
  private joinKey(groupId: string): string {
    return `${groupId}\u0000join`;
  }
  private syncKey(groupId: string): string {
    return `${groupId}\u0000sync`;
  }

  // -------------------------------------------------------------------------------------------
  // committed offsets (the offset manager's)

  commitOffsets(
    groupId: string,
    generationId: number,
    memberId: string,
    groupInstanceId: string | null,
    partitions: readonly CommitPartition[],
    topicExists: (topic: string, partition: number) => boolean,
  ): Promise<number[]> {
    return this.offsets.commitOffsets(
      groupId,
      generationId,
      memberId,
      groupInstanceId,
      partitions,
      topicExists,
    );
  }

  fetchOffsets(groupId: string, partitions: readonly TopicPartition[] | null): FetchedOffset[] {
    return this.offsets.fetchOffsets(groupId, partitions);
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

  // -------------------------------------------------------------------------------------------
  // DescribeGroups, ListGroups, DeleteGroups

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
      this.checkCoordinator(groupId);
    } catch (error) {
      return dead(errorCodeOf(error));
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

  listGroups(states: readonly string[]): { groupId: string; protocolType: string; groupState: GroupState }[] {
    const wanted = new Set(states.map((s) => s.toLowerCase()));
    return [...this.registry.all()]
      .filter((g) => this.registry.coordinates(g.groupId) && !g.is('Dead'))
      .filter((g) => wanted.size === 0 || wanted.has(g.state.toLowerCase()))
      .map((g) => ({ groupId: g.groupId, protocolType: g.protocolType ?? '', groupState: g.state }));
  }

  /** DeleteGroups: only empty groups; their metadata and offsets are tombstoned. */
  async deleteGroup(groupId: string): Promise<number> {
    try {
      this.checkCoordinator(groupId);
      const group = this.registry.get(groupId);
      if (!group || group.is('Dead'))
        throw new KafkaError('GROUP_ID_NOT_FOUND', `group ${groupId} does not exist`);
      if (!group.is('Empty')) throw new KafkaError('NON_EMPTY_GROUP', `group ${groupId} still has members`);
      await this.persistence.removeOffsets(groupId, group.offsets.keys(), true);
      group.transitionTo('Dead', this.now());
      this.registry.delete(groupId);
      this.timers.cancelPrefix(`${groupId}\u0000`);
      return ERROR_CODES.NONE;
    } catch (error) {
      return errorCodeOf(error);
    }
  }

  /** Stops timers; parked requests are answered so their connections can close cleanly. */
  shutdown(): void {
    this.timers.cancelAll();
    for (const group of this.registry.all()) {
      for (const member of group.members.values()) {
        member.awaitingJoin?.(joinError(ERROR_CODES.NOT_COORDINATOR, member.memberId));
        member.awaitingSync?.(syncError(ERROR_CODES.NOT_COORDINATOR));
      }
    }
  }
}
