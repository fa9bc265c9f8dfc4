import { performance } from 'node:perf_hooks';
import { JAVA_PROGRAMS } from '../support/java-programs.js';
import { javaCommand } from '../support/kafka-jars.js';
import { LineProcess } from '../support/line-process.js';

/** A growable column of 32-bit integers: millions of acknowledgements without an object each. */
export class IntColumn {
  private data = new Int32Array(1024);
  length = 0;

  push(value: number): void {
    if (this.length === this.data.length) {
      const grown = new Int32Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = value;
  }

  at(index: number): number {
    return this.data[index]!;
  }
}

/** What one partition was told: offset i of the acknowledgements holds sequence number i. */
export interface PartitionAcks {
  readonly offsets: IntColumn;
  readonly sequences: IntColumn;
}

export interface Stall {
  readonly ms: number;
  /** The phase of the run (a fault, the start) when the acknowledgements resumed. */
  readonly during: string;
}

/** The producer's settings: quick to notice a moved leader, and a frozen one within 10 s. */
export const PRODUCER_SETTINGS = [
  'linger.ms=5',
  'retry.backoff.ms=100',
  'metadata.max.age.ms=1000',
  'request.timeout.ms=10000',
  'delivery.timeout.ms=300000',
];

/**
 * The Java idempotent acks=all producer (IdempotentProducer, keys null) writing until stopped.
 * Its "ACK <partition> <offset> <value>" lines are parsed as they arrive: per partition the
 * acknowledged offsets and values (values are "<prefix>-<sequence>", kept as the sequence), the
 * longest gap between two consecutive acknowledgements, and the FAIL lines.
 */
export class AckedProducer {
  acknowledged = 0;
  /** The highest sequence number acknowledged so far (values are sent in sequence order). */
  maxSequence = -1;
  failed = 0;
  readonly failures: string[] = [];
  readonly partitions = new Map<number, PartitionAcks>();
  /** Set by the harness: which fault (or phase) the run is in, for attributing stalls. */
  phase = 'start';
  maxStall: Stall = { ms: 0, during: '-' };
  /** The longest gap since `resetPhaseStall`, for the per-fault log. */
  phaseStallMs = 0;
  private lastAckAt: number | undefined;
  private stopped = false;
  private lastAckWallTime = 0;
  private readonly process: LineProcess;

  private constructor(
    readonly prefix: string,
    command: string,
    args: string[],
  ) {
    this.process = new LineProcess(
      command,
      args,
      {},
      { onLine: (line) => this.onLine(line), keepLines: false },
    );
  }

  static async start(
    bootstrap: string,
    topic: string,
    classpath: string,
    prefix = 'v',
  ): Promise<AckedProducer> {
    const [java, args] = await javaCommand(
      JAVA_PROGRAMS.idempotentProducer,
      [bootstrap, topic, '-1', prefix, ...PRODUCER_SETTINGS],
      { classpath },
    );
    return new AckedProducer(prefix, java, args);
  }

  private onLine(line: string): void {
    if (line.startsWith('ACK ')) {
      const now = performance.now();
      const [, partition, offset, value] = line.split(' ');
      const p = Number(partition);
      let acks = this.partitions.get(p);
      if (!acks) {
        acks = { offsets: new IntColumn(), sequences: new IntColumn() };
        this.partitions.set(p, acks);
      }
      acks.offsets.push(Number(offset));
      const sequence = sequenceOf(value ?? '', this.prefix);
      acks.sequences.push(sequence);
      if (sequence > this.maxSequence) this.maxSequence = sequence;
      this.acknowledged++;
      if (this.lastAckAt !== undefined) {
        const gap = now - this.lastAckAt;
        if (gap > this.maxStall.ms) this.maxStall = { ms: gap, during: this.phase };
        if (gap > this.phaseStallMs) this.phaseStallMs = gap;
      }
      this.lastAckAt = now;
      this.lastAckWallTime = Date.now();
    } else if (line.startsWith('FAIL ')) {
      this.failed++;
      if (this.failures.length < 20) this.failures.push(line);
    }
  }

  /** Starts a new phase: stalls that end from now on are attributed to it. */
  enterPhase(phase: string): void {
    this.phase = phase;
    this.phaseStallMs = 0;
  }

  /** Resolves once `count` records in all have been acknowledged; rejects after `timeoutMs`. */
  waitForAcknowledged(count: number, timeoutMs: number, what: string): Promise<void> {
    return this.process.waitFor(() => this.acknowledged >= count, timeoutMs, what);
  }

  /** Resolves on the first acknowledgement at `time` (epoch ms) or later; rejects after `timeoutMs`. */
  waitForAcknowledgementAfter(time: number, timeoutMs: number, what: string): Promise<void> {
    return this.process.waitFor(() => this.lastAckWallTime >= time, timeoutMs, what);
  }

  /** The last lines the producer wrote on stderr (its client's warnings), for reports. */
  stderrTail(chars = 2000): string {
    return this.process.stderr.slice(-chars);
  }

  /** SIGKILL: nothing in flight is acknowledged after this. A stall still open at the stop counts. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.lastAckAt !== undefined) {
      const gap = performance.now() - this.lastAckAt;
      if (gap > this.maxStall.ms)
        this.maxStall = { ms: gap, during: `${this.phase} (still open at the stop)` };
    }
    await this.process.stop();
  }
}

/** The sequence number of a "<prefix>-<n>" value, or -1 for anything else. */
export function sequenceOf(value: string, prefix: string): number {
  if (!value.startsWith(`${prefix}-`)) return -1;
  const n = Number(value.slice(prefix.length + 1));
  return Number.isInteger(n) && n >= 0 && n <= 0x7fffffff ? n : -1;
}
