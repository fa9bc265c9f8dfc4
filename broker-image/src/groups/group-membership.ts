import type { Logger } from 'pino';
import { ERROR_CODES, KafkaError, errorCodeOf } from '../protocol/errors.js';
import type { Clock } from '../util/clock.js';
import {
  ClassicGroup,
  GroupMember,
  joinError,
  syncError,
  type JoinResult,
  type Protocol,
  type SyncResult,
} from './classic-group.js';
import type { GroupRebalancer } from './group-rebalancer.js';
import type { GroupRegistry } from './group-registry.js';
import { appendErrorToGroupError, type GroupStatePersistence } from './group-state-persistence.js';

export interface MembershipConfig {
  readonly groupMinSessionTimeoutMs: number;
  readonly groupMaxSessionTimeoutMs: number;
  readonly groupMaxSize: number;
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

export interface LeaveResult {
  readonly errorCode: number;
  readonly members: { memberId: string; groupInstanceId: string | null; errorCode: number }[];
}

/** A new member has this long to complete its first join before it is dropped. */
const NEW_MEMBER_JOIN_TIMEOUT_MS = 5 * 60 * 1000;

/**
 * Membership of classic groups (the request half of Kafka's GroupCoordinator): JoinGroup,
 * SyncGroup, Heartbeat and LeaveGroup are validated here and turned into changes of a group's
 * members; the rebalance they set off (and its timers) is the rebalancer's.
 *
 * Invariants: a request is checked against the registry (NOT_COORDINATOR) before it touches a
 * group; it changes the group synchronously, before anything is awaited (the leader's assignment
 * is applied once written, and only if the group is still in the generation it was written for);
 * a member's parked JoinGroup or SyncGroup is answered before it is replaced or the member removed.
 */
export class GroupMembership {
  constructor(
    private readonly config: MembershipConfig,
    private readonly registry: GroupRegistry,
    private readonly rebalancer: GroupRebalancer,
    private readonly persistence: GroupStatePersistence,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  // -------------------------------------------------------------------------------------------
  // JoinGroup

  async joinGroup(request: JoinRequest): Promise<JoinResult> {
    const { groupId, memberId } = request;
    try {
      if (groupId === '') throw new KafkaError('INVALID_GROUP_ID', 'the group id is empty');
      this.registry.checkCoordinator(groupId);
      if (
        request.sessionTimeoutMs < this.config.groupMinSessionTimeoutMs ||
        request.sessionTimeoutMs > this.config.groupMaxSessionTimeoutMs
      ) {
        throw new KafkaError(
          'INVALID_SESSION_TIMEOUT',
          `session.timeout.ms ${request.sessionTimeoutMs} is outside [group.min.session.timeout.ms ${this.config.groupMinSessionTimeoutMs}, group.max.session.timeout.ms ${this.config.groupMaxSessionTimeoutMs}]`,
        );
      }
      const consumerGroup = this.registry.getConsumer(groupId);
      if (consumerGroup && consumerGroup.members.size > 0) {
        throw new KafkaError(
          'INCONSISTENT_GROUP_PROTOCOL',
          `group ${groupId} is a consumer group with members of the consumer protocol`,
        );
      }
      // An empty consumer group becomes a classic one (its offsets are kept).
      if (consumerGroup) this.registry.deleteConsumer(groupId);
    } catch (error) {
      return joinError(errorCodeOf(error), memberId);
    }
    const isUnknownMember = memberId === '';
    let group = this.registry.get(groupId);
    const isNewGroup = !group;
    if (!group) {
      if (!isUnknownMember) return joinError(ERROR_CODES.UNKNOWN_MEMBER_ID, memberId);
      group = new ClassicGroup(groupId, this.clock.now());
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
      this.rebalancer.schedulePendingMemberExpiry(group, newMemberId, request.sessionTimeoutMs);
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
    switch (group.state) {
      case 'PreparingRebalance':
        return this.updateMemberThenRebalanceOrCompleteJoin(group, member, request, respond);
      case 'CompletingRebalance':
        if (member.matches(request.protocols)) {
          return respond(
            group.joinResult(memberId, group.isLeader(memberId) ? group.currentMemberMetadata() : []),
          );
        }
        return this.updateMemberThenRebalanceOrCompleteJoin(group, member, request, respond);
      case 'Stable':
        if (group.isLeader(memberId) || !member.matches(request.protocols)) {
          return this.updateMemberThenRebalanceOrCompleteJoin(group, member, request, respond);
        }
        return respond(group.joinResult(memberId));
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
    this.rebalancer.scheduleHeartbeat(group, member, NEW_MEMBER_JOIN_TIMEOUT_MS);
    this.rebalancer.maybePrepareRebalanceOrCompleteJoin(group);
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
    this.rebalancer.maybePrepareRebalanceOrCompleteJoin(group);
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
    this.rebalancer.cancelHeartbeat(group.groupId, oldMemberId);
    this.rebalancer.scheduleHeartbeat(group, member);
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
          () => respond({ ...group.joinResult(newMemberId), generationId: generation }),
          (error: unknown) => {
            // Undo: the old instance keeps its place.
            Object.assign(member, previous);
            group.replaceStaticMember(request.groupInstanceId!, newMemberId, oldMemberId);
            this.rebalancer.scheduleHeartbeat(group, member);
            respond(joinError(appendErrorToGroupError(error), ''));
          },
        );
        return;
      }
      member.awaitingJoin = respond;
      return this.rebalancer.maybePrepareRebalanceOrCompleteJoin(group);
    }
    member.awaitingJoin = respond;
    if (group.is('CompletingRebalance')) return this.rebalancer.prepareRebalance(group);
    this.rebalancer.maybeCompleteJoinPhase(group);
  }

  // -------------------------------------------------------------------------------------------
  // SyncGroup

  async syncGroup(request: SyncRequest): Promise<SyncResult> {
    const group = this.registry.get(request.groupId);
    try {
      this.registry.checkCoordinator(request.groupId);
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
    const assigned = (m: GroupMember): SyncResult => ({
      errorCode: ERROR_CODES.NONE,
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      assignment: m.assignment,
    });
    if (group.is('Stable')) {
      this.rebalancer.removePendingSync(group, member.memberId);
      return assigned(member);
    }
    // CompletingRebalance: wait for the leader's assignment.
    const response = new Promise<SyncResult>((resolve) => {
      member.awaitingSync?.(syncError(ERROR_CODES.REBALANCE_IN_PROGRESS));
      member.awaitingSync = resolve;
    });
    this.rebalancer.removePendingSync(group, member.memberId);
    if (group.isLeader(member.memberId)) {
      const assignment = new Map(request.assignments.map((a) => [a.memberId, a.assignment]));
      for (const id of group.members.keys()) if (!assignment.has(id)) assignment.set(id, Buffer.alloc(0));
      const generation = group.generationId;
      this.persistence.storeGroup(group, assignment).then(
        () => {
          if (!group.is('CompletingRebalance') || group.generationId !== generation) return;
          for (const m of group.members.values())
            m.assignment = assignment.get(m.memberId) ?? Buffer.alloc(0);
          group.transitionTo('Stable', this.clock.now());
          for (const m of group.members.values()) {
            const respond = m.awaitingSync;
            m.awaitingSync = undefined;
            respond?.(assigned(m));
            this.rebalancer.scheduleHeartbeat(group, m);
          }
          this.logger.info({ group: group.groupId, generation }, 'group stable');
        },
        (error: unknown) => {
          if (!group.is('CompletingRebalance') || group.generationId !== generation) return;
          this.rebalancer.resetAssignmentsWithError(group, appendErrorToGroupError(error));
          this.rebalancer.maybePrepareRebalanceOrCompleteJoin(group);
        },
      );
    }
    return response;
  }

  // -------------------------------------------------------------------------------------------
  // Heartbeat, LeaveGroup

  heartbeat(groupId: string, generationId: number, memberId: string, groupInstanceId: string | null): number {
    try {
      this.registry.checkCoordinator(groupId);
      const group = this.registry.get(groupId);
      if (!group) throw new KafkaError('UNKNOWN_MEMBER_ID', `group ${groupId} not found`);
      if (group.is('Dead')) throw new KafkaError('COORDINATOR_NOT_AVAILABLE');
      const member = group.validateMember(memberId, groupInstanceId);
      if (generationId !== group.generationId) throw new KafkaError('ILLEGAL_GENERATION');
      switch (group.state) {
        case 'Empty':
          return ERROR_CODES.UNKNOWN_MEMBER_ID;
        case 'PreparingRebalance':
          this.rebalancer.scheduleHeartbeat(group, member);
          return ERROR_CODES.REBALANCE_IN_PROGRESS;
        default:
          this.rebalancer.scheduleHeartbeat(group, member);
          return ERROR_CODES.NONE;
      }
    } catch (error) {
      return errorCodeOf(error);
    }
  }

  leaveGroup(
    groupId: string,
    leaving: readonly { memberId: string; groupInstanceId: string | null }[],
  ): LeaveResult {
    try {
      this.registry.checkCoordinator(groupId);
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
          this.rebalancer.removeMember(group, group.members.get(id)!);
          return { memberId: id, groupInstanceId, errorCode: ERROR_CODES.NONE };
        }
        if (group.pendingJoinMembers.has(memberId)) {
          this.rebalancer.removePendingMember(group, memberId);
          return { memberId, groupInstanceId, errorCode: ERROR_CODES.NONE };
        }
        const member = group.validateMember(memberId, groupInstanceId);
        this.rebalancer.removeMember(group, member);
        return { memberId, groupInstanceId, errorCode: ERROR_CODES.NONE };
      } catch (error) {
        return { memberId, groupInstanceId, errorCode: errorCodeOf(error) };
      }
    });
    return { errorCode: ERROR_CODES.NONE, members: results };
  }
}
