import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import config from '../vitest.config.js';

/**
 * The coverage floor only rises: the thresholds in vitest.config.ts are at least the figure
 * recorded in test/coverage-floor.json, and no commit ever lowered that figure.
 */
const METRICS = ['statements', 'branches', 'functions', 'lines'] as const;
type Floor = Record<(typeof METRICS)[number], number>;

const root = fileURLToPath(new URL('..', import.meta.url));
const RECORD = 'test/coverage-floor.json';
const recorded = JSON.parse(readFileSync(new URL('./coverage-floor.json', import.meta.url), 'utf8')) as Floor;

function git(...args: string[]): string {
  return execFileSync('git', args, { cwd: root, encoding: 'utf8' });
}

/** The recorded figure in every commit that changed it, oldest first. */
function recordHistory(): { commit: string; floor: Floor }[] {
  const commits = git('log', '--reverse', '--format=%H', '--', RECORD).split('\n').filter(Boolean);
  return commits.map((commit) => ({
    commit,
    floor: JSON.parse(git('show', `${commit}:${RECORD}`)) as Floor,
  }));
}

describe('the coverage floor', () => {
  it('has a whole percentage for every metric', () => {
    for (const metric of METRICS) {
      expect(Number.isFinite(recorded[metric]), metric).toBe(true);
      expect(recorded[metric]).toBeGreaterThan(0);
      expect(recorded[metric]).toBeLessThanOrEqual(100);
    }
  });

  it('is in the config at or above the recorded figure', () => {
    const thresholds = config.test?.coverage?.thresholds as Partial<Floor> | undefined;
    for (const metric of METRICS) {
      expect(
        thresholds?.[metric],
        `coverage.thresholds.${metric} in vitest.config.ts`,
      ).toBeGreaterThanOrEqual(recorded[metric]);
    }
  });

  it('was never lowered by a commit, nor by the working copy', () => {
    const history = recordHistory();
    const versions = [...history, { commit: 'the working copy', floor: recorded }];
    for (let i = 1; i < versions.length; i++) {
      for (const metric of METRICS) {
        expect(
          versions[i]!.floor[metric],
          `${metric} at ${versions[i]!.commit} is below ${versions[i - 1]!.commit}'s`,
        ).toBeGreaterThanOrEqual(versions[i - 1]!.floor[metric]);
      }
    }
  });
});
