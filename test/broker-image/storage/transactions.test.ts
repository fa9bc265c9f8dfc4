import { existsSync, readdirSync, readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { endTxnMarkerOf } from '../../../broker-image/src/protocol/records/control-records.js';
import { batchesOf } from '../../../broker-image/src/protocol/records/record-batch.js';
import { buildRecordBatch, recordsOf } from '../../../broker-image/src/protocol/records/records.js';
import { nodeFileSystem } from '../../../broker-image/src/storage/file-system.js';
import { LogCleaner } from '../../../broker-image/src/storage/log-cleaner.js';
import { PartitionLog } from '../../../broker-image/src/storage/partition-log.js';
import { tempDir } from '../../support/temp-dir.js';
import { append, config, createLog, silentLogger } from './log-helpers.js';

let dir: { path: string; cleanup: () => void };
let logDir: string;
beforeEach(() => {
  dir = tempDir();
  logDir = join(dir.path, 't-0');
});
afterEach(() => dir.cleanup());

const LEGACY = 0;

/** A transactional batch of `producerId` (epoch 0 unless given), keyed k=v. */
function txnBatch(
  producerId: number,
  baseSequence: number,
  entries: string[],
  options: { epoch?: number; timestamp?: number } = {},
): Buffer {
  return buildRecordBatch(
    entries.map((e) => {
      const [key, value] = e.split('=');
      return { key: Buffer.from(key!), value: Buffer.from(value ?? key!), timestamp: options.timestamp };
    }),
    {
      producerId,
      producerEpoch: options.epoch ?? 0,
      baseSequence,
      transactional: true,
      timestamp: options.timestamp,
    },
  );
}

async function marker(
  log: PartitionLog,
  producerId: number,
  committed: boolean,
  options: { epoch?: number; coordinatorEpoch?: number; now?: number; transactionVersion?: number } = {},
): Promise<number> {
  const result = await log.appendControlAsLeader(
    {
      producerId,
      producerEpoch: options.epoch ?? 0,
      coordinatorEpoch: options.coordinatorEpoch ?? 0,
      committed,
    },
    { leaderEpoch: 0, now: options.now ?? 1000, transactionVersion: options.transactionVersion ?? LEGACY },
  );
  log.updateHighWatermark(log.logEndOffset);
  return result.baseOffset;
}

function reload(log: PartitionLog, clean: boolean, overrides = {}): PartitionLog {
  if (clean) log.close();
  return PartitionLog.load({
    fs: nodeFileSystem,
    dir: logDir,
    topicPartition: { topic: 't', partition: 0 },
    config: config(overrides),
    now: 2_000_000,
    recoveryPoint: 0,
    logStartOffset: log.logStartOffset,
    cleanShutdown: clean,
  });
}

/** What a read_committed consumer sees: records below the LSO, aborted transactions skipped. */
function readCommitted(log: PartitionLog): string[] {
  const out: string[] = [];
  let offset = log.logStartOffset;
  const lso = log.lastStableOffset;
  while (offset < lso) {
    const { records } = log.read(offset, 1 << 20, lso, true);
    if (records.length === 0) break;
    const batches = [...batchesOf(records)];
    const aborted = log.collectAbortedTransactions(offset, batches.at(-1)!.nextOffset);
    for (const batch of batches) {
      const skip = aborted.some(
        (t) =>
          t.producerId === batch.producerId &&
          batch.baseOffset >= t.firstOffset &&
          batch.baseOffset < t.lastOffset,
      );
      if (!batch.isControl && !(batch.isTransactional && skip))
        for (const r of recordsOf(batch)) out.push(r.value!.toString());
      offset = batch.nextOffset;
    }
  }
  return out;
}

function txnIndexFiles(): string[] {
  return readdirSync(logDir)
    .filter((n) => n.endsWith('.txnindex'))
    .sort();
}

describe('transactions in the log', () => {
  it('holds the last stable offset at an open transaction and releases it at its COMMIT marker', async () => {
    const log = createLog(logDir);
    await append(log, buildRecordBatch([{ value: Buffer.from('plain') }]), 0, 1000);
    await append(log, txnBatch(7, 0, ['a', 'b']), 0, 1000);
    expect(log.highWatermark).toBe(3);
    expect(log.lastStableOffset).toBe(1);
    expect(readCommitted(log)).toEqual(['plain']);
    const at = await marker(log, 7, true);
    expect(at).toBe(3);
    expect(log.lastStableOffset).toBe(4);
    expect(readCommitted(log)).toEqual(['plain', 'a', 'b']);
    const stored = [...batchesOf(log.read(3, 1 << 20, 4, true).records)][0]!;
    expect(stored.isControl && stored.isTransactional).toBe(true);
    expect(endTxnMarkerOf(stored)).toEqual({
      producerId: 7,
      producerEpoch: 0,
      coordinatorEpoch: 0,
      committed: true,
    });
    expect(txnIndexFiles()).toEqual([]);
  });

  it('keeps a marker unstable until the high watermark passes it', async () => {
    const log = createLog(logDir);
    await append(log, txnBatch(7, 0, ['a']), 0, 1000);
    await log.appendControlAsLeader(
      { producerId: 7, producerEpoch: 0, coordinatorEpoch: 0, committed: true },
      { leaderEpoch: 0, now: 1000, transactionVersion: LEGACY },
    );
    log.updateHighWatermark(1);
    expect(log.lastStableOffset).toBe(0);
    log.updateHighWatermark(2);
    expect(log.lastStableOffset).toBe(2);
  });

  it("writes an ABORT into the segment's .txnindex in Kafka's entry layout", async () => {
    const log = createLog(logDir);
    await append(log, txnBatch(5, 0, ['x']), 0, 1000); // 0: producer 5 opens
    await append(log, txnBatch(9, 0, ['y1', 'y2']), 0, 1000); // 1-2: producer 9 opens
    await marker(log, 9, false); // 3: producer 9 aborts while 5 is open
    await append(log, txnBatch(5, 1, ['x2']), 0, 1000); // 4
    await marker(log, 5, true); // 5
    expect(txnIndexFiles()).toEqual(['00000000000000000000.txnindex']);
    const bytes = readFileSync(join(logDir, '00000000000000000000.txnindex'));
    expect(bytes.length).toBe(34);
    expect(bytes.readInt16BE(0)).toBe(0);
    expect(bytes.readBigInt64BE(2)).toBe(9n); // producerId
    expect(bytes.readBigInt64BE(10)).toBe(1n); // firstOffset
    expect(bytes.readBigInt64BE(18)).toBe(3n); // lastOffset: the marker
    expect(bytes.readBigInt64BE(26)).toBe(0n); // lastStableOffset: producer 5's open transaction
    expect(log.collectAbortedTransactions(0, 6)).toEqual([
      { producerId: 9, firstOffset: 1, lastOffset: 3, lastStableOffset: 0 },
    ]);
    expect(log.collectAbortedTransactions(4, 6)).toEqual([]);
    expect(readCommitted(log)).toEqual(['x', 'x2']);
  });

  it('fences stale epochs and coordinators, and plain writes inside a transaction', async () => {
    const log = createLog(logDir);
    await append(log, txnBatch(7, 0, ['a'], { epoch: 3 }), 0, 1000);
    await expect(append(log, txnBatch(7, 1, ['b'], { epoch: 2 }), 0, 1000)).rejects.toMatchObject({
      code: 'INVALID_PRODUCER_EPOCH',
    });
    await expect(
      append(
        log,
        buildRecordBatch([{ value: Buffer.from('p') }], { producerId: 7, producerEpoch: 3, baseSequence: 1 }),
        0,
        1000,
      ),
    ).rejects.toMatchObject({ code: 'INVALID_TXN_STATE' });
    await expect(marker(log, 7, true, { epoch: 2 })).rejects.toMatchObject({
      code: 'INVALID_PRODUCER_EPOCH',
    });
    await expect(marker(log, 7, true, { epoch: 3, transactionVersion: 2 })).rejects.toMatchObject({
      code: 'INVALID_PRODUCER_EPOCH',
    });
    await marker(log, 7, true, { epoch: 3, coordinatorEpoch: 4 });
    await append(log, txnBatch(7, 1, ['c'], { epoch: 3 }), 0, 1000);
    await expect(marker(log, 7, false, { epoch: 3, coordinatorEpoch: 3 })).rejects.toMatchObject({
      code: 'TRANSACTION_COORDINATOR_FENCED',
    });
    const end = log.logEndOffset;
    // KIP-890: the marker carries the epoch the coordinator bumped to.
    await marker(log, 7, false, { epoch: 4, coordinatorEpoch: 4, transactionVersion: 2 });
    expect(log.logEndOffset).toBe(end + 1);
    expect(log.producerState.activeProducers()).toEqual([
      {
        producerId: 7,
        producerEpoch: 4,
        lastSequence: -1,
        lastTimestamp: 1000,
        coordinatorEpoch: 4,
        currentTxnStartOffset: -1,
      },
    ]);
  });

  it('reports producers with their ongoing transaction for DescribeProducers', async () => {
    const log = createLog(logDir);
    await append(log, txnBatch(11, 0, ['a', 'b'], { timestamp: 1234 }), 0, 1000);
    expect(log.producerState.activeProducers()).toEqual([
      {
        producerId: 11,
        producerEpoch: 0,
        lastSequence: 1,
        lastTimestamp: 1234,
        coordinatorEpoch: -1,
        currentTxnStartOffset: 0,
      },
    ]);
  });

  for (const clean of [true, false]) {
    it(`keeps an open transaction across a ${clean ? 'clean restart (snapshot)' : 'crash (replay after the snapshot)'}`, async () => {
      const log = createLog(logDir, { segmentBytes: 300 });
      for (let i = 0; i < 6; i++)
        await append(log, buildRecordBatch([{ value: Buffer.from(`p${i}`) }]), 0, 1000);
      await append(log, txnBatch(21, 0, ['open1']), 0, 1000);
      const openAt = log.logEndOffset - 1;
      await append(log, txnBatch(22, 0, ['gone']), 0, 1000);
      await marker(log, 22, false);
      for (let i = 0; i < 4; i++)
        await append(log, buildRecordBatch([{ value: Buffer.from(`q${i}`) }]), 0, 1000);
      expect(log.segmentCount).toBeGreaterThan(2);
      expect(readdirSync(logDir).some((n) => n.endsWith('.snapshot'))).toBe(true);
      const end = log.logEndOffset;

      const recovered = reload(log, clean, { segmentBytes: 300 });
      recovered.updateHighWatermark(recovered.logEndOffset);
      expect(recovered.logEndOffset).toBe(end);
      expect(recovered.lastStableOffset).toBe(openAt);
      expect(recovered.producerState.ongoingTxnFirstOffset(21)).toBe(openAt);
      await marker(recovered, 21, false);
      expect(recovered.lastStableOffset).toBe(recovered.logEndOffset);
      expect(readCommitted(recovered)).toEqual(['p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'q0', 'q1', 'q2', 'q3']);
    });
  }

  it('rebuilds a lost .txnindex when the segment is recovered', async () => {
    const log = createLog(logDir);
    await append(log, txnBatch(3, 0, ['a']), 0, 1000);
    await marker(log, 3, false);
    await append(log, buildRecordBatch([{ value: Buffer.from('after') }]), 0, 1000);
    const index = join(logDir, '00000000000000000000.txnindex');
    const original = readFileSync(index);
    unlinkSync(index);
    const recovered = reload(log, false);
    expect(readFileSync(index)).toEqual(original);
    recovered.updateHighWatermark(recovered.logEndOffset);
    expect(readCommitted(recovered)).toEqual(['after']);
  });

  it('reopens a transaction whose marker a truncation cut, and drops its index entry', async () => {
    const log = createLog(logDir);
    await append(log, txnBatch(3, 0, ['a']), 0, 1000);
    await marker(log, 3, false);
    expect(log.collectAbortedTransactions(0, 2)).toHaveLength(1);
    log.truncateTo(1);
    expect(log.lastStableOffset).toBe(0);
    expect(log.collectAbortedTransactions(0, 2)).toEqual([]);
    expect(existsSync(join(logDir, '00000000000000000000.txnindex'))).toBe(false);
  });

  it('lets a follower build the same state and index from the leader’s batches', async () => {
    const leader = createLog(logDir);
    await append(leader, txnBatch(3, 0, ['a']), 0, 1000);
    await marker(leader, 3, false);
    await append(leader, txnBatch(4, 0, ['b']), 0, 1000);
    const followerDir = join(dir.path, 'follower');
    const follower = PartitionLog.create(
      nodeFileSystem,
      followerDir,
      { topic: 't', partition: 0 },
      config(),
      1000,
    );
    follower.appendAsFollower(leader.read(0, 1 << 20, leader.logEndOffset, true).records, 1000);
    follower.updateHighWatermark(leader.highWatermark);
    expect(follower.collectAbortedTransactions(0, 3)).toEqual(leader.collectAbortedTransactions(0, 3));
    expect(readFileSync(join(followerDir, '00000000000000000000.txnindex'))).toEqual(
      readFileSync(join(logDir, '00000000000000000000.txnindex')),
    );
    expect(follower.lastStableOffset).toBe(2);
  });

  it('never deletes segments past the last stable offset, and deletes a segment’s .txnindex with it', async () => {
    const log = createLog(logDir, { segmentBytes: 200, retentionMs: 10 });
    await append(log, txnBatch(3, 0, ['aborted-1'], { timestamp: 1000 }), 0, 1000);
    await marker(log, 3, false);
    await append(log, txnBatch(4, 0, ['open-1'], { timestamp: 1000 }), 0, 1000);
    for (let i = 0; i < 5; i++)
      await append(log, buildRecordBatch([{ value: Buffer.from(`later-${i}`), timestamp: 1000 }]), 0, 1000);
    expect(txnIndexFiles()).toEqual(['00000000000000000000.txnindex']);
    const lso = log.lastStableOffset;
    expect(lso).toBe(2);
    expect(log.segmentBaseOffsets).toEqual([0, 2, 4, 6]);
    log.deleteOldSegments(1_000_000);
    expect(log.logStartOffset).toBeLessThanOrEqual(lso);
    // The segment of the aborted transaction goes with its index; the open one's stays.
    expect(log.segmentBaseOffsets[0]).toBe(lso);
    expect(txnIndexFiles()).toEqual([]);
    await marker(log, 4, true);
    log.deleteOldSegments(1_000_000);
    expect(log.logStartOffset).toBeGreaterThan(lso);
  });
});

describe('compaction of transactional records', () => {
  const compacted = { cleanupPolicy: ['compact'] as const, segmentBytes: 400, minCleanableDirtyRatio: 0 };

  function keys(log: PartitionLog): string[] {
    const out: string[] = [];
    let offset = log.logStartOffset;
    while (offset < log.highWatermark) {
      const { records } = log.read(offset, 1 << 20, log.highWatermark, true);
      if (records.length === 0) break;
      for (const batch of batchesOf(records)) {
        for (const r of recordsOf(batch))
          out.push(batch.isControl ? `marker@${r.offset}` : `${r.key!.toString()}=${r.value!.toString()}`);
        offset = batch.nextOffset;
      }
    }
    return out;
  }

  it('removes aborted records without letting them shadow committed ones, keeps open transactions, and drops markers after delete.retention.ms', async () => {
    const log = createLog(logDir, { ...compacted, deleteRetentionMs: 5000 });
    await append(log, txnBatch(1, 0, ['k=committed'], { timestamp: 1000 }), 0, 1000); // 0
    await marker(log, 1, true, { now: 1000 }); // 1
    await append(log, txnBatch(2, 0, ['k=aborted'], { timestamp: 1000 }), 0, 1000); // 2
    await marker(log, 2, false, { now: 1000 }); // 3
    for (let i = 0; i < 8; i++)
      await append(
        log,
        buildRecordBatch([{ key: Buffer.from(`e${i}`), value: Buffer.from('x'), timestamp: 1000 }]),
        0,
        1000,
      );
    const openAt = log.logEndOffset;
    await append(log, txnBatch(3, 0, ['j=open'], { timestamp: 1000 }), 0, 1000); // stays open
    for (let i = 0; i < 8; i++)
      await append(
        log,
        buildRecordBatch([{ key: Buffer.from(`f${i}`), value: Buffer.from('x'), timestamp: 1000 }]),
        0,
        1000,
      );
    const cleaner = new LogCleaner(silentLogger);
    // Before the delete horizon: the committed record and its marker stay, the aborted record goes.
    await cleaner.clean(log, 2000);
    const afterFirst = keys(log);
    expect(afterFirst.slice(0, 3)).toEqual(['k=committed', 'marker@1', 'marker@3']);
    expect(afterFirst).not.toContain('k=aborted');
    expect(afterFirst).toContain('j=open');
    // Past the horizon: the ABORT marker (no records left) goes; the COMMIT marker stays while its record does.
    await cleaner.clean(log, 100_000);
    const afterSecond = keys(log);
    expect(afterSecond.slice(0, 2)).toEqual(['k=committed', 'marker@1']);
    expect(afterSecond).not.toContain('marker@3');
    expect(afterSecond).toContain('j=open');
    expect(log.lastStableOffset).toBe(openAt);
  });
});
