/**
 * `npm run bench`: Strata against Apache Kafka on this machine, with Kafka's own tools.
 *
 * Measures the machine's ceilings, starts a single-node Kafka and a single Strata broker side by
 * side and runs W1–W4 and W6 against both (alternating, medians of the repetitions), then a
 * 3-broker Kafka and a 3-broker Strata cluster for W5; writes a dated Markdown file, an SVG chart
 * and the raw runs as JSON. See USAGE in options.ts.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kafkaClasspath } from '../test/support/kafka-jars.js';
import { measureCeilings } from './machine/ceilings.js';
import { loadAverageText, machineInfo } from './machine/info.js';
import { parseOptions, type BenchOptions } from './options.js';
import { renderChart } from './report/chart.js';
import { summarizeCpuProfile } from './report/cpu-profile.js';
import { idleMemory, type IdleMemory } from './report/idle.js';
import { renderMarkdown, type ProfileReport, type SystemDescription } from './report/markdown.js';
import { median } from './report/stats.js';
import { summarizeCase } from './report/summary.js';
import { judgeTargets } from './report/targets.js';
import { startKafka, type Properties } from './servers/kafka.js';
import { startStrata, startStrataCluster } from './servers/strata.js';
import { SIDE_LABEL, SIDES, type Side, type SystemUnderTest } from './servers/system.js';
import { consumerPerf, createTopic, deleteTopics, producerPerf } from './tools/kafka-tools.js';
import { w3ConsumeCase, w3PopulateCase } from './workloads/consume.js';
import { w4Case } from './workloads/end-to-end.js';
import { log, runCase, runOnce, type CaseResult, type CaseSpec, type Systems } from './workloads/engine.js';
import { W2_BASE, w1CaseId, w1Cases, w2Cases, w5MaxCase, w5RateCase, w6Cases } from './workloads/produce.js';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const WORK_DIR = join(REPO_ROOT, 'bench', '.work');
const DATA_DIR = join(WORK_DIR, 'data');
const LOG_DIR = join(WORK_DIR, 'logs');

/** Settings both sides get, so they store and flush alike (neither fsyncs per write: both defaults). */
const COMMON_PROPERTIES: Properties = {
  'log.segment.bytes': 1024 * 1024 * 1024,
  'num.partitions': 1,
  'offsets.topic.num.partitions': 50,
  'group.initial.rebalance.delay.ms': 0,
};

/** W5's clusters: MSK's three-zone defaults, with Kafka's default replication timing on both sides. */
const CLUSTER_PROPERTIES: Properties = {
  ...COMMON_PROPERTIES,
  'default.replication.factor': 3,
  'min.insync.replicas': 2,
  'replica.lag.time.max.ms': 30_000,
};

/** Paths in the results relative to the repository, so they read the same on any machine. */
function repoRelative(text: string): string {
  return text.split(`${REPO_ROOT}/`).join('');
}

class Bench {
  readonly results: CaseResult[] = [];
  readonly idle: IdleMemory[] = [];
  readonly systems: SystemDescription[] = [];
  readonly notes: string[] = [];
  readonly bootstraps: Record<Side, string[]> = { kafka: [], strata: [] };
  private readonly running = new Set<SystemUnderTest>();

  constructor(readonly options: BenchOptions) {}

  get sizes() {
    return this.options.sizes;
  }

  async start(name: string, starting: Promise<SystemUnderTest>): Promise<SystemUnderTest> {
    const system = await starting;
    this.running.add(system);
    this.bootstraps[system.side].push(...system.bootstrap.split(','));
    this.systems.push({
      name,
      side: system.side,
      configText: system.configText,
      startCommand: system.startCommand,
    });
    log(
      `${name}, ${SIDE_LABEL[system.side]}: up at ${system.bootstrap} (pids ${system.brokerPids.join(', ')})`,
    );
    return system;
  }

  async stop(system: SystemUnderTest): Promise<void> {
    this.running.delete(system);
    await system.stop();
  }

  async stopAll(): Promise<void> {
    await Promise.allSettled([...this.running].map((s) => this.stop(s)));
  }

  async cases(
    systems: Systems,
    cases: readonly CaseSpec[],
    repetitions = this.sizes.repetitions,
  ): Promise<void> {
    for (const spec of cases) this.results.push(await runCase(spec, systems, repetitions));
  }

  /** Drops a workload's topics on both sides so the disk holds only what the next one writes. */
  async dropTopics(systems: Systems, pattern: string): Promise<void> {
    for (const side of SIDES) {
      const run = await deleteTopics(systems[side].bootstrap, pattern);
      if (run.code !== 0) {
        this.notes.push(
          `Deleting topics ${pattern} on ${SIDE_LABEL[side]} failed (exit ${run.code}): ${run.stderr.trim().split('\n')[0]}`,
        );
      }
    }
  }

  kafkaMedian(caseId: string): number {
    const result = this.results.find((r) => r.spec.id === caseId);
    return median(
      (result?.runs ?? [])
        .filter((r) => r.side === 'kafka' && r.measurement.ok)
        .map((r) => r.measurement.metrics.recordsPerSec ?? NaN),
    );
  }

  /** An unmeasured produce + consume on each side so both JITs have compiled the hot paths. */
  async warmUp(
    systems: Systems,
    topic: { partitions: number; replicationFactor: number; acks: '1' | 'all' },
    options: { keepTopic?: boolean } = {},
  ): Promise<void> {
    const records = this.sizes.warmupRecords;
    for (const side of SIDES) {
      const { bootstrap } = systems[side];
      await createTopic(bootstrap, { name: 'warmup', ...topic });
      const produced = await producerPerf(bootstrap, {
        topic: 'warmup',
        records,
        recordSize: 100,
        throughput: -1,
        acks: topic.acks,
        timeoutMs: this.sizes.toolTimeoutMs,
      });
      const consumed = await consumerPerf(bootstrap, {
        topic: 'warmup',
        records,
        group: 'warmup',
        timeoutMs: this.sizes.toolTimeoutMs,
      });
      const what = `${SIDE_LABEL[side]} warm-up: produce ${produced.summary ? `${Math.round(produced.summary.recordsPerSec)} records/s` : `failed (${produced.error?.split('\n')[0]})`}, consume ${consumed.summary ? `${Math.round(consumed.summary.recordsPerSec)} records/s` : `failed (${consumed.error?.split('\n')[0]})`}`;
      log(what);
      if (!produced.summary || !consumed.summary) this.notes.push(what);
    }
    if (!options.keepTopic) await this.dropTopics(systems, 'warmup');
  }

  async singleNode(): Promise<void> {
    const { sizes, options } = this;
    const timeoutMs = sizes.toolTimeoutMs;
    const kafka = await this.start(
      'Single broker',
      startKafka({ nodes: 1, dataDir: DATA_DIR, logDir: LOG_DIR, properties: COMMON_PROPERTIES }),
    );
    const strata = await this.start(
      'Single broker',
      startStrata({ dataDir: join(DATA_DIR, 'strata-1'), properties: COMMON_PROPERTIES }),
    );
    const systems: Systems = { kafka, strata };
    try {
      this.idle.push(await idleMemory(kafka, 'Single broker', 'fresh', sizes.settleSeconds));
      this.idle.push(await idleMemory(strata, 'Single broker', 'fresh', 0));
      await this.warmUp(systems, { partitions: 1, replicationFactor: 1, acks: '1' });
      const want = new Set(options.workloads);

      if (want.has('W1')) {
        await this.cases(systems, w1Cases({ ...sizes.w1, timeoutMs }));
        await this.dropTopics(systems, 'w1-.*');
      }
      if (want.has('W2')) {
        const kafkaMax = this.kafkaMedian(w1CaseId(W2_BASE.recordSize, W2_BASE.partitions));
        if (Number.isFinite(kafkaMax)) {
          await this.cases(systems, w2Cases({ ...sizes.w2, kafkaMaxRecordsPerSec: kafkaMax, timeoutMs }));
          await this.dropTopics(systems, 'w2-.*');
        } else {
          this.notes.push("W2 skipped: Kafka's W1 maximum (100 B, 1 partition) was not measured.");
        }
      }
      if (want.has('W4')) {
        await this.cases(systems, [w4Case({ ...sizes.w4, timeoutMs })]);
        await this.dropTopics(systems, 'w4-.*');
      }
      if (want.has('W6')) {
        await this.cases(systems, w6Cases({ ...sizes.w6, timeoutMs }));
        await this.dropTopics(systems, 'w6-.*');
      }
      if (want.has('W3')) {
        await this.cases(systems, [w3PopulateCase({ ...sizes.w3, timeoutMs })], 1);
        await this.cases(systems, [w3ConsumeCase({ ...sizes.w3, timeoutMs })]);
        await this.dropTopics(systems, 'w3-.*');
      }
      this.idle.push(await idleMemory(kafka, 'Single broker', 'after load', sizes.settleSeconds));
      this.idle.push(await idleMemory(strata, 'Single broker', 'after load', 0));
    } finally {
      await this.stop(kafka);
      await this.stop(strata);
    }
  }

  async cluster(): Promise<void> {
    const { sizes } = this;
    const timeoutMs = sizes.toolTimeoutMs;
    const kafka = await this.start(
      '3-broker cluster',
      startKafka({ nodes: 3, dataDir: DATA_DIR, logDir: LOG_DIR, properties: CLUSTER_PROPERTIES }),
    );
    const strata = await this.start(
      '3-broker cluster',
      startStrataCluster({ brokers: 3, properties: CLUSTER_PROPERTIES }),
    );
    const systems: Systems = { kafka, strata };
    try {
      this.idle.push(await idleMemory(kafka, '3-broker cluster', 'fresh', sizes.settleSeconds));
      this.idle.push(await idleMemory(strata, '3-broker cluster', 'fresh', 0));
      // No topics are deleted in the cluster phase: they are small, and deletion is not what W5 measures.
      await this.warmUp(systems, { partitions: 6, replicationFactor: 3, acks: 'all' }, { keepTopic: true });
      await this.cases(systems, [w5MaxCase({ records: sizes.w5.records, timeoutMs })]);
      const kafkaMax = this.kafkaMedian('w5-max');
      if (Number.isFinite(kafkaMax)) {
        await this.cases(systems, [
          w5RateCase({
            ...sizes.w5,
            fraction: sizes.w5.rateFraction,
            kafkaMaxRecordsPerSec: kafkaMax,
            timeoutMs,
          }),
        ]);
      } else {
        this.notes.push("W5's fixed-rate latency run skipped: Kafka's W5 maximum was not measured.");
      }
    } finally {
      await this.stop(kafka);
      await this.stop(strata);
    }
  }

  /**
   * Strata under node --cpu-prof in two lifetimes on the same data: one producing W3's records (100 B,
   * acks=1, unthrottled, as in W1), one consuming them (as in W3), so each profile shows one path.
   */
  async profile(outDir: string, stamp: string): Promise<ProfileReport[]> {
    const timeoutMs = this.sizes.toolTimeoutMs;
    const dataDir = join(DATA_DIR, 'strata-profiled');
    rmSync(dataDir, { recursive: true, force: true });
    const phases: { name: string; spec: CaseSpec }[] = [
      { name: 'produce', spec: w3PopulateCase({ ...this.sizes.w3, timeoutMs }) },
      { name: 'consume', spec: w3ConsumeCase({ ...this.sizes.w3, timeoutMs }) },
    ];
    const reports: ProfileReport[] = [];
    try {
      for (const { name, spec } of phases) {
        const profileDir = join(WORK_DIR, 'profile', name);
        rmSync(profileDir, { recursive: true, force: true });
        const strata = await this.start(
          `Profiled single broker (${name})`,
          startStrata({ dataDir, properties: COMMON_PROPERTIES, cpuProfileDir: profileDir, keepData: true }),
        );
        let run;
        try {
          run = await runOnce(spec, strata, { topic: `profiled-${name}`, repetition: 1 });
        } finally {
          await this.stop(strata);
        }
        const m = run.measurement;
        log(
          `profiled ${spec.label}: ${m.ok ? `${Math.round(m.metrics.recordsPerSec ?? 0)} records/s` : `failed: ${m.error}`}`,
        );
        const written = existsSync(profileDir)
          ? readdirSync(profileDir).filter((f) => f.endsWith('.cpuprofile'))
          : [];
        if (written.length === 0) {
          this.notes.push(
            `--profile (${name}): the broker wrote no .cpuprofile (did it exit cleanly on SIGTERM?).`,
          );
          continue;
        }
        const file = `${stamp}-strata-${name}.cpuprofile`;
        const profile = readFileSync(join(profileDir, written[0]!), 'utf8');
        writeFileSync(join(outDir, file), repoRelative(profile.split(`file://${REPO_ROOT}/`).join('')));
        chmodSync(join(outDir, file), 0o644); // node writes profiles owner-only
        reports.push({ label: spec.label, file, summary: summarizeCpuProfile(join(outDir, file)), run });
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
    return reports;
  }
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const brokerMain = join(REPO_ROOT, 'dist', 'broker-image', 'src', 'main.js');
  if (!existsSync(brokerMain))
    throw new Error(`${brokerMain} is missing: run \`npm run bench\`, which builds first`);

  rmSync(DATA_DIR, { recursive: true, force: true });
  rmSync(LOG_DIR, { recursive: true, force: true });
  for (const dir of [DATA_DIR, LOG_DIR, join(WORK_DIR, 'tmp')]) mkdirSync(dir, { recursive: true });
  // Strata cluster brokers and etcd take their data dirs from os.tmpdir(): keep them on the same disk.
  process.env.TMPDIR = join(WORK_DIR, 'tmp');
  const outDir = resolve(
    options.outDir ?? join(REPO_ROOT, 'bench', options.smoke ? '.work/results' : 'results'),
  );
  mkdirSync(outDir, { recursive: true });

  const bench = new Bench(options);
  let stopping = false;
  const interrupt = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping everything the harness started`);
    void bench.stopAll().finally(() => process.exit(130));
  };
  process.once('SIGINT', () => interrupt('SIGINT'));
  process.once('SIGTERM', () => interrupt('SIGTERM'));

  const startedAt = new Date();
  const stamp = `${startedAt
    .toISOString()
    .slice(0, 16)
    .replace(/[T:]/g, (c) => (c === 'T' ? '-' : ''))}-${options.smoke ? 'smoke' : 'full'}`;
  const machine = machineInfo(DATA_DIR);
  log(
    `${options.smoke ? 'smoke' : 'full'} run; workloads ${options.workloads.join(', ')}; ${options.sizes.repetitions} repetition(s)`,
  );
  log('resolving the Kafka jars');
  await kafkaClasspath();
  log(`measuring the machine's ceilings on ${DATA_DIR}`);
  const ceilings = await measureCeilings(DATA_DIR, options.sizes.ceilings);
  log(
    `ceilings: disk ${ceilings.diskBufferedMBps.toFixed(0)} (page cache) / ${ceilings.diskDirectMBps.toFixed(0)} (direct) MiB/s, ` +
      `loopback ${ceilings.loopbackMBps.toFixed(0)} MiB/s, memcpy ${ceilings.memcpyMBps.toFixed(0)} MiB/s`,
  );

  let profiles: ProfileReport[] = [];
  try {
    if (options.workloads.some((w) => w !== 'W5')) await bench.singleNode();
    if (options.workloads.includes('W5')) await bench.cluster();
    if (options.profile) profiles = await bench.profile(outDir, stamp);
  } catch (err) {
    bench.notes.push(`The run stopped early: ${String(err).split('\n').slice(0, 6).join(' ')}`);
    log(`error: ${String(err)}`);
  } finally {
    await bench.stopAll();
  }

  const summaries = bench.results.map((r) => summarizeCase(r, bench.bootstraps));
  const targets = judgeTargets(summaries, bench.idle);
  const chartFile = `${stamp}.svg`;
  const markdown = renderMarkdown({
    options,
    startedAt,
    finishedAt: new Date(),
    machine,
    loadAtEnd: loadAverageText(),
    ceilings,
    summaries,
    idle: bench.idle,
    systems: bench.systems,
    targets,
    profiles,
    notes: bench.notes,
    chartFile,
  });
  const title = `Strata ÷ Kafka, ${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC${options.smoke ? ' (smoke run)' : ''}`;
  writeFileSync(join(outDir, chartFile), renderChart(summaries, title));
  writeFileSync(join(outDir, `${stamp}.md`), repoRelative(markdown));
  writeFileSync(
    join(outDir, `${stamp}.json`),
    repoRelative(
      JSON.stringify(
        {
          options,
          startedAt,
          machine,
          ceilings,
          idle: bench.idle,
          results: bench.results,
          targets,
          notes: bench.notes,
        },
        null,
        2,
      ),
    ) + '\n',
  );
  log(`results: ${relative(process.cwd(), join(outDir, `${stamp}.md`))}`);
  for (const t of targets) {
    log(`  ${options.smoke ? '·' : t.met === undefined ? '?' : t.met ? '✓' : '✗'} ${t.target}: ${t.figure}`);
  }
  rmSync(DATA_DIR, { recursive: true, force: true });
  // A full run's failed runs are data; a smoke run exists to catch a harness (or broker) that broke.
  const incomplete = bench.notes.some((n) => n.startsWith('The run stopped early'));
  const anyFailed = bench.results.some((r) => r.runs.some((run) => !run.measurement.ok));
  process.exit(incomplete || (options.smoke && anyFailed) ? 1 : 0);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
