import { afterEach, describe, expect, it } from 'vitest';
import { runCommand } from '../support/run-command.js';
import { tempDir } from '../support/temp-dir.js';
import { join } from 'node:path';
import { waitUntil } from '../support/wait-until.js';
import {
  CONTROL_PLANE_MAIN,
  ControlPlaneProcess,
  killProcessesUnder,
  processesUnder,
} from './support/control-plane-process.js';

/** The control plane's process as `npm start` runs it: its admin key, its settings, its stop. */
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function stateDir(): string {
  const dir = tempDir('strata-main-');
  cleanups.push(dir.cleanup);
  return dir.path;
}

const KEY_LINE = /^Admin API key \(shown this once; keep it\): (strata_\S+)$/;

describe('the control plane process', () => {
  it('creates an admin key on its first start, prints it once, and accepts it afterwards', async () => {
    const state = stateDir();
    const first = await ControlPlaneProcess.start(state, undefined, { apiKey: null });
    cleanups.push(() => first.kill());
    const key = first.process.stdout.map((l) => KEY_LINE.exec(l)?.[1]).find(Boolean);
    expect(key).toBeDefined();
    expect(first.process.stdout).toContain(`  export STRATA_API_KEY=${key}`);
    expect((await first.request('GET', '/v1/clusters', { key })).status).toBe(200);
    expect((await first.request('GET', '/v1/clusters', { key: `${key}x` })).status).toBe(401);
    expect(await first.process.stop()).toBe(0);

    const second = await ControlPlaneProcess.start(state, undefined, { apiKey: null });
    cleanups.push(() => second.kill());
    expect(second.process.stdout.some((l) => KEY_LINE.test(l))).toBe(false);
    expect((await second.request('GET', '/v1/clusters', { key })).status).toBe(200);
  });

  it.each([
    ['PORT', 'eighty', /PORT/],
    [
      'STRATA_DATABASE_URL',
      'mysql://localhost/strata',
      /STRATA_DATABASE_URL: must start with file: \(SQLite\) or postgresql:\/\//,
    ],
    ['STRATA_API_KEY', 'short', /STRATA_API_KEY: is too short: must be at least 32 random characters/],
    ['STRATA_API_KEY', 'admin-admin-admin-admin-admin-admin-admin', /STRATA_API_KEY: is too predictable/],
    ['STRATA_PROVIDER', 'gcp', /STRATA_PROVIDER/],
    ['STRATA_MONITOR_INTERVAL_MS', '5', /STRATA_MONITOR_INTERVAL_MS/],
    ['STRATA_PROVIDER', 'ec2', /STRATA_EC2_BROKER_LAUNCH_TEMPLATE: .*needed by STRATA_PROVIDER=ec2/],
  ])('refuses %s=%s with a message naming it, exit code 2', async (name, value, message) => {
    const result = await runCommand(process.execPath, [CONTROL_PLANE_MAIN], {
      env: { STRATA_STATE_DIR: stateDir(), PORT: '0', [name]: value },
      timeoutMs: 30_000,
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });

  it('finishes a cluster creation interrupted by kill -9, without starting any node twice', async () => {
    const state = stateDir();
    cleanups.push(() => killProcessesUnder(state));
    let controlPlane = await ControlPlaneProcess.start(state);
    cleanups.push(() => controlPlane.kill());
    const created = await controlPlane.request('POST', '/v1/clusters', {
      body: {
        name: 'interrupted',
        zones: ['az-a', 'az-b', 'az-c'],
        brokersPerZone: 1,
        storage: { volumeSizeGiB: 1 },
      },
    });
    expect(created.status).toBe(202);
    const { id } = created.body.cluster;
    const operationId = created.body.operation.id;
    // Wait until some node processes run, then crash the control plane in the middle of the creation.
    await waitUntil(() => processesUnder(join(state, 'clusters', id)).length > 0, 'the first node process');
    controlPlane = await controlPlane.crashAndRestart();
    await waitUntil(
      async () =>
        (await controlPlane.request('GET', `/v1/operations/${operationId}`)).body.state === 'SUCCEEDED',
      'the creation to finish after the restart',
      { timeoutMs: 90_000 },
    );
    expect((await controlPlane.request('GET', `/v1/clusters/${id}`)).body.state).toBe('ACTIVE');
    // Three etcd members and three brokers: none started twice.
    expect(processesUnder(join(state, 'clusters', id))).toHaveLength(6);
  });
});
