import { describe, expect, it } from 'vitest';
import { FAULT_KINDS } from './faults.js';
import { totals, runNemesis } from './nemesis.js';
import { renderReport } from './report.js';

/**
 * The standing fault test: fifteen faults, every kind three times (the seed's order; NEMESIS_SEED repeats a
 * run), under an idempotent acks=all producer. Nothing acknowledged is lost or written twice,
 * every replica holds the same records, and every ISR is full again after each heal.
 */
describe('nemesis', () => {
  it(
    'loses, duplicates and diverges nothing through fifteen faults, every kind three times',
    async () => {
      const seed = process.env.NEMESIS_SEED === undefined ? undefined : Number(process.env.NEMESIS_SEED);
      const result = await runNemesis({ faults: 15, seed });
      const report = renderReport(result);
      console.log(report);
      const t = totals(result);
      expect(new Set(result.faults.map((f) => f.kind)), report).toEqual(new Set(FAULT_KINDS));
      expect(
        result.faults.filter((f) => !f.healed),
        report,
      ).toEqual([]);
      expect(t.lost, report).toBe(0);
      expect(t.duplicated, report).toBe(0);
      expect(t.gaps, report).toBe(0);
      expect(result.replicas, report).toHaveLength(result.partitions * 3);
      expect(t.divergent, report).toBe(0);
      expect(result.outOfSync, report).toEqual([]);
      expect(result.behindInIsr, report).toEqual([]);
      expect(
        result.findings.map((f) => f.text),
        report,
      ).toEqual([]);
    },
    20 * 60_000,
  );
});
