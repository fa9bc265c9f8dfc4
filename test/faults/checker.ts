import { spawn } from 'node:child_process';
import { JAVA_PROGRAMS } from '../support/java-programs.js';
import { javaCommand } from '../support/kafka-jars.js';
import { killOnExit } from '../support/kill-on-exit.js';
import { IntColumn, sequenceOf, type PartitionAcks } from './producer.js';
import type { ReplicaLog } from './replica-log.js';

/** A partition as a real client (the Java consumer, assign/seek from the earliest offset) read it. */
export interface PartitionDump {
  readonly partition: number;
  /** The first offset read (the log start), or the end when the partition is empty. */
  readonly start: number;
  /** The consumer's position at the end: the high watermark when it started reading. */
  readonly end: number;
  /** Sequence number at offset start + i: -1 for a value not the producer's, -2 for no record there. */
  readonly sequenceAt: Int32Array;
  /** Offsets read, in order (to find gaps). */
  readonly records: number;
  readonly gaps: { after: number; next: number }[];
}

/**
 * Reads partition `partition` from its log start to the end with AssignSeekConsumer, streaming its
 * "<offset> <key> <value>" lines (a long run's partitions hold millions of records).
 */
export async function dumpPartition(
  bootstrap: string,
  topic: string,
  partition: number,
  classpath: string,
  prefix: string,
  timeoutMs = 10 * 60_000,
): Promise<PartitionDump> {
  const [java, args] = await javaCommand(
    JAVA_PROGRAMS.assignSeekConsumer,
    [bootstrap, topic, String(partition), 'earliest', 'all', String(timeoutMs)],
    { classpath },
  );
  const offsets = new IntColumn();
  const sequences = new IntColumn();
  let position: number | undefined;
  const child = killOnExit(spawn(java, args, { stdio: ['ignore', 'pipe', 'pipe'] }));
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (text: string) => (stderr = (stderr + text).slice(-4000)));
  let buffered = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (text: string) => {
    buffered += text;
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) {
      if (!line) continue;
      if (line.startsWith('POSITION ')) {
        position = Number(line.slice('POSITION '.length));
        continue;
      }
      const [offset, , value] = line.split(' ');
      offsets.push(Number(offset));
      sequences.push(sequenceOf(value ?? '', prefix));
    }
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs + 60_000);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearTimeout(timer);
  if (code !== 0 || position === undefined) {
    throw new Error(`reading partition ${partition} failed (exit ${code}): ${stderr}`);
  }
  const start = offsets.length > 0 ? offsets.at(0) : position;
  const end = position;
  const sequenceAt = new Int32Array(Math.max(0, end - start)).fill(-2);
  const gaps: { after: number; next: number }[] = [];
  let previous = start - 1;
  for (let i = 0; i < offsets.length; i++) {
    const offset = offsets.at(i);
    if (offset !== previous + 1) gaps.push({ after: previous, next: offset });
    if (offset >= start && offset < end) sequenceAt[offset - start] = sequences.at(i);
    previous = offset;
  }
  if (offsets.length > 0 && previous !== end - 1) gaps.push({ after: previous, next: end });
  return { partition, start, end, sequenceAt, records: offsets.length, gaps };
}

export interface Misplaced {
  readonly offset: number;
  readonly expected: string;
  readonly found: string;
}

/** The acknowledged records of one partition against what the client read. Never throws. */
export interface PartitionVerdict {
  readonly partition: number;
  readonly start: number;
  readonly end: number;
  readonly acknowledged: number;
  /** Acknowledged records not at their acknowledged offset. */
  readonly lost: number;
  /** Of those, how many are elsewhere in the partition. */
  readonly moved: number;
  /** Records whose value is already at a lower offset. */
  readonly duplicated: number;
  readonly gaps: number;
  /** The first few lost, duplicated and gap offsets, for the report. */
  readonly samples: string[];
  /** Indexes (in acknowledgement order) of the first and last lost record, to date the loss. */
  readonly lostAcks: { first: number; last: number } | undefined;
  /** Sequence numbers found where acknowledged records should be (the writes that replaced them). */
  readonly replacedBy: { min: number; max: number } | undefined;
}

export function verifyPartition(
  dump: PartitionDump,
  acks: PartitionAcks | undefined,
  prefix: string,
): PartitionVerdict {
  const samples: string[] = [];
  const sample = (text: string): void => {
    if (samples.length < 10) samples.push(text);
  };
  // Where each sequence number first is (offset + 1; 0 for nowhere), and the duplicates.
  let maxSequence = 0;
  for (const s of dump.sequenceAt) if (s > maxSequence) maxSequence = s;
  const offsetOf = new Float64Array(maxSequence + 1);
  let duplicated = 0;
  for (let i = 0; i < dump.sequenceAt.length; i++) {
    const s = dump.sequenceAt[i]!;
    if (s < 0) continue;
    if (offsetOf[s] !== 0) {
      duplicated++;
      sample(`${prefix}-${s} at offset ${dump.start + i} again (first at ${offsetOf[s]! - 1})`);
    } else offsetOf[s] = dump.start + i + 1;
  }
  for (const gap of dump.gaps) sample(`no record between offsets ${gap.after} and ${gap.next}`);
  let lost = 0;
  let moved = 0;
  let lostAcks: { first: number; last: number } | undefined;
  let replacedBy: { min: number; max: number } | undefined;
  const acknowledged = acks?.offsets.length ?? 0;
  for (let i = 0; i < acknowledged; i++) {
    const offset = acks!.offsets.at(i);
    const s = acks!.sequences.at(i);
    const index = offset - dump.start;
    const found = index >= 0 && index < dump.sequenceAt.length ? dump.sequenceAt[index]! : -2;
    if (found === s) continue;
    lost++;
    lostAcks = { first: lostAcks?.first ?? i, last: i };
    if (found >= 0) {
      replacedBy = {
        min: Math.min(replacedBy?.min ?? found, found),
        max: Math.max(replacedBy?.max ?? found, found),
      };
    }
    const elsewhere = s <= maxSequence && offsetOf[s] !== 0;
    if (elsewhere) moved++;
    sample(
      `acknowledged ${prefix}-${s} at offset ${offset}: found ${found === -2 ? 'nothing' : `${prefix}-${found}`}` +
        (elsewhere ? `, the value is at offset ${offsetOf[s]! - 1}` : ''),
    );
  }
  return {
    partition: dump.partition,
    start: dump.start,
    end: dump.end,
    acknowledged,
    lost,
    moved,
    duplicated,
    gaps: dump.gaps.length,
    samples,
    lostAcks,
    replacedBy,
  };
}

/** One broker's copy of one partition against what the client read, below the high watermark. */
export interface ReplicaVerdict {
  readonly partition: number;
  readonly broker: number;
  readonly endOffset: number;
  /** Offsets in [start, end) whose record differs from the client's. */
  readonly differing: number;
  /** Offsets in [start, end) the replica has no record for. */
  readonly missing: number;
  readonly corruptBatches: number;
  readonly firstDifference: string | undefined;
}

export function compareReplica(
  dump: PartitionDump,
  broker: number,
  log: ReplicaLog,
  prefix: string,
): ReplicaVerdict {
  let corruptBatches = 0;
  let differing = 0;
  let firstDifference: string | undefined;
  const seen = new Uint8Array(dump.sequenceAt.length);
  for (const record of log.records(dump.end, () => corruptBatches++)) {
    if (record.offset < dump.start) continue;
    const index = record.offset - dump.start;
    const s = record.value === null ? -1 : sequenceOf(record.value, prefix);
    if (seen[index] === 1) {
      differing++;
      firstDifference ??= `offset ${record.offset} twice in the log`;
      continue;
    }
    seen[index] = 1;
    const expected = dump.sequenceAt[index]!;
    if (s !== expected) {
      differing++;
      firstDifference ??= `offset ${record.offset}: ${record.value} where the client read ${expected === -2 ? 'nothing' : `${prefix}-${expected}`}`;
    }
  }
  let missing = 0;
  for (let i = 0; i < seen.length; i++) if (seen[i] === 0 && dump.sequenceAt[i] !== -2) missing++;
  if (missing > 0) firstDifference ??= `${missing} of the client's records are not in this copy`;
  return {
    partition: dump.partition,
    broker,
    endOffset: log.endOffset(),
    differing,
    missing,
    corruptBatches,
    firstDifference,
  };
}
