/** The results file: targets, result tables, ceilings, resources, machine and how to rerun. */
import { KAFKA_VERSION } from '../../test/support/kafka-jars.js';
import type { Ceilings } from '../machine/ceilings.js';
import type { MachineInfo } from '../machine/info.js';
import type { BenchOptions } from '../options.js';
import { SIDE_LABEL, SIDES, type Side } from '../servers/system.js';
import type { RunRecord } from '../workloads/engine.js';
import type { ProfileSummary } from './cpu-profile.js';
import type { IdleMemory } from './idle.js';
import type { CaseSummary, SideSummary } from './summary.js';
import type { TargetResult } from './targets.js';

export interface SystemDescription {
  readonly name: string;
  readonly side: Side;
  readonly configText: string;
  readonly startCommand: string;
}

export interface ProfileReport {
  readonly label: string;
  /** The .cpuprofile, relative to the results file. */
  readonly file: string;
  readonly summary: ProfileSummary;
  readonly run: RunRecord | undefined;
}

export interface BenchReport {
  readonly options: BenchOptions;
  readonly startedAt: Date;
  readonly finishedAt: Date;
  readonly machine: MachineInfo;
  readonly loadAtEnd: string;
  readonly ceilings: Ceilings;
  readonly summaries: readonly CaseSummary[];
  readonly idle: readonly IdleMemory[];
  readonly systems: readonly SystemDescription[];
  readonly targets: readonly TargetResult[];
  readonly profiles: readonly ProfileReport[];
  readonly notes: readonly string[];
  readonly chartFile: string;
}

const dash = '—';
const int = (n: number | undefined): string =>
  n === undefined || !Number.isFinite(n) ? dash : Math.round(n).toLocaleString('en-US');
const fixed = (n: number | undefined, digits = 1): string =>
  n === undefined || !Number.isFinite(n) ? dash : n.toFixed(digits);
const ratio = (n: number | undefined): string =>
  n === undefined ? dash : Number.isFinite(n) ? `**${n.toFixed(2)}×**` : '∞';
const mb = (bytes: number | undefined): string =>
  bytes === undefined || !Number.isFinite(bytes) ? dash : (bytes / 1e6).toFixed(0);
const pct = (part: number | undefined, whole: number): string =>
  part === undefined || !Number.isFinite(part) || !(whole > 0)
    ? dash
    : `${((part / whole) * 100).toFixed(1)} %`;

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]): string =>
    `| ${cells.map((c) => c.replaceAll('|', '\\|')).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

function failures(side: SideSummary, label: string): string {
  return side.errors.length === 0 ? '' : ` (${label}: ${side.succeeded}/${side.runs} ok)`;
}

function latencies(side: SideSummary): string {
  const m = side.metrics;
  return m.p99Ms === undefined ? dash : `${fixed(m.p50Ms, 0)} / ${fixed(m.p99Ms, 0)} / ${fixed(m.p999Ms, 0)}`;
}

const WORKLOAD_TITLES: Record<string, string> = {
  W1: 'W1 — produce throughput (kafka-producer-perf-test, acks=1, unthrottled)',
  W2: "W2 — produce latency at fixed rates (acks=all, 100 B, 1 partition; rates are fractions of Kafka's W1 maximum for that case)",
  W3: 'W3 — consume throughput (kafka-consumer-perf-test)',
  W4: 'W4 — end-to-end latency, producer → broker → consumer (EndToEndLatency)',
  W5: 'W5 — three brokers, RF 3, min ISR 2, acks=all (Strata: 3 brokers + 3 etcd; Kafka: 3 KRaft nodes)',
  W6: 'W6 — partition scaling (100 B, acks=1, unthrottled)',
};

function workloadSection(workload: string, summaries: readonly CaseSummary[]): string {
  const throughput = summaries.filter((s) => s.result.spec.headline === 'throughput');
  const latency = summaries.filter((s) => s.result.spec.headline === 'latency');
  const out: string[] = [`### ${WORKLOAD_TITLES[workload] ?? workload}`];
  if (throughput.length > 0) {
    out.push(
      table(
        [
          'Case',
          'Kafka records/s',
          'Strata records/s',
          'Strata ÷ Kafka',
          'Kafka MiB/s',
          'Strata MiB/s',
          'Kafka p50/p99/p99.9 ms',
          'Strata p50/p99/p99.9 ms',
        ],
        throughput.map((s) => [
          s.result.spec.label + failures(s.kafka, 'Kafka') + failures(s.strata, 'Strata'),
          int(s.kafka.metrics.recordsPerSec),
          int(s.strata.metrics.recordsPerSec),
          ratio(s.ratio.recordsPerSec),
          fixed(s.kafka.metrics.mbPerSec, 2),
          fixed(s.strata.metrics.mbPerSec, 2),
          latencies(s.kafka),
          latencies(s.strata),
        ]),
      ),
    );
  }
  const consumers = throughput.filter(
    (s) => s.kafka.metrics.rebalanceMs !== undefined || s.strata.metrics.rebalanceMs !== undefined,
  );
  if (consumers.length > 0) {
    out.push(
      table(
        [
          'Case',
          'Kafka group join ms',
          'Strata group join ms',
          'Kafka records/s while fetching',
          'Strata records/s while fetching',
          'Strata ÷ Kafka',
        ],
        consumers.map((s) => [
          s.result.spec.label,
          int(s.kafka.metrics.rebalanceMs),
          int(s.strata.metrics.rebalanceMs),
          int(s.kafka.metrics.fetchRecordsPerSec),
          int(s.strata.metrics.fetchRecordsPerSec),
          ratio(s.ratio.fetchRecordsPerSec),
        ]),
      ),
    );
  }
  if (latency.length > 0) {
    out.push(
      table(
        [
          'Case',
          'Kafka p50/p99/p99.9 ms',
          'Strata p50/p99/p99.9 ms',
          'p99 Strata ÷ Kafka',
          'Kafka avg ms',
          'Strata avg ms',
          'Kafka records/s',
          'Strata records/s',
        ],
        latency.map((s) => [
          s.result.spec.label + failures(s.kafka, 'Kafka') + failures(s.strata, 'Strata'),
          latencies(s.kafka),
          latencies(s.strata),
          ratio(s.ratio.p99Ms),
          fixed(s.kafka.metrics.avgMs, 2),
          fixed(s.strata.metrics.avgMs, 2),
          int(s.kafka.metrics.recordsPerSec),
          int(s.strata.metrics.recordsPerSec),
        ]),
      ),
    );
  }
  return out.join('\n\n');
}

export function renderMarkdown(r: BenchReport): string {
  const { options, sizes } = { options: r.options, sizes: r.options.sizes };
  const minutes = (r.finishedAt.getTime() - r.startedAt.getTime()) / 60_000;
  const stamp = r.startedAt.toISOString().replace('T', ' ').slice(0, 16);
  const out: string[] = [];
  out.push(
    `# Strata vs Apache Kafka ${KAFKA_VERSION} — ${options.smoke ? 'smoke run' : 'benchmark'}, ${stamp} UTC`,
  );
  out.push(
    [
      `${options.smoke ? 'Smoke run (tiny sizes, targets not judged)' : 'Full run'}: ${sizes.repetitions} measured repetition(s) per case and side, ` +
        `alternating which side goes first; every figure is the median over the repetitions. Ratios are Strata ÷ Kafka. ` +
        `Took ${minutes.toFixed(1)} minutes.`,
      `Load average (1/5/15 min) at the start: ${r.machine.loadAverage}; at the end: ${r.loadAtEnd}. ` +
        `On a shared machine other work competes for the same ${r.machine.cores} cores, and both sides pay for it.`,
      '',
      `![Strata ÷ Kafka per case](${r.chartFile})`,
    ].join('\n'),
  );

  out.push('## Targets');
  if (options.smoke) {
    out.push('A smoke run measures too little to judge targets; the figures are shown for reference only.');
  }
  out.push(
    table(
      ['Target', 'Figure', 'Met'],
      r.targets.map((t) => [
        t.target,
        t.figure,
        options.smoke
          ? 'not judged'
          : t.met === undefined
            ? 'not measured'
            : t.met
              ? '**met**'
              : '**not met**',
      ]),
    ),
  );

  out.push('## Results');
  const workloads = [...new Set(r.summaries.map((s) => s.result.spec.workload))];
  for (const w of workloads)
    out.push(
      workloadSection(
        w,
        r.summaries.filter((s) => s.result.spec.workload === w),
      ),
    );
  const failed = r.summaries.flatMap((s) =>
    SIDES.flatMap((side) =>
      s[side].errors.map(
        (e) => `- ${s.result.spec.workload} ${s.result.spec.label}, ${SIDE_LABEL[side]}: ${e}`,
      ),
    ),
  );
  if (failed.length > 0) out.push(['Failed runs:', '', ...failed].join('\n'));

  out.push('## Against the machine’s ceilings');
  const c = r.ceilings;
  out.push(
    table(
      ['Ceiling', 'MiB/s'],
      [
        ['Log disk, sequential write into the page cache (dd, no sync)', fixed(c.diskBufferedMBps, 0)],
        [
          'Log disk, sequential write with a final fdatasync (dd conv=fdatasync)',
          fixed(c.diskBufferedSyncedMBps, 0),
        ],
        ['Log disk, sequential O_DIRECT write (dd oflag=direct)', fixed(c.diskDirectMBps, 0)],
        ['Loopback TCP between two processes', fixed(c.loopbackMBps, 0)],
        ['Memory copy, one core (Buffer.copy)', fixed(c.memcpyMBps, 0)],
      ],
    ),
  );
  out.push(
    'Each throughput result (the tools’ payload MiB/s) as a fraction of each ceiling. Produced bytes go over loopback ' +
      'once and into the page cache once; consumed bytes come from the page cache and go over loopback once.',
  );
  out.push(
    table(
      ['Case', 'Side', 'MiB/s', '% disk (page cache)', '% disk (direct)', '% loopback', '% memcpy'],
      r.summaries
        .filter((s) => s.result.spec.headline === 'throughput')
        .flatMap((s) =>
          SIDES.map((side) => {
            const v = s[side].metrics.mbPerSec;
            return [
              `${s.result.spec.workload} ${s.result.spec.label}`,
              SIDE_LABEL[side],
              fixed(v, 2),
              pct(v, c.diskBufferedMBps),
              pct(v, c.diskDirectMBps),
              pct(v, c.loopbackMBps),
              pct(v, c.memcpyMBps),
            ];
          }),
        ),
    ),
  );

  out.push('## Resources, from the OS’s accounting');
  out.push(
    'Resident memory (VmRSS of each broker’s process tree, from /proc/<pid>/status) with no workload running. ' +
      '"fresh": started and left alone for the settle time; "after load": after its workloads, left alone again. ' +
      'Kafka runs with kafka-server-start.sh’s heap (-Xms1g -Xmx1g).',
  );
  out.push(
    table(
      ['System', 'Side', 'When', 'Per broker, MB', 'etcd members, MB'],
      r.idle.map((i) => [
        i.system,
        SIDE_LABEL[i.side],
        i.when,
        i.perNodeRssBytes.map(mb).join(', '),
        i.supportRssBytes === undefined ? dash : mb(i.supportRssBytes),
      ]),
    ),
  );
  out.push(
    'During each workload run: CPU seconds (utime + stime from /proc/<pid>/stat) of the system’s processes — ' +
      'for Strata’s cluster including its etcd members — and of the tool (the client, on the same cores); ' +
      'peak resident memory of all the system’s processes together. Medians over the repetitions.',
  );
  out.push(
    table(
      [
        'Case',
        'Kafka CPU s',
        'Strata CPU s',
        'Kafka µs CPU/record',
        'Strata µs CPU/record',
        'Client CPU s (K / S)',
        'Kafka peak MB',
        'Strata peak MB',
      ],
      r.summaries.map((s) => [
        `${s.result.spec.workload} ${s.result.spec.label}`,
        fixed(s.kafka.cpuSeconds),
        fixed(s.strata.cpuSeconds),
        fixed(s.kafka.cpuMicrosPerRecord, 2),
        fixed(s.strata.cpuMicrosPerRecord, 2),
        `${fixed(s.kafka.clientCpuSeconds)} / ${fixed(s.strata.clientCpuSeconds)}`,
        mb(s.kafka.peakRssBytes),
        mb(s.strata.peakRssBytes),
      ]),
    ),
  );

  if (r.profiles.length > 0) {
    out.push(
      [
        '## Where Strata spends its CPU',
        'Separate Strata brokers ran under `node --cpu-prof`, one lifetime per path on the same data ' +
          '(open a profile in Chrome DevTools or speedscope). Self time is time in the function itself; ' +
          '"busy" excludes the event loop waiting.',
      ].join('\n\n'),
    );
    for (const p of r.profiles) out.push(profileSection(p));
  }

  out.push('## Every run');
  out.push('"load" is the machine’s 1-minute load average as the run ended (2 would mean both cores busy).');
  out.push(
    table(
      [
        'Case',
        'Side',
        '#',
        'records/s',
        'p50/p99/p99.9 ms',
        'broker CPU s',
        'peak MB',
        'wall s',
        'load',
        'result',
      ],
      r.summaries.flatMap((s) =>
        s.result.runs.map((run) => [
          `${s.result.spec.workload} ${s.result.spec.label}`,
          SIDE_LABEL[run.side],
          String(run.repetition),
          int(run.measurement.metrics.recordsPerSec),
          run.measurement.metrics.p99Ms === undefined
            ? dash
            : `${run.measurement.metrics.p50Ms} / ${run.measurement.metrics.p99Ms} / ${run.measurement.metrics.p999Ms}`,
          fixed(run.usage.cpuSeconds),
          mb(run.usage.peakRssBytes),
          fixed(run.wallSeconds),
          fixed(run.loadAverage, 1),
          run.measurement.ok ? 'ok' : `failed: ${(run.measurement.error ?? '').split('\n')[0]}`,
        ]),
      ),
    ),
  );

  out.push('## Machine');
  const m = r.machine;
  out.push(
    table(
      ['', ''],
      [
        ['CPU', `${m.cpuModel}, ${m.cores} cores`],
        ['Memory', `${m.memoryGiB} GiB`],
        ['OS', `${m.distro}, Linux ${m.kernel}`],
        ['Log disk (both brokers’ log dirs)', m.logDisk],
        ['Node.js', m.node],
        ['Java', m.java],
        ['Kafka', `${KAFKA_VERSION} (jars from Maven Central, pinned in test/compat/java/pom.xml)`],
        ['Strata', `git ${m.gitCommit}`],
      ],
    ),
  );

  out.push('## How to rerun');
  out.push(
    [
      '```sh',
      `npm run bench${options.argv.length > 0 ? ` -- ${options.argv.join(' ')}` : ''}`,
      '```',
      '',
      'Sizes of this run:',
      '',
      '```json',
      JSON.stringify(sizes, null, 2),
      '```',
      '',
      'Method: both single-node brokers run side by side (only one is loaded at a time); each gets an unmeasured ' +
        `warm-up of ${int(sizes.warmupRecords)} records produced and consumed so both JITs are warm. Every run writes to a ` +
        'topic of its own, created just before it; `sync` runs before each measured run so none pays for the ' +
        'previous one’s writeback. Single-broker topics are deleted after each workload. W5 starts both ' +
        '3-broker systems side by side in the same way (and deletes nothing).',
      '',
      'The tools, as run (`$BOOTSTRAP` is the system’s address, `$RUN` a name unique to each run; the classpath is ' +
        'the jars `npm run bench` resolves into .cache/):',
      '',
      ...r.summaries.map((s) => `- ${s.result.spec.workload} ${s.result.spec.label}: \`${s.command}\``),
      '',
      ...r.ceilings.commands.map((cmd) => `- ceiling: \`${cmd}\``),
    ].join('\n'),
  );
  for (const sys of r.systems) {
    out.push(
      [
        `**${sys.name}, ${SIDE_LABEL[sys.side]}** — started with:`,
        '',
        '```sh',
        sys.startCommand,
        '```',
        '',
        'server.properties (first broker):',
        '',
        '```properties',
        sys.configText.trim(),
        '```',
      ].join('\n'),
    );
  }
  if (r.notes.length > 0) out.push(['## Notes', '', ...r.notes.map((n) => `- ${n}`)].join('\n'));
  return out.join('\n\n') + '\n';
}

function profileSection(p: ProfileReport): string {
  const m = p.run?.measurement;
  const lines = [
    `### ${p.label}`,
    `Profile: [${p.file}](${p.file}). Sampled busy time ${fixed(p.summary.busyMs / 1000, 1)} s, ` +
      `idle ${fixed(p.summary.idleMs / 1000, 1)} s` +
      (m?.ok ? `; the run did ${int(m.metrics.recordsPerSec)} records/s under the profiler.` : '.'),
    '',
    table(
      ['Self time by file or package', 'ms', 'Share of busy'],
      p.summary.byFile.map((e) => [e.name, fixed(e.selfMs, 0), `${(e.share * 100).toFixed(1)} %`]),
    ),
    '',
    table(
      ['Self time by function', 'ms', 'Share of busy'],
      p.summary.byFunction.map((e) => [e.name, fixed(e.selfMs, 0), `${(e.share * 100).toFixed(1)} %`]),
    ),
  ];
  return lines.join('\n');
}
