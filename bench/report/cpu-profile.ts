/** Where a V8 .cpuprofile (node --cpu-prof) spent its samples: self time by function and by file. */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface ProfileEntry {
  readonly name: string;
  readonly selfMs: number;
  /** Share of the non-idle time. */
  readonly share: number;
}

export interface ProfileSummary {
  /** Sampled time the process was not idle. */
  readonly busyMs: number;
  readonly idleMs: number;
  readonly byFunction: readonly ProfileEntry[];
  readonly byFile: readonly ProfileEntry[];
}

/** A short, stable place name: the repository path of our code, a package name, or node's module. */
function place(url: string): string {
  if (!url) return '(native / V8)';
  if (url.startsWith('node:')) return url;
  const ours = /\/dist\/(broker-image\/src\/.*)\.js$/.exec(url);
  if (ours) return `${ours[1]}.ts`;
  const pkg = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pkg) return `npm:${pkg[1]}`;
  return url.replace(/^file:\/\//, '');
}

export function summarizeCpuProfile(file: string, top = 20): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const functionSelf = new Map<string, number>();
  const fileSelf = new Map<string, number>();
  let idleUs = 0;
  let busyUs = 0;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    const frame = byId.get(id)?.callFrame;
    if (!frame) return;
    if (frame.functionName === '(idle)') {
      idleUs += delta;
      return;
    }
    busyUs += delta;
    const where = place(frame.url);
    const name = frame.url
      ? `${frame.functionName || '(anonymous)'} — ${where}:${frame.lineNumber + 1}`
      : frame.functionName || '(anonymous)';
    functionSelf.set(name, (functionSelf.get(name) ?? 0) + delta);
    const fileKey = frame.url ? where : frame.functionName;
    fileSelf.set(fileKey, (fileSelf.get(fileKey) ?? 0) + delta);
  });
  const ranked = (m: Map<string, number>): ProfileEntry[] =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, selfMs: us / 1000, share: busyUs > 0 ? us / busyUs : 0 }));
  return {
    busyMs: busyUs / 1000,
    idleMs: idleUs / 1000,
    byFunction: ranked(functionSelf),
    byFile: ranked(fileSelf),
  };
}
