import { afterEach, describe, expect, it } from 'vitest';
import {
  assignmentSize,
  rangeAssignor,
  uniformAssignor,
  type Assignment,
  type AssignorTopic,
} from '../../../broker-image/src/groups/consumer-assignors.js';
import {
  ConsumerGroupMembership,
  type ConsumerHeartbeatRequest,
  type TopicCatalog,
} from '../../../broker-image/src/groups/consumer-group-membership.js';
import { GroupCoordinator } from '../../../broker-image/src/groups/group-coordinator.js';
import { ERROR_CODES } from '../../../broker-image/src/protocol/errors.js';
import {
  coordinatorParts,
  config,
  joinRequest,
  MemoryOffsetsLog,
  silentLogger,
  TestClock,
} from './group-fixtures.js';

const TOPIC_ID = Buffer.alloc(16, 7);

function catalog(partitions: number): TopicCatalog & { partitions: number } {
  const c = {
    partitions,
    byName: (name: string) => (name === 't' ? { topicId: TOPIC_ID, partitions: c.partitions } : undefined),
    nameOf: (id: Buffer) => (id.equals(TOPIC_ID) ? 't' : undefined),
    names: () => ['t'],
  };
  return c;
}

function topics(entries: [string, number][]): Map<string, AssignorTopic> {
  return new Map(entries.map(([name, partitions]) => [name, { topicId: name, name, partitions }]));
}

function member(memberId: string, subscribed: string[], current: Assignment = new Map()) {
  return { memberId, subscribedTopicIds: new Set(subscribed), currentAssignment: current };
}

function partitionsOf(assignment: { topicPartitions: { partitions: number[] }[] } | null): number[] {
  return (assignment?.topicPartitions ?? []).flatMap((t) => t.partitions).sort((a, b) => a - b);
}

describe('consumer group assignors', () => {
  it('uniform spreads partitions evenly and keeps them with their owner when it can', () => {
    const all = topics([['a', 6]]);
    const first = uniformAssignor.assign([member('m1', ['a']), member('m2', ['a'])], all);
    expect(assignmentSize(first.get('m1')!)).toBe(3);
    expect(assignmentSize(first.get('m2')!)).toBe(3);
    const second = uniformAssignor.assign(
      [member('m1', ['a'], first.get('m1')), member('m2', ['a'], first.get('m2')), member('m3', ['a'])],
      all,
    );
    for (const id of ['m1', 'm2', 'm3']) expect(assignmentSize(second.get(id)!)).toBe(2);
    // Stickiness: what m1 keeps was m1's.
    for (const p of second.get('m1')!.get('a')!) expect(first.get('m1')!.get('a')!.has(p)).toBe(true);
  });

  it('uniform only gives a member partitions of topics it subscribes to', () => {
    const result = uniformAssignor.assign(
      [member('m1', ['a']), member('m2', ['a', 'b'])],
      topics([
        ['a', 2],
        ['b', 2],
      ]),
    );
    expect(result.get('m1')!.has('b')).toBe(false);
    expect(assignmentSize(result.get('m1')!) + assignmentSize(result.get('m2')!)).toBe(4);
  });

  it('range gives each member a contiguous range per topic, the first ones one more', () => {
    const result = rangeAssignor.assign([member('m2', ['a']), member('m1', ['a'])], topics([['a', 5]]));
    expect([...result.get('m1')!.get('a')!]).toEqual([0, 1, 2]);
    expect([...result.get('m2')!.get('a')!]).toEqual([3, 4]);
  });
});

describe('consumer group heartbeats and reconciliation', () => {
  let membership: ConsumerGroupMembership | undefined;
  afterEach(() => membership?.shutdown());

  function setup(settings: Partial<typeof config> = {}) {
    const parts = coordinatorParts({ settings });
    membership = new ConsumerGroupMembership({ ...config, ...settings }, parts.registry, silentLogger);
    return { ...parts, classic: parts.membership, membership };
  }

  function heartbeat(overrides: Partial<ConsumerHeartbeatRequest>): ConsumerHeartbeatRequest {
    return {
      apiVersion: 1,
      groupId: 'g',
      memberId: 'm1',
      memberEpoch: 0,
      instanceId: null,
      rackId: null,
      rebalanceTimeoutMs: 30_000,
      subscribedTopicNames: ['t'],
      subscribedTopicRegex: null,
      serverAssignor: null,
      topicPartitions: [],
      clientId: 'client',
      clientHost: '/127.0.0.1',
      ...overrides,
    };
  }

  const owned = (partitions: number[]) => [{ topicId: TOPIC_ID, partitions }];

  it('a first member gets every partition and the group epoch', () => {
    const { membership } = setup();
    const result = membership.heartbeat(heartbeat({}), catalog(4));
    expect(result.errorCode).toBe(ERROR_CODES.NONE);
    expect(result.memberId).toBe('m1');
    expect(result.memberEpoch).toBe(1);
    expect(result.heartbeatIntervalMs).toBe(5000);
    expect(partitionsOf(result.assignment)).toEqual([0, 1, 2, 3]);
  });

  it('revokes before it assigns: a partition moves only after its owner stopped owning it', () => {
    const { membership, registry } = setup();
    const topics = catalog(4);
    membership.heartbeat(heartbeat({}), topics);
    // m2 joins: the group epoch bumps and the target splits the partitions.
    const joined = membership.heartbeat(heartbeat({ memberId: 'm2' }), topics);
    expect(joined.memberEpoch).toBe(2);
    expect(partitionsOf(joined.assignment)).toEqual([]); // all still held by m1
    // m1 is told to keep two: it has not yet revoked the other two.
    const revoking = membership.heartbeat(
      heartbeat({ memberEpoch: 1, topicPartitions: owned([0, 1, 2, 3]), subscribedTopicNames: null }),
      topics,
    );
    expect(revoking.memberEpoch).toBe(1);
    const kept = partitionsOf(revoking.assignment);
    expect(kept).toHaveLength(2);
    // m2 still gets nothing while m1 owns them.
    const waiting = membership.heartbeat(
      heartbeat({ memberId: 'm2', memberEpoch: 2, topicPartitions: owned([]), subscribedTopicNames: null }),
      topics,
    );
    expect(partitionsOf(waiting.assignment)).toEqual([]);
    expect(registry.getConsumer('g')!.state).toBe('Reconciling');
    // m1 acknowledges the revocation: it moves to epoch 2.
    const acked = membership.heartbeat(
      heartbeat({ memberEpoch: 1, topicPartitions: owned(kept), subscribedTopicNames: null }),
      topics,
    );
    expect(acked.memberEpoch).toBe(2);
    expect(partitionsOf(acked.assignment)).toEqual(kept);
    // Now m2 gets the released ones.
    const got = membership.heartbeat(
      heartbeat({ memberId: 'm2', memberEpoch: 2, topicPartitions: owned([]), subscribedTopicNames: null }),
      topics,
    );
    expect(partitionsOf(got.assignment)).toEqual([0, 1, 2, 3].filter((p) => !kept.includes(p)));
    expect(registry.getConsumer('g')!.state).toBe('Stable');
  });

  it('fences a wrong epoch and an unknown member; a leaving member frees its partitions', () => {
    const { membership } = setup();
    const topics = catalog(2);
    membership.heartbeat(heartbeat({}), topics);
    expect(
      membership.heartbeat(heartbeat({ memberEpoch: 5, subscribedTopicNames: null }), topics).errorCode,
    ).toBe(ERROR_CODES.FENCED_MEMBER_EPOCH);
    expect(
      membership.heartbeat(heartbeat({ memberId: 'x', memberEpoch: 1, subscribedTopicNames: null }), topics)
        .errorCode,
    ).toBe(ERROR_CODES.UNKNOWN_MEMBER_ID);
    membership.heartbeat(heartbeat({ memberId: 'm2' }), topics);
    const left = membership.heartbeat(heartbeat({ memberEpoch: -1, subscribedTopicNames: null }), topics);
    expect(left.memberEpoch).toBe(-1);
    const m2 = membership.heartbeat(
      heartbeat({ memberId: 'm2', memberEpoch: 2, topicPartitions: owned([]), subscribedTopicNames: null }),
      topics,
    );
    expect(m2.errorCode).toBe(ERROR_CODES.NONE);
    expect(m2.memberEpoch).toBe(3);
    expect(partitionsOf(m2.assignment)).toEqual([0, 1]);
  });

  it('bumps the group epoch when the subscribed topic gains partitions', () => {
    const { membership } = setup();
    const topics = catalog(2);
    membership.heartbeat(heartbeat({}), topics);
    topics.partitions = 3;
    const result = membership.heartbeat(
      heartbeat({ memberEpoch: 1, topicPartitions: owned([0, 1]), subscribedTopicNames: null }),
      topics,
    );
    expect(result.memberEpoch).toBe(2);
    expect(partitionsOf(result.assignment)).toEqual([0, 1, 2]);
  });

  it('refuses v1 joins without a member id and unknown assignors', () => {
    const { membership } = setup();
    expect(membership.heartbeat(heartbeat({ memberId: '' }), catalog(1)).errorCode).toBe(
      ERROR_CODES.INVALID_REQUEST,
    );
    expect(membership.heartbeat(heartbeat({ memberId: '', apiVersion: 0 }), catalog(1)).memberId).not.toBe(
      '',
    );
    expect(membership.heartbeat(heartbeat({ serverAssignor: 'sticky' }), catalog(1)).errorCode).toBe(
      ERROR_CODES.UNSUPPORTED_ASSIGNOR,
    );
  });

  it('a classic group with members is not a consumer group, and an empty one converts both ways', async () => {
    const { classic, registry, membership: consumer } = setup();
    // A classic member joins "c".
    const joined = classic.joinGroup(joinRequest({ groupId: 'c' }));
    await new Promise((r) => setTimeout(r, 10));
    expect(consumer.heartbeat(heartbeat({ groupId: 'c' }), catalog(1)).errorCode).toBe(
      ERROR_CODES.GROUP_ID_NOT_FOUND,
    );
    void joined;
    // A consumer group with members refuses a classic JoinGroup.
    consumer.heartbeat(heartbeat({ groupId: 'k' }), catalog(1));
    expect((await classic.joinGroup(joinRequest({ groupId: 'k' }))).errorCode).toBe(
      ERROR_CODES.INCONSISTENT_GROUP_PROTOCOL,
    );
    // Once empty, a classic member takes it over (downgrade).
    consumer.heartbeat(heartbeat({ groupId: 'k', memberEpoch: -1, subscribedTopicNames: null }), catalog(1));
    expect(registry.getConsumer('k')).toBeDefined();
    const downgraded = classic.joinGroup(joinRequest({ groupId: 'k' }));
    expect(registry.getConsumer('k')).toBeUndefined();
    void downgraded;
  });
  it('subscribes by regex to the topics whose whole name matches', () => {
    const { membership } = setup();
    const result = membership.heartbeat(
      heartbeat({ subscribedTopicNames: null, subscribedTopicRegex: 't|u.*' }),
      catalog(3),
    );
    expect(result.errorCode).toBe(ERROR_CODES.NONE);
    expect(partitionsOf(result.assignment)).toEqual([0, 1, 2]);
    const none = membership.heartbeat(
      heartbeat({ memberId: 'm2', subscribedTopicNames: null, subscribedTopicRegex: 'x.*' }),
      catalog(3),
    );
    expect(partitionsOf(none.assignment)).toEqual([]);
  });

  it('removes a member whose session expires, freeing its partitions', async () => {
    const { membership, registry } = setup({ groupConsumerSessionTimeoutMs: 50 });
    membership.heartbeat(heartbeat({}), catalog(2));
    expect(registry.getConsumer('g')!.members.size).toBe(1);
    await new Promise((r) => setTimeout(r, 120));
    expect(registry.getConsumer('g')!.members.size).toBe(0);
    expect(registry.getConsumer('g')!.state).toBe('Empty');
  });

  it('a static member leaving with epoch -2 comes back to its assignment under a new member id', () => {
    const { membership, registry } = setup();
    const topics = catalog(2);
    const first = membership.heartbeat(heartbeat({ instanceId: 'i1' }), topics);
    membership.heartbeat(
      heartbeat({ memberEpoch: -2, instanceId: 'i1', subscribedTopicNames: null }),
      topics,
    );
    expect(membership.heartbeat(heartbeat({ memberId: 'other', instanceId: 'i1' }), topics).errorCode).toBe(
      ERROR_CODES.NONE,
    );
    const group = registry.getConsumer('g')!;
    expect([...group.members.keys()]).toEqual(['other']);
    expect(group.members.get('other')!.memberEpoch).toBe(first.memberEpoch);
    expect(membership.heartbeat(heartbeat({ memberId: 'third', instanceId: 'i1' }), topics).errorCode).toBe(
      ERROR_CODES.UNRELEASED_INSTANCE_ID,
    );
  });

  it('checks the member epoch of offset commits and fetches', async () => {
    const { membership, offsets } = setup();
    const topics = catalog(2);
    membership.heartbeat(heartbeat({}), topics);
    membership.heartbeat(heartbeat({ memberId: 'm2' }), topics); // group epoch 2; m1 still at 1
    const commit = (epoch: number, memberId = 'm1', apiVersion = 9) =>
      offsets.commitOffsets(
        'g',
        epoch,
        memberId,
        null,
        [{ topic: 't', partition: 0, offset: 5, leaderEpoch: -1, metadata: '' }],
        () => true,
        apiVersion,
      );
    expect(await commit(1)).toEqual([ERROR_CODES.NONE]);
    expect(await commit(2)).toEqual([ERROR_CODES.FENCED_MEMBER_EPOCH]);
    expect(await commit(0)).toEqual([ERROR_CODES.STALE_MEMBER_EPOCH]);
    expect(await commit(1, 'nobody')).toEqual([ERROR_CODES.UNKNOWN_MEMBER_ID]);
    expect(await commit(1, 'm1', 8)).toEqual([ERROR_CODES.UNSUPPORTED_VERSION]);
    expect(await commit(-1, '')).toEqual([ERROR_CODES.UNKNOWN_MEMBER_ID]);
    expect(
      offsets.fetchOffsets('g', [{ topic: 't', partition: 0 }], { memberId: 'm1', memberEpoch: 1 })[0]!
        .offset,
    ).toBe(5);
    expect(() => offsets.fetchOffsets('g', null, { memberId: 'm1', memberEpoch: 0 })).toThrow(/epoch/);
    // Admin fetches (no member) are always answered.
    expect(offsets.fetchOffsets('g', null, { memberId: null, memberEpoch: -1 })).toHaveLength(1);
  });
  it('after the coordinator moves, members rejoin with epoch 0 and the group is rebuilt; offsets stay', async () => {
    const groups = new GroupCoordinator(config, new MemoryOffsetsLog(), new TestClock(), silentLogger);
    try {
      for (let p = 0; p < config.offsetsTopicNumPartitions; p++) groups.loadPartition(p);
      const topics = catalog(2);
      const joined = groups.consumerGroupHeartbeat(heartbeat({}), topics);
      expect(joined.memberEpoch).toBe(1);
      const committed = await groups.commitOffsets(
        'g',
        1,
        'm1',
        null,
        [{ topic: 't', partition: 1, offset: 7, leaderEpoch: -1, metadata: '' }],
        () => true,
        9,
      );
      expect(committed).toEqual([ERROR_CODES.NONE]);
      expect(groups.listGroups([], ['consumer'])).toEqual([
        { groupId: 'g', protocolType: 'consumer', groupState: 'Stable', groupType: 'Consumer' },
      ]);
      const partition = groups.partitionFor('g');
      groups.unloadPartition(partition);
      const again = heartbeat({ memberEpoch: 1, subscribedTopicNames: null, topicPartitions: owned([0, 1]) });
      expect(groups.consumerGroupHeartbeat(again, topics).errorCode).toBe(ERROR_CODES.NOT_COORDINATOR);
      groups.loadPartition(partition);
      expect(groups.consumerGroupHeartbeat(again, topics).errorCode).toBe(ERROR_CODES.UNKNOWN_MEMBER_ID);
      const rejoined = groups.consumerGroupHeartbeat(heartbeat({}), topics);
      expect(rejoined.errorCode).toBe(ERROR_CODES.NONE);
      expect(partitionsOf(rejoined.assignment)).toEqual([0, 1]);
      expect(groups.fetchOffsets('g', [{ topic: 't', partition: 1 }])[0]!.offset).toBe(7);
      const described = groups.consumerGroupDescribe('g', topics);
      expect(described.members.map((m) => [m.memberId, m.memberEpoch])).toEqual([['m1', 1]]);
      expect(described.members[0]!.assignment.topicPartitions[0]!.topicName).toBe('t');
    } finally {
      groups.shutdown();
    }
  });
  it('an empty classic group with committed offsets becomes a consumer group and keeps them', async () => {
    const { membership, offsets, registry } = setup();
    expect(
      await offsets.commitOffsets(
        'g',
        -1,
        '',
        null,
        [{ topic: 't', partition: 0, offset: 3, leaderEpoch: -1, metadata: '' }],
        () => true,
      ),
    ).toEqual([ERROR_CODES.NONE]);
    expect(registry.get('g')!.is('Empty')).toBe(true);
    expect(membership.heartbeat(heartbeat({}), catalog(1)).errorCode).toBe(ERROR_CODES.NONE);
    expect(registry.getConsumer('g')!.members.size).toBe(1);
    expect(
      offsets.fetchOffsets('g', [{ topic: 't', partition: 0 }], { memberId: 'm1', memberEpoch: 1 })[0]!
        .offset,
    ).toBe(3);
  });
});
