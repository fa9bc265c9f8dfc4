import { addPartition, copyAssignment, hasPartition, type Assignment } from './consumer-assignors.js';

/** A KIP-848 consumer group's states, as DescribeGroups, ListGroups and ConsumerGroupDescribe name them. */
export type ConsumerGroupState = 'Empty' | 'Assigning' | 'Reconciling' | 'Stable' | 'Dead';

/** Where a member is on its way to its target assignment (Kafka's MemberState). */
export type MemberReconciliation = 'stable' | 'unrevoked_partitions' | 'unreleased_partitions';

export class ConsumerGroupMember {
  memberEpoch = 0;
  previousMemberEpoch = -1;
  state: MemberReconciliation = 'stable';
  /** Partitions the member may use now. */
  assigned: Assignment = new Map();
  /** Partitions the member must give up before their next owner gets them. */
  pendingRevocation: Assignment = new Map();
  subscribedTopicNames: string[] = [];
  subscribedTopicRegex: string | null = null;
  serverAssignor: string | null = null;
  rackId: string | null = null;
  rebalanceTimeoutMs = 300_000;
  /** What the member last reported owning (heartbeats send it only when it changed). */
  owned: Assignment | null = null;

  constructor(
    public memberId: string,
    readonly instanceId: string | null,
    public clientId: string,
    public clientHost: string,
  ) {}
}

/**
 * One KIP-848 consumer group: its members, the group epoch (bumped on every change of membership,
 * subscriptions or the subscribed topics' partitions), the target assignment computed for an
 * epoch, and each member's progress toward it. Pure bookkeeping: ConsumerGroupMembership drives it.
 *
 * Invariant: a partition is held (assigned or pending revocation) by at most one member, so a
 * partition reaches its new owner only once its previous owner acknowledged revoking it.
 */
export class ConsumerGroup {
  groupEpoch = 0;
  targetAssignmentEpoch = 0;
  readonly target = new Map<string, Assignment>();
  readonly members = new Map<string, ConsumerGroupMember>();
  readonly staticMembers = new Map<string, string>();
  /** "name:partitions" of the subscribed topics when the target was last computed. */
  subscriptionMetadata = '';
  assignorName: string;
  dead = false;

  constructor(
    readonly groupId: string,
    defaultAssignor: string,
  ) {
    this.assignorName = defaultAssignor;
  }

  get state(): ConsumerGroupState {
    if (this.dead) return 'Dead';
    if (this.members.size === 0) return 'Empty';
    if (this.targetAssignmentEpoch !== this.groupEpoch) return 'Assigning';
    for (const m of this.members.values())
      if (m.memberEpoch !== this.targetAssignmentEpoch || m.state !== 'stable') return 'Reconciling';
    return 'Stable';
  }

  add(member: ConsumerGroupMember): void {
    this.members.set(member.memberId, member);
    if (member.instanceId !== null) this.staticMembers.set(member.instanceId, member.memberId);
  }

  remove(memberId: string): void {
    const member = this.members.get(memberId);
    if (!member) return;
    this.members.delete(memberId);
    this.target.delete(memberId);
    if (member.instanceId !== null && this.staticMembers.get(member.instanceId) === memberId)
      this.staticMembers.delete(member.instanceId);
  }

  /** The member (other than `exceptMemberId`) holding a partition, assigned or pending revocation. */
  holderOf(topicId: string, partition: number, exceptMemberId: string): ConsumerGroupMember | undefined {
    for (const m of this.members.values()) {
      if (m.memberId === exceptMemberId) continue;
      if (
        hasPartition(m.assigned, topicId, partition) ||
        hasPartition(m.pendingRevocation, topicId, partition)
      )
        return m;
    }
    return undefined;
  }

  /** Every topic name the members subscribe to, literally. */
  subscribedTopicNames(): Set<string> {
    const names = new Set<string>();
    for (const m of this.members.values()) for (const n of m.subscribedTopicNames) names.add(n);
    return names;
  }
}

/**
 * Moves a member one step toward its target assignment (Kafka's CurrentAssignmentBuilder). While
 * partitions are to be revoked, the member keeps its epoch and only the partitions it keeps; once
 * it reports (in ownedTopicPartitions) that it no longer owns the revoked ones, it moves to the
 * target epoch and gets the new partitions that no other member still holds; those still held
 * come on a later heartbeat, after their owner revoked them.
 */
export function reconcile(group: ConsumerGroup, member: ConsumerGroupMember): void {
  const targetEpoch = group.targetAssignmentEpoch;
  const target = group.target.get(member.memberId) ?? new Map<string, Set<number>>();
  if (member.state === 'unrevoked_partitions') {
    if (!revocationAcknowledged(member)) return;
    member.pendingRevocation = new Map();
    member.state = 'stable';
  } else if (member.state === 'stable' && member.memberEpoch === targetEpoch) {
    return;
  }
  const keep: Assignment = new Map();
  const revoke: Assignment = new Map();
  for (const [topicId, partitions] of member.assigned) {
    for (const p of partitions) addPartition(hasPartition(target, topicId, p) ? keep : revoke, topicId, p);
  }
  if (revoke.size > 0) {
    member.assigned = keep;
    member.pendingRevocation = revoke;
    member.state = 'unrevoked_partitions';
    return;
  }
  let unreleased = false;
  const next = copyAssignment(keep);
  for (const [topicId, partitions] of target) {
    for (const p of partitions) {
      if (hasPartition(next, topicId, p)) continue;
      if (group.holderOf(topicId, p, member.memberId)) unreleased = true;
      else addPartition(next, topicId, p);
    }
  }
  member.assigned = next;
  if (member.memberEpoch !== targetEpoch) {
    member.previousMemberEpoch = member.memberEpoch;
    member.memberEpoch = targetEpoch;
  }
  member.state = unreleased ? 'unreleased_partitions' : 'stable';
}

/** Whether the member's last report of what it owns no longer includes partitions it must revoke. */
function revocationAcknowledged(member: ConsumerGroupMember): boolean {
  if (member.owned === null) return false;
  for (const [topicId, partitions] of member.pendingRevocation)
    for (const p of partitions) if (hasPartition(member.owned, topicId, p)) return false;
  return true;
}
