import { describe, expect, it } from 'vitest';
import { GroupMember, offsetKey } from '../../../broker-image/src/groups/classic-group.js';
import { groupMetadataKey, offsetCommitKey } from '../../../broker-image/src/groups/offsets-records.js';
import { coordinatorParts, groupWithMembers, subscription } from './group-fixtures.js';

const offset = (value: number, commitTimestamp = 0) => ({
  offset: value,
  leaderEpoch: 2,
  metadata: 'meta',
  commitTimestamp,
  expireTimestamp: -1,
});

describe('GroupStatePersistence', () => {
  it('rebuilds a group from its last metadata record as Stable, with members, leader and assignments', async () => {
    const { registry, persistence } = coordinatorParts();
    const group = groupWithMembers(registry, ['a', 'b']);
    await persistence.storeGroup(group);
    group.add(
      new GroupMember('c', 'instance-c', 'client', 'host', 20_000, 10_000, 'consumer', [
        { name: 'range', metadata: subscription(['t']) },
      ]),
    );
    group.generationId = 7;
    group.leaderId = 'b';
    await persistence.storeGroup(group, new Map([['c', Buffer.from('for c')]]));

    const loaded = persistence.load(registry.partitionFor('g')).get('g')!;
    expect(loaded).toMatchObject({
      state: 'Stable',
      previousState: 'Stable',
      generationId: 7,
      protocolType: 'consumer',
      protocolName: 'range',
      leaderId: 'b',
    });
    expect([...loaded.members.keys()]).toEqual(['a', 'b', 'c']);
    expect(loaded.members.get('c')).toMatchObject({
      groupInstanceId: 'instance-c',
      rebalanceTimeoutMs: 20_000,
      sessionTimeoutMs: 10_000,
      assignment: Buffer.from('for c'),
    });
    expect(loaded.members.get('a')!.assignment).toEqual(Buffer.alloc(0));
    expect(loaded.staticMembers.get('instance-c')).toBe('c');
    expect(loaded.members.get('c')!.metadataFor('range')).toEqual(subscription(['t']));
  });

  it('loads the last committed offset of each partition, and none for one whose last record is a tombstone', async () => {
    const { registry, persistence } = coordinatorParts();
    await persistence.storeOffsets('g', [
      { topic: 't', partition: 0, value: offset(1) },
      { topic: 't', partition: 1, value: offset(2) },
    ]);
    await persistence.storeOffsets('g', [{ topic: 't', partition: 0, value: offset(3, 99) }]);
    await persistence.removeOffsets('g', [offsetKey('t', 1)]);

    const loaded = persistence.load(registry.partitionFor('g')).get('g')!;
    expect(loaded.state).toBe('Empty');
    expect([...loaded.offsets]).toEqual([[offsetKey('t', 0), offset(3, 99)]]);
  });

  it('drops a group whose metadata was tombstoned after its offsets', async () => {
    const { registry, persistence } = coordinatorParts();
    const group = groupWithMembers(registry, ['a']);
    await persistence.storeGroup(group);
    await persistence.storeOffsets('g', [{ topic: 't', partition: 0, value: offset(1) }]);
    await persistence.removeOffsets('g', [offsetKey('t', 0)], true);
    expect(persistence.load(registry.partitionFor('g')).has('g')).toBe(false);
  });

  it('keeps the offsets of a group whose metadata alone was tombstoned, as an Empty group of no generation', async () => {
    const { registry, persistence } = coordinatorParts();
    await persistence.storeGroup(groupWithMembers(registry, ['a']));
    await persistence.storeOffsets('g', [{ topic: 't', partition: 0, value: offset(1) }]);
    await persistence.removeOffsets('g', [], true);
    const loaded = persistence.load(registry.partitionFor('g')).get('g')!;
    expect(loaded).toMatchObject({ state: 'Empty', generationId: 0, protocolName: null, leaderId: null });
    expect(loaded.members.size).toBe(0);
    expect(loaded.offsets.size).toBe(1);
  });

  it('skips records it cannot read or does not use, and loads the others', async () => {
    const { log, registry, persistence } = coordinatorParts();
    const partition = registry.partitionFor('g');
    await persistence.storeOffsets('g', [{ topic: 't', partition: 0, value: offset(1) }]);
    await log.append(partition, [
      { key: Buffer.from([0, 1, 0xff]), value: Buffer.from([0]) }, // a truncated offset key
      { key: Buffer.from([0, 9, 1, 2]), value: Buffer.from([0]) }, // a key version it does not know
    ]);
    log.partitions.get(partition)!.push({ key: null as unknown as Buffer, value: null }); // no key at all
    await persistence.storeOffsets('g', [{ topic: 't', partition: 1, value: offset(2) }]);
    const loaded = persistence.load(partition).get('g')!;
    expect([...loaded.offsets.keys()]).toEqual([offsetKey('t', 0), offsetKey('t', 1)]);
  });

  it("writes a group's offset tombstones and then its metadata tombstone in one batch, to the group's partition", async () => {
    const { log, registry, persistence } = coordinatorParts();
    const appends: { partition: number; keys: Buffer[]; values: (Buffer | null)[] }[] = [];
    const append = log.append.bind(log);
    log.append = async (partition, records) => {
      appends.push({ partition, keys: records.map((r) => r.key), values: records.map((r) => r.value) });
      return append(partition, records);
    };
    await persistence.removeOffsets('g', [offsetKey('t', 0), offsetKey('u', 3)], true);
    expect(appends).toEqual([
      {
        partition: registry.partitionFor('g'),
        keys: [offsetCommitKey('g', 't', 0), offsetCommitKey('g', 'u', 3), groupMetadataKey('g')],
        values: [null, null, null],
      },
    ]);
  });
});
