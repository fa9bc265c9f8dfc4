import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getProperties } from 'properties-file';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Metadata } from '../../broker-image/src/protocol/messages/index.js';
import { freePort } from '../support/free-port.js';
import { withRawClient } from '../support/raw-client.js';
import { runCommand } from '../support/run-command.js';
import { tempDir } from '../support/temp-dir.js';
import { waitUntil } from '../support/wait-until.js';
import {
  cleanEnvironment,
  runBootstrap,
  startBroker,
  startProcess,
  type TrackedProcess,
} from './bootstrap/bootstrap-scripts.js';

const REPOSITORY = fileURLToPath(new URL('../../', import.meta.url));
const BUILD_SCRIPT = join(REPOSITORY, 'scripts/build-node-bundle.mjs');

let dir: { path: string; cleanup: () => void };
/** The bundle as an instance has it, unpacked in what stands for /opt/strata. */
let bundle: string;
let tarball: string;
const processes: TrackedProcess[] = [];

beforeAll(async () => {
  dir = tempDir('strata-node-bundle-');
  tarball = join(dir.path, 'strata-node.tgz');
  const built = await runCommand(process.execPath, [BUILD_SCRIPT, '--out', tarball], { timeoutMs: 120_000 });
  if (built.code !== 0) throw new Error(`build-node-bundle failed: ${built.stderr}`);
  bundle = join(dir.path, 'opt/strata');
  mkdirSync(bundle, { recursive: true });
  execFileSync('tar', ['-xzf', tarball, '-C', bundle]);
}, 180_000);

afterAll(async () => {
  for (const p of processes) await p.stop();
  dir?.cleanup();
});

describe('the node bundle', () => {
  it('holds the bootstrap, the build, the migrations and only the packages the build imports', () => {
    for (const script of ['strata-node.sh', 'strata-container.sh', 'grow-data-volume.sh']) {
      expect(statSync(join(bundle, 'bootstrap', script)).mode & 0o111, script).toBe(0o111);
    }
    expect(readdirSync(join(bundle, 'bootstrap/lib')).sort()).toEqual(
      readdirSync(join(REPOSITORY, 'broker-image/bootstrap/lib')).sort(),
    );
    for (const file of [
      'bin/strata-broker.js',
      'dist/broker-image/src/main.js',
      'dist/control-plane/src/main.js',
      'prisma/schema.prisma',
      'prisma/sqlite/schema.prisma',
    ]) {
      expect(existsSync(join(bundle, file)), file).toBe(true);
    }
    // Compiled from the sources there are now, never from a source since deleted.
    const compiled = execFileSync('find', ['dist', '-name', '*.js'], { cwd: bundle, encoding: 'utf8' })
      .trim()
      .split('\n');
    expect(compiled.length).toBeGreaterThan(100);
    for (const file of compiled) {
      expect(existsSync(join(REPOSITORY, file.replace(/^dist\//, '').replace(/\.js$/, '.ts'))), file).toBe(
        true,
      );
    }
    const manifest = JSON.parse(readFileSync(join(bundle, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    expect(Object.keys(manifest.dependencies)).toEqual(
      expect.arrayContaining(['etcd3', 'express', 'zstd-napi']),
    );
    // The CDK app's libraries and the dev tools are never run on a node.
    for (const name of ['aws-cdk-lib', 'constructs', 'typescript', 'vitest', 'kafkajs', 'prisma']) {
      expect(manifest.dependencies[name], name).toBeUndefined();
      expect(existsSync(join(bundle, 'node_modules', name)), name).toBe(false);
    }
  });

  it('is the same byte for byte when built again from the same content', async () => {
    const again = join(dir.path, 'again.tgz');
    const built = await runCommand(process.execPath, [BUILD_SCRIPT, '--out', again], { timeoutMs: 120_000 });
    expect(built.code, built.stderr).toBe(0);
    expect(readFileSync(again).equals(readFileSync(tarball))).toBe(true);
  });

  it("starts a broker through the container's entrypoint, from the unpacked bundle alone", async () => {
    const root = join(dir.path, 'container');
    mkdirSync(root);
    const kafkaPort = await freePort();
    const adminPort = await freePort();
    const entrypoint = join(bundle, 'bootstrap/strata-container.sh');
    const env = {
      STRATA_ROOT: root,
      STRATA_PRIVATE_IP: '127.0.0.1',
      STRATA_NODE_ID: '4',
      STRATA_KAFKA_PORT: String(kafkaPort),
      STRATA_ADMIN_PORT: String(adminPort),
      // Not a node setting: the broker's own (log.retention.ms).
      STRATA_LOG_RETENTION_MS: '7200000',
    };
    const broker = await startBroker(
      [
        'env',
        '-i',
        `PATH=${process.env.PATH ?? ''}`,
        ...Object.entries(env).map(([k, v]) => `${k}=${v}`),
        entrypoint,
      ].concat(['--override', 'num.partitions=3']),
      processes,
    );

    const properties = getProperties(readFileSync(join(root, 'var/lib/strata/server.properties'), 'utf8'));
    expect(properties).toMatchObject({
      'node.id': '4',
      'broker.rack': 'local',
      'log.dirs': join(root, 'var/lib/strata/data/logs'),
      'default.replication.factor': '1',
    });
    expect(properties['coordinator.endpoints']).toBeUndefined();
    const metadata = await withRawClient(kafkaPort, (client) =>
      client.request(Metadata, 12, { topics: [], allowAutoTopicCreation: false }),
    );
    expect(metadata.brokers).toEqual([{ nodeId: 4, host: '127.0.0.1', port: kafkaPort, rack: 'local' }]);

    // The container's health check.
    const ready = await runBootstrap(entrypoint, ['--ready'], { STRATA_ROOT: root });
    expect(ready.code, ready.stderr).toBe(0);
    await broker.stop();
    const stopped = await runBootstrap(entrypoint, ['--ready'], { STRATA_ROOT: root });
    expect(stopped.code).toBe(1);
  });

  it('refuses node settings both in the environment and in a node.env file', async () => {
    const root = join(dir.path, 'container-with-file');
    mkdirSync(join(root, 'etc/strata'), { recursive: true });
    writeFileSync(join(root, 'etc/strata/node.env'), 'STRATA_NODE_ID=1\n');
    const result = await runBootstrap(join(bundle, 'bootstrap/strata-container.sh'), [], {
      STRATA_ROOT: root,
      STRATA_ZONE: 'us-east-1a',
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('STRATA_ZONE is set in the environment and');
  });

  it('runs the control plane from the unpacked bundle alone', async () => {
    const port = await freePort();
    const controlPlane = startProcess(
      [process.execPath, join(bundle, 'dist/control-plane/src/main.js')],
      cleanEnvironment({
        PORT: String(port),
        STRATA_STATE_DIR: join(dir.path, 'control-plane-state'),
        STRATA_API_KEY: 'bundle-test-admin-key-46d90cbf9f9da619abac2c068842739bdc167da2',
      }),
    );
    processes.push(controlPlane);
    await waitUntil(
      () => controlPlane.output.includes('Strata control plane on') || !controlPlane.alive,
      'the control plane to start',
      { timeoutMs: 60_000 },
    );
    expect(controlPlane.alive, controlPlane.output).toBe(true);
    const response = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(response.status).toBe(200);
    await controlPlane.stop();
  });
});
