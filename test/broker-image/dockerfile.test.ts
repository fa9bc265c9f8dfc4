import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const REPOSITORY = fileURLToPath(new URL('../../', import.meta.url));
const DOCKERFILE = join(REPOSITORY, 'broker-image/Dockerfile');

interface Instruction {
  readonly keyword: string;
  readonly args: string;
  /** The build stage it is in: 0 for the first FROM, 1 for the next. */
  readonly stage: number;
}

/** The Dockerfile's instructions, continuation lines joined and comments left out. */
function instructions(): Instruction[] {
  const text = readFileSync(DOCKERFILE, 'utf8')
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('#'))
    .join('\n')
    .replace(/\\\n/g, ' ');
  let stage = -1;
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [, keyword, args] = /^\s*(\S+)\s*(.*)$/.exec(line)!;
      if (keyword!.toUpperCase() === 'FROM') stage++;
      return { keyword: keyword!.toUpperCase(), args: args!.trim(), stage };
    });
}

/** What .dockerignore keeps out of the build context: a path equal to or under a pattern, or `*.ext`. */
function ignoredByDockerignore(path: string): boolean {
  const patterns = readFileSync(join(REPOSITORY, '.dockerignore'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  return patterns.some((pattern) =>
    pattern.startsWith('*.')
      ? path.endsWith(pattern.slice(1))
      : path === pattern || path.startsWith(`${pattern}/`),
  );
}

function execForm(args: string): string[] {
  return JSON.parse(args) as string[];
}

/** A path of the image's /opt/strata as the repository has it (the bundle's bootstrap). */
function repositoryPathOfBundle(path: string): string {
  return path.replace(/^\/opt\/strata\/bootstrap\//, 'broker-image/bootstrap/');
}

describe('broker-image/Dockerfile', () => {
  const all = instructions();

  it('copies only what the repository has, and nothing .dockerignore keeps out', () => {
    const copies = all.filter((i) => i.keyword === 'COPY' && !i.args.startsWith('--from'));
    expect(copies.length).toBeGreaterThan(0);
    for (const copy of copies) {
      const sources = copy.args.split(/\s+/).slice(0, -1);
      for (const source of sources) {
        expect(existsSync(join(REPOSITORY, source)), `COPY ${source}`).toBe(true);
        expect(ignoredByDockerignore(source), `COPY ${source} is in .dockerignore`).toBe(false);
      }
    }
  });

  it('builds from sources only: what the checkout built or installed stays out of the context', () => {
    for (const path of [
      'node_modules',
      'dist',
      '.cache',
      'control-plane/src/db/generated',
      'infra/cdk.out',
    ]) {
      expect(ignoredByDockerignore(path), path).toBe(true);
    }
  });

  it('copies every source the build compiles and the scripts it runs', () => {
    const copied = all
      .filter((i) => i.keyword === 'COPY' && i.stage === 0)
      .flatMap((i) => i.args.split(/\s+/).slice(0, -1));
    const build = JSON.parse(readFileSync(join(REPOSITORY, 'tsconfig.build.json'), 'utf8')) as {
      include: string[];
    };
    expect(copied).toEqual(
      expect.arrayContaining([...build.include, 'tsconfig.json', 'tsconfig.build.json']),
    );
    const runs = all.filter((i) => i.keyword === 'RUN' && i.stage === 0).map((i) => i.args);
    const scripts = runs.flatMap((run) => [...run.matchAll(/\bnode (scripts\/\S+)/g)].map((m) => m[1]!));
    expect(scripts).toContain('scripts/build-node-bundle.mjs');
    for (const script of scripts)
      expect(
        copied.some((c) => script.startsWith(c)),
        script,
      ).toBe(true);
    const packageJson = JSON.parse(readFileSync(join(REPOSITORY, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    // `npm run build` runs these.
    for (const script of packageJson.scripts.build!.match(/scripts\/\S+/g) ?? []) {
      expect(copied, script).toContain(script);
    }
  });

  it('starts the broker with the node bootstrap: the same renderer and bin as an EC2 broker', () => {
    const runtime = all.filter((i) => i.stage === 1);
    const entrypoint = execForm(runtime.find((i) => i.keyword === 'ENTRYPOINT')!.args);
    expect(entrypoint).toEqual(['/opt/strata/bootstrap/strata-container.sh']);
    const script = join(REPOSITORY, repositoryPathOfBundle(entrypoint[0]!));
    expect(statSync(script).mode & 0o111).toBe(0o111);
    const text = readFileSync(script, 'utf8');
    expect(text).toContain('source "$here/lib/broker-properties.sh"');
    expect(text).toContain('exec node "$BUNDLE_DIR/bin/strata-broker.js"');
    const healthcheck = runtime.find((i) => i.keyword === 'HEALTHCHECK')!.args;
    expect(execForm(healthcheck.slice(healthcheck.indexOf('CMD') + 3).trim())).toEqual([
      '/opt/strata/bootstrap/strata-container.sh',
      '--ready',
    ]);
    expect(runtime.find((i) => i.keyword === 'COPY')!.args).toBe('--from=build /opt/strata /opt/strata');
  });

  it('publishes the Kafka and admin ports the renderer defaults to, and keeps the data on a volume', () => {
    const runtime = all.filter((i) => i.stage === 1);
    const nodeEnv = readFileSync(join(REPOSITORY, 'broker-image/bootstrap/lib/node-env.sh'), 'utf8');
    const kafka = /STRATA_KAFKA_PORT:-(\d+)/.exec(nodeEnv)![1];
    const admin = /STRATA_ADMIN_PORT:-(\d+)/.exec(nodeEnv)![1];
    expect(runtime.find((i) => i.keyword === 'EXPOSE')!.args.split(/\s+/)).toEqual([kafka, admin]);
    expect(execForm(runtime.find((i) => i.keyword === 'VOLUME')!.args)).toEqual(['/var/lib/strata/data']);
    expect(runtime.find((i) => i.keyword === 'USER')!.args).toBe('strata');
  });
});
