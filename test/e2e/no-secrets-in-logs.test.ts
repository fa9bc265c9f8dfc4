import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../control-plane/src/api/logging.js';
import { ControlPlaneProcess, killProcessesUnder } from '../control-plane/support/control-plane-process.js';
import type { ApiResponse } from '../control-plane/support/api-request.js';
import { tempDir } from '../support/temp-dir.js';
import { waitUntil } from '../support/wait-until.js';

/**
 * No secret reaches a log line: the control plane runs a cluster on the local provider through
 * its creation and a volume growth (which the brokers take with their admin tokens), is called
 * with its key and with wrong ones, and the brokers' admin endpoints are called with a wrong
 * token; then every line the control plane, the brokers and the etcd members wrote is searched
 * for each secret, and for its first twelve characters.
 */
const GIB = 1024 ** 3;
const API_KEY = `e2e-secret-key-${randomBytes(24).toString('hex')}`;
const WRONG_API_KEY = `strata_${randomBytes(8).toString('hex')}_${randomBytes(32).toString('base64url')}`;
const WRONG_ADMIN_TOKEN = randomBytes(32).toString('base64url');

const state = tempDir('strata-secrets-');
let controlPlane: ControlPlaneProcess;

beforeAll(async () => {
  controlPlane = await ControlPlaneProcess.start(state.path, undefined, { apiKey: API_KEY });
});
afterAll(async () => {
  await controlPlane?.kill();
  killProcessesUnder(state.path);
  state.cleanup();
});

function ok(response: ApiResponse, status = 200): ApiResponse {
  expect(response.status, JSON.stringify(response.body)).toBe(status);
  return response;
}

const request = (method: string, path: string, body?: unknown) =>
  controlPlane.request(method, path, { key: API_KEY, ...(body === undefined ? {} : { body }) });

async function untilDone(operationId: string): Promise<void> {
  await waitUntil(
    async () => {
      const operation = ok(await request('GET', `/v1/operations/${operationId}`)).body;
      if (operation.state === 'FAILED') throw new Error(`operation failed: ${JSON.stringify(operation)}`);
      return operation.state === 'SUCCEEDED';
    },
    `operation ${operationId} to succeed`,
    { timeoutMs: 90_000, intervalMs: 200, describe: () => controlPlane.process.tail(30) },
  );
}

/** Every file named process.log under `dir`. */
function processLogs(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) found.push(...processLogs(path));
    else if (entry === 'process.log') found.push(path);
  }
  return found;
}

describe('secrets and logs', () => {
  it(
    'no log line of the control plane, its brokers or its etcd members holds a key or token',
    { timeout: 300_000 },
    async () => {
      const created = ok(
        await request('POST', '/v1/clusters', {
          name: 'secrets',
          zones: ['az-a', 'az-b', 'az-c'],
          brokersPerZone: 1,
          storage: { volumeSizeGiB: 1 },
        }),
        202,
      );
      const id: string = created.body.cluster.id;
      await untilDone(created.body.operation.id);

      // The key works; wrong keys are refused (and not logged either).
      expect((await controlPlane.request('GET', '/v1/clusters', { key: WRONG_API_KEY })).status).toBe(401);
      expect((await controlPlane.request('GET', '/v1/clusters', { key: `${API_KEY}x` })).status).toBe(401);

      // Growing the volumes raises each running broker's quota through its admin endpoint.
      const cluster = ok(await request('GET', `/v1/clusters/${id}`)).body;
      const grown = ok(
        await request('PUT', `/v1/clusters/${id}/storage`, {
          currentVersion: cluster.currentVersion,
          volumeSizeGiB: 2,
        }),
        202,
      );
      await untilDone(grown.body.operation.id);
      const nodes = ok(await request('GET', `/v1/clusters/${id}/nodes`)).body;
      const brokers = nodes.nodes.filter((n: { role: string }) => n.role === 'broker');
      const tokens: string[] = [];
      for (let brokerId = 1; brokerId <= 3; brokerId++) {
        const file = join(state.path, 'clusters', id, `broker-${brokerId}`, 'admin.token');
        tokens.push(readFileSync(file, 'utf8').trim());
        expect(statSync(file).mode & 0o077).toBe(0);
      }
      const properties = readFileSync(
        join(state.path, 'clusters', id, 'broker-1', 'server.properties'),
        'utf8',
      );
      const adminAddress = /^admin\.listener=(.+)$/m.exec(properties)![1]!;
      const storage = (await (await fetch(`http://${adminAddress}/storage`)).json()) as {
        logDirs: { totalBytes: number }[];
      };
      expect(storage.logDirs[0]!.totalBytes).toBe(2 * GIB);
      for (const authorization of [`Bearer ${WRONG_ADMIN_TOKEN}`, `Bearer ${tokens[1]}`]) {
        const refused = await fetch(`http://${adminAddress}/storage/capacity`, {
          method: 'PUT',
          headers: { authorization },
          body: JSON.stringify({ bytes: 1024 }),
        });
        expect(refused.status).toBe(401);
      }
      expect(brokers.length).toBe(3);

      const lines = [
        ...controlPlane.process.stdout,
        ...controlPlane.process.stderr,
        ...processLogs(join(state.path, 'clusters')).flatMap((file) =>
          readFileSync(file, 'utf8').split('\n'),
        ),
      ];
      expect(lines.length).toBeGreaterThan(20);
      expect(lines.some((line) => line.includes('data volume capacity changed'))).toBe(true);
      for (const secret of [API_KEY, WRONG_API_KEY, WRONG_ADMIN_TOKEN, ...tokens]) {
        for (const part of [secret, secret.slice(0, 12), secret.slice(-12)]) {
          const leaking = lines.filter((line) => line.includes(part));
          expect(leaking, `a log line holds ${part.slice(0, 4)}…`).toEqual([]);
        }
      }
    },
  );

  it("the control plane's logger redacts secret fields wherever an object carries them", () => {
    const written: string[] = [];
    const logger = createLogger(
      'info',
      new Writable({
        write(chunk, _encoding, done) {
          written.push(String(chunk));
          done();
        },
      }),
    );
    logger.info(
      {
        config: { bootstrapApiKey: API_KEY, port: 8080 },
        req: { headers: { authorization: `Bearer ${API_KEY}` } },
        password: 'hunter2-hunter2',
        broker: { settings: { token: WRONG_ADMIN_TOKEN } },
      },
      'settings',
    );
    const line = JSON.parse(written.join(''));
    expect(line.config).toEqual({ bootstrapApiKey: '[redacted]', port: 8080 });
    expect(line.req.headers.authorization).toBe('[redacted]');
    expect(line.password).toBe('[redacted]');
    expect(line.broker.settings.token).toBe('[redacted]');
    expect(written.join('')).not.toContain(API_KEY);
  });
});
