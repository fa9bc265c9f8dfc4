import { describe, expect, it } from 'vitest';
import { offsetKey } from '../../../broker-image/src/groups/classic-group.js';
import type { CommitPartition } from '../../../broker-image/src/groups/offset-manager.js';
import { ERROR_CODES, KafkaError } from '../../../broker-image/src/protocol/errors.js';
import { coordinatorParts, groupWithMembers } from './group-fixtures.js';

const exists = () => true;
const at = (
  topic: string,
  partition: number,
  offset: number,
  metadata: string | null = '',
): CommitPartition => ({
  topic,
  partition,
  offset,
  leaderEpoch: -1,
  metadata,
});

/** A standalone commit (no member, generation -1), as admin tools and assign() consumers make. */
function standalone(parts: ReturnType<typeof coordinatorParts>, ...partitions: CommitPartition[]) {
  return parts.offsets.commitOffsets('g', -1, '', null, partitions, (topic) => topic !== 'missing');
}

const committed = (parts: ReturnType<typeof coordinatorParts>) =>
  parts.offsets
    .fetchOffsets('g', null)
    .map((o) => `${o.topic}/${o.partition}@${o.offset}`)
    .sort();

const offsetRecords = (parts: ReturnType<typeof coordinatorParts>) =>
  parts.log
    .parsed(parts.registry.partitionFor('g'))
    .flatMap((r) =>
      r?.kind === 'offset'
        ? [`${r.key.topic}/${r.key.partition}${r.value ? `@${r.value.offset}` : ' deleted'}`]
        : [],
    );

describe('OffsetCommit', () => {
  it('answers each partition in request order and writes only the valid ones', async () => {
    const parts = coordinatorParts();
    const codes = await standalone(
      parts,
      at('t', 0, 5),
      at('t', 1, -1),
      at('t', 2, 5, 'x'.repeat(17)),
      at('missing', 0, 5),
      at('t', 3, 7, null),
    );
    expect(codes).toEqual([
      ERROR_CODES.NONE,
      ERROR_CODES.INVALID_COMMIT_OFFSET_SIZE,
      ERROR_CODES.OFFSET_METADATA_TOO_LARGE,
      ERROR_CODES.UNKNOWN_TOPIC_OR_PARTITION,
      ERROR_CODES.NONE,
    ]);
    expect(offsetRecords(parts)).toEqual(['t/0@5', 't/3@7']);
    expect(committed(parts)).toEqual(['t/0@5', 't/3@7']);
    expect(parts.offsets.fetchOffsets('g', [{ topic: 't', partition: 3 }])[0]!.metadata).toBe('');
  });

  it('refuses a generation for a group it does not know (ILLEGAL_GENERATION) and creates no group', async () => {
    const parts = coordinatorParts();
    const codes = await parts.offsets.commitOffsets('g', 1, 'member', null, [at('t', 0, 5)], exists);
    expect(codes).toEqual([ERROR_CODES.ILLEGAL_GENERATION]);
    expect(parts.registry.get('g')).toBeUndefined();
  });

  it('refuses commits while the group completes a rebalance (REBALANCE_IN_PROGRESS)', async () => {
    const parts = coordinatorParts();
    const group = groupWithMembers(parts.registry, ['m'], { state: 'CompletingRebalance' });
    const codes = await parts.offsets.commitOffsets(
      'g',
      group.generationId,
      'm',
      null,
      [at('t', 0, 5)],
      exists,
    );
    expect(codes).toEqual([ERROR_CODES.REBALANCE_IN_PROGRESS]);
  });

  it('refuses an empty group id (INVALID_GROUP_ID) and groups it does not coordinate (NOT_COORDINATOR)', async () => {
    const parts = coordinatorParts();
    expect(await parts.offsets.commitOffsets('', -1, '', null, [at('t', 0, 1)], exists)).toEqual([
      ERROR_CODES.INVALID_GROUP_ID,
    ]);
    parts.registry.releasePartition(parts.registry.partitionFor('g'));
    expect(await standalone(parts, at('t', 0, 1), at('t', 1, 1))).toEqual([
      ERROR_CODES.NOT_COORDINATOR,
      ERROR_CODES.NOT_COORDINATOR,
    ]);
  });

  it('answers a failed write with what a member should see and keeps the offsets it had', async () => {
    const parts = coordinatorParts();
    await standalone(parts, at('t', 0, 5));
    parts.log.failWith = new KafkaError('NOT_LEADER_OR_FOLLOWER');
    expect(await standalone(parts, at('t', 0, 9), at('t', 1, -1))).toEqual([
      ERROR_CODES.NOT_COORDINATOR,
      ERROR_CODES.INVALID_COMMIT_OFFSET_SIZE,
    ]);
    parts.log.failWith = new KafkaError('NOT_ENOUGH_REPLICAS');
    expect(await standalone(parts, at('t', 0, 9))).toEqual([ERROR_CODES.COORDINATOR_NOT_AVAILABLE]);
    parts.log.failWith = new KafkaError('MESSAGE_TOO_LARGE');
    expect(await standalone(parts, at('t', 0, 9))).toEqual([ERROR_CODES.UNKNOWN_SERVER_ERROR]);
    expect(committed(parts)).toEqual(['t/0@5']);
  });
});

describe('OffsetFetch', () => {
  it('gives offset -1 for partitions without a commit, and every committed partition when asked for all', async () => {
    const parts = coordinatorParts();
    expect(parts.offsets.fetchOffsets('g', null)).toEqual([]);
    await standalone(parts, { topic: 't', partition: 1, offset: 4, leaderEpoch: 2, metadata: 'm' });
    expect(
      parts.offsets.fetchOffsets('g', [
        { topic: 't', partition: 0 },
        { topic: 't', partition: 1 },
      ]),
    ).toEqual([
      { topic: 't', partition: 0, offset: -1, leaderEpoch: -1, metadata: '', errorCode: 0 },
      { topic: 't', partition: 1, offset: 4, leaderEpoch: 2, metadata: 'm', errorCode: 0 },
    ]);
    expect(parts.offsets.fetchOffsets('g', null)).toEqual([
      { topic: 't', partition: 1, offset: 4, leaderEpoch: 2, metadata: 'm', errorCode: 0 },
    ]);
  });

  it('throws NOT_COORDINATOR for a group of a partition it does not own', () => {
    const parts = coordinatorParts();
    parts.registry.releasePartition(parts.registry.partitionFor('g'));
    expect(() => parts.offsets.fetchOffsets('g', null)).toThrow(
      expect.objectContaining({ errorCode: ERROR_CODES.NOT_COORDINATOR }),
    );
  });
});

describe('OffsetDelete', () => {
  it('tombstones only the requested partitions that have a commit', async () => {
    const parts = coordinatorParts();
    await standalone(parts, at('t', 0, 1), at('t', 1, 2));
    const result = await parts.offsets.deleteOffsets('g', [
      { topic: 't', partition: 0 },
      { topic: 't', partition: 5 },
    ]);
    expect(result).toEqual({ errorCode: ERROR_CODES.NONE, partitionErrors: [0, 0] });
    expect(offsetRecords(parts)).toEqual(['t/0@1', 't/1@2', 't/0 deleted']);
    expect(committed(parts)).toEqual(['t/1@2']);
  });

  it('refuses an unknown group (GROUP_ID_NOT_FOUND)', async () => {
    const parts = coordinatorParts();
    expect(await parts.offsets.deleteOffsets('g', [{ topic: 't', partition: 0 }])).toEqual({
      errorCode: ERROR_CODES.GROUP_ID_NOT_FOUND,
      partitionErrors: [],
    });
  });

  it('refuses a group with members whose subscriptions it cannot read (NON_EMPTY_GROUP)', async () => {
    const parts = coordinatorParts();
    const group = groupWithMembers(parts.registry, ['m']);
    group.protocolType = 'connect';
    expect(await parts.offsets.deleteOffsets('g', [{ topic: 't', partition: 0 }])).toEqual({
      errorCode: ERROR_CODES.NON_EMPTY_GROUP,
      partitionErrors: [],
    });
  });

  it('keeps the offsets when the tombstones cannot be written', async () => {
    const parts = coordinatorParts();
    await standalone(parts, at('t', 0, 1));
    parts.log.failWith = new KafkaError('NOT_LEADER_OR_FOLLOWER');
    const result = await parts.offsets.deleteOffsets('g', [{ topic: 't', partition: 0 }]);
    expect(result.errorCode).toBe(ERROR_CODES.NOT_LEADER_OR_FOLLOWER);
    expect(committed(parts)).toEqual(['t/0@1']);
  });
});

describe('offset expiry', () => {
  it('expires, for a group with members, only offsets of topics it no longer subscribes to', async () => {
    const parts = coordinatorParts();
    const group = groupWithMembers(parts.registry, ['m'], { topics: ['t'] });
    await parts.offsets.commitOffsets(
      'g',
      group.generationId,
      'm',
      null,
      [at('t', 0, 1), at('old', 0, 1)],
      exists,
    );
    parts.clock.advance(59_000);
    expect(await parts.offsets.expireOffsets()).toBe(0);
    parts.clock.advance(1_000);
    expect(await parts.offsets.expireOffsets()).toBe(1);
    expect(committed(parts)).toEqual(['t/0@1']);
    expect(parts.registry.get('g')?.state).toBe('Stable');
    expect(offsetRecords(parts)).toEqual(['t/0@1', 'old/0@1', 'old/0 deleted']);
  });

  it('removes a group that never had members once the last of its offsets expires, each counted from its commit', async () => {
    const parts = coordinatorParts();
    await standalone(parts, at('t', 0, 1));
    parts.clock.advance(30_000);
    await standalone(parts, at('t', 1, 1));
    parts.clock.advance(30_000);
    expect(await parts.offsets.expireOffsets()).toBe(1);
    expect(committed(parts)).toEqual(['t/1@1']);
    parts.clock.advance(30_000);
    expect(await parts.offsets.expireOffsets()).toBe(1);
    expect(parts.registry.get('g')).toBeUndefined();
    expect(parts.log.parsed(parts.registry.partitionFor('g')).at(-1)).toEqual({
      kind: 'group',
      group: 'g',
      value: null,
    });
  });

  it('honours the expire timestamp an offset was loaded with over the retention', async () => {
    const parts = coordinatorParts();
    await standalone(parts, at('t', 0, 1));
    const now = parts.clock.now();
    parts.registry.get('g')!.offsets.set(offsetKey('t', 0), {
      offset: 1,
      leaderEpoch: -1,
      metadata: '',
      commitTimestamp: now,
      expireTimestamp: now + 10,
    });
    parts.clock.advance(10);
    expect(await parts.offsets.expireOffsets()).toBe(1);
  });

  it('keeps the offsets when the expiry cannot be written, and expires them on the next run', async () => {
    const parts = coordinatorParts();
    await standalone(parts, at('t', 0, 1));
    parts.clock.advance(60_000);
    parts.log.failWith = new KafkaError('NOT_ENOUGH_REPLICAS');
    expect(await parts.offsets.expireOffsets()).toBe(0);
    expect(committed(parts)).toEqual(['t/0@1']);
    parts.log.failWith = undefined;
    expect(await parts.offsets.expireOffsets()).toBe(1);
  });

  it('tombstones the offsets of deleted topics and keeps the others', async () => {
    const parts = coordinatorParts();
    await standalone(parts, at('t', 0, 1), at('gone', 0, 1), at('gone', 1, 1));
    await parts.offsets.onTopicsDeleted(new Set(['gone']));
    expect(committed(parts)).toEqual(['t/0@1']);
    expect(offsetRecords(parts).slice(3)).toEqual(['gone/0 deleted', 'gone/1 deleted']);
  });
});
