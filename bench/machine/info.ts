import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';

export interface MachineInfo {
  readonly cpuModel: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly kernel: string;
  readonly distro: string;
  readonly logDisk: string;
  readonly node: string;
  readonly java: string;
  readonly gitCommit: string;
  readonly loadAverage: string;
}

function tryRun(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' }).trim();
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr?.trim();
    return stderr || 'unknown';
  }
}

/** 1, 5 and 15 minute load averages: how busy the machine was (other work competes for the cores). */
export function loadAverageText(): string {
  return loadavg()
    .map((n) => n.toFixed(2))
    .join(' / ');
}

export function machineInfo(logDiskDir: string): MachineInfo {
  const osRelease = (() => {
    try {
      return /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? 'unknown';
    } catch {
      return 'unknown';
    }
  })();
  // `java -version` prints to stderr; its first two lines name the JDK.
  const java = tryRun('sh', ['-c', '"${JAVA_HOME:+$JAVA_HOME/bin/}java" -version 2>&1'])
    .split('\n')
    .slice(0, 2)
    .join('; ');
  const df = tryRun('df', ['-PT', logDiskDir]).split('\n')[1]?.split(/\s+/) ?? [];
  const dirty = tryRun('git', ['status', '--porcelain', '--untracked-files=no'])
    ? ' (with local changes)'
    : '';
  return {
    cpuModel: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    kernel: release(),
    distro: osRelease,
    logDisk: df.length >= 7 ? `${df[0]} (${df[1]}), mounted on ${df[6]}` : 'unknown',
    node: process.version,
    java,
    gitCommit: tryRun('git', ['rev-parse', '--short', 'HEAD']) + dirty,
    loadAverage: loadAverageText(),
  };
}
