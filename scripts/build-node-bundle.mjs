#!/usr/bin/env node
// Builds the node bundle: what every EC2 broker and coordinator unpacks into /opt/strata, what the
// control plane's host runs, what the broker container holds, and what the CDK app uploads as an
// asset. It holds the build (dist/: the broker and the control plane), the broker's bin, the
// Prisma schema and migrations, a package.json naming only the runtime dependencies the build
// imports, those dependencies as installed here (native addons included, so build it on
// linux-x64 with glibc, as the instances are), and the node bootstrap scripts (bootstrap/).
// Run after `npm run build`:
//   node scripts/build-node-bundle.mjs [--out <file>]   (default .cache/node-bundle/strata-node.tgz)
// The tarball is the same byte for byte when its content is: entries sorted, one fixed mtime,
// owner root, modes normalised, no gzip timestamp; so the asset's hash changes only with content.
import { spawn } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { createGzip } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const bootstrapDir = join(root, 'broker-image/bootstrap');
const prismaDir = join(root, 'prisma');
// 2020-01-01T00:00:00Z: any fixed time does; 1970 makes tar warn of implausibly old files.
const FIXED_MTIME = 1577836800;
// Needed to install or compile the packages that name them, never loaded when the broker runs.
const BUILD_TIME_ONLY = [/^@types\//, /^prebuild-install$/, /^node-addon-api$/];

function parseArguments(args) {
  let out = join(root, '.cache/node-bundle/strata-node.tgz');
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--out' && args[i + 1]) out = resolve(args[++i]);
    else throw new Error(`usage: build-node-bundle.mjs [--out <file>] (unexpected "${args[i]}")`);
  }
  return { out };
}

function readJson(path) {
  return JSON.parse(readFileSync(path, 'utf8'));
}

/** Every file under `dir`, relative to it, skipping directories `skip(relativePath)` rejects. */
function listFiles(dir, skip = () => false, prefix = '') {
  const files = [];
  for (const entry of readdirSync(join(dir, prefix), { withFileTypes: true })) {
    const path = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (skip(path, entry)) continue;
    if (entry.isDirectory()) files.push(...listFiles(dir, skip, path));
    else if (entry.isFile() || entry.isSymbolicLink()) files.push(path);
  }
  return files;
}

/**
 * The build's JavaScript files whose TypeScript source is still there: tsc never removes what it
 * compiled from a source since deleted, and such a file has no place in the bundle.
 */
function compiledFiles() {
  return listFiles(dist).filter(
    (file) => file.endsWith('.js') && existsSync(join(root, file.replace(/\.js$/, '.ts'))),
  );
}

/**
 * The package's dependencies the build's files name: a static or dynamic import, or a require, of
 * the package or of a file inside it.
 */
function runtimeDependencies(pkg, files) {
  const code = files.map((file) => readFileSync(join(dist, file), 'utf8')).join('\n');
  return Object.keys(pkg.dependencies ?? {})
    .filter((name) =>
      ['"', "'"].some((q) => code.includes(`${q}${name}${q}`) || code.includes(`${q}${name}/`)),
    )
    .sort();
}

/** The installed directory of `name` as Node resolves it from `fromDir` (inside the repository). */
function resolvePackage(name, fromDir) {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dir === root || dir === dirname(dir)) return undefined;
  }
}

/**
 * The installed packages `names` need at run time, as directories: their dependencies, the
 * optional ones installed for this platform (the native addons' binaries), and the peers they
 * require (an optional peer, such as @prisma/client's prisma CLI, is left out).
 */
function dependencyClosure(names) {
  const found = new Set();
  const visit = (name, fromDir, required) => {
    if (BUILD_TIME_ONLY.some((pattern) => pattern.test(name))) return;
    const dir = resolvePackage(name, fromDir);
    if (!dir) {
      if (required)
        throw new Error(`${name} (needed from ${relative(root, fromDir) || '.'}) is not installed`);
      return;
    }
    if (found.has(dir)) return;
    found.add(dir);
    const pkg = readJson(join(dir, 'package.json'));
    for (const dep of Object.keys(pkg.dependencies ?? {})) visit(dep, dir, true);
    for (const dep of Object.keys(pkg.optionalDependencies ?? {})) visit(dep, dir, false);
    for (const dep of Object.keys(pkg.peerDependencies ?? {})) {
      if (!pkg.peerDependenciesMeta?.[dep]?.optional) visit(dep, dir, true);
    }
  };
  for (const name of names) visit(name, root, true);
  return [...found].sort();
}

/**
 * A package's files, without its nested node_modules (those packages are in the closure on their
 * own) and, for a node-gyp addon, without its build's intermediate files: only the addon binary.
 */
function packageFiles(dir) {
  const gyp = existsSync(join(dir, 'binding.gyp'));
  return listFiles(dir, (path, entry) => {
    if (path === 'node_modules') return true;
    if (!gyp || !(path === 'build' || path.startsWith('build/'))) return false;
    if (entry.isDirectory()) return !['build', 'build/Release'].includes(path);
    return !/^build\/Release\/[^/]+\.node$/.test(path);
  });
}

function copyInto(stage, from, to) {
  const target = join(stage, to);
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(from, target);
  // Only the executable bit matters; tar normalises the rest.
  chmodSync(target, statSync(from).mode & 0o111 ? 0o755 : 0o644);
}

async function writeTarball(stage, out) {
  const entries = listFiles(stage).sort();
  const tar = spawn(
    'tar',
    [
      '--create',
      '--format=gnu',
      '--sort=name',
      `--mtime=@${FIXED_MTIME}`,
      '--owner=0',
      '--group=0',
      '--numeric-owner',
      '--mode=u=rwX,go=rX',
      '--hard-dereference',
      '--directory',
      stage,
      '.',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const exited = new Promise((resolvePromise, reject) => {
    tar.on('error', reject);
    tar.on('exit', (code) => (code === 0 ? resolvePromise() : reject(new Error(`tar exited with ${code}`))));
  });
  mkdirSync(dirname(out), { recursive: true });
  const partial = `${out}.partial`;
  await pipeline(tar.stdout, createGzip({ level: 9 }), createWriteStream(partial));
  await exited;
  renameSync(partial, out);
  return entries.length;
}

async function main() {
  const { out } = parseArguments(process.argv.slice(2));
  if (process.platform !== 'linux')
    throw new Error('the node bundle holds Linux binaries: build it on Linux');
  for (const main of ['broker-image/src/main.js', 'control-plane/src/main.js']) {
    if (!existsSync(join(dist, main)))
      throw new Error(`dist/${main} is missing: run \`npm run build\` first`);
  }
  const pkg = readJson(join(root, 'package.json'));
  const compiled = compiledFiles();
  const dependencies = runtimeDependencies(pkg, compiled);
  const packages = dependencyClosure(dependencies);

  const stage = mkdtempSync(join(tmpdir(), 'strata-node-bundle-'));
  try {
    for (const file of compiled) copyInto(stage, join(dist, file), `dist/${file}`);
    for (const file of listFiles(prismaDir)) copyInto(stage, join(prismaDir, file), `prisma/${file}`);
    copyInto(stage, join(root, 'bin/strata-broker.js'), 'bin/strata-broker.js');
    for (const file of listFiles(bootstrapDir)) {
      copyInto(stage, join(bootstrapDir, file), `bootstrap/${file}`);
    }
    for (const dir of packages) {
      const to = relative(root, dir).split(sep).join('/');
      for (const file of packageFiles(dir)) copyInto(stage, join(dir, file), `${to}/${file}`);
    }
    const manifest = {
      name: 'strata-node',
      version: pkg.version,
      description:
        'A Strata node: the broker, the control plane and the bootstrap of broker and coordinator instances.',
      license: pkg.license,
      private: true,
      type: 'module',
      os: [process.platform],
      cpu: [process.arch],
      bin: { 'strata-broker': 'bin/strata-broker.js' },
      dependencies: Object.fromEntries(
        dependencies.map((name) => [
          name,
          readJson(join(resolvePackage(name, root), 'package.json')).version,
        ]),
      ),
    };
    writeFileSync(join(stage, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');
    const count = await writeTarball(stage, out);
    const size = statSync(out).size;
    console.log(
      `${relative(process.cwd(), out)}: ${count} files, ${(size / 1024 / 1024).toFixed(1)} MiB ` +
        `(${process.platform}-${process.arch}; ${packages.length} packages for ${dependencies.join(', ')})`,
    );
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(`build-node-bundle: ${error.message}`);
  process.exit(1);
});
