import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  brokerConfigFrom,
  DEFAULT_QUEUED_MAX_REQUEST_BYTES,
} from '../../../broker-image/src/config/broker-config.js';
import { ConfigSource, describeBrokerConfigs } from '../../../broker-image/src/config/describe-configs.js';
import { runBrokerExpectingExit } from '../../support/broker-process.js';

/**
 * The settings bounding what connections may hold: queued.max.request.bytes, max.connections,
 * max.connections.per.ip (and its overrides) and connections.max.idle.ms.
 */
const minimal = { 'node.id': '1', listeners: 'PLAINTEXT://127.0.0.1:0', 'log.dirs': '/tmp/x' };
const config = (extra: Record<string, string> = {}) =>
  brokerConfigFrom(new Map(Object.entries({ ...minimal, ...extra })));
const described = (c: ReturnType<typeof config>, name: string) =>
  describeBrokerConfigs(c).find((d) => d.name === name);

describe('connection settings', () => {
  it("take Kafka's defaults, and Strata's cap on queued request bytes", () => {
    const c = config();
    expect(c.maxConnections).toBe(2147483647);
    expect(c.maxConnectionsPerIp).toBe(2147483647);
    expect(c.maxConnectionsPerIpOverrides.size).toBe(0);
    expect(c.connectionsMaxIdleMs).toBe(600000);
    expect(c.queuedMaxRequestBytes).toBe(DEFAULT_QUEUED_MAX_REQUEST_BYTES);
    expect(DEFAULT_QUEUED_MAX_REQUEST_BYTES).toBe(256 * 1024 * 1024);
  });

  it('keep the cap on queued request bytes at least the largest request by default, and unbounded at -1 or 0 as in Kafka', () => {
    expect(config({ 'socket.request.max.bytes': '314572800' }).queuedMaxRequestBytes).toBe(314572800);
    expect(config({ 'queued.max.request.bytes': '-1' }).queuedMaxRequestBytes).toBeNull();
    expect(config({ 'queued.max.request.bytes': '0' }).queuedMaxRequestBytes).toBeNull();
    expect(config({ 'queued.max.request.bytes': '104857600' }).queuedMaxRequestBytes).toBe(104857600);
  });

  it('read per-address overrides as host:count pairs', () => {
    const c = config({ 'max.connections.per.ip.overrides': '127.0.0.2:3, Broker-A:0,[::1]:7' });
    expect([...c.maxConnectionsPerIpOverrides]).toEqual([
      ['127.0.0.2', 3],
      ['broker-a', 0],
      ['::1', 7],
    ]);
    // 0 per address is allowed when some hosts are let in.
    expect(
      config({ 'max.connections.per.ip': '0', 'max.connections.per.ip.overrides': '10.0.0.1:5' })
        .maxConnectionsPerIp,
    ).toBe(0);
  });

  it('are listed by DescribeConfigs, with the default the broker uses', () => {
    const c = config();
    for (const [name, value] of [
      ['max.connections', '2147483647'],
      ['max.connections.per.ip', '2147483647'],
      ['max.connections.per.ip.overrides', ''],
      ['connections.max.idle.ms', '600000'],
      ['queued.max.request.bytes', String(DEFAULT_QUEUED_MAX_REQUEST_BYTES)],
    ]) {
      expect(described(c, name!), name).toMatchObject({ value, source: ConfigSource.DEFAULT_CONFIG });
    }
    const larger = described(config({ 'socket.request.max.bytes': '314572800' }), 'queued.max.request.bytes');
    expect(larger?.value).toBe('314572800');
    const given = described(
      config({ 'socket.request.max.bytes': '314572800', 'queued.max.request.bytes': '-1' }),
      'queued.max.request.bytes',
    );
    expect(given?.value).toBe('-1');
    expect(given?.synonyms.map((s) => [s.value, s.source])).toEqual([
      ['-1', ConfigSource.STATIC_BROKER_CONFIG],
      ['314572800', ConfigSource.DEFAULT_CONFIG],
    ]);
  });

  it.each([
    [{ 'queued.max.request.bytes': 'lots' }, 'queued.max.request.bytes: "lots" is not a long'],
    [{ 'queued.max.request.bytes': '-2' }, 'queued.max.request.bytes: -2 is below the minimum -1'],
    [
      { 'queued.max.request.bytes': '1048576' },
      'queued.max.request.bytes: 1048576 is below socket.request.max.bytes (104857600)',
    ],
    [{ 'max.connections': '-1' }, 'max.connections: -1 is below the minimum 0'],
    [{ 'max.connections': '3000000000' }, 'max.connections: 3000000000 is above the maximum 2147483647'],
    [{ 'max.connections.per.ip': 'ten' }, 'max.connections.per.ip: "ten" is not an int'],
    [
      { 'max.connections.per.ip': '0' },
      'max.connections.per.ip: can be 0 only if max.connections.per.ip.overrides lets some hosts connect',
    ],
    [
      { 'max.connections.per.ip.overrides': 'localhost' },
      'max.connections.per.ip.overrides: "localhost" is not host:count',
    ],
    [
      { 'max.connections.per.ip.overrides': 'a:1,:2' },
      'max.connections.per.ip.overrides: ":2" is not host:count',
    ],
    [
      { 'max.connections.per.ip.overrides': 'a:-1' },
      'max.connections.per.ip.overrides: "a:-1" is not host:count',
    ],
    [{ 'max.connections.per.ip.overrides': 'a:1,A:2' }, 'max.connections.per.ip.overrides: A is given twice'],
    [{ 'connections.max.idle.ms': '0' }, 'connections.max.idle.ms: 0 would close every connection at once'],
    [{ 'connections.max.idle.ms': '-5' }, 'connections.max.idle.ms: -5 is below the minimum -1'],
  ])('refuse %o naming the setting', (extra, message) => {
    expect(() => config(extra)).toThrow(message);
  });
});

describe('strata-broker start-up with a bad connection setting', () => {
  // A host name is resolved once the logs are loaded, so the broker gets a data dir of its own.
  const dataDir = mkdtempSync(join(tmpdir(), 'strata-connection-settings-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
  const base = `node.id=1\nlisteners=PLAINTEXT://127.0.0.1:0\nlog.dirs=${join(dataDir, 'logs')}\n`;

  it.each([
    ['queued.max.request.bytes=1000', 'queued.max.request.bytes: 1000 is below socket.request.max.bytes'],
    ['max.connections=-5', 'max.connections: -5 is below the minimum 0'],
    ['max.connections.per.ip=many', 'max.connections.per.ip: "many" is not an int'],
    [
      'max.connections.per.ip.overrides=127.0.0.1',
      'max.connections.per.ip.overrides: "127.0.0.1" is not host:count',
    ],
    [
      'max.connections.per.ip.overrides=no-such-host.invalid:3',
      'max.connections.per.ip.overrides: no-such-host.invalid does not resolve',
    ],
    ['connections.max.idle.ms=soon', 'connections.max.idle.ms: "soon" is not a long'],
  ])('exits naming the setting for %s', async (line, message) => {
    const result = await runBrokerExpectingExit(`${base}${line}\n`);
    expect(result.stderr).toContain(message);
    expect(result.code).toBe(2);
  });
});
