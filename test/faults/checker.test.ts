import { appendFileSync, mkdirSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildRecordBatch } from '../../broker-image/src/protocol/records/records.js';
import { tempDir } from '../support/temp-dir.js';
import { compareReplica, verifyPartition, type PartitionDump } from './checker.js';
import { IntColumn, type PartitionAcks } from './producer.js';
import { ReplicaLog } from './replica-log.js';

/** The nemesis's checker on made-up logs: it counts what is wrong instead of stopping at the first. */

function dumpOf(values: (number | undefined)[], start = 0): PartitionDump {
  const sequenceAt = Int32Array.from(values, (v) => (v === undefined ? -2 : v));
  const gaps: { after: number; next: number }[] = [];
  let previous = start - 1;
  values.forEach((v, i) => {
    if (v === undefined) return;
    if (start + i !== previous + 1) gaps.push({ after: previous, next: start + i });
    previous = start + i;
  });
  return { partition: 0, start, end: start + values.length, sequenceAt, records: values.length, gaps };
}

function acksOf(pairs: [offset: number, sequence: number][]): PartitionAcks {
  const offsets = new IntColumn();
  const sequences = new IntColumn();
  for (const [o, s] of pairs) {
    offsets.push(o);
    sequences.push(s);
  }
  return { offsets, sequences };
}

function batch(baseOffset: number, sequences: number[]): Buffer {
  return buildRecordBatch(
    sequences.map((s) => ({ value: Buffer.from(`v-${s}`) })),
    { baseOffset },
  );
}

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});

function replicaDir(): { dataDir: string; segment: string } {
  const dir = tempDir('strata-nemesis-check-');
  cleanups.push(dir.cleanup);
  const partitionDir = join(dir.path, 'logs', 'nemesis-0');
  mkdirSync(partitionDir, { recursive: true });
  return { dataDir: dir.path, segment: join(partitionDir, '00000000000000000000.log') };
}

describe('verifyPartition', () => {
  it('passes a partition holding every acknowledged record at its offset', () => {
    const verdict = verifyPartition(
      dumpOf([0, 1, 2, 3]),
      acksOf([
        [0, 0],
        [1, 1],
        [3, 3],
      ]),
      'v',
    );
    expect(verdict).toMatchObject({ acknowledged: 3, lost: 0, moved: 0, duplicated: 0, gaps: 0 });
  });

  it('counts lost, moved and duplicated records and gaps', () => {
    // offset 2 holds v-1 again, v-3 was acknowledged at 3 but sits at 5, offset 4 is missing.
    const dump = dumpOf([0, 1, 1, 9, undefined, 3]);
    const verdict = verifyPartition(
      dump,
      acksOf([
        [0, 0],
        [1, 1],
        [2, 2],
        [3, 3],
        [4, 4],
      ]),
      'v',
    );
    expect(verdict).toMatchObject({ acknowledged: 5, lost: 3, moved: 1, duplicated: 1, gaps: 1 });
    expect(verdict.samples.join('\n')).toContain(
      'acknowledged v-3 at offset 3: found v-9, the value is at offset 5',
    );
  });
});

describe('compareReplica and ReplicaLog', () => {
  it('finds a copy identical, differing or short', () => {
    const dump = dumpOf([0, 1, 2, 3, 4]);
    const same = replicaDir();
    writeFileSync(same.segment, Buffer.concat([batch(0, [0, 1, 2]), batch(3, [3, 4]), batch(5, [5])]));
    const identical = compareReplica(dump, 1, new ReplicaLog(same.dataDir, 'nemesis', 0), 'v');
    expect(identical).toMatchObject({ endOffset: 6, differing: 0, missing: 0, corruptBatches: 0 });

    const other = replicaDir();
    writeFileSync(other.segment, Buffer.concat([batch(0, [0, 1, 7])]));
    const differs = compareReplica(dump, 2, new ReplicaLog(other.dataDir, 'nemesis', 0), 'v');
    expect(differs).toMatchObject({ endOffset: 3, differing: 1, missing: 2 });
    expect(differs.firstDifference).toBe('offset 2: v-7 where the client read v-2');
  });

  it('reads the log end on as the file grows, again from the start when it is cut', () => {
    const { dataDir, segment } = replicaDir();
    const log = new ReplicaLog(dataDir, 'nemesis', 0);
    expect(log.endOffset()).toBe(0);
    const first = batch(0, [0, 1]);
    writeFileSync(segment, first);
    expect(log.endOffset()).toBe(2);
    const second = batch(2, [2, 3, 4]);
    // A torn batch (being written) is not counted until it is whole.
    appendFileSync(segment, second.subarray(0, 20));
    expect(log.endOffset()).toBe(2);
    appendFileSync(segment, second.subarray(20));
    expect(log.endOffset()).toBe(5);
    // Truncated below the last read position, then written past it again.
    truncateSync(segment, first.length);
    expect(log.endOffset()).toBe(2);
    truncateSync(segment, 0);
    appendFileSync(segment, Buffer.concat([batch(0, [0]), batch(1, [1, 2, 3, 4, 5, 6, 7])]));
    expect(log.endOffset()).toBe(8);
  });
});
