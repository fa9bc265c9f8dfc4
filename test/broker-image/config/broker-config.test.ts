import { describe, expect, it } from 'vitest';
import { brokerConfigFrom } from '../../../broker-image/src/config/broker-config.js';
import { describeBrokerConfigs } from '../../../broker-image/src/config/describe-configs.js';
import { propertyNameOfVariable } from '../../../broker-image/src/config/load-properties.js';
import { logConfigFor, validateTopicConfigs } from '../../../broker-image/src/config/topic-configs.js';
import { runBrokerExpectingExit } from '../../support/broker-process.js';

const minimal = { 'node.id': '1', listeners: 'PLAINTEXT://127.0.0.1:0', 'log.dirs': '/tmp/x' };
const config = (extra: Record<string, string> = {}) =>
  brokerConfigFrom(new Map(Object.entries({ ...minimal, ...extra })));

describe('broker configuration', () => {
  it('resolves Kafka defaults and derived settings', () => {
    const c = config({ 'log.retention.hours': '2', 'log.roll.hours': '1' });
    expect(c.logDefaults.retentionMs).toBe(2 * 3600_000);
    expect(c.logDefaults.segmentMs).toBe(3600_000);
    expect(c.logDefaults.segmentBytes).toBe(1073741824);
    expect(c.numPartitions).toBe(1);
    expect(c.offsetsTopicNumPartitions).toBe(50);
    expect(c.advertisedListeners).toEqual(c.listeners);
  });

  it('defaults to MSK’s three replicas, two in sync, in a cluster, and to Kafka’s 1 and 1 alone', () => {
    const clustered = config({ 'coordinator.endpoints': 'http://127.0.0.1:2379' });
    expect([clustered.defaultReplicationFactor, clustered.minInsyncReplicas]).toEqual([3, 2]);
    expect([config().defaultReplicationFactor, config().minInsyncReplicas]).toEqual([1, 1]);
    const explicit = config({
      'coordinator.endpoints': 'http://127.0.0.1:2379',
      'default.replication.factor': '2',
    });
    expect(explicit.defaultReplicationFactor).toBe(2);
  });

  it('describes a setting given over a mode default with the default as its synonym, not the given value', () => {
    const described = (c: ReturnType<typeof config>, name: string) =>
      describeBrokerConfigs(c).find((d) => d.name === name)!;
    const clustered = described(
      config({ 'coordinator.endpoints': 'http://127.0.0.1:2379', 'min.insync.replicas': '3' }),
      'min.insync.replicas',
    );
    expect(clustered.value).toBe('3');
    expect(clustered.synonyms.map((s) => s.value)).toEqual(['3', '2']);
    const alone = described(config({ 'default.replication.factor': '2' }), 'default.replication.factor');
    expect(alone.synonyms.map((s) => s.value)).toEqual(['2', '1']);
    expect(
      described(config({ 'coordinator.endpoints': 'http://127.0.0.1:2379' }), 'default.replication.factor')
        .value,
    ).toBe('3');
  });

  it('prefers log.retention.ms over minutes over hours, as Kafka does', () => {
    expect(config({ 'log.retention.ms': '5', 'log.retention.minutes': '1' }).logDefaults.retentionMs).toBe(5);
    expect(config({ 'log.retention.minutes': '1', 'log.retention.hours': '1' }).logDefaults.retentionMs).toBe(
      60_000,
    );
  });

  it.each([
    [{ 'no.such.setting': '1' }, 'no.such.setting: is not a setting Strata knows'],
    [{ 'num.partitions': 'many' }, 'num.partitions: "many" is not an int'],
    [{ 'num.partitions': '0' }, 'num.partitions: 0 is below the minimum 1'],
    [{ 'auto.create.topics.enable': 'yes' }, 'auto.create.topics.enable: "yes" is not true or false'],
    [{ listeners: 'localhost:9092' }, 'listeners: "localhost:9092" is not of the form NAME://host:port'],
    [
      { 'advertised.listeners': 'OTHER://h:1' },
      'advertised.listeners: listener OTHER has no entry in listener.security.protocol.map',
    ],
    [
      { 'log.message.timestamp.type': 'Now' },
      'log.message.timestamp.type: "Now" is not one of CreateTime, LogAppendTime',
    ],
    [
      { 'message.max.bytes': '200000000' },
      'message.max.bytes: 200000000 exceeds socket.request.max.bytes (104857600)',
    ],
  ])('refuses %o naming the setting', (extra, message) => {
    expect(() => config(extra)).toThrow(message);
  });

  it('requires node.id', () => {
    expect(() => brokerConfigFrom(new Map([['listeners', 'PLAINTEXT://:9092']]))).toThrow(
      'node.id: is required',
    );
  });

  it('maps STRATA_* variables to property names', () => {
    expect(propertyNameOfVariable('STRATA_LOG_RETENTION_MS')).toBe('log.retention.ms');
    expect(propertyNameOfVariable('STRATA_NODE_ID')).toBe('node.id');
  });
});

describe('topic configuration', () => {
  it('takes topic settings over broker defaults', () => {
    const broker = config({ 'log.retention.bytes': '1000' });
    const log = logConfigFor(new Map([['segment.bytes', '2048']]), broker);
    expect(log.segmentBytes).toBe(2048);
    expect(log.retentionBytes).toBe(1000);
  });

  it('refuses unknown and invalid topic settings with INVALID_CONFIG naming them', () => {
    expect(() => validateTopicConfigs(new Map([['retention.msx', '1']]))).toThrow(
      expect.objectContaining({
        code: 'INVALID_CONFIG',
        message: 'Unknown topic config name: retention.msx',
      }),
    );
    expect(() => validateTopicConfigs(new Map([['cleanup.policy', 'forever']]))).toThrow(
      expect.objectContaining({ code: 'INVALID_CONFIG', message: expect.stringContaining('cleanup.policy') }),
    );
  });
});

describe('strata-broker start-up', () => {
  it('exits with a message naming an unknown setting in the properties file', async () => {
    const result = await runBrokerExpectingExit(
      'node.id=1\nlisteners=PLAINTEXT://127.0.0.1:0\nlog.dirz=/tmp/x\n',
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('log.dirz: is not a setting Strata knows');
  });

  it('exits with a message naming an invalid --override', async () => {
    const result = await runBrokerExpectingExit('node.id=1\nlisteners=PLAINTEXT://127.0.0.1:0\n', [
      '--override',
      'log.segment.bytes=tiny',
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('log.segment.bytes: "tiny" is not an int');
  });

  it('exits with a message naming an unknown STRATA_ variable', async () => {
    const result = await runBrokerExpectingExit('node.id=1\nlisteners=PLAINTEXT://127.0.0.1:0\n', [], {
      STRATA_LOG_RETENTION_DAYS: '3',
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('STRATA_LOG_RETENTION_DAYS: names the setting log.retention.days');
  });

  it('exits with usage when no properties file is given', async () => {
    const result = await runBrokerExpectingExit('', ['--bogus']);
    expect(result.code).toBe(2);
  });
});
