import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { newPartitionState, type PartitionState } from '../../../broker-image/src/cluster/metadata.js';
import { Partition } from '../../../broker-image/src/cluster/partition.js';
import { nodeFileSystem } from '../../../broker-image/src/storage/file-system.js';
import { LeaderEpochCache } from '../../../broker-image/src/storage/leader-epoch-cache.js';
import type { PartitionLog } from '../../../broker-image/src/storage/partition-log.js';
import { batchOf, createLog } from '../storage/log-helpers.js';

/**
 * The leader's rules for the ISR and the high watermark, on a real log: what a follower must show
 * before it counts as in sync, and that nothing it reported before it restarted counts for it.
 */
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'strata-partition-'));
  dirs.push(dir);
  return dir;
}

/** Broker 1 leads replicas [1, 3, 2]; the ISR is given. */
function leaderOf(isr: number[], log: PartitionLog = createLog(tempDir())): Partition {
  const state: PartitionState = { ...newPartitionState(0, [1, 3, 2]), isr };
  return new Partition('t', Buffer.alloc(16, 1), 0, log, 1, state, 1_000);
}

async function appendRecords(partition: Partition, count: number, now: number): Promise<void> {
  const texts = Array.from({ length: count }, (_, i) => `v${i}`);
  await partition.appendRecordsToLeader(batchOf(texts), 1, 1, now);
}

describe('Partition as leader', () => {
  it('does not count a restarted follower in sync on the progress it reported before it died', async () => {
    const partition = leaderOf([1, 2, 3]);
    await appendRecords(partition, 100, 1_000);
    partition.updateFollowerFetch(2, 100, 10, 1_001);
    partition.updateFollowerFetch(3, 100, 20, 1_001);
    expect(partition.log.highWatermark).toBe(100);
    // Broker 3 dies and leaves the ISR; writes go on with broker 2.
    partition.updateState({ ...partition.state, isr: [1, 2], partitionEpoch: 1 }, 1_002);
    await appendRecords(partition, 200, 1_003);
    partition.updateFollowerFetch(2, 300, 10, 1_004);
    expect(partition.log.highWatermark).toBe(300);
    // It comes back (a new registration) with only what it had when it died.
    partition.forgetStaleFollowers((id) => (id === 3 ? 21 : 10));
    partition.updateFollowerFetch(3, 100, 21, 1_005);
    expect(partition.isFollowerInSync(3)).toBe(false);
    // Only once its log reaches the current high watermark does it count.
    partition.updateFollowerFetch(3, 300, 21, 1_006);
    expect(partition.isFollowerInSync(3)).toBe(true);
  });

  it('asks a follower that registered again behind the high watermark to leave the ISR', async () => {
    const partition = leaderOf([1, 2, 3]);
    await appendRecords(partition, 50, 1_000);
    partition.updateFollowerFetch(2, 50, 10, 1_001);
    expect(partition.updateFollowerFetch(3, 50, 20, 1_001).restartedBehind).toBe(false);
    expect(partition.log.highWatermark).toBe(50);
    expect(partition.updateFollowerFetch(3, 10, 21, 1_002).restartedBehind).toBe(true);
  });

  it('keeps the high watermark below a rejoining follower while its ISR expansion is written', async () => {
    const partition = leaderOf([1, 2]);
    await appendRecords(partition, 100, 1_000);
    partition.updateFollowerFetch(2, 100, 10, 1_001);
    partition.updateFollowerFetch(3, 100, 20, 1_001);
    expect(partition.isFollowerInSync(3)).toBe(true);
    partition.expandingIsr([3]);
    await appendRecords(partition, 50, 1_002);
    partition.updateFollowerFetch(2, 150, 10, 1_003);
    // Broker 3 has not fetched the new records: the high watermark waits for it.
    expect(partition.log.highWatermark).toBe(100);
    partition.isrExpansionEnded([3]);
    expect(partition.maybeIncrementHighWatermark()).toBe(true);
    expect(partition.log.highWatermark).toBe(150);
  });

  it('does not let a follower join on records of an earlier leader epoch', async () => {
    const partition = leaderOf([1, 2]);
    await appendRecords(partition, 10, 1_000);
    partition.updateFollowerFetch(2, 5, 10, 1_001);
    expect(partition.log.highWatermark).toBe(5);
    // Broker 1 leads again in a new epoch, which starts at its log end, offset 10.
    partition.updateState({ ...partition.state, leaderEpoch: 1, partitionEpoch: 1 }, 1_002);
    partition.updateFollowerFetch(3, 7, 20, 1_003);
    // Past the high watermark, but short of the current epoch.
    expect(partition.isFollowerInSync(3)).toBe(false);
    partition.updateFollowerFetch(3, 10, 20, 1_004);
    expect(partition.isFollowerInSync(3)).toBe(true);
  });

  it('never counts a follower it has not heard from in this leader term', () => {
    const partition = leaderOf([1, 2, 3]);
    expect(partition.isFollowerInSync(2)).toBe(false);
    expect(partition.isFollowerInSync(1)).toBe(true);
  });
});

describe('Partition ISR lag', () => {
  it('never counts a follower that reached the log end as lagging, however long its next fetch waits', async () => {
    const partition = leaderOf([1, 2, 3]);
    await appendRecords(partition, 10, 1_000);
    partition.updateFollowerFetch(2, 10, 10, 1_001);
    partition.updateFollowerFetch(3, 4, 20, 1_001);
    // A minute later with nothing new: broker 2 waits in purgatory at the end, broker 3 is behind.
    expect(partition.laggingInSyncReplicas(61_001, 30_000)).toEqual([3]);
    await appendRecords(partition, 1, 61_002);
    expect(partition.laggingInSyncReplicas(61_003, 30_000)).toEqual([2, 3]);
  });
});

describe('LeaderEpochCache.endOffsetFor', () => {
  function cacheOf(entries: [number, number][]): LeaderEpochCache {
    const cache = new LeaderEpochCache(nodeFileSystem, tempDir());
    for (const [epoch, start] of entries) cache.assign(epoch, start);
    return cache;
  }

  it('answers an epoch older than every known one with the first known epoch start, as Kafka does', () => {
    expect(cacheOf([[1, 0]]).endOffsetFor(0, 0)).toEqual({ epoch: 0, endOffset: 0 });
    expect(
      cacheOf([
        [3, 40],
        [5, 90],
      ]).endOffsetFor(1, 120),
    ).toEqual({ epoch: 1, endOffset: 40 });
  });

  it('answers the latest epoch with the log end and an older one with the next epoch start', () => {
    const cache = cacheOf([
      [0, 0],
      [2, 100],
      [4, 150],
    ]);
    expect(cache.endOffsetFor(4, 170)).toEqual({ epoch: 4, endOffset: 170 });
    expect(cache.endOffsetFor(2, 170)).toEqual({ epoch: 2, endOffset: 150 });
    expect(cache.endOffsetFor(1, 170)).toEqual({ epoch: 0, endOffset: 100 });
  });

  it('answers -1, -1 for an undefined epoch, an epoch newer than the latest, or an empty cache', () => {
    expect(cacheOf([[2, 0]]).endOffsetFor(3, 10)).toEqual({ epoch: -1, endOffset: -1 });
    expect(cacheOf([[2, 0]]).endOffsetFor(-1, 10)).toEqual({ epoch: -1, endOffset: -1 });
    expect(cacheOf([]).endOffsetFor(0, 0)).toEqual({ epoch: -1, endOffset: -1 });
  });
});
