/**
 * CPU time and resident memory of processes, from the kernel's own accounting in /proc (Linux).
 * A "process tree" is a root pid and every live descendant, so a broker that forks helpers is
 * charged for them too.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

interface StatFields {
  /** The command name (field 2). */
  readonly comm: string;
  readonly ppid: number;
  /** utime + stime + cutime + cstime, in clock ticks. */
  readonly ticks: number;
}

function readStat(pid: number): StatFields | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may contain spaces; fields after it are plain.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state): ppid is field 4, utime..cstime are fields 14..17.
  const field = (n: number): number => Number(rest[n - 3]);
  return {
    comm: text.slice(text.indexOf('(') + 1, text.lastIndexOf(')')),
    ppid: field(4),
    ticks: field(14) + field(15) + field(16) + field(17),
  };
}

/** Every live process, by pid. */
function allProcesses(): Map<number, StatFields> {
  const processes = new Map<number, StatFields>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readStat(Number(name));
    if (stat) processes.set(Number(name), stat);
  }
  return processes;
}

/** Pids of this process's children whose command name is `comm`. */
export function childPids(comm: string): number[] {
  return [...allProcesses()]
    .filter(([, stat]) => stat.comm === comm && stat.ppid === process.pid)
    .map(([pid]) => pid);
}

/** The pids given and all their live descendants. */
export function processTree(roots: readonly number[]): number[] {
  const children = new Map<number, number[]>();
  for (const [pid, stat] of allProcesses()) {
    const list = children.get(stat.ppid) ?? [];
    list.push(pid);
    children.set(stat.ppid, list);
  }
  const seen = new Set<number>();
  const queue = [...roots];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    if (seen.has(pid)) continue;
    seen.add(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return [...seen];
}

/** User + system CPU seconds the processes have used so far (including reaped children). */
export function cpuSeconds(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of pids) ticks += readStat(pid)?.ticks ?? 0;
  return ticks / CLOCK_TICKS;
}

/** VmRSS of one process in bytes (0 once it has gone). */
export function residentBytes(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** CPU seconds used by this process's reaped children: the tools the harness ran, once they exit. */
export function reapedChildrenCpuSeconds(): number {
  const rest = readFileSync('/proc/self/stat', 'utf8');
  const fields = rest.slice(rest.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[16 - 3]) + Number(fields[17 - 3])) / CLOCK_TICKS;
}

export interface Usage {
  /** CPU seconds the system's processes used during the measurement. */
  readonly cpuSeconds: number;
  /** Highest sum of VmRSS over the system's processes, sampled every `intervalMs`. */
  readonly peakRssBytes: number;
  /** Highest VmRSS of any one node (a broker's process tree). */
  readonly peakNodeRssBytes: number;
}

/**
 * Meters a system (one process tree per node) while a workload runs: CPU time from start to stop,
 * and the peak resident memory seen by sampling.
 */
export class UsageMeter {
  private startCpu = 0;
  private peakRss = 0;
  private peakNodeRss = 0;
  private timer: NodeJS.Timeout | undefined;
  private trees: number[][] = [];

  constructor(
    private readonly nodeRoots: () => readonly number[],
    private readonly intervalMs = 250,
  ) {}

  start(): void {
    this.trees = this.nodeRoots().map((root) => processTree([root]));
    this.startCpu = cpuSeconds(this.trees.flat());
    this.peakRss = 0;
    this.peakNodeRss = 0;
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
  }

  stop(): Usage {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.sample();
    return {
      cpuSeconds: cpuSeconds(this.trees.flat()) - this.startCpu,
      peakRssBytes: this.peakRss,
      peakNodeRssBytes: this.peakNodeRss,
    };
  }

  private sample(): void {
    let total = 0;
    for (const tree of this.trees) {
      let node = 0;
      for (const pid of tree) node += residentBytes(pid);
      total += node;
      this.peakNodeRss = Math.max(this.peakNodeRss, node);
    }
    this.peakRss = Math.max(this.peakRss, total);
  }
}

/** Resident memory of each node's process tree right now. */
export function nodeResidentBytes(roots: readonly number[]): number[] {
  return roots.map((root) => processTree([root]).reduce((sum, pid) => sum + residentBytes(pid), 0));
}
