import { describe, expect, it } from 'vitest';
import type { PartitionState } from '../../../broker-image/src/cluster/metadata.js';
import {
  cancelReassignment,
  completeReassignment,
  electLeader,
  preferPreferredLeader,
  startReassignment,
} from '../../../broker-image/src/cluster/partition-states.js';

const state = (overrides: Partial<PartitionState> = {}): PartitionState => ({
  partition: 0,
  replicas: [1, 2, 3],
  isr: [1, 2, 3],
  leader: 1,
  leaderEpoch: 4,
  partitionEpoch: 9,
  addingReplicas: [],
  removingReplicas: [],
  ...overrides,
});

describe('leader election', () => {
  it('leaves a healthy partition alone', () => {
    expect(electLeader(state(), new Set([1, 2, 3]), false)).toBeUndefined();
  });

  it('drops dead followers from the ISR without a new leader epoch', () => {
    expect(electLeader(state(), new Set([1, 2]), false)).toMatchObject({
      leader: 1,
      isr: [1, 2],
      leaderEpoch: 4,
    });
  });

  it('elects the first live in-sync replica when the leader dies, with a new epoch', () => {
    expect(electLeader(state(), new Set([2, 3]), false)).toMatchObject({
      leader: 2,
      isr: [2, 3],
      leaderEpoch: 5,
    });
  });

  it('never elects an out-of-sync replica unless unclean election is allowed', () => {
    const lagging = state({ isr: [1] });
    const offline = electLeader(lagging, new Set([2, 3]), false);
    expect(offline).toMatchObject({ leader: -1, isr: [1], leaderEpoch: 5 });
    expect(electLeader(lagging, new Set([2, 3]), true)).toMatchObject({ leader: 2, isr: [2] });
  });

  it('brings an offline partition back when its last in-sync replica returns', () => {
    expect(electLeader(state({ leader: -1, isr: [1] }), new Set([1, 2]), false)).toMatchObject({
      leader: 1,
      isr: [1],
    });
  });

  it('moves leadership back to the preferred replica only when it is alive and in sync', () => {
    expect(preferPreferredLeader(state({ leader: 2 }), new Set([1, 2, 3]))).toMatchObject({
      leader: 1,
      leaderEpoch: 5,
    });
    expect(preferPreferredLeader(state({ leader: 2, isr: [2, 3] }), new Set([1, 2, 3]))).toBeUndefined();
    expect(preferPreferredLeader(state({ leader: 2 }), new Set([2, 3]))).toBeUndefined();
  });
});

describe('reassignment', () => {
  it('adds the new replicas, waits for them to be in sync, then drops the old ones and moves leadership', () => {
    const started = startReassignment(state(), [4, 2, 3]);
    expect(started).toMatchObject({ replicas: [4, 2, 3, 1], addingReplicas: [4], removingReplicas: [1] });
    expect(completeReassignment(started)).toBeUndefined();
    const caughtUp = { ...started, isr: [1, 2, 3, 4] };
    expect(completeReassignment(caughtUp)).toMatchObject({
      replicas: [4, 2, 3],
      isr: [2, 3, 4],
      leader: 4,
      leaderEpoch: 5,
      addingReplicas: [],
      removingReplicas: [],
    });
  });

  it('cancels back to the original replicas', () => {
    const started = startReassignment(state(), [4, 5, 6]);
    expect(cancelReassignment({ ...started, isr: [1, 2, 3, 4] })).toMatchObject({
      replicas: [1, 2, 3],
      isr: [1, 2, 3],
      leader: 1,
    });
    expect(cancelReassignment(state())).toBeUndefined();
  });

  it('replaces a reassignment in progress with a new target', () => {
    const first = startReassignment(state(), [4, 2, 3]);
    expect(startReassignment(first, [5, 2, 3])).toMatchObject({
      replicas: [5, 2, 3, 1],
      addingReplicas: [5],
      removingReplicas: [1],
    });
  });
});
