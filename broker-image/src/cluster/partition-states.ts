import type { PartitionState } from './metadata.js';

/**
 * The controller's decisions about one partition, as pure functions of its state and the live
 * brokers, so they are tested without any cluster. Each returns the new state, or undefined when
 * nothing needs to change. Leader epochs go up whenever the leader changes.
 */

const same = (a: readonly number[], b: readonly number[]): boolean =>
  a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * After brokers come or go: dead brokers leave the ISR, and a partition whose leader died gets the
 * first live ISR member (in replica order) as leader. With no live ISR member the partition goes
 * offline (leader -1) and keeps its last ISR, so that member can lead again when it returns —
 * unless unclean election is allowed, which takes any live replica and risks losing data.
 */
export function electLeader(
  state: PartitionState,
  alive: ReadonlySet<number>,
  uncleanLeaderElection: boolean,
): PartitionState | undefined {
  const liveIsr = state.isr.filter((id) => alive.has(id));
  if (state.leader >= 0 && alive.has(state.leader) && liveIsr.includes(state.leader)) {
    return same(liveIsr, state.isr) ? undefined : { ...state, isr: liveIsr };
  }
  const candidate = state.replicas.find((id) => liveIsr.includes(id));
  if (candidate !== undefined) {
    return { ...state, leader: candidate, isr: liveIsr, leaderEpoch: state.leaderEpoch + 1 };
  }
  if (uncleanLeaderElection) {
    const anyLive = state.replicas.find((id) => alive.has(id));
    if (anyLive !== undefined)
      return { ...state, leader: anyLive, isr: [anyLive], leaderEpoch: state.leaderEpoch + 1 };
  }
  if (state.leader === -1) return undefined;
  return { ...state, leader: -1, leaderEpoch: state.leaderEpoch + 1 };
}

/** Moves leadership back to the preferred (first) replica when it is alive and in sync. */
export function preferPreferredLeader(
  state: PartitionState,
  alive: ReadonlySet<number>,
): PartitionState | undefined {
  const preferred = state.replicas[0];
  if (preferred === undefined || preferred === state.leader) return undefined;
  if (!alive.has(preferred) || !state.isr.includes(preferred)) return undefined;
  return { ...state, leader: preferred, leaderEpoch: state.leaderEpoch + 1 };
}

/**
 * Starts moving a partition to `target` replicas: the replica set becomes the union (targets
 * first, so the preferred leader is the target's), the new replicas are marked adding and the
 * leaving ones removing. Followers of the new replicas then catch up from the leader.
 */
export function startReassignment(state: PartitionState, target: readonly number[]): PartitionState {
  // A new target replaces one in progress: start from the replicas before it.
  const original = state.replicas.filter((id) => !state.addingReplicas.includes(id));
  const adding = target.filter((id) => !original.includes(id));
  const removing = original.filter((id) => !target.includes(id));
  return {
    ...state,
    replicas: [...target, ...removing],
    addingReplicas: adding,
    removingReplicas: removing,
  };
}

/** Cancels a reassignment: back to the replicas before it (those not being added). */
export function cancelReassignment(state: PartitionState): PartitionState | undefined {
  if (state.addingReplicas.length === 0 && state.removingReplicas.length === 0) return undefined;
  const original = state.replicas.filter((id) => !state.addingReplicas.includes(id));
  const isr = state.isr.filter((id) => original.includes(id));
  const leader = original.includes(state.leader)
    ? state.leader
    : (original.find((id) => isr.includes(id)) ?? -1);
  return {
    ...state,
    replicas: original,
    isr: isr.length > 0 ? isr : state.isr,
    leader,
    leaderEpoch: leader === state.leader ? state.leaderEpoch : state.leaderEpoch + 1,
    addingReplicas: [],
    removingReplicas: [],
  };
}

/** The replicas a partition will have when its reassignment (if any) completes. */
export function currentTarget(state: PartitionState): number[] {
  return state.replicas.filter((id) => !state.removingReplicas.includes(id));
}

/**
 * Completes a reassignment once every new replica has caught up (is in the ISR): the leaving
 * replicas are dropped, and leadership moves to a target replica if the leader is leaving.
 */
export function completeReassignment(state: PartitionState): PartitionState | undefined {
  if (state.addingReplicas.length === 0 && state.removingReplicas.length === 0) return undefined;
  if (!state.addingReplicas.every((id) => state.isr.includes(id))) return undefined;
  const target = currentTarget(state);
  const isr = state.isr.filter((id) => target.includes(id));
  if (isr.length === 0) return undefined;
  const leader = target.includes(state.leader) ? state.leader : target.find((id) => isr.includes(id))!;
  return {
    ...state,
    replicas: target,
    isr,
    leader,
    leaderEpoch: leader === state.leader ? state.leaderEpoch : state.leaderEpoch + 1,
    addingReplicas: [],
    removingReplicas: [],
  };
}
