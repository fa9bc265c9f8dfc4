import { describe, expect, it } from 'vitest';
import {
  ClassicGroup,
  GroupMember,
  offsetKey,
  parseOffsetKey,
  parseSubscriptionTopics,
  type JoinResult,
  type Protocol,
  type SyncResult,
} from '../../../broker-image/src/groups/classic-group.js';
import { ERROR_CODES } from '../../../broker-image/src/protocol/errors.js';

/** ConsumerProtocolSubscription v0: int16 version, then an array of int16-length topic names. */
function subscription(...topics: string[]): Buffer {
  const parts = [Buffer.from([0, 0]), Buffer.alloc(4)];
  parts[1]!.writeInt32BE(topics.length);
  for (const topic of topics) {
    const length = Buffer.alloc(2);
    length.writeInt16BE(Buffer.byteLength(topic));
    parts.push(length, Buffer.from(topic));
  }
  parts.push(Buffer.alloc(4)); // empty user data
  return Buffer.concat(parts);
}

function member(
  id: string,
  protocols: Protocol[] = [{ name: 'range', metadata: subscription('orders') }],
  options: { instance?: string; rebalanceTimeoutMs?: number; protocolType?: string } = {},
): GroupMember {
  return new GroupMember(
    id,
    options.instance ?? null,
    'client',
    '/127.0.0.1',
    options.rebalanceTimeoutMs ?? 30_000,
    10_000,
    options.protocolType ?? 'consumer',
    protocols,
  );
}

describe('ClassicGroup', () => {
  it("moves only along the classic protocol's state machine", () => {
    const group = new ClassicGroup('g', 100);
    expect(group.state).toBe('Empty');
    expect(() => group.transitionTo('Stable', 200)).toThrow('cannot go from Empty to Stable');
    expect(() => group.transitionTo('CompletingRebalance', 200)).toThrow(/Empty to CompletingRebalance/);
    group.transitionTo('PreparingRebalance', 200);
    group.transitionTo('CompletingRebalance', 300);
    group.transitionTo('Stable', 400);
    expect(group).toMatchObject({
      state: 'Stable',
      previousState: 'CompletingRebalance',
      stateTimestamp: 400,
    });
    expect(group.canRebalance).toBe(true);
    group.transitionTo('Dead', 500);
    expect(group.canRebalance).toBe(false);
    expect(() => group.transitionTo('PreparingRebalance', 600)).toThrow(/Dead to PreparingRebalance/);
    group.transitionTo('Dead', 700);
  });

  it('takes its protocol type and leader from the first member, and hands leadership on when it leaves', () => {
    const group = new ClassicGroup('g', 0);
    group.add(member('a'));
    group.add(member('b'));
    expect(group.protocolType).toBe('consumer');
    expect(group.isLeader('a')).toBe(true);
    group.remove('a');
    expect(group.leaderId).toBe('b');
    group.remove('b');
    expect(group.leaderId).toBeNull();
    expect(group.members.size).toBe(0);
  });

  it('admits a member with the same protocol type and a protocol in common', () => {
    const group = new ClassicGroup('g', 0);
    const roundRobin = { name: 'roundrobin', metadata: subscription('orders') };
    expect(group.supportsProtocols('consumer', [roundRobin])).toBe(true);
    expect(group.supportsProtocols('', [roundRobin])).toBe(false);
    expect(group.supportsProtocols('consumer', [])).toBe(false);
    group.add(member('a', [{ name: 'range', metadata: subscription('orders') }, roundRobin]));
    expect(group.supportsProtocols('consumer', [roundRobin])).toBe(true);
    expect(group.supportsProtocols('connect', [roundRobin])).toBe(false);
    expect(group.supportsProtocols('consumer', [{ name: 'sticky', metadata: Buffer.alloc(0) }])).toBe(false);
  });

  it('chooses the protocol most members prefer among those all support', () => {
    const group = new ClassicGroup('g', 0);
    const p = (name: string): Protocol => ({ name, metadata: subscription('orders') });
    group.add(member('a', [p('sticky'), p('range'), p('roundrobin')]));
    group.add(member('b', [p('roundrobin'), p('range')]));
    group.add(member('c', [p('roundrobin'), p('sticky'), p('range')]));
    expect([...group.candidateProtocols()].sort()).toEqual(['range', 'roundrobin']);
    expect(group.selectProtocol()).toBe('roundrobin');
  });

  it('starts a generation: the chosen protocol, CompletingRebalance, or Empty without members', () => {
    const group = new ClassicGroup('g', 0);
    group.add(member('a'));
    group.transitionTo('PreparingRebalance', 1);
    group.pendingSyncMembers.add('stale');
    group.initNextGeneration(2);
    expect(group).toMatchObject({ generationId: 1, protocolName: 'range', state: 'CompletingRebalance' });
    expect(group.pendingSyncMembers.size).toBe(0);
    expect(group.joinResult('a', group.currentMemberMetadata())).toEqual({
      errorCode: ERROR_CODES.NONE,
      generationId: 1,
      protocolType: 'consumer',
      protocolName: 'range',
      leader: 'a',
      memberId: 'a',
      members: [{ memberId: 'a', groupInstanceId: null, metadata: subscription('orders') }],
    });
    group.remove('a');
    group.transitionTo('PreparingRebalance', 3);
    group.initNextGeneration(4);
    expect(group).toMatchObject({ generationId: 2, protocolName: null, state: 'Empty' });
  });

  it('knows when every member has rejoined, and keeps or replaces the leader by who did', () => {
    const group = new ClassicGroup('g', 0);
    const a = member('a', undefined, { rebalanceTimeoutMs: 5000 });
    const b = member('b', undefined, { rebalanceTimeoutMs: 9000 });
    group.add(a);
    group.add(b);
    expect(group.rebalanceTimeoutMs).toBe(9000);
    expect(group.hasAllMembersJoined).toBe(false);
    b.awaitingJoin = () => undefined;
    expect(group.awaitingJoinCount).toBe(1);
    // The leader a has not rejoined: b leads.
    expect(group.maybeElectNewJoinedLeader()).toBe(true);
    expect(group.leaderId).toBe('b');
    a.awaitingJoin = () => undefined;
    group.pendingJoinMembers.add('c');
    expect(group.hasAllMembersJoined).toBe(false);
    group.pendingJoinMembers.delete('c');
    expect(group.hasAllMembersJoined).toBe(true);
    a.awaitingJoin = b.awaitingJoin = undefined;
    expect(group.maybeElectNewJoinedLeader()).toBe(false);
  });

  it('refuses a stranger and a replaced static instance with their Kafka errors', () => {
    const group = new ClassicGroup('g', 0);
    group.add(member('a-1', undefined, { instance: 'a' }));
    expect(group.validateMember('a-1', 'a').memberId).toBe('a-1');
    expect(() => group.validateMember('x', null)).toThrow(
      expect.objectContaining({ code: 'UNKNOWN_MEMBER_ID' }),
    );
    expect(() => group.validateMember('a-1', 'zz')).toThrow(
      expect.objectContaining({ code: 'UNKNOWN_MEMBER_ID' }),
    );
    group.replaceStaticMember('a', 'a-1', 'a-2');
    expect(() => group.validateMember('a-1', 'a')).toThrow(
      expect.objectContaining({ code: 'FENCED_INSTANCE_ID' }),
    );
    expect(group.validateMember('a-2', 'a').memberId).toBe('a-2');
  });

  it("gives a static member's place to its new id, answering what the old one had parked", () => {
    const group = new ClassicGroup('g', 0);
    const old = member('a-1', undefined, { instance: 'a' });
    old.assignment = Buffer.from('partitions');
    const answers: (JoinResult | SyncResult)[] = [];
    old.awaitingJoin = (r) => answers.push(r);
    old.awaitingSync = (r) => answers.push(r);
    group.add(old);
    group.pendingSyncMembers.add('a-1');
    const replaced = group.replaceStaticMember('a', 'a-1', 'a-2');
    expect(replaced.assignment.toString()).toBe('partitions');
    expect(group.leaderId).toBe('a-2');
    expect([...group.pendingSyncMembers]).toEqual(['a-2']);
    expect([...group.members.keys()]).toEqual(['a-2']);
    expect(answers).toEqual([
      expect.objectContaining({
        errorCode: ERROR_CODES.FENCED_INSTANCE_ID,
        memberId: 'a-1',
        generationId: -1,
      }),
      expect.objectContaining({ errorCode: ERROR_CODES.FENCED_INSTANCE_ID, assignment: Buffer.alloc(0) }),
    ]);
    expect(() => group.replaceStaticMember('a', 'a-1', 'a-3')).toThrow(/has no member a-1/);
  });

  it('reads the subscribed topics of a consumer group, and none for others or unreadable metadata', () => {
    const group = new ClassicGroup('g', 0);
    group.add(member('a', [{ name: 'range', metadata: subscription('orders', 'payments') }]));
    group.add(member('b', [{ name: 'range', metadata: subscription('orders', 'refunds') }]));
    expect(group.subscribedTopics()).toBeUndefined(); // no protocol chosen yet
    group.transitionTo('PreparingRebalance', 1);
    group.initNextGeneration(2);
    expect([...group.subscribedTopics()!].sort()).toEqual(['orders', 'payments', 'refunds']);
    group.add(member('c', [{ name: 'range', metadata: Buffer.from([0, 0, 0]) }]));
    expect(group.subscribedTopics()).toBeUndefined();
    const connect = new ClassicGroup('c', 0);
    connect.add(member('w', [{ name: 'v1', metadata: Buffer.alloc(8) }], { protocolType: 'connect' }));
    expect(connect.subscribedTopics()).toBeUndefined();
  });

  it('generates member ids from the instance id or the client id', () => {
    const group = new ClassicGroup('g', 0);
    expect(group.generateMemberId('client', null)).toMatch(/^client-[0-9a-f-]{36}$/);
    expect(group.generateMemberId('client', 'instance')).toMatch(/^instance-[0-9a-f-]{36}$/);
  });
});

describe('GroupMember', () => {
  it('compares protocols by name and metadata, and votes for its favourite candidate', () => {
    const m = member('a', [
      { name: 'sticky', metadata: Buffer.from('1') },
      { name: 'range', metadata: Buffer.from('2') },
    ]);
    expect(
      m.matches([
        { name: 'sticky', metadata: Buffer.from('1') },
        { name: 'range', metadata: Buffer.from('2') },
      ]),
    ).toBe(true);
    expect(
      m.matches([
        { name: 'sticky', metadata: Buffer.from('1') },
        { name: 'range', metadata: Buffer.from('3') },
      ]),
    ).toBe(false);
    expect(m.matches([{ name: 'sticky', metadata: Buffer.from('1') }])).toBe(false);
    expect(m.vote(new Set(['range', 'sticky']))).toBe('sticky');
    expect(m.vote(new Set(['range']))).toBe('range');
    expect(() => m.vote(new Set(['roundrobin']))).toThrow(/supports none of roundrobin/);
    expect(m.metadataFor('range').toString()).toBe('2');
    expect(() => m.metadataFor('roundrobin')).toThrow(/does not support protocol roundrobin/);
  });
});

describe('offset keys and subscriptions', () => {
  it('round-trips a topic and partition through an offset key, dots and slashes included', () => {
    expect(parseOffsetKey(offsetKey('a.b_c-d', 12))).toEqual({ topic: 'a.b_c-d', partition: 12 });
    expect(offsetKey('t', 1)).not.toBe(offsetKey('t1', 0));
  });

  it('parses a subscription, and refuses truncated or negative lengths', () => {
    expect(parseSubscriptionTopics(subscription('x', 'yy'))).toEqual(['x', 'yy']);
    expect(parseSubscriptionTopics(subscription())).toEqual([]);
    expect(parseSubscriptionTopics(subscription('orders').subarray(0, 9))).toBeUndefined();
    const negative = subscription('x');
    negative.writeInt16BE(-1, 6);
    expect(parseSubscriptionTopics(negative)).toBeUndefined();
    const tooMany = subscription('x');
    tooMany.writeInt32BE(1_000_000, 2);
    expect(parseSubscriptionTopics(tooMany)).toBeUndefined();
  });
});
