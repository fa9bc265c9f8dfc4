import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BrokerCluster } from '../support/broker-cluster.js';
import type { BrokerProcess } from '../support/broker-process.js';
import { javaProgramsClasspath } from '../support/java-programs.js';
import { KAFKA_TOOLS, runKafkaTool } from '../support/kafka-jars.js';
import {
  agreedView,
  healProblems,
  highWatermark,
  outOfSyncReplicas,
  partitionStates,
  viewsOf,
  type PartitionState,
} from './cluster-state.js';
import {
  compareReplica,
  dumpPartition,
  verifyPartition,
  type PartitionVerdict,
  type ReplicaVerdict,
} from './checker.js';
import { FAULTS, faultSchedule, type FaultContext, type FaultKind } from './faults.js';
import { AckedProducer, type Stall } from './producer.js';
import { Random } from './random.js';
import { ReplicaLog } from './replica-log.js';

/**
 * The nemesis: a 3-member etcd quorum and 3 brokers, a topic with RF 3 and min.insync.replicas 2,
 * the Java idempotent acks=all producer writing all along, and faults injected one at a time in a
 * seeded order, the cluster healed between them (every broker and etcd member back, every ISR
 * full as every broker sees it, the producer acknowledging again). Afterwards every acknowledged
 * record is looked for at its offset with a real client, and every replica's copy on disk is
 * compared with what the client read.
 */
export interface NemesisOptions {
  readonly faults: number;
  readonly seed?: number;
  /** Only these kinds of fault (all by default). */
  readonly kinds?: readonly FaultKind[];
  readonly partitions?: number;
  readonly topic?: string;
  /** How long a heal may take before the cluster counts as stuck (no further faults then). */
  readonly healTimeoutMs?: number;
  readonly log?: (line: string) => void;
  /** When set, every broker process's log lines are written there at the end (broker-<id>-<n>.log). */
  readonly logDir?: string;
}

export interface Finding {
  readonly fault: number;
  readonly kind: FaultKind | 'setup' | 'final';
  readonly text: string;
  /** Broker log lines about the partition (or warnings) since the fault began. */
  readonly evidence: string[];
}

export interface FaultRecord {
  readonly index: number;
  readonly kind: FaultKind;
  description: string;
  durationMs: number;
  healMs: number;
  stallMs: number;
  healed: boolean;
}

export interface NemesisResult {
  readonly seed: number;
  readonly topic: string;
  readonly partitions: number;
  readonly faultsPlanned: number;
  readonly faults: FaultRecord[];
  readonly acknowledged: number;
  readonly failedSends: number;
  readonly failures: string[];
  readonly maxStall: Stall;
  readonly verdicts: PartitionVerdict[];
  readonly replicas: ReplicaVerdict[];
  /** "partition/replica" left out of an ISR, or behind the high watermark, after the final heal. */
  readonly outOfSync: string[];
  /** ISR members seen (at a heal) whose log on disk ended below their leader's high watermark. */
  readonly behindInIsr: string[];
  readonly findings: Finding[];
  readonly durationMs: number;
}

export const NEMESIS_TOPIC = 'nemesis';
const PREFIX = 'v';
const ETCD_MEMBERS = 3;
/** BrokerCluster's metadata.lease.ttl.seconds. */
const LEASE_MS = 3000;
const POLL_MS = 250;

/** Counts over the partitions, for the report and the test. */
export function totals(result: NemesisResult): {
  lost: number;
  duplicated: number;
  gaps: number;
  divergent: number;
  stuckHeals: number;
} {
  const sum = (f: (v: PartitionVerdict) => number): number => result.verdicts.reduce((n, v) => n + f(v), 0);
  return {
    lost: sum((v) => v.lost),
    duplicated: sum((v) => v.duplicated),
    gaps: sum((v) => v.gaps),
    divergent: result.replicas.filter((r) => r.differing > 0 || r.missing > 0 || r.corruptBatches > 0).length,
    stuckHeals: result.faults.filter((f) => !f.healed).length,
  };
}

/** Nothing lost, duplicated or missing, every replica identical, none left out of sync. */
export function passed(result: NemesisResult): boolean {
  const t = totals(result);
  return (
    result.faults.length === result.faultsPlanned &&
    result.verdicts.length === result.partitions &&
    result.replicas.length === result.partitions * 3 &&
    t.lost === 0 &&
    t.duplicated === 0 &&
    t.gaps === 0 &&
    t.divergent === 0 &&
    t.stuckHeals === 0 &&
    result.outOfSync.length === 0 &&
    result.behindInIsr.length === 0 &&
    result.findings.length === 0
  );
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

class Nemesis implements FaultContext {
  readonly random: Random;
  readonly topic: string;
  readonly partitions: number;
  readonly etcdMembers = ETCD_MEMBERS;
  readonly leaseMs = LEASE_MS;
  readonly behindInIsr: string[] = [];
  private readonly replicaLogs = new Map<string, ReplicaLog>();
  readonly findings: Finding[] = [];
  readonly faults: FaultRecord[] = [];
  /** Every process each node id has run as, oldest first (a restart is a new process). */
  private readonly generations = new Map<number, BrokerProcess[]>();
  private readonly etcdDown = new Set<number>();
  private current: { index: number; kind: FaultKind | 'setup' | 'final'; startedAt: number } = {
    index: 0,
    kind: 'setup',
    startedAt: Date.now(),
  };
  /** Each phase of the run (the start, every fault): when it began and what was acknowledged by then. */
  readonly phases: { label: string; startedAt: number; acked: number[]; maxSequence: number }[] = [];
  /** "partition/broker" seen out of the ISR while the broker was dead, during this fault. */
  private readonly seenOut = new Set<string>();
  private readonly flapsNoted = new Set<string>();
  producer!: AckedProducer;

  constructor(
    readonly cluster: BrokerCluster,
    readonly options: NemesisOptions,
    readonly seed: number,
  ) {
    this.random = new Random(seed);
    this.topic = options.topic ?? NEMESIS_TOPIC;
    this.partitions = options.partitions ?? 3;
    for (const [id, broker] of cluster.brokers) this.generations.set(id, [broker]);
  }

  log(line: string): void {
    (this.options.log ?? console.log)(line);
  }

  get healTimeoutMs(): number {
    return this.options.healTimeoutMs ?? 120_000;
  }

  // ---- FaultContext

  async states(timeoutMs = 60_000): Promise<PartitionState[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const agreed = agreedView(await viewsOf(this.cluster, this.topic), this.partitions);
      if (agreed) {
        this.watchDeadReplicas(agreed);
        return agreed;
      }
      if (Date.now() > deadline) throw new Error(`the brokers did not agree on ${this.topic}'s leaders`);
      await sleep(POLL_MS);
    }
  }

  async observe(
    what: string,
    test: (states: PartitionState[]) => boolean,
    timeoutMs = 60_000,
  ): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    let last: PartitionState[] | undefined;
    for (;;) {
      const agreed = agreedView(await viewsOf(this.cluster, this.topic), this.partitions);
      if (agreed) {
        last = agreed;
        this.watchDeadReplicas(agreed);
        if (test(agreed)) return true;
      }
      if (Date.now() > deadline) {
        this.finding(
          `timed out after ${timeoutMs / 1000} s waiting for ${what}; last view ${describe(last)}`,
        );
        return false;
      }
      await sleep(POLL_MS);
    }
  }

  async acknowledgedMore(more: number, what: string, timeoutMs = 120_000): Promise<boolean> {
    const target = this.producer.acknowledged + more;
    try {
      await this.producer.waitForAcknowledged(target, timeoutMs, what);
      return true;
    } catch {
      this.finding(
        `timed out after ${timeoutMs / 1000} s waiting for ${what} (${this.producer.acknowledged} of ${target} acknowledged)\n` +
          this.producer.stderrTail(1500),
      );
      return false;
    }
  }

  async acknowledgedAfter(time: number, what: string, timeoutMs = 120_000): Promise<boolean> {
    try {
      await this.producer.waitForAcknowledgementAfter(time, timeoutMs, what);
      return true;
    } catch {
      this.finding(
        `timed out after ${timeoutMs / 1000} s waiting for ${what}\n${this.producer.stderrTail(1500)}`,
      );
      return false;
    }
  }

  async restartBroker(nodeId: number): Promise<void> {
    const broker = await this.cluster.restartBroker(nodeId);
    this.generations.get(nodeId)!.push(broker);
  }

  async killEtcd(index: number): Promise<void> {
    this.etcdDown.add(index);
    await this.cluster.etcd.kill(index);
  }

  async restartEtcd(index: number): Promise<void> {
    await this.cluster.etcd.restart(index);
    this.etcdDown.delete(index);
  }

  finding(text: string, partition?: number, window?: { from: number; to: number }): void {
    const { index, kind, startedAt } = this.current;
    const evidence = window
      ? this.evidence(window.from, partition, 80, window.to)
      : this.evidence(startedAt - 2000, partition);
    this.findings.push({ fault: index, kind, text, evidence });
    this.log(`  ! ${text.split('\n')[0]}`);
  }

  // ---- the run

  /** Marks the start of a phase: stalls and acknowledgements from now on belong to it. */
  enterPhase(label: string): void {
    this.producer.enterPhase(label);
    this.phases.push({
      label,
      startedAt: Date.now(),
      acked: [...Array(this.partitions).keys()].map(
        (p) => this.producer.partitions.get(p)?.offsets.length ?? 0,
      ),
      maxSequence: this.producer.maxSequence,
    });
  }

  /**
   * When records of `partition` were lost: the phase in which the first lost one was acknowledged
   * and the phase in which the values now in their place were sent, and a window over both (and
   * the fault after the first) for the broker log lines.
   */
  dateLoss(
    partition: number,
    verdict: PartitionVerdict,
  ): { text: string; window: { from: number; to: number } } | undefined {
    if (!verdict.lostAcks) return undefined;
    const first = verdict.lostAcks.first;
    const acknowledgedIn = this.phases.findLastIndex((ph) => ph.acked[partition]! <= first);
    const sentBefore =
      verdict.replacedBy === undefined
        ? undefined
        : this.phases.findIndex((ph) => ph.maxSequence >= verdict.replacedBy!.min);
    // Acknowledged before the phase sentBefore began: sent in the one before it (or the last).
    const replacedIn =
      sentBefore === undefined ? -1 : sentBefore < 0 ? this.phases.length - 1 : Math.max(0, sentBefore - 1);
    const lastPhase = Math.max(acknowledgedIn, replacedIn);
    const text =
      `the first lost record was acknowledged during ${this.phases[acknowledgedIn]?.label ?? '?'}` +
      (replacedIn >= 0 ? `; the values in its place were sent during ${this.phases[replacedIn]!.label}` : '');
    const from = (this.phases[acknowledgedIn]?.startedAt ?? 0) - 2000;
    const to = this.phases[Math.max(lastPhase + 2, acknowledgedIn + 2)]?.startedAt ?? Infinity;
    return { text, window: { from, to } };
  }

  /** A broker's copy of a partition (its data dir outlives its restarts). */
  replicaLog(broker: number, partition: number): ReplicaLog {
    const key = `${broker}/${partition}`;
    let log = this.replicaLogs.get(key);
    if (!log) {
      log = new ReplicaLog(this.cluster.broker(broker).dataDir, this.topic, partition);
      this.replicaLogs.set(key, log);
    }
    return log;
  }

  /**
   * The ISR's promise: every member holds the records below the leader's high watermark. Read in
   * that order (the high watermark, then the members' logs, which only grow unless truncated), a
   * member whose log ends below it, and which its leader still counts in sync afterwards, was taken
   * into the ISR without the records (on progress it reported before it restarted, say).
   */
  async checkIsrHoldsHighWatermark(states: PartitionState[]): Promise<void> {
    for (const s of states) {
      const leader = this.cluster.broker(s.leader);
      let hw: number;
      try {
        hw = await highWatermark(leader.port, this.topic, s.partition);
      } catch {
        continue; // leadership moving: the next heal looks again
      }
      const behind = s.isr
        .map((r) => ({ r, end: this.replicaLog(r, s.partition).endOffset() }))
        .filter(({ end }) => end < hw);
      if (behind.length === 0) continue;
      const now = await partitionStates(leader.port, this.topic).catch(() => []);
      const isr = now.find((p) => p.partition === s.partition)?.isr ?? [];
      for (const { r, end } of behind) {
        if (!isr.includes(r)) continue;
        this.behindInIsr.push(`${s.partition}/${r}`);
        this.finding(
          `broker ${r} is in partition ${s.partition}'s ISR ${fmt(isr)} but its log ends at ${end}, ` +
            `below leader ${s.leader}'s high watermark ${hw}`,
          s.partition,
        );
      }
    }
  }

  /** A dead broker that was out of an ISR and shows in it again while still dead: the ISR flaps. */
  private watchDeadReplicas(states: PartitionState[]): void {
    for (const [id, broker] of this.cluster.brokers) {
      if (broker.alive) continue;
      for (const s of states) {
        const key = `${s.partition}/${id}`;
        if (!s.isr.includes(id)) this.seenOut.add(key);
        else if (this.seenOut.has(key) && !this.flapsNoted.has(key)) {
          this.flapsNoted.add(key);
          this.finding(
            `dead broker ${id} went back into partition ${s.partition}'s ISR ${fmt(s.isr)}`,
            s.partition,
          );
        }
      }
    }
  }

  /** Writes every broker process's log lines (JSON, one a line) into `dir`. */
  writeLogs(dir: string): void {
    mkdirSync(dir, { recursive: true });
    for (const [id, processes] of this.generations) {
      processes.forEach((broker, generation) => {
        const text = broker.lines.map((l) => JSON.stringify(l)).join('\n');
        writeFileSync(join(dir, `broker-${id}-${generation + 1}.log`), `${text}\n${broker.stderr}`);
      });
    }
  }

  /** Broker log lines since `since` about `partition` (or any partition), plus warnings and errors. */
  evidence(since: number, partition?: number, limit = 40, until = Infinity): string[] {
    const keys =
      partition === undefined
        ? [...Array(this.partitions).keys()].map((p) => `${this.topic}-${p}`)
        : [`${this.topic}-${partition}`];
    const lines: { time: number; text: string }[] = [];
    for (const [id, processes] of this.generations) {
      processes.forEach((broker, generation) => {
        for (const line of broker.lines) {
          const time = typeof line.time === 'number' ? line.time : 0;
          if (time < since || time > until) continue;
          const about =
            keys.includes(String(line.partition)) ||
            (line.topic === this.topic && (partition === undefined || line.partition === partition)) ||
            (typeof line.level === 'number' && line.level >= 40);
          if (!about) continue;
          const { level: _level, time: _time, pid: _pid, hostname: _host, msg, ...rest } = line;
          const text = `${new Date(time).toISOString().slice(11, 23)} broker ${id}#${generation + 1}: ${msg} ${JSON.stringify(rest)}`;
          lines.push({ time, text: text.length > 400 ? `${text.slice(0, 400)}...` : text });
        }
      });
    }
    return lines
      .sort((a, b) => a.time - b.time)
      .slice(-limit)
      .map((l) => l.text);
  }

  async createTopic(): Promise<void> {
    const result = await runKafkaTool(KAFKA_TOOLS.topics, [
      '--bootstrap-server',
      this.cluster.bootstrap,
      '--create',
      '--topic',
      this.topic,
      '--partitions',
      String(this.partitions),
      '--replication-factor',
      '3',
      '--config',
      'min.insync.replicas=2',
    ]);
    if (result.code !== 0) throw new Error(`creating ${this.topic} failed: ${result.stdout}${result.stderr}`);
  }

  /**
   * Waits until the cluster is whole again: a broker that exited on its own is a finding and is
   * started again; then every broker answers and shows every partition led and its ISR full, and
   * the producer has acknowledged `moreAcks` records since. False (a finding) after the heal timeout.
   */
  async heal(moreAcks: number, faultFailed = false): Promise<boolean> {
    try {
      for (const [id, broker] of [...this.cluster.brokers]) {
        if (broker.paused) broker.resume();
        if (!broker.alive) {
          // After a fault that failed half-way, a broker it stopped is still down; otherwise it crashed.
          if (!faultFailed) {
            this.finding(
              `broker ${id} was not running at the heal: it exited on its own\n${broker.stderr.slice(-1500)}`,
            );
          }
          await this.restartBroker(id);
        }
      }
      for (const index of [...this.etcdDown]) await this.restartEtcd(index);
    } catch (error) {
      this.finding(`could not restart what was down: ${(error as Error).message}`);
      return false;
    }
    const deadline = Date.now() + this.healTimeoutMs;
    for (;;) {
      const views = await viewsOf(this.cluster, this.topic);
      const problems = healProblems(this.cluster, views, this.partitions);
      if (problems.length === 0) {
        await this.checkIsrHoldsHighWatermark(agreedView(views, this.partitions)!);
        break;
      }
      if (Date.now() > deadline) {
        const partition = /partition (\d+)/.exec(problems.join('\n'));
        this.finding(
          `not healed within ${this.healTimeoutMs / 1000} s: ${problems.join('; ')}`,
          partition ? Number(partition[1]) : undefined,
        );
        return false;
      }
      await sleep(POLL_MS);
    }
    return this.acknowledgedMore(moreAcks, 'acknowledgements on the healed cluster');
  }

  async runFaults(): Promise<void> {
    const schedule = faultSchedule(this.random, this.options.faults, this.options.kinds);
    for (let i = 0; i < schedule.length; i++) {
      const kind = schedule[i]!;
      const index = i + 1;
      const label = `#${index} ${kind}`;
      this.current = { index, kind, startedAt: Date.now() };
      this.seenOut.clear();
      this.flapsNoted.clear();
      this.enterPhase(label);
      const record: FaultRecord = {
        index,
        kind,
        description: '',
        durationMs: 0,
        healMs: 0,
        stallMs: 0,
        healed: false,
      };
      this.faults.push(record);
      const started = Date.now();
      let failed = false;
      try {
        record.description = await FAULTS[kind](this);
      } catch (error) {
        failed = true;
        record.description = `failed: ${(error as Error).message.split('\n')[0]}`;
        this.finding(`the fault itself failed: ${(error as Error).message}`);
      }
      record.durationMs = Date.now() - started;
      const healStarted = Date.now();
      record.healed = await this.heal(200, failed);
      record.healMs = Date.now() - healStarted;
      record.stallMs = this.producer.phaseStallMs;
      this.log(
        `${label}: ${record.description}; ${record.healed ? 'healed' : 'NOT healed'} in ${(record.healMs / 1000).toFixed(1)} s, ` +
          `longest produce stall ${(record.stallMs / 1000).toFixed(1)} s, ${this.producer.acknowledged} acknowledged`,
      );
      if (!record.healed) {
        this.log(`stopping after fault ${index}: the cluster did not heal`);
        return;
      }
    }
  }

  /** After the producer stopped: every replica at the leader's high watermark, or behind it. */
  async settle(): Promise<{ highWatermarks: number[]; behind: string[] }> {
    const deadline = Date.now() + this.healTimeoutMs;
    for (;;) {
      const behind: string[] = [];
      const highWatermarks: number[] = [];
      try {
        const states = await this.states();
        for (const s of states) {
          const hw = await highWatermark(this.cluster.broker(s.leader).port, this.topic, s.partition);
          highWatermarks.push(hw);
          for (const r of s.replicas) {
            const end = this.replicaLog(r, s.partition).endOffset();
            if (end !== hw) behind.push(`${s.partition}/${r} (log end ${end}, high watermark ${hw})`);
          }
        }
        if (behind.length === 0) return { highWatermarks, behind };
      } catch (error) {
        behind.push(`could not read the cluster: ${(error as Error).message}`);
      }
      if (Date.now() > deadline) return { highWatermarks, behind };
      await sleep(POLL_MS * 2);
    }
  }

  async check(classpath: string): Promise<{
    verdicts: PartitionVerdict[];
    replicas: ReplicaVerdict[];
    outOfSync: string[];
  }> {
    this.current = { index: this.faults.length, kind: 'final', startedAt: Date.now() };
    const outOfSync = new Set<string>();
    if (!(await this.heal(0))) {
      for (const r of outOfSyncReplicas(await viewsOf(this.cluster, this.topic))) outOfSync.add(r);
    }
    const settled = await this.settle();
    for (const b of settled.behind) {
      const replica = /^(\d+)\/\d+/.exec(b);
      if (replica) outOfSync.add(replica[0]);
      this.finding(
        `after the final heal, ${replica ? 'replica ' : ''}${b}`,
        replica ? Number(replica[1]) : undefined,
      );
    }
    const verdicts: PartitionVerdict[] = [];
    const replicas: ReplicaVerdict[] = [];
    for (let p = 0; p < this.partitions; p++) {
      let dump;
      try {
        dump = await dumpPartition(this.cluster.bootstrap, this.topic, p, classpath, PREFIX);
      } catch (error) {
        this.finding(`partition ${p} could not be read: ${(error as Error).message}`, p);
        continue;
      }
      const verdict = verifyPartition(dump, this.producer.partitions.get(p), PREFIX);
      verdicts.push(verdict);
      if (verdict.lost + verdict.duplicated + verdict.gaps > 0) {
        const dated = this.dateLoss(p, verdict);
        this.finding(
          `partition ${p}: ${verdict.lost} lost (${verdict.moved} at another offset), ${verdict.duplicated} duplicated, ` +
            `${verdict.gaps} gaps${dated ? `; ${dated.text}` : ''}\n  ${verdict.samples.join('\n  ')}`,
          p,
          dated?.window,
        );
      }
      for (const id of [...this.cluster.brokers.keys()].sort((a, b) => a - b)) {
        const replica = compareReplica(dump, id, this.replicaLog(id, p), PREFIX);
        replicas.push(replica);
        if (replica.differing + replica.missing + replica.corruptBatches > 0) {
          this.finding(
            `partition ${p} on broker ${id} differs from what the client read below ${dump.end}: ` +
              `${replica.differing} differing, ${replica.missing} missing, ${replica.corruptBatches} corrupt batches; ` +
              `first: ${replica.firstDifference}`,
            p,
          );
        }
      }
    }
    return { verdicts, replicas, outOfSync: [...outOfSync].sort() };
  }
}

export async function runNemesis(options: NemesisOptions): Promise<NemesisResult> {
  const seed = options.seed ?? Random.newSeed();
  const log = options.log ?? console.log;
  const began = Date.now();
  log(`nemesis: seed ${seed}, ${options.faults} faults (repeat with --seed ${seed})`);
  const classpath = await javaProgramsClasspath();
  const cluster = await BrokerCluster.start();
  const nemesis = new Nemesis(cluster, options, seed);
  let producer: AckedProducer | undefined;
  try {
    await nemesis.createTopic();
    await nemesis.observe(`${nemesis.topic}'s partitions led and in sync`, (s) =>
      s.every((p) => p.leader >= 0 && p.isr.length === p.replicas.length),
    );
    producer = await AckedProducer.start(cluster.bootstrap, nemesis.topic, classpath, PREFIX);
    nemesis.producer = producer;
    nemesis.enterPhase('start');
    await producer.waitForAcknowledged(1000, 120_000, 'the first acknowledgements');
    await nemesis.runFaults();
    nemesis.enterPhase('final');
    await producer.stop();
    const { verdicts, replicas, outOfSync } = await nemesis.check(classpath);
    return {
      seed,
      topic: nemesis.topic,
      partitions: nemesis.partitions,
      faultsPlanned: options.faults,
      faults: nemesis.faults,
      acknowledged: producer.acknowledged,
      failedSends: producer.failed,
      failures: producer.failures,
      maxStall: producer.maxStall,
      verdicts,
      replicas,
      outOfSync,
      behindInIsr: nemesis.behindInIsr,
      findings: nemesis.findings,
      durationMs: Date.now() - began,
    };
  } finally {
    await producer?.stop();
    if (options.logDir) nemesis.writeLogs(options.logDir);
    await cluster.destroy();
  }
}

function fmt(ids: readonly number[]): string {
  return `[${[...ids].sort((a, b) => a - b).join(',')}]`;
}

function describe(states: PartitionState[] | undefined): string {
  if (!states) return '(no agreed view)';
  return states.map((s) => `p${s.partition} leader ${s.leader} isr ${fmt(s.isr)}`).join(', ');
}
