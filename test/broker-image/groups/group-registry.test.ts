import { describe, expect, it } from 'vitest';
import { ClassicGroup } from '../../../broker-image/src/groups/classic-group.js';
import { GroupRegistry } from '../../../broker-image/src/groups/group-registry.js';
import { ERROR_CODES } from '../../../broker-image/src/protocol/errors.js';

const registry = () => new GroupRegistry(4);

/** A group id that lands on `partition` of a 4-partition `__consumer_offsets`. */
function idOn(partition: number, prefix = 'group'): string {
  const r = registry();
  for (let i = 0; ; i++) if (r.partitionFor(`${prefix}-${i}`) === partition) return `${prefix}-${i}`;
}

describe('GroupRegistry', () => {
  it('coordinates only the groups of partitions it owns, and says NOT_COORDINATOR for the others', () => {
    const r = registry();
    r.ownPartition(1, []);
    expect(r.isOwned(1)).toBe(true);
    expect(r.coordinates(idOn(1))).toBe(true);
    expect(r.coordinates(idOn(2))).toBe(false);
    expect(() => r.checkCoordinator(idOn(1))).not.toThrow();
    expect(() => r.checkCoordinator(idOn(2))).toThrow(
      expect.objectContaining({ errorCode: ERROR_CODES.NOT_COORDINATOR }),
    );
  });

  it('takes a partition over with the groups loaded from it', () => {
    const r = registry();
    const loaded = new ClassicGroup(idOn(3), 0);
    r.ownPartition(3, [loaded]);
    expect(r.get(loaded.groupId)).toBe(loaded);
    expect([...r.all()]).toEqual([loaded]);
  });

  it('gives a partition up with exactly its groups', () => {
    const r = registry();
    const a = new ClassicGroup(idOn(0, 'a'), 0);
    const b = new ClassicGroup(idOn(0, 'b'), 0);
    const other = new ClassicGroup(idOn(1), 0);
    r.ownPartition(0, [a, b]);
    r.ownPartition(1, [other]);
    expect(r.releasePartition(0)).toEqual([a, b]);
    expect(r.isOwned(0)).toBe(false);
    expect(r.get(a.groupId)).toBeUndefined();
    expect([...r.all()]).toEqual([other]);
  });

  it('gives nothing back for a partition it does not own', () => {
    const r = registry();
    r.ownPartition(1, [new ClassicGroup(idOn(1), 0)]);
    expect(r.releasePartition(0)).toBeUndefined();
    expect([...r.all()]).toHaveLength(1);
  });
});
