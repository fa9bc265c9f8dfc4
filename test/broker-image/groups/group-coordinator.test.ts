import { afterEach, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../../broker-image/src/protocol/errors.js';
import { GroupCoordinator, type JoinRequest } from '../../../broker-image/src/groups/group-coordinator.js';
import { offsetsPartitionFor, javaStringHashCode } from '../../../broker-image/src/groups/coordinator-key.js';
import { MemoryOffsetsLog, config, joinRequest, silentLogger } from './group-fixtures.js';

let now = 1_000_000;
const clock = { now: () => now };
const coordinators: GroupCoordinator[] = [];

function coordinator(log = new MemoryOffsetsLog()): { groups: GroupCoordinator; log: MemoryOffsetsLog } {
  const groups = new GroupCoordinator(config, log, clock, silentLogger);
  for (let p = 0; p < config.offsetsTopicNumPartitions; p++) groups.loadPartition(p);
  coordinators.push(groups);
  return { groups, log };
}
afterEach(() => {
  for (const c of coordinators.splice(0)) c.shutdown();
});

const join = (overrides: Partial<JoinRequest> = {}): JoinRequest =>
  joinRequest({ requireKnownMemberId: true, ...overrides });

const exists = () => true;

async function stableMember(
  groups: GroupCoordinator,
  overrides: Partial<JoinRequest> = {},
): Promise<{ memberId: string; generationId: number }> {
  let result = await groups.joinGroup(join(overrides));
  if (result.errorCode === ERROR_CODES.MEMBER_ID_REQUIRED)
    result = await groups.joinGroup(join({ ...overrides, memberId: result.memberId }));
  expect(result.errorCode).toBe(ERROR_CODES.NONE);
  const sync = await groups.syncGroup({
    groupId: 'g',
    generationId: result.generationId,
    memberId: result.memberId,
    groupInstanceId: overrides.groupInstanceId ?? null,
    protocolType: 'consumer',
    protocolName: result.protocolName,
    assignments: result.members.map((m) => ({ memberId: m.memberId, assignment: Buffer.from('all') })),
  });
  expect(sync.errorCode).toBe(ERROR_CODES.NONE);
  return { memberId: result.memberId, generationId: result.generationId };
}

describe('coordinator key', () => {
  it('hashes group ids like Java String.hashCode', () => {
    expect(javaStringHashCode('')).toBe(0);
    expect(javaStringHashCode('hello')).toBe(99162322);
    expect(javaStringHashCode('polygenelubricants')).toBe(-0x80000000);
    expect(offsetsPartitionFor('polygenelubricants', 50)).toBe(0);
    expect(offsetsPartitionFor('my-group', 50)).toBe(Math.abs(javaStringHashCode('my-group')) % 50);
  });
});

describe('GroupCoordinator', () => {
  it('asks a new member without an id to rejoin with one (MEMBER_ID_REQUIRED), then makes it leader', async () => {
    const { groups } = coordinator();
    const first = await groups.joinGroup(join());
    expect(first.errorCode).toBe(ERROR_CODES.MEMBER_ID_REQUIRED);
    expect(first.memberId).toMatch(/^client-/);
    const second = await groups.joinGroup(join({ memberId: first.memberId }));
    expect(second).toMatchObject({
      errorCode: 0,
      generationId: 1,
      protocolName: 'range',
      leader: first.memberId,
    });
    expect(second.members).toHaveLength(1);
  });

  it('picks the protocol every member supports that most prefer', async () => {
    const { groups } = coordinator();
    const a = await groups.joinGroup(
      join({
        requireKnownMemberId: false,
        protocols: [
          { name: 'range', metadata: Buffer.alloc(0) },
          { name: 'roundrobin', metadata: Buffer.alloc(0) },
        ],
      }),
    );
    expect(a.protocolName).toBe('range');
    const bJoin = groups.joinGroup(
      join({ requireKnownMemberId: false, protocols: [{ name: 'roundrobin', metadata: Buffer.alloc(0) }] }),
    );
    const aRejoin = groups.joinGroup(
      join({
        memberId: a.memberId,
        protocols: [
          { name: 'range', metadata: Buffer.alloc(0) },
          { name: 'roundrobin', metadata: Buffer.alloc(0) },
        ],
      }),
    );
    const [b, a2] = await Promise.all([bJoin, aRejoin]);
    expect(b.protocolName).toBe('roundrobin');
    expect(a2.protocolName).toBe('roundrobin');
    expect(b.generationId).toBe(2);
  });

  it('refuses a member with no protocol in common (INCONSISTENT_GROUP_PROTOCOL)', async () => {
    const { groups } = coordinator();
    await stableMember(groups);
    const other = await groups.joinGroup(
      join({ requireKnownMemberId: false, protocols: [{ name: 'sticky', metadata: Buffer.alloc(0) }] }),
    );
    expect(other.errorCode).toBe(ERROR_CODES.INCONSISTENT_GROUP_PROTOCOL);
  });

  it('refuses session timeouts outside the broker limits', async () => {
    const { groups } = coordinator();
    expect((await groups.joinGroup(join({ sessionTimeoutMs: 5 }))).errorCode).toBe(
      ERROR_CODES.INVALID_SESSION_TIMEOUT,
    );
  });

  it('answers heartbeats with ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID and REBALANCE_IN_PROGRESS where Kafka does', async () => {
    const { groups } = coordinator();
    const { memberId, generationId } = await stableMember(groups);
    expect(groups.heartbeat('g', generationId, memberId, null)).toBe(ERROR_CODES.NONE);
    expect(groups.heartbeat('g', generationId + 1, memberId, null)).toBe(ERROR_CODES.ILLEGAL_GENERATION);
    expect(groups.heartbeat('g', generationId, 'stranger', null)).toBe(ERROR_CODES.UNKNOWN_MEMBER_ID);
    // A second member joining puts the group into PreparingRebalance.
    const pending = groups.joinGroup(join({ requireKnownMemberId: false }));
    expect(groups.heartbeat('g', generationId, memberId, null)).toBe(ERROR_CODES.REBALANCE_IN_PROGRESS);
    await groups.joinGroup(join({ memberId }));
    expect((await pending).generationId).toBe(generationId + 1);
  });

  it('lets a static member restart without a rebalance and fences the old instance', async () => {
    const { groups } = coordinator();
    const before = await stableMember(groups, { groupInstanceId: 'instance-1' });
    const restarted = await groups.joinGroup(join({ groupInstanceId: 'instance-1' }));
    expect(restarted.errorCode).toBe(ERROR_CODES.NONE);
    expect(restarted.generationId).toBe(before.generationId); // no new generation: no rebalance
    expect(restarted.memberId).not.toBe(before.memberId);
    expect(groups.describeGroup('g').groupState).toBe('Stable');
    expect(groups.heartbeat('g', before.generationId, before.memberId, 'instance-1')).toBe(
      ERROR_CODES.FENCED_INSTANCE_ID,
    );
    expect(groups.heartbeat('g', before.generationId, restarted.memberId, 'instance-1')).toBe(
      ERROR_CODES.NONE,
    );
  });

  it('commits offsets for members of the current generation only, and changes nothing on refusal', async () => {
    const { groups } = coordinator();
    const { memberId, generationId } = await stableMember(groups);
    const commit = (generation: number, member: string, offset: number, metadata = '') =>
      groups.commitOffsets(
        'g',
        generation,
        member,
        null,
        [{ topic: 't', partition: 0, offset, leaderEpoch: 3, metadata }],
        exists,
      );
    expect(await commit(generationId, memberId, 10)).toEqual([ERROR_CODES.NONE]);
    expect(await commit(generationId + 5, memberId, 20)).toEqual([ERROR_CODES.ILLEGAL_GENERATION]);
    expect(await commit(generationId, 'stranger', 20)).toEqual([ERROR_CODES.UNKNOWN_MEMBER_ID]);
    expect(await commit(generationId, memberId, 20, 'x'.repeat(17))).toEqual([
      ERROR_CODES.OFFSET_METADATA_TOO_LARGE,
    ]);
    expect(
      await groups.commitOffsets(
        'g',
        generationId,
        memberId,
        null,
        [{ topic: 'nope', partition: 0, offset: 1, leaderEpoch: -1, metadata: '' }],
        () => false,
      ),
    ).toEqual([ERROR_CODES.UNKNOWN_TOPIC_OR_PARTITION]);
    expect(groups.fetchOffsets('g', [{ topic: 't', partition: 0 }])[0]).toMatchObject({
      offset: 10,
      leaderEpoch: 3,
    });
  });

  it('accepts standalone commits (no member, generation -1) only while the group is empty', async () => {
    const { groups } = coordinator();
    const standalone = () =>
      groups.commitOffsets(
        'g',
        -1,
        '',
        null,
        [{ topic: 't', partition: 1, offset: 5, leaderEpoch: -1, metadata: null }],
        exists,
      );
    expect(await standalone()).toEqual([ERROR_CODES.NONE]);
    await stableMember(groups);
    expect(await standalone()).toEqual([ERROR_CODES.UNKNOWN_MEMBER_ID]);
  });

  it('reloads groups and offsets from what it wrote to __consumer_offsets', async () => {
    const { groups, log } = coordinator();
    const { memberId, generationId } = await stableMember(groups);
    await groups.commitOffsets(
      'g',
      generationId,
      memberId,
      null,
      [{ topic: 't', partition: 2, offset: 42, leaderEpoch: 1, metadata: 'meta' }],
      exists,
    );
    const reloaded = coordinator(log).groups;
    expect(reloaded.describeGroup('g')).toMatchObject({ groupState: 'Stable', members: [{ memberId }] });
    expect(reloaded.fetchOffsets('g', null)).toEqual([
      { topic: 't', partition: 2, offset: 42, leaderEpoch: 1, metadata: 'meta', errorCode: 0 },
    ]);
    expect(reloaded.heartbeat('g', generationId, memberId, null)).toBe(ERROR_CODES.NONE);
  });

  it('deletes only empty groups, tombstoning their metadata and offsets', async () => {
    const { groups, log } = coordinator();
    const { memberId, generationId } = await stableMember(groups);
    await groups.commitOffsets(
      'g',
      generationId,
      memberId,
      null,
      [{ topic: 't', partition: 0, offset: 1, leaderEpoch: -1, metadata: '' }],
      exists,
    );
    expect(await groups.deleteGroup('g')).toBe(ERROR_CODES.NON_EMPTY_GROUP);
    groups.leaveGroup('g', [{ memberId, groupInstanceId: null }]);
    expect(groups.describeGroup('g').groupState).toBe('Empty');
    expect(await groups.deleteGroup('g')).toBe(ERROR_CODES.NONE);
    expect(await groups.deleteGroup('g')).toBe(ERROR_CODES.GROUP_ID_NOT_FOUND);
    expect(coordinator(log).groups.describeGroup('g').groupState).toBe('Dead');
  });

  it('expires offsets of an empty group after offsets.retention.minutes, then the group', async () => {
    const { groups, log } = coordinator();
    const { memberId, generationId } = await stableMember(groups);
    await groups.commitOffsets(
      'g',
      generationId,
      memberId,
      null,
      [{ topic: 't', partition: 0, offset: 7, leaderEpoch: -1, metadata: '' }],
      exists,
    );
    groups.leaveGroup('g', [{ memberId, groupInstanceId: null }]);
    now += 30_000;
    expect(await groups.expireOffsets()).toBe(0);
    now += 31_000;
    expect(await groups.expireOffsets()).toBe(1);
    expect(groups.fetchOffsets('g', [{ topic: 't', partition: 0 }])[0]!.offset).toBe(-1);
    expect(groups.listGroups([])).toEqual([]);
    expect(coordinator(log).groups.listGroups([])).toEqual([]);
  });

  it('refuses OffsetDelete for topics the group still subscribes to', async () => {
    const { groups } = coordinator();
    const { memberId, generationId } = await stableMember(groups);
    await groups.commitOffsets(
      'g',
      generationId,
      memberId,
      null,
      [
        { topic: 't', partition: 0, offset: 1, leaderEpoch: -1, metadata: '' },
        { topic: 'old', partition: 0, offset: 1, leaderEpoch: -1, metadata: '' },
      ],
      exists,
    );
    const result = await groups.deleteOffsets('g', [
      { topic: 't', partition: 0 },
      { topic: 'old', partition: 0 },
    ]);
    expect(result).toEqual({
      errorCode: 0,
      partitionErrors: [ERROR_CODES.GROUP_SUBSCRIBED_TO_TOPIC, ERROR_CODES.NONE],
    });
    expect(groups.fetchOffsets('g', null).map((o) => o.topic)).toEqual(['t']);
  });

  it('answers requests parked in a partition it gives up with NOT_COORDINATOR, and reloads the group from what it wrote', async () => {
    const { groups } = coordinator();
    const { memberId, generationId } = await stableMember(groups);
    const parked = groups.joinGroup(join({ requireKnownMemberId: false }));
    expect(groups.describeGroup('g').groupState).toBe('PreparingRebalance');
    const partition = groups.partitionFor('g');
    groups.unloadPartition(partition);
    expect(groups.isOwned(partition)).toBe(false);
    expect((await parked).errorCode).toBe(ERROR_CODES.NOT_COORDINATOR);
    expect(groups.describeGroup('g').errorCode).toBe(ERROR_CODES.NOT_COORDINATOR);
    expect(groups.listGroups([])).toEqual([]);
    groups.loadPartition(partition);
    expect(groups.describeGroup('g')).toMatchObject({ groupState: 'Stable', members: [{ memberId }] });
    expect(groups.heartbeat('g', generationId, memberId, null)).toBe(ERROR_CODES.NONE);
  });

  it('keeps its groups when told to load a partition it already owns', async () => {
    const { groups } = coordinator();
    const { memberId, generationId } = await stableMember(groups);
    const parked = groups.joinGroup(join({ requireKnownMemberId: false }));
    groups.loadPartition(groups.partitionFor('g'));
    expect(groups.describeGroup('g').groupState).toBe('PreparingRebalance');
    await groups.joinGroup(join({ memberId }));
    expect((await parked).generationId).toBe(generationId + 1);
  });

  it('lists the groups it coordinates, filtered by state', async () => {
    const { groups } = coordinator();
    await stableMember(groups);
    await groups.commitOffsets(
      'standalone',
      -1,
      '',
      null,
      [{ topic: 't', partition: 0, offset: 1, leaderEpoch: -1, metadata: '' }],
      exists,
    );
    expect(
      groups
        .listGroups([])
        .map((g) => g.groupId)
        .sort(),
    ).toEqual(['g', 'standalone']);
    expect(groups.listGroups(['stable'])).toEqual([
      { groupId: 'g', protocolType: 'consumer', groupState: 'Stable', groupType: 'Classic' },
    ]);
    expect(groups.listGroups(['Empty']).map((g) => g.groupId)).toEqual(['standalone']);
  });

  it('answers NOT_COORDINATOR for groups of partitions it does not own', async () => {
    const log = new MemoryOffsetsLog();
    const groups = new GroupCoordinator(config, log, clock, silentLogger);
    coordinators.push(groups);
    expect((await groups.joinGroup(join())).errorCode).toBe(ERROR_CODES.NOT_COORDINATOR);
  });
});
