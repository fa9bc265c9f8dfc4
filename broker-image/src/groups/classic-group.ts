import { randomUUID } from 'node:crypto';
import { ERROR_CODES, KafkaError } from '../protocol/errors.js';
import type { TopicPartition } from '../storage/topic-partition.js';

/** The classic protocol's group states, by the names DescribeGroups and ListGroups report. */
export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

const VALID_PREVIOUS: Record<GroupState, readonly GroupState[]> = {
  Empty: ['PreparingRebalance'],
  PreparingRebalance: ['Stable', 'CompletingRebalance', 'Empty'],
  CompletingRebalance: ['PreparingRebalance'],
  Stable: ['CompletingRebalance'],
  Dead: ['Stable', 'PreparingRebalance', 'CompletingRebalance', 'Empty', 'Dead'],
};

export interface Protocol {
  readonly name: string;
  readonly metadata: Buffer;
}

export interface JoinResult {
  readonly errorCode: number;
  readonly generationId: number;
  readonly protocolType: string | null;
  readonly protocolName: string | null;
  readonly leader: string;
  readonly memberId: string;
  readonly members: { memberId: string; groupInstanceId: string | null; metadata: Buffer }[];
}

export interface SyncResult {
  readonly errorCode: number;
  readonly protocolType: string | null;
  readonly protocolName: string | null;
  readonly assignment: Buffer;
}

/** A failed JoinGroup: no generation, no protocol, no members. */
export function joinError(
  errorCode: number,
  memberId: string,
  protocolType: string | null = null,
): JoinResult {
  return { errorCode, generationId: -1, protocolType, protocolName: null, leader: '', memberId, members: [] };
}

/** A failed SyncGroup: no assignment. */
export function syncError(errorCode: number): SyncResult {
  return { errorCode, protocolType: null, protocolName: null, assignment: Buffer.alloc(0) };
}

export class GroupMember {
  assignment: Buffer = Buffer.alloc(0);
  /** Set while the member's JoinGroup waits for the rebalance to complete. */
  awaitingJoin: ((result: JoinResult) => void) | undefined;
  /** Set while the member's SyncGroup waits for the leader's assignment. */
  awaitingSync: ((result: SyncResult) => void) | undefined;
  /** A member that joined in the current rebalance and has not yet seen a generation. */
  isNew = false;

  constructor(
    public memberId: string,
    readonly groupInstanceId: string | null,
    readonly clientId: string,
    readonly clientHost: string,
    public rebalanceTimeoutMs: number,
    public sessionTimeoutMs: number,
    readonly protocolType: string,
    public protocols: Protocol[],
  ) {}

  /**
   * Answers the member's parked JoinGroup and SyncGroup, if any, with `errorCode` and forgets them.
   * The JoinGroup answer names `joinMemberId` (the member's own id unless told otherwise).
   */
  failParkedRequests(
    errorCode: number,
    joinMemberId: string = this.memberId,
    protocolType: string | null = null,
  ): void {
    const { awaitingJoin, awaitingSync } = this;
    this.awaitingJoin = undefined;
    this.awaitingSync = undefined;
    awaitingJoin?.(joinError(errorCode, joinMemberId, protocolType));
    awaitingSync?.(syncError(errorCode));
  }

  metadataFor(protocol: string): Buffer {
    const found = this.protocols.find((p) => p.name === protocol);
    if (!found) throw new Error(`member ${this.memberId} does not support protocol ${protocol}`);
    return found.metadata;
  }

  /** Whether `protocols` equal this member's, names and metadata in order. */
  matches(protocols: readonly Protocol[]): boolean {
    return (
      protocols.length === this.protocols.length &&
      protocols.every(
        (p, i) => p.name === this.protocols[i]!.name && p.metadata.equals(this.protocols[i]!.metadata),
      )
    );
  }

  /** The member's most preferred protocol among `candidates`. */
  vote(candidates: ReadonlySet<string>): string {
    const choice = this.protocols.find((p) => candidates.has(p.name));
    if (!choice) throw new Error(`member ${this.memberId} supports none of ${[...candidates].join(', ')}`);
    return choice.name;
  }
}

/** The key of a committed offset in `ClassicGroup.offsets`. */
export function offsetKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

/** The topic and partition an `offsetKey` names. */
export function parseOffsetKey(key: string): TopicPartition {
  const at = key.lastIndexOf('\u0000');
  return { topic: key.slice(0, at), partition: Number(key.slice(at + 1)) };
}

export interface OffsetAndMetadata {
  readonly offset: number;
  readonly leaderEpoch: number;
  readonly metadata: string;
  readonly commitTimestamp: number;
  /** Only v1 records carry one; -1 otherwise. */
  readonly expireTimestamp: number;
}

/**
 * One classic consumer group: its state machine, members, generation and chosen protocol, plus
 * its committed offsets. Pure bookkeeping: the coordinator's parts drive it and own timers and I/O.
 */
export class ClassicGroup {
  state: GroupState = 'Empty';
  previousState: GroupState = 'Empty';
  /** When the group last changed state (offset expiry counts from the group becoming Empty). */
  stateTimestamp: number;
  generationId = 0;
  protocolType: string | null = null;
  protocolName: string | null = null;
  leaderId: string | null = null;
  readonly members = new Map<string, GroupMember>();
  readonly staticMembers = new Map<string, string>();
  /** Members given an id by MEMBER_ID_REQUIRED who have not yet joined with it. */
  readonly pendingJoinMembers = new Set<string>();
  /** Members of the new generation who have not yet sent SyncGroup. */
  readonly pendingSyncMembers = new Set<string>();
  /** During an initial rebalance: a member joined, so the delay may be extended. */
  newMemberAdded = false;
  readonly offsets = new Map<string, OffsetAndMetadata>();

  constructor(
    readonly groupId: string,
    now: number,
  ) {
    this.stateTimestamp = now;
  }

  is(state: GroupState): boolean {
    return this.state === state;
  }

  transitionTo(state: GroupState, now: number): void {
    if (!VALID_PREVIOUS[state].includes(this.state)) {
      throw new Error(`group ${this.groupId} cannot go from ${this.state} to ${state}`);
    }
    this.previousState = this.state;
    this.state = state;
    this.stateTimestamp = now;
  }

  get canRebalance(): boolean {
    return VALID_PREVIOUS.PreparingRebalance.includes(this.state);
  }

  get awaitingJoinCount(): number {
    let n = 0;
    for (const m of this.members.values()) if (m.awaitingJoin) n++;
    return n;
  }

  get hasAllMembersJoined(): boolean {
    return this.members.size === this.awaitingJoinCount && this.pendingJoinMembers.size === 0;
  }

  get rebalanceTimeoutMs(): number {
    let max = 0;
    for (const m of this.members.values()) max = Math.max(max, m.rebalanceTimeoutMs);
    return max;
  }

  isLeader(memberId: string): boolean {
    return this.leaderId === memberId;
  }

  generateMemberId(clientId: string, groupInstanceId: string | null): string {
    return `${groupInstanceId ?? clientId}-${randomUUID()}`;
  }

  add(member: GroupMember): void {
    if (this.members.size === 0) this.protocolType = member.protocolType;
    this.members.set(member.memberId, member);
    if (member.groupInstanceId !== null) this.staticMembers.set(member.groupInstanceId, member.memberId);
    this.leaderId ??= member.memberId;
    this.pendingJoinMembers.delete(member.memberId);
  }

  remove(memberId: string): void {
    const member = this.members.get(memberId);
    if (member) {
      this.members.delete(memberId);
      if (member.groupInstanceId !== null) this.staticMembers.delete(member.groupInstanceId);
    }
    if (this.leaderId === memberId) this.leaderId = this.members.keys().next().value ?? null;
    this.pendingJoinMembers.delete(memberId);
    this.pendingSyncMembers.delete(memberId);
  }

  /** Gives a static member's place (assignment included) to a new member id. */
  replaceStaticMember(groupInstanceId: string, oldMemberId: string, newMemberId: string): GroupMember {
    const member = this.members.get(oldMemberId);
    if (!member) throw new Error(`static member ${groupInstanceId} has no member ${oldMemberId}`);
    // A request still parked under the old id is answered: that client instance was replaced.
    member.failParkedRequests(ERROR_CODES.FENCED_INSTANCE_ID, oldMemberId, this.protocolType);
    this.members.delete(oldMemberId);
    member.memberId = newMemberId;
    this.members.set(newMemberId, member);
    this.staticMembers.set(groupInstanceId, newMemberId);
    if (this.leaderId === oldMemberId) this.leaderId = newMemberId;
    if (this.pendingSyncMembers.delete(oldMemberId)) this.pendingSyncMembers.add(newMemberId);
    return member;
  }

  /**
   * Checks a request's member id (and instance id) against the group: UNKNOWN_MEMBER_ID for a
   * stranger, FENCED_INSTANCE_ID when a static member's id was taken over by a newer instance.
   */
  validateMember(memberId: string, groupInstanceId: string | null): GroupMember {
    if (groupInstanceId !== null) {
      const existing = this.staticMembers.get(groupInstanceId);
      if (existing === undefined)
        throw new KafkaError('UNKNOWN_MEMBER_ID', `no static member ${groupInstanceId}`);
      if (existing !== memberId) {
        throw new KafkaError(
          'FENCED_INSTANCE_ID',
          `member ${memberId} of instance ${groupInstanceId} was replaced`,
        );
      }
    }
    const member = this.members.get(memberId);
    if (!member)
      throw new KafkaError('UNKNOWN_MEMBER_ID', `member ${memberId} is not in group ${this.groupId}`);
    return member;
  }

  /** Protocols every member supports. */
  candidateProtocols(): Set<string> {
    let candidates: Set<string> | undefined;
    for (const m of this.members.values()) {
      const names = new Set(m.protocols.map((p) => p.name));
      candidates = candidates ? new Set([...candidates].filter((n) => names.has(n))) : names;
    }
    return candidates ?? new Set();
  }

  /** Whether a member with these protocols can join: same type, and a protocol in common. */
  supportsProtocols(protocolType: string, protocols: readonly Protocol[]): boolean {
    if (protocolType === '' || protocols.length === 0) return false;
    if (this.members.size === 0) return true;
    if (protocolType !== this.protocolType) return false;
    const candidates = this.candidateProtocols();
    return protocols.some((p) => candidates.has(p.name));
  }

  /** Each member votes for its favourite common protocol; the most votes wins. */
  selectProtocol(): string {
    const candidates = this.candidateProtocols();
    const votes = new Map<string, number>();
    for (const m of this.members.values()) {
      const choice = m.vote(candidates);
      votes.set(choice, (votes.get(choice) ?? 0) + 1);
    }
    let best = '';
    let bestVotes = -1;
    for (const [name, count] of votes) {
      if (count > bestVotes) {
        best = name;
        bestVotes = count;
      }
    }
    return best;
  }

  /** Keeps the leader if it rejoined, else picks a member that did; false when none did. */
  maybeElectNewJoinedLeader(): boolean {
    if (this.leaderId === null) return false;
    if (this.members.get(this.leaderId)?.awaitingJoin) return true;
    for (const m of this.members.values()) {
      if (m.awaitingJoin) {
        this.leaderId = m.memberId;
        return true;
      }
    }
    return false;
  }

  initNextGeneration(now: number): void {
    this.generationId++;
    if (this.members.size > 0) {
      this.protocolName = this.selectProtocol();
      this.transitionTo('CompletingRebalance', now);
    } else {
      this.protocolName = null;
      this.transitionTo('Empty', now);
    }
    this.pendingSyncMembers.clear();
  }

  /** A successful JoinGroup answer for `memberId` in the current generation. */
  joinResult(memberId: string, members: JoinResult['members'] = []): JoinResult {
    return {
      errorCode: ERROR_CODES.NONE,
      generationId: this.generationId,
      protocolType: this.protocolType,
      protocolName: this.protocolName,
      leader: this.leaderId ?? '',
      memberId,
      members,
    };
  }

  /** The members' metadata for the chosen protocol (what the leader needs to assign). */
  currentMemberMetadata(): JoinResult['members'] {
    return [...this.members.values()].map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      metadata: m.metadataFor(this.protocolName!),
    }));
  }

  /** Topics the group's consumers subscribe to (from the consumer protocol's subscription metadata). */
  subscribedTopics(): Set<string> | undefined {
    if (this.protocolType !== 'consumer' || this.protocolName === null) return undefined;
    const topics = new Set<string>();
    for (const m of this.members.values()) {
      const parsed = parseSubscriptionTopics(m.metadataFor(this.protocolName));
      if (!parsed) return undefined;
      for (const t of parsed) topics.add(t);
    }
    return topics;
  }
}

/**
 * The topics of a consumer protocol subscription (ConsumerProtocolSubscription, any version: an
 * int16 version then an array of topic names), or undefined when it does not parse.
 */
export function parseSubscriptionTopics(metadata: Buffer): string[] | undefined {
  try {
    let at = 2;
    const count = metadata.readInt32BE(at);
    at += 4;
    if (count < 0 || count > metadata.length) return undefined;
    const topics: string[] = [];
    for (let i = 0; i < count; i++) {
      const length = metadata.readInt16BE(at);
      at += 2;
      if (length < 0 || at + length > metadata.length) return undefined;
      topics.push(metadata.toString('utf8', at, at + length));
      at += length;
    }
    return topics;
  } catch {
    return undefined;
  }
}
