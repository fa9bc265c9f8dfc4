import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { JoinResult } from '../../../broker-image/src/groups/classic-group.js';
import type { JoinRequest } from '../../../broker-image/src/groups/group-membership.js';
import { ERROR_CODES, KafkaError } from '../../../broker-image/src/protocol/errors.js';
import { coordinatorParts, joinRequest, subscription } from './group-fixtures.js';

type Parts = ReturnType<typeof coordinatorParts>;
const started: Parts[] = [];

function parts(settings: Parameters<typeof coordinatorParts>[0] = {}): Parts {
  const p = coordinatorParts(settings);
  started.push(p);
  return p;
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
});
afterEach(() => {
  for (const p of started.splice(0)) p.rebalancer.shutdown();
  vi.useRealTimers();
});

const stateOf = (p: Parts) => p.registry.get('g')?.state;

function sync(p: Parts, joined: JoinResult, groupInstanceId: string | null = null) {
  return p.membership.syncGroup({
    groupId: 'g',
    generationId: joined.generationId,
    memberId: joined.memberId,
    groupInstanceId,
    protocolType: 'consumer',
    protocolName: joined.protocolName,
    assignments: joined.members.map((m) => ({ memberId: m.memberId, assignment: Buffer.from(m.memberId) })),
  });
}

/** `count` members join at once, the first rebalance completes and every member syncs. */
async function stableGroup(
  p: Parts,
  count: number,
  overrides: Partial<JoinRequest> = {},
): Promise<JoinResult[]> {
  const joins = Array.from({ length: count }, () => p.membership.joinGroup(joinRequest(overrides)));
  await vi.advanceTimersByTimeAsync(1);
  const joined = await Promise.all(joins);
  for (const j of joined) expect(j.errorCode).toBe(ERROR_CODES.NONE);
  const synced = await Promise.all(joined.map((j) => sync(p, j, overrides.groupInstanceId ?? null)));
  for (const s of synced) expect(s.errorCode).toBe(ERROR_CODES.NONE);
  expect(stateOf(p)).toBe('Stable');
  return joined;
}

/** Settles a promise's state without waiting for it: 'pending' if it has not resolved yet. */
async function peek<T>(promise: Promise<T>): Promise<T | 'pending'> {
  return Promise.race([promise, new Promise<'pending'>((resolve) => setImmediate(() => resolve('pending')))]);
}

describe('classic group membership', () => {
  it('goes Empty, PreparingRebalance, CompletingRebalance, Stable through a join and the leader sync', async () => {
    const p = parts();
    const join = p.membership.joinGroup(joinRequest());
    expect(stateOf(p)).toBe('PreparingRebalance');
    await vi.advanceTimersByTimeAsync(1);
    const joined = await join;
    expect(joined).toMatchObject({ errorCode: 0, generationId: 1, leader: joined.memberId });
    expect(stateOf(p)).toBe('CompletingRebalance');
    const synced = await sync(p, joined);
    expect(synced).toMatchObject({
      errorCode: 0,
      protocolName: 'range',
      assignment: Buffer.from(joined.memberId),
    });
    expect(stateOf(p)).toBe('Stable');
  });

  it('holds the first generation for group.initial.rebalance.delay.ms, longer while members keep joining', async () => {
    const p = parts({ settings: { groupInitialRebalanceDelayMs: 3_000 } });
    const first = p.membership.joinGroup(joinRequest());
    await vi.advanceTimersByTimeAsync(2_000);
    const second = p.membership.joinGroup(joinRequest());
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await peek(first)).toBe('pending');
    expect(stateOf(p)).toBe('PreparingRebalance');
    await vi.advanceTimersByTimeAsync(3_000);
    const [a, b] = await Promise.all([first, second]);
    expect(a.generationId).toBe(1);
    expect(b.generationId).toBe(1);
    expect([...a.members, ...b.members]).toHaveLength(2); // the leader's answer lists both
  });

  it('refuses a member beyond group.max.size (GROUP_MAX_SIZE_REACHED)', async () => {
    const p = parts({ settings: { groupMaxSize: 1 } });
    await stableGroup(p, 1);
    const refused = await p.membership.joinGroup(joinRequest());
    expect(refused.errorCode).toBe(ERROR_CODES.GROUP_MAX_SIZE_REACHED);
    expect(stateOf(p)).toBe('Stable');
  });

  it('answers a parked JoinGroup with UNKNOWN_MEMBER_ID when the same member joins again', async () => {
    const p = parts();
    const [a, b] = await stableGroup(p, 2);
    // A follower rejoining with a new subscription starts a rebalance, and waits in it.
    const resubscribed = joinRequest({
      memberId: b!.memberId,
      protocols: [{ name: 'range', metadata: subscription(['t', 'u']) }],
    });
    const firstRejoin = p.membership.joinGroup(resubscribed);
    expect(stateOf(p)).toBe('PreparingRebalance');
    const secondRejoin = p.membership.joinGroup(resubscribed);
    expect((await firstRejoin).errorCode).toBe(ERROR_CODES.UNKNOWN_MEMBER_ID);
    expect(await peek(secondRejoin)).toBe('pending');
    await p.membership.joinGroup(joinRequest({ memberId: a!.memberId }));
    expect((await secondRejoin).generationId).toBe(a!.generationId + 1);
  });

  it('completes the join of the others when a member leaves during a rebalance', async () => {
    const p = parts();
    const [a, b] = await stableGroup(p, 2);
    const rejoin = p.membership.joinGroup(joinRequest({ memberId: a!.memberId }));
    expect(await peek(rejoin)).toBe('pending');
    const left = p.membership.leaveGroup('g', [{ memberId: b!.memberId, groupInstanceId: null }]);
    expect(left.members).toEqual([{ memberId: b!.memberId, groupInstanceId: null, errorCode: 0 }]);
    const rejoined = await rejoin;
    expect(rejoined.generationId).toBe(a!.generationId + 1);
    expect(rejoined.members.map((m) => m.memberId)).toEqual([a!.memberId]);
  });

  it('drops members that do not rejoin within the rebalance timeout', async () => {
    const p = parts();
    const [a, b] = await stableGroup(p, 2, { rebalanceTimeoutMs: 10_000 });
    const rejoin = p.membership.joinGroup(joinRequest({ memberId: a!.memberId, rebalanceTimeoutMs: 10_000 }));
    await vi.advanceTimersByTimeAsync(9_999);
    expect(await peek(rejoin)).toBe('pending');
    await vi.advanceTimersByTimeAsync(1);
    const rejoined = await rejoin;
    expect(rejoined.members.map((m) => m.memberId)).toEqual([a!.memberId]);
    expect(p.membership.heartbeat('g', rejoined.generationId, b!.memberId, null)).toBe(
      ERROR_CODES.UNKNOWN_MEMBER_ID,
    );
  });

  it('removes a member whose session expires, and the others are told to rejoin', async () => {
    const p = parts();
    const [a, b] = await stableGroup(p, 2, { sessionTimeoutMs: 10_000 });
    await vi.advanceTimersByTimeAsync(6_000);
    expect(p.membership.heartbeat('g', a!.generationId, a!.memberId, null)).toBe(ERROR_CODES.NONE);
    await vi.advanceTimersByTimeAsync(4_000);
    expect(p.registry.get('g')!.members.has(b!.memberId)).toBe(false);
    expect(stateOf(p)).toBe('PreparingRebalance');
    expect(p.membership.heartbeat('g', a!.generationId, a!.memberId, null)).toBe(
      ERROR_CODES.REBALANCE_IN_PROGRESS,
    );
  });

  it('removes members that never send SyncGroup and rebalances again', async () => {
    const p = parts();
    const joins = [0, 1].map(() =>
      p.membership.joinGroup(joinRequest({ rebalanceTimeoutMs: 5_000, sessionTimeoutMs: 30_000 })),
    );
    await vi.advanceTimersByTimeAsync(1);
    const [a, b] = await Promise.all(joins);
    const leader = a!.members.length > 0 ? a! : b!;
    const follower = leader === a ? b! : a!;
    await sync(p, leader);
    expect(stateOf(p)).toBe('Stable');
    await vi.advanceTimersByTimeAsync(5_000);
    expect([...p.registry.get('g')!.members.keys()]).toEqual([leader.memberId]);
    expect(stateOf(p)).toBe('PreparingRebalance');
    expect((await sync(p, follower)).errorCode).toBe(ERROR_CODES.UNKNOWN_MEMBER_ID);
  });

  it('forgets a member id handed out by MEMBER_ID_REQUIRED that never joins with it', async () => {
    const p = parts();
    const first = await p.membership.joinGroup(
      joinRequest({ requireKnownMemberId: true, sessionTimeoutMs: 1_000 }),
    );
    expect(first.errorCode).toBe(ERROR_CODES.MEMBER_ID_REQUIRED);
    expect(p.registry.get('g')!.pendingJoinMembers.has(first.memberId)).toBe(true);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(p.registry.get('g')!.pendingJoinMembers.size).toBe(0);
    const late = await p.membership.joinGroup(joinRequest({ memberId: first.memberId }));
    expect(late.errorCode).toBe(ERROR_CODES.UNKNOWN_MEMBER_ID);
  });

  it('fails the SyncGroup of a leader whose assignment cannot be written, and rebalances again', async () => {
    const p = parts();
    const join = p.membership.joinGroup(joinRequest());
    await vi.advanceTimersByTimeAsync(1);
    const joined = await join;
    p.log.failWith = new KafkaError('NOT_LEADER_OR_FOLLOWER');
    expect((await sync(p, joined)).errorCode).toBe(ERROR_CODES.NOT_COORDINATOR);
    expect(stateOf(p)).toBe('PreparingRebalance');
  });

  it('keeps the old instance of a static member in its place when its replacement cannot be written', async () => {
    const p = parts();
    const [before] = await stableGroup(p, 1, { groupInstanceId: 'instance-1' });
    p.log.failWith = new KafkaError('NOT_ENOUGH_REPLICAS');
    const restarted = await p.membership.joinGroup(joinRequest({ groupInstanceId: 'instance-1' }));
    expect(restarted.errorCode).toBe(ERROR_CODES.COORDINATOR_NOT_AVAILABLE);
    expect(p.membership.heartbeat('g', before!.generationId, before!.memberId, 'instance-1')).toBe(
      ERROR_CODES.NONE,
    );
    expect(stateOf(p)).toBe('Stable');
  });

  it('refuses requests for a group it does not coordinate (NOT_COORDINATOR)', async () => {
    const p = parts();
    p.registry.releasePartition(p.registry.partitionFor('g'));
    expect((await p.membership.joinGroup(joinRequest())).errorCode).toBe(ERROR_CODES.NOT_COORDINATOR);
    expect(p.membership.heartbeat('g', 1, 'm', null)).toBe(ERROR_CODES.NOT_COORDINATOR);
    expect(p.membership.leaveGroup('g', [{ memberId: 'm', groupInstanceId: null }]).errorCode).toBe(
      ERROR_CODES.NOT_COORDINATOR,
    );
    expect(p.registry.get('g')).toBeUndefined();
  });
});
