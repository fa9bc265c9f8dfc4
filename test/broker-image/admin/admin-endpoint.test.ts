import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerProcess } from '../../support/broker-process.js';
import { runCommand } from '../../support/run-command.js';

/** The broker's HTTP admin endpoint, on a broker process with some traffic. */
let broker: BrokerProcess;
const TOKEN = 'admin-token-5b0c1f7e9a4d4c2b8e6f3a1d7c9b2e4f';

beforeAll(async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'strata-admin-'));
  writeFileSync(join(dataDir, 'admin.token'), `${TOKEN}\n`, { mode: 0o600 });
  broker = await BrokerProcess.start({
    dataDir,
    properties: {
      'log.dirs.capacity.bytes': 50_000_000,
      'admin.listener.token.file': join(dataDir, 'admin.token'),
    },
  });
  const produced = await runCommand('kcat', ['-b', broker.bootstrap, '-P', '-t', 'metered', '-p', '0'], {
    input: 'one\ntwo\nthree\n',
  });
  expect(produced.code).toBe(0);
  const consumed = await runCommand('kcat', [
    '-b',
    broker.bootstrap,
    '-C',
    '-t',
    'metered',
    '-o',
    'beginning',
    '-e',
  ]);
  expect(consumed.stdout).toBe('one\ntwo\nthree\n');
});
afterAll(async () => broker?.destroy());

describe('admin endpoint', () => {
  it('answers /healthz and /readyz', async () => {
    expect((await fetch(`${broker.adminUrl}/healthz`)).status).toBe(200);
    const ready = await fetch(`${broker.adminUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.text()).toBe('ready\n');
  });

  it('exposes Prometheus metrics: traffic, requests by API, log sizes, volume capacity', async () => {
    const response = await fetch(`${broker.adminUrl}/metrics`);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    expect(text).toMatch(/kafka_server_messages_in_total\{topic="metered"\} 3/);
    expect(text).toMatch(/kafka_server_bytes_in_total\{topic="metered"\} \d+/);
    expect(text).toMatch(/kafka_server_bytes_out_total\{topic="metered"\} \d+/);
    expect(text).toMatch(/kafka_network_requests_total\{request="Produce"\} \d+/);
    expect(text).toMatch(/kafka_network_request_duration_seconds_bucket\{le="[\d.]+",request="Fetch"\} \d+/);
    expect(text).toMatch(/kafka_log_size_bytes\{topic="metered",partition="0"\} [1-9]\d*/);
    expect(text).toMatch(/strata_data_volume_capacity_bytes\{dir="[^"]+"\} 50000000/);
    expect(text).toMatch(/process_resident_memory_bytes \d+/);
  });

  it('reports storage capacity and usage as JSON', async () => {
    const storage = (await (await fetch(`${broker.adminUrl}/storage`)).json()) as {
      nodeId: number;
      logDirs: { totalBytes: number; usableBytes: number; logBytes: number }[];
    };
    expect(storage.nodeId).toBe(1);
    expect(storage.logDirs[0]!.totalBytes).toBe(50_000_000);
    expect(storage.logDirs[0]!.logBytes).toBeGreaterThan(0);
    expect(storage.logDirs[0]!.usableBytes).toBe(50_000_000 - storage.logDirs[0]!.logBytes);
  });

  it('shows the replica fetchers (none on a lone broker)', async () => {
    const replication = await (await fetch(`${broker.adminUrl}/replication`)).json();
    expect(replication).toEqual({ nodeId: 1, fetchers: [] });
  });

  it('answers unknown paths with 404', async () => {
    expect((await fetch(`${broker.adminUrl}/nope`)).status).toBe(404);
  });

  it('takes a capacity change only with the bearer token; reads need none', async () => {
    const put = (headers: Record<string, string>, bytes = 60_000_000) =>
      fetch(`${broker.adminUrl}/storage/capacity`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ bytes }),
      });
    const none = await put({}, 1024);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expect(none.headers.get('content-type')).toBe('application/problem+json');
    expect((await problemOf(none)).detail).toMatch(/token is required/);
    const wrong = await put({ authorization: `Bearer ${TOKEN.slice(0, -1)}x` }, 1024);
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toContain('invalid_token');
    expect((await put({ authorization: `Basic ${TOKEN}` }, 1024)).status).toBe(401);
    expect(await capacity()).toBe(50_000_000);

    const grown = await put({ authorization: `Bearer ${TOKEN}` });
    expect(grown.status).toBe(200);
    expect(await capacity()).toBe(60_000_000);
  });

  it('refuses a capacity below what the logs use with 409 naming the rule, changing nothing', async () => {
    const before = await capacity();
    const response = await fetch(`${broker.adminUrl}/storage/capacity`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ bytes: 10 }),
    });
    expect(response.status).toBe(409);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    const problem = await problemOf(response);
    expect(problem).toMatchObject({ status: 409, title: 'Conflict' });
    expect(problem.errors).toEqual([
      { field: 'bytes', rule: expect.stringMatching(/must not be below the bytes the logs use \(\d+\)/) },
    ]);
    expect(await capacity()).toBe(before);
  });

  it('answers headers over 8 KiB with a 431 problem, not a bare status or a reset', async () => {
    const answer = await rawRequest(
      `GET /healthz HTTP/1.1\r\nhost: x\r\nx-padding: ${'a'.repeat(10_000)}\r\n\r\n`,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
    expect(answer).toContain('content-type: application/problem+json');
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toMatchObject({ status: 431 });
  });

  it('answers a body over 4 KiB with a 413 problem, declared or streamed, and changes nothing', async () => {
    const before = await capacity();
    const body = JSON.stringify({ bytes: 70_000_000, padding: 'p'.repeat(100_000) });
    const declared = await fetch(`${broker.adminUrl}/storage/capacity`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${TOKEN}` },
      body,
    });
    expect(declared.status).toBe(413);
    expect(declared.headers.get('content-type')).toBe('application/problem+json');
    expect((await problemOf(declared)).errors).toEqual([
      { field: 'body', rule: 'must be at most 4096 bytes' },
    ]);
    const chunk = (text: string) => `${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n`;
    const streamed = await rawRequest(
      `PUT /storage/capacity HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${TOKEN}\r\n` +
        `transfer-encoding: chunked\r\nconnection: close\r\n\r\n${chunk(body)}0\r\n\r\n`,
    );
    expect(streamed).toMatch(/^HTTP\/1\.1 413 Payload Too Large\r\n/);
    expect(streamed).toContain('application/problem+json');
    expect(await capacity()).toBe(before);
  });
});

describe('admin endpoint without a token', () => {
  it('refuses every change with 403 naming admin.listener.token.file, and still serves reads', async () => {
    const lone = await BrokerProcess.start({ properties: { 'log.dirs.capacity.bytes': 1_000_000 } });
    try {
      const response = await fetch(`${lone.adminUrl}/storage/capacity`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${TOKEN}` },
        body: JSON.stringify({ bytes: 1024 }),
      });
      expect(response.status).toBe(403);
      expect((await problemOf(response)).errors).toEqual([
        { field: 'admin.listener.token.file', rule: 'must be set for changes' },
      ]);
      expect((await fetch(`${lone.adminUrl}/readyz`)).status).toBe(200);
      const storage = (await (await fetch(`${lone.adminUrl}/storage`)).json()) as {
        logDirs: { totalBytes: number }[];
      };
      expect(storage.logDirs[0]!.totalBytes).toBe(1_000_000);
    } finally {
      await lone.destroy();
    }
  });

  it('refuses to start with a token file holding a short token, naming the setting', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'strata-admin-'));
    writeFileSync(join(dir, 'admin.token'), 'short\n');
    writeFileSync(
      join(dir, 'server.properties'),
      `node.id=1\nlisteners=PLAINTEXT://127.0.0.1:0\nlog.dirs=${join(dir, 'logs')}\n` +
        `admin.listener=127.0.0.1:0\nadmin.listener.token.file=${join(dir, 'admin.token')}\n`,
    );
    const result = await runCommand(process.execPath, [BROKER_BIN, join(dir, 'server.properties')], {
      timeoutMs: 30_000,
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/admin\.listener\.token\.file: .* at least 32 characters/);
    expect(result.stderr).not.toContain('short');
  });
});

const BROKER_BIN = new URL('../../../bin/strata-broker.js', import.meta.url).pathname;

interface Problem {
  status: number;
  title: string;
  detail: string;
  errors?: { field: string; rule: string }[];
}

async function problemOf(response: Response): Promise<Problem> {
  return (await response.json()) as Problem;
}

async function capacity(): Promise<number> {
  const storage = (await (await fetch(`${broker.adminUrl}/storage`)).json()) as {
    logDirs: { totalBytes: number }[];
  };
  return storage.logDirs[0]!.totalBytes;
}

/** Sends `text` on a new connection; everything the endpoint answers before it closes. */
function rawRequest(text: string): Promise<string> {
  const url = new URL(broker.adminUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname, () => socket.write(text));
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (data: string) => (answer += data));
    socket.on('end', () => resolve(answer));
    socket.on('error', (error) => (answer ? resolve(answer) : reject(error)));
  });
}
