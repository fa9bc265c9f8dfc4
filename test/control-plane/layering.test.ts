import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * The control plane's layers, read from the import statements themselves: the cluster use cases
 * (clusters/) own their inputs and the interfaces they need, so they import neither the HTTP API
 * nor the operation engine nor the providers that implement those interfaces; and the stack
 * (infra/) takes the control plane's limits and types from the domain, not from the API's schemas.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface Rule {
  /** Files under this folder (relative to the repository)… */
  readonly from: string;
  /** …import nothing under these. */
  readonly notInto: readonly string[];
}

const RULES: readonly Rule[] = [
  {
    from: 'control-plane/src/clusters',
    notInto: ['control-plane/src/api', 'control-plane/src/operations', 'control-plane/src/providers'],
  },
  { from: 'infra', notInto: ['control-plane/src/api'] },
];

/** The one broker-image module the control plane may import: the managed cluster's settings. */
const SHARED_WITH_CONTROL_PLANE = ['broker-image/src/config/managed-cluster.js'];
/** The broker's config modules that module may reach: parsers and property definitions, no I/O. */
const PURE_CONFIG = [
  'broker-image/src/config/broker-properties.js',
  'broker-image/src/config/config-error.js',
  'broker-image/src/config/value-types.js',
];

function sourceFiles(folder: string): string[] {
  return readdirSync(join(ROOT, folder), { recursive: true, encoding: 'utf8' })
    .filter(
      (name) => name.endsWith('.ts') && !name.split(sep).some((p) => p === 'node_modules' || p === 'cdk.out'),
    )
    .map((name) => join(folder, name));
}

/** Every module a source imports or re-exports, statically or dynamically, by its specifier. */
function importSpecifiers(source: string): string[] {
  return ts.preProcessFile(source, true, true).importedFiles.map((f) => f.fileName);
}

/** The repository path a relative specifier names (`../api/schemas.js` → `control-plane/src/api/schemas.js`). */
function target(file: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  return relative(ROOT, resolve(ROOT, dirname(file), specifier))
    .split(sep)
    .join('/');
}

function inside(path: string, folder: string): boolean {
  return path === folder || path.startsWith(`${folder}/`);
}

function importsOf(file: string): { specifier: string; path: string }[] {
  return importSpecifiers(readFileSync(join(ROOT, file), 'utf8')).flatMap((specifier) => {
    const path = target(file, specifier);
    return path ? [{ specifier, path }] : [];
  });
}

describe('the control plane layering', () => {
  it.each(RULES)('files under $from import nothing under $notInto', ({ from, notInto }) => {
    const files = sourceFiles(from);
    expect(files.length).toBeGreaterThan(0);
    const breaches = files.flatMap((file) =>
      importsOf(file)
        .filter(({ path }) => notInto.some((folder) => inside(path, folder)))
        .map(({ specifier }) => `${file} imports ${specifier}`),
    );
    expect(breaches).toEqual([]);
  });

  it('has the broker image import nothing from the other rooms', () => {
    const breaches = sourceFiles('broker-image/src').flatMap((file) =>
      importsOf(file)
        .filter(({ path }) => !inside(path, 'broker-image'))
        .map(({ specifier }) => `${file} imports ${specifier}`),
    );
    expect(breaches).toEqual([]);
  });

  it('has the control plane import of the broker image only its pure managed-cluster settings', () => {
    const breaches = sourceFiles('control-plane/src').flatMap((file) =>
      importsOf(file)
        .filter(({ path }) => inside(path, 'broker-image') && !SHARED_WITH_CONTROL_PLANE.includes(path))
        .map(({ specifier }) => `${file} imports ${specifier}`),
    );
    expect(breaches).toEqual([]);
    // And what it imports imports only the broker's pure config modules, with no I/O.
    for (const shared of SHARED_WITH_CONTROL_PLANE) {
      const file = shared.replace(/\.js$/, '.ts');
      const reached = importsOf(file).map(({ path }) => path);
      expect(
        reached.every((path) => PURE_CONFIG.includes(path)),
        `${file}: ${reached.join(', ')}`,
      ).toBe(true);
      for (const path of reached) {
        const deps = importsOf(path.replace(/\.js$/, '.ts')).map((d) => d.path);
        expect(
          deps.every((d) => PURE_CONFIG.includes(d)),
          `${path}: ${deps.join(', ')}`,
        ).toBe(true);
      }
    }
  });

  it('has the API depend on the cluster use cases, the way the rules allow', () => {
    const apiImports = sourceFiles('control-plane/src/api').flatMap(importsOf);
    expect(apiImports.some(({ path }) => inside(path, 'control-plane/src/clusters'))).toBe(true);
  });

  it('reads every form an import takes', () => {
    const source = [
      "import { a } from '../api/schemas.js';",
      "import type {\n  B,\n  C,\n} from '../operations/steps.js';",
      "import '../providers/local/ports.js';",
      "export { d } from '../api/views.js';",
      "export type * from '../api/problem.js';",
      "const e = await import('../providers/provider.js');",
      "// import { f } from '../api/not-an-import.js';",
      'const g = \'import { h } from "../api/not-either.js"\';',
    ].join('\n');
    expect(importSpecifiers(source)).toEqual([
      '../api/schemas.js',
      '../operations/steps.js',
      '../providers/local/ports.js',
      '../api/views.js',
      '../api/problem.js',
      '../providers/provider.js',
    ]);
  });
});
