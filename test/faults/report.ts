import { FAULT_DESCRIPTIONS, FAULT_KINDS } from './faults.js';
import { passed, totals, type NemesisResult } from './nemesis.js';

function table(rows: readonly (readonly [string, string])[]): string[] {
  const width = Math.max(...rows.map(([label]) => label.length));
  const valueWidth = Math.max(...rows.map(([, value]) => value.length));
  const rule = `+${'-'.repeat(width + 2)}+${'-'.repeat(valueWidth + 2)}+`;
  return [
    rule,
    ...rows.map(([label, value]) => `| ${label.padEnd(width)} | ${value.padStart(valueWidth)} |`),
    rule,
  ];
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/**
 * The run as a table: faults by kind, records acknowledged, lost, duplicated, the longest produce
 * stall, replicas out of sync or differing; then the per-partition and per-replica lines and the
 * findings with their evidence.
 */
export function renderReport(result: NemesisResult): string {
  const t = totals(result);
  const byKind = FAULT_KINDS.map((kind): [string, string] => [
    `faults: ${kind}`,
    String(result.faults.filter((f) => f.kind === kind).length),
  ]);
  const rows: [string, string][] = [
    ['seed', String(result.seed)],
    ...byKind,
    ['faults injected', `${result.faults.length} of ${result.faultsPlanned}`],
    ['heals timed out', String(t.stuckHeals)],
    ['records acknowledged', String(result.acknowledged)],
    ['sends failed (FAIL)', String(result.failedSends)],
    ['lost', String(t.lost)],
    ['duplicated', String(t.duplicated)],
    ['offset gaps', String(t.gaps)],
    ['max produce stall', `${seconds(result.maxStall.ms)} (${result.maxStall.during})`],
    ['replicas out of sync', String(result.outOfSync.length)],
    ['in ISR below the high watermark', String(result.behindInIsr.length)],
    ['replicas differing', String(t.divergent)],
    ['findings', String(result.findings.length)],
    ['duration', seconds(result.durationMs)],
    ['result', passed(result) ? 'PASS' : 'FAIL'],
  ];
  const out = [
    `Nemesis report: ${result.partitions} partitions of '${result.topic}', RF 3, min.insync.replicas 2`,
  ];
  out.push(...table(rows));
  out.push('', 'Fault kinds:');
  for (const kind of FAULT_KINDS) out.push(`  ${kind.padEnd(26)} ${FAULT_DESCRIPTIONS[kind]}`);
  out.push('', 'Partitions (as the Java consumer read them):');
  for (const v of result.verdicts) {
    out.push(
      `  ${v.partition}: offsets ${v.start}..${v.end}, ${v.acknowledged} acknowledged, ${v.lost} lost, ` +
        `${v.duplicated} duplicated, ${v.gaps} gaps`,
    );
  }
  out.push('', 'Replicas (segment files against the consumer, below the high watermark):');
  for (const r of result.replicas) {
    const state =
      r.differing + r.missing + r.corruptBatches === 0
        ? 'identical'
        : `${r.differing} differing, ${r.missing} missing, ${r.corruptBatches} corrupt: ${r.firstDifference}`;
    out.push(`  partition ${r.partition} broker ${r.broker}: log end ${r.endOffset}, ${state}`);
  }
  if (result.outOfSync.length > 0) out.push('', `Out of sync: ${result.outOfSync.join(', ')}`);
  if (result.failures.length > 0)
    out.push('', 'Failed sends (first ones):', ...result.failures.map((f) => `  ${f}`));
  if (result.findings.length > 0) {
    out.push('', 'Findings:');
    for (const f of result.findings) {
      out.push(`  [fault ${f.fault} ${f.kind}, seed ${result.seed}] ${f.text}`);
      for (const line of f.evidence) out.push(`      ${line}`);
    }
  }
  return out.join('\n');
}
