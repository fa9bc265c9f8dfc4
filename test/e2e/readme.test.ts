import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { advertisedApis } from '../../broker-image/src/broker/handlers/api-versions.js';
import { brokerHandlers } from '../../broker-image/src/broker/handlers/index.js';
import { BrokerProcess } from '../support/broker-process.js';
import { runCommand } from '../support/run-command.js';
import { tempDir } from '../support/temp-dir.js';
import { waitUntil } from '../support/wait-until.js';
import {
  ControlPlaneProcess,
  E2E_API_KEY,
  killProcessesUnder,
  processesUnder,
} from '../control-plane/support/control-plane-process.js';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The examples of the README and the docs, run as written against a fresh broker or control plane
 * (their addresses swapped in), and the docs' table of served APIs checked against the broker.
 */
const doc = (path: string): string =>
  readFileSync(fileURLToPath(new URL(`../../${path}`, import.meta.url)), 'utf8');
const README = doc('README.md');
const OPERATIONS = doc('docs/operations.md');
const ARCHITECTURE = doc('docs/architecture.md');
const CONFIG = fileURLToPath(new URL('../../config/server.properties', import.meta.url));
const EXAMPLE = fileURLToPath(new URL('../../examples/kafkajs-quickstart.mjs', import.meta.url));

function codeBlockAfter(heading: string, text = README): string {
  const at = text.indexOf(`${heading}\n`);
  if (at < 0) throw new Error(`no heading ${heading}`);
  const match = /```sh\n([\s\S]*?)```/.exec(text.slice(at));
  if (!match) throw new Error(`no sh block after ${heading}`);
  return match[1]!;
}

let broker: BrokerProcess;

beforeAll(async () => {
  // The same settings `npm start` uses, on free ports and a temp dir.
  const properties = Object.fromEntries(
    readFileSync(CONFIG, 'utf8')
      .split('\n')
      .filter((l) => l.trim() && !l.startsWith('#'))
      .map((l) => l.split('=') as [string, string])
      .filter(([k]) => !['listeners', 'advertised.listeners', 'log.dirs', 'admin.listener'].includes(k)),
  );
  broker = await BrokerProcess.start({ properties });
});
afterAll(async () => broker?.destroy());

describe('README and docs', () => {
  it('runs the kcat session as written', async () => {
    const commands = codeBlockAfter('### Try it with kcat').trim().split('\n');
    const outputs: string[] = [];
    for (const command of commands) {
      const result = await runCommand(
        'bash',
        ['-c', command.replaceAll('127.0.0.1:9092', broker.bootstrap)],
        { timeoutMs: 60_000 },
      );
      expect(result.code, `${command}\n${result.stderr}`).toBe(0);
      outputs.push(result.stdout);
    }
    expect(outputs[0]).toContain('broker 1 at');
    expect(outputs[2]).toBe(
      'user-1=hello (offset 0, headers source=readme)\nuser-2=strata (offset 1, headers source=readme)\n',
    );
    expect(outputs[3]).toContain('greetings [0] offset 0');
    expect(outputs[4]).toBe('hello\nstrata\n');
    // The group committed its position: the same command again prints nothing new.
    const again = await runCommand('bash', [
      '-c',
      commands[4]!.replaceAll('127.0.0.1:9092', broker.bootstrap),
    ]);
    expect(again.stdout).toBe('');
  });

  it('runs the kafkajs example', async () => {
    const result = await runCommand(process.execPath, [EXAMPLE], {
      env: { BOOTSTRAP: broker.bootstrap },
      timeoutMs: 60_000,
    });
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines.map((l) => l.replace(/^partition \d+ offset \d+: /, '')).sort()).toEqual([
      'user-1 logged in',
      'user-1 signed up',
      'user-2 signed up',
    ]);
  });

  // Creates a cluster, scales it to six brokers (moving half the replicas) and deletes it: on a
  // loaded two-core machine that takes minutes.
  it('runs the control plane walk-through as written', { timeout: 540_000 }, async () => {
    const script = codeBlockAfter('## Create a cluster');
    const state = tempDir('strata-readme-control-plane-');
    const controlPlane = await ControlPlaneProcess.start(state.path);
    const root = fileURLToPath(new URL('../..', import.meta.url));
    try {
      const result = await runCommand(
        'bash',
        [
          '-c',
          `set -euo pipefail\ncd ${root}\n${script.replaceAll('http://127.0.0.1:8080', controlPlane.url)}`,
        ],
        { env: { STRATA_API_KEY: E2E_API_KEY }, timeoutMs: 420_000 },
      ).catch((error: Error) => {
        throw new Error(`${error.message}\ncontrol plane:\n${controlPlane.process.tail()}`);
      });
      expect(result.code, `${result.stdout}\n${result.stderr}\n${controlPlane.process.tail()}`).toBe(0);
      const lines = result.stdout.trim().split('\n');
      expect(lines.slice(0, 2)).toEqual(['one', 'two']);
      expect(
        lines
          .slice(2, 5)
          .map((l) => l.replace(/^partition \d+ offset \d+: /, ''))
          .sort(),
      ).toEqual(['user-1 logged in', 'user-1 signed up', 'user-2 signed up']);
      expect(lines.slice(5)).toEqual(['UPDATE_BROKER_COUNT', ' 6 brokers:', 'DELETING']);
      // The deletion finishes: no process and no data of the cluster are left.
      await waitUntil(
        async () => (await controlPlane.request('GET', '/v1/clusters')).body.clusters.length === 0,
        'the cluster to be deleted',
      );
      expect(processesUnder(state.path)).toEqual([]);
      expect(readdirSync(join(state.path, 'clusters'))).toEqual([]);
    } finally {
      await controlPlane.kill();
      killProcessesUnder(state.path);
      state.cleanup();
    }
  });

  it('runs the local cluster session in docs/operations.md as written', async () => {
    const commands = codeBlockAfter('## A cluster by hand', OPERATIONS).trim().split('\n');
    const base = await freePortBlock();
    const dir = mkdtempSync(join(tmpdir(), 'strata-readme-cluster-'));
    const env = { CLUSTER_BASE_PORT: String(base), CLUSTER_DIR: dir };
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const outputs: string[] = [];
    try {
      for (const command of commands) {
        const line = command.replaceAll('127.0.0.1:9192', `127.0.0.1:${base}`);
        const result = await runCommand('bash', ['-c', `cd ${root} && ${line}`], { env, timeoutMs: 120_000 });
        expect(result.code, `${command}\n${result.stderr}`).toBe(0);
        outputs.push(result.stdout);
      }
    } finally {
      await runCommand('bash', ['-c', `cd ${root} && scripts/local-cluster.sh stop`], { env });
      rmSync(dir, { recursive: true, force: true });
    }
    expect(outputs[1]).toContain('3 brokers:');
    expect(outputs[3]).toBe('one\ntwo\n');
  });

  it('lists in docs/architecture.md exactly the APIs and versions the broker advertises', () => {
    const handlers = brokerHandlers();
    for (const api of advertisedApis({ handlers })) {
      const name = handlers.get(api.apiKey)!.api.name;
      const versions =
        api.minVersion === api.maxVersion ? `${api.minVersion}` : `${api.minVersion}–${api.maxVersion}`;
      expect(ARCHITECTURE).toMatch(
        new RegExp(`\\|\\s*${name}\\s*\\|\\s*${api.apiKey}\\s*\\|\\s*${versions}( |\\|)`),
      );
    }
    const rows = ARCHITECTURE.split('\n').filter((l) => /^\|\s*[A-Z][A-Za-z]+\s*\|\s*\d+\s*\|\s*\d/.test(l));
    expect(rows).toHaveLength(handlers.size);
  });
});

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ host: '127.0.0.1', port }, () => server.close(() => resolve(true)));
  });
}

/** A base port whose offsets the local cluster script uses (+0..2, +10..12, +100..102, +200..202) are all free. */
async function freePortBlock(): Promise<number> {
  for (;;) {
    const base = 20_000 + Math.floor(Math.random() * 30_000);
    const ports = [0, 1, 2, 10, 11, 12, 100, 101, 102, 200, 201, 202].map((o) => base + o);
    const free = await Promise.all(ports.map(portIsFree));
    if (free.every(Boolean)) return base;
  }
}
