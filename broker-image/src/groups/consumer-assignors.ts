/**
 * The server-side assignors of KIP-848 consumer groups: `uniform` (the default) and `range`.
 * Topics are named by their id (URL-safe base64); an assignment maps a topic id to partitions.
 */

export type Assignment = Map<string, Set<number>>;

export interface AssignorMember {
  readonly memberId: string;
  /** Ids of the topics the member subscribes to (only topics that exist). */
  readonly subscribedTopicIds: ReadonlySet<string>;
  /** What the member is assigned now, kept where balance allows (stickiness). */
  readonly currentAssignment: Assignment;
}

export interface AssignorTopic {
  readonly topicId: string;
  readonly name: string;
  readonly partitions: number;
}

export interface ConsumerAssignor {
  readonly name: string;
  assign(
    members: readonly AssignorMember[],
    topics: ReadonlyMap<string, AssignorTopic>,
  ): Map<string, Assignment>;
}

export function assignmentSize(assignment: Assignment): number {
  let n = 0;
  for (const partitions of assignment.values()) n += partitions.size;
  return n;
}

export function addPartition(assignment: Assignment, topicId: string, partition: number): void {
  let partitions = assignment.get(topicId);
  if (!partitions) {
    partitions = new Set();
    assignment.set(topicId, partitions);
  }
  partitions.add(partition);
}

export function hasPartition(assignment: Assignment, topicId: string, partition: number): boolean {
  return assignment.get(topicId)?.has(partition) ?? false;
}

export function copyAssignment(assignment: Assignment): Assignment {
  return new Map([...assignment].filter(([, p]) => p.size > 0).map(([t, p]) => [t, new Set(p)]));
}

export function sameAssignment(a: Assignment, b: Assignment): boolean {
  if (assignmentSize(a) !== assignmentSize(b)) return false;
  for (const [topic, partitions] of a)
    for (const p of partitions) if (!hasPartition(b, topic, p)) return false;
  return true;
}

/**
 * Spreads every subscribed partition over the members subscribed to its topic so that counts
 * differ by at most one where subscriptions allow, keeping partitions with their current owner
 * when that owner is under its quota.
 */
export const uniformAssignor: ConsumerAssignor = {
  name: 'uniform',
  assign(members, topics) {
    const result = new Map<string, Assignment>(members.map((m) => [m.memberId, new Map()]));
    const counts = new Map<string, number>(members.map((m) => [m.memberId, 0]));
    const subscribers = new Map<string, AssignorMember[]>();
    for (const m of members) {
      for (const topicId of m.subscribedTopicIds) {
        if (!topics.has(topicId)) continue;
        let list = subscribers.get(topicId);
        if (!list) subscribers.set(topicId, (list = []));
        list.push(m);
      }
    }
    const all: { topicId: string; partition: number }[] = [];
    for (const topicId of [...subscribers.keys()].sort((a, b) =>
      topics.get(a)!.name.localeCompare(topics.get(b)!.name),
    )) {
      for (let p = 0; p < topics.get(topicId)!.partitions; p++) all.push({ topicId, partition: p });
    }
    const interested = members.filter((m) => [...m.subscribedTopicIds].some((t) => subscribers.has(t)));
    const quota = interested.length === 0 ? 0 : Math.ceil(all.length / interested.length);
    const unassigned: { topicId: string; partition: number }[] = [];
    // Sticky pass: a partition stays with a current owner still subscribed and under quota.
    for (const tp of all) {
      const owner = subscribers
        .get(tp.topicId)!
        .find((m) => hasPartition(m.currentAssignment, tp.topicId, tp.partition));
      if (owner && counts.get(owner.memberId)! < quota) {
        addPartition(result.get(owner.memberId)!, tp.topicId, tp.partition);
        counts.set(owner.memberId, counts.get(owner.memberId)! + 1);
      } else {
        unassigned.push(tp);
      }
    }
    // The rest go to the least loaded subscriber (ties: member id order).
    for (const tp of unassigned) {
      let best: AssignorMember | undefined;
      for (const m of subscribers.get(tp.topicId)!) {
        if (
          !best ||
          counts.get(m.memberId)! < counts.get(best.memberId)! ||
          (counts.get(m.memberId) === counts.get(best.memberId) && m.memberId < best.memberId)
        )
          best = m;
      }
      addPartition(result.get(best!.memberId)!, tp.topicId, tp.partition);
      counts.set(best!.memberId, counts.get(best!.memberId)! + 1);
    }
    rebalanceCounts(result, counts, subscribers);
    return result;
  },
};

/**
 * Moves partitions from the most to the least loaded members while the difference exceeds one
 * and the receiver subscribes to the partition's topic (the sticky pass may leave an imbalance
 * when subscriptions differ).
 */
function rebalanceCounts(
  result: Map<string, Assignment>,
  counts: Map<string, number>,
  subscribers: Map<string, AssignorMember[]>,
): void {
  for (let guard = 0; guard < 10_000; guard++) {
    let moved = false;
    const ordered = [...counts].sort((a, b) => b[1] - a[1]);
    for (const [from, fromCount] of ordered) {
      for (const [topicId, partitions] of result.get(from)!) {
        const candidates = subscribers.get(topicId) ?? [];
        const to = candidates
          .filter((m) => counts.get(m.memberId)! < fromCount - 1)
          .sort((a, b) => counts.get(a.memberId)! - counts.get(b.memberId)!)[0];
        if (!to || partitions.size === 0) continue;
        const partition = Math.max(...partitions);
        partitions.delete(partition);
        addPartition(result.get(to.memberId)!, topicId, partition);
        counts.set(from, fromCount - 1);
        counts.set(to.memberId, counts.get(to.memberId)! + 1);
        moved = true;
        break;
      }
      if (moved) break;
    }
    if (!moved) return;
  }
}

/**
 * Kafka's range assignment, topic by topic: the members subscribed to a topic, in member id
 * order, each take a contiguous range of its partitions, the first ones one more when the
 * partitions do not divide evenly.
 */
export const rangeAssignor: ConsumerAssignor = {
  name: 'range',
  assign(members, topics) {
    const result = new Map<string, Assignment>(members.map((m) => [m.memberId, new Map()]));
    for (const topic of topics.values()) {
      const subscribed = members
        .filter((m) => m.subscribedTopicIds.has(topic.topicId))
        .map((m) => m.memberId)
        .sort();
      if (subscribed.length === 0) continue;
      const per = Math.floor(topic.partitions / subscribed.length);
      const extra = topic.partitions % subscribed.length;
      let next = 0;
      subscribed.forEach((memberId, i) => {
        const count = per + (i < extra ? 1 : 0);
        for (let k = 0; k < count; k++) addPartition(result.get(memberId)!, topic.topicId, next++);
      });
    }
    return result;
  },
};

const KNOWN: Record<string, ConsumerAssignor> = {
  uniform: uniformAssignor,
  range: rangeAssignor,
  'org.apache.kafka.coordinator.group.assignor.UniformAssignor': uniformAssignor,
  'org.apache.kafka.coordinator.group.assignor.RangeAssignor': rangeAssignor,
};

/** The assignors `group.consumer.assignors` names (short names or Kafka's class names), in order. */
export function consumerAssignors(names: readonly string[]): ConsumerAssignor[] {
  return names.map((name) => {
    const assignor = KNOWN[name.trim()];
    if (!assignor) throw new Error(`unknown consumer group assignor ${name}`);
    return assignor;
  });
}
