import type { Logger } from 'pino';
import { ERROR_CODES } from '../protocol/errors.js';
import type { Clock } from '../util/clock.js';
import { syncError, type ClassicGroup, type GroupMember } from './classic-group.js';
import type { GroupRegistry } from './group-registry.js';
import type { GroupStatePersistence } from './group-state-persistence.js';
import { GroupTimers } from './group-timers.js';

export interface RebalanceConfig {
  readonly groupInitialRebalanceDelayMs: number;
}

const heartbeatKey = (groupId: string, memberId: string): string => `${groupId}\u0000hb\u0000${memberId}`;
const joinKey = (groupId: string): string => `${groupId}\u0000join`;
const syncKey = (groupId: string): string => `${groupId}\u0000sync`;
const groupKeys = (groupId: string): string => `${groupId}\u0000`;

/**
 * The rebalance of classic groups (what Kafka's DelayedJoin, InitialDelayedJoin, DelayedSync and
 * DelayedHeartbeat drive): it owns every group timer, the move into PreparingRebalance, the end of
 * the join phase (a new generation, every parked JoinGroup answered), the deadline for SyncGroup
 * and members' session expiry and removal.
 *
 * Invariants: timers are keyed by group id, so a group's timers can all be cancelled when it goes
 * away, and scheduling a key again replaces its timer; a timer's task looks its group up again in
 * the registry and does nothing if the group is gone or has moved on (another state or generation).
 */
export class GroupRebalancer {
  private readonly timers = new GroupTimers();

  constructor(
    private readonly config: RebalanceConfig,
    private readonly registry: GroupRegistry,
    private readonly persistence: GroupStatePersistence,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  /** A group loaded from `__consumer_offsets`: its members' sessions start now. */
  groupLoaded(group: ClassicGroup): void {
    for (const member of group.members.values()) this.scheduleHeartbeat(group, member);
  }

  /** A group this broker no longer coordinates: its parked requests are answered, its timers stopped. */
  groupUnloaded(group: ClassicGroup): void {
    for (const member of group.members.values()) member.failParkedRequests(ERROR_CODES.NOT_COORDINATOR);
    this.timers.cancelPrefix(groupKeys(group.groupId));
  }

  /** Stops a removed group's timers. */
  cancelTimers(groupId: string): void {
    this.timers.cancelPrefix(groupKeys(groupId));
  }

  /** Stops timers; parked requests are answered so their connections can close cleanly. */
  shutdown(): void {
    this.timers.cancelAll();
    for (const group of this.registry.all()) {
      for (const member of group.members.values()) member.failParkedRequests(ERROR_CODES.NOT_COORDINATOR);
    }
  }

  /** (Re)starts a member's session: it is removed unless it heartbeats within `timeoutMs`. */
  scheduleHeartbeat(group: ClassicGroup, member: GroupMember, timeoutMs = member.sessionTimeoutMs): void {
    this.scheduleSessionExpiry(group.groupId, member.memberId, timeoutMs);
  }

  /** A member id handed out by MEMBER_ID_REQUIRED is forgotten unless it joins within `timeoutMs`. */
  schedulePendingMemberExpiry(group: ClassicGroup, memberId: string, timeoutMs: number): void {
    this.scheduleSessionExpiry(group.groupId, memberId, timeoutMs);
  }

  private scheduleSessionExpiry(groupId: string, memberId: string, timeoutMs: number): void {
    this.timers.schedule(heartbeatKey(groupId, memberId), timeoutMs, () =>
      this.expireHeartbeat(groupId, memberId),
    );
  }

  cancelHeartbeat(groupId: string, memberId: string): void {
    this.timers.cancel(heartbeatKey(groupId, memberId));
  }

  maybePrepareRebalanceOrCompleteJoin(group: ClassicGroup): void {
    if (group.canRebalance) this.prepareRebalance(group);
    else this.maybeCompleteJoinPhase(group);
  }

  maybeCompleteJoinPhase(group: ClassicGroup): void {
    if (!group.is('PreparingRebalance') || group.previousState === 'Empty' || !group.hasAllMembersJoined)
      return;
    this.completeJoin(group);
  }

  prepareRebalance(group: ClassicGroup): void {
    if (group.is('CompletingRebalance'))
      this.resetAssignmentsWithError(group, ERROR_CODES.REBALANCE_IN_PROGRESS);
    group.pendingSyncMembers.clear();
    this.timers.cancel(syncKey(group.groupId));
    const initial = group.is('Empty');
    group.transitionTo('PreparingRebalance', this.clock.now());
    this.logger.info(
      { group: group.groupId, generation: group.generationId, members: group.members.size },
      'preparing to rebalance',
    );
    if (initial) {
      // A new group waits for more members before the first generation (group.initial.rebalance.delay.ms).
      const delay = this.config.groupInitialRebalanceDelayMs;
      const remaining = Math.max(group.rebalanceTimeoutMs - delay, 0);
      this.timers.schedule(joinKey(group.groupId), delay, () =>
        this.tryCompleteInitialRebalance(group.groupId, delay, remaining),
      );
      return;
    }
    if (group.hasAllMembersJoined) return this.completeJoin(group);
    this.scheduleJoinDeadline(group);
  }

  private scheduleJoinDeadline(group: ClassicGroup): void {
    this.timers.schedule(joinKey(group.groupId), group.rebalanceTimeoutMs, () => {
      const current = this.registry.get(group.groupId);
      if (current) this.completeJoin(current);
    });
  }

  private tryCompleteInitialRebalance(groupId: string, delayMs: number, remainingMs: number): void {
    const group = this.registry.get(groupId);
    if (!group || !group.is('PreparingRebalance')) return;
    if (group.newMemberAdded && remainingMs !== 0) {
      group.newMemberAdded = false;
      const nextDelay = Math.min(this.config.groupInitialRebalanceDelayMs, remainingMs);
      const nextRemaining = Math.max(remainingMs - delayMs, 0);
      this.timers.schedule(joinKey(groupId), nextDelay, () =>
        this.tryCompleteInitialRebalance(groupId, nextDelay, nextRemaining),
      );
      return;
    }
    this.completeJoin(group);
  }

  /** Ends the join phase once the last expected member has joined (or left). */
  private completeJoinIfAllJoined(group: ClassicGroup): void {
    if (group.is('PreparingRebalance') && group.hasAllMembersJoined) this.completeJoin(group);
  }

  /** The join phase ends: laggards are dropped, a new generation starts, every joiner is answered. */
  private completeJoin(group: ClassicGroup): void {
    this.timers.cancel(joinKey(group.groupId));
    if (!group.is('PreparingRebalance')) return;
    for (const member of [...group.members.values()]) {
      if (!member.awaitingJoin && member.groupInstanceId === null) this.dropMember(group, member.memberId);
    }
    if (!group.maybeElectNewJoinedLeader() && group.members.size > 0) {
      // Only static members that have not rejoined are left: wait for them or their session to end.
      this.scheduleJoinDeadline(group);
      return;
    }
    group.initNextGeneration(this.clock.now());
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
      respond?.(
        group.joinResult(
          member.memberId,
          group.isLeader(member.memberId) ? group.currentMemberMetadata() : [],
        ),
      );
      member.isNew = false;
      this.scheduleHeartbeat(group, member);
      group.pendingSyncMembers.add(member.memberId);
    }
    const generation = group.generationId;
    this.timers.schedule(syncKey(group.groupId), group.rebalanceTimeoutMs, () =>
      this.expirePendingSync(group.groupId, generation),
    );
  }

  /** A member of the new generation has sent SyncGroup: once all have, the sync deadline is off. */
  removePendingSync(group: ClassicGroup, memberId: string): void {
    group.pendingSyncMembers.delete(memberId);
    if (group.pendingSyncMembers.size === 0) this.timers.cancel(syncKey(group.groupId));
  }

  private expirePendingSync(groupId: string, generation: number): void {
    const group = this.registry.get(groupId);
    if (!group || group.generationId !== generation) return;
    if (!(group.is('CompletingRebalance') || group.is('Stable')) || group.pendingSyncMembers.size === 0)
      return;
    for (const memberId of [...group.pendingSyncMembers]) this.dropMember(group, memberId);
    this.prepareRebalance(group);
  }

  /** Every member's assignment is cleared and its parked SyncGroup answered with `errorCode`. */
  resetAssignmentsWithError(group: ClassicGroup, errorCode: number): void {
    for (const member of group.members.values()) {
      member.assignment = Buffer.alloc(0);
      const respond = member.awaitingSync;
      member.awaitingSync = undefined;
      respond?.(syncError(errorCode));
    }
  }

  /** A member leaves (LeaveGroup) or its session expires: the group rebalances without it. */
  removeMember(group: ClassicGroup, member: GroupMember): void {
    this.cancelHeartbeat(group.groupId, member.memberId);
    // A parked JoinGroup of this member is answered so the client can start over.
    member.failParkedRequests(ERROR_CODES.UNKNOWN_MEMBER_ID, '');
    group.remove(member.memberId);
    this.logger.info({ group: group.groupId, member: member.memberId }, 'member left or expired');
    if (group.is('Stable') || group.is('CompletingRebalance'))
      this.maybePrepareRebalanceOrCompleteJoin(group);
    else this.completeJoinIfAllJoined(group);
  }

  /** A member id handed out by MEMBER_ID_REQUIRED is given up (it left, or never joined with it). */
  removePendingMember(group: ClassicGroup, memberId: string): void {
    this.dropMember(group, memberId);
    this.completeJoinIfAllJoined(group);
  }

  /** Removes a member with no parked request to answer, and its session timer. */
  private dropMember(group: ClassicGroup, memberId: string): void {
    group.remove(memberId);
    this.cancelHeartbeat(group.groupId, memberId);
  }

  private expireHeartbeat(groupId: string, memberId: string): void {
    const group = this.registry.get(groupId);
    if (!group || group.is('Dead')) return;
    if (group.pendingJoinMembers.has(memberId)) return this.removePendingMember(group, memberId);
    const member = group.members.get(memberId);
    if (!member) return;
    // Members waiting in a rebalance satisfy their heartbeats, except new ones (their join timed out).
    if (!member.isNew && (member.awaitingJoin || member.awaitingSync)) return;
    this.logger.info({ group: groupId, member: memberId }, 'member session expired');
    this.removeMember(group, member);
  }
}
