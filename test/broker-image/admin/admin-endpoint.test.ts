import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerProcess } from '../../support/broker-process.js';
import { runCommand } from '../../support/run-command.js';

/** The broker's HTTP admin endpoint, on a broker process with some traffic. */
let broker: BrokerProcess;

beforeAll(async () => {
  broker = await BrokerProcess.start({ properties: { 'log.dirs.capacity.bytes': 50_000_000 } });
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
});
