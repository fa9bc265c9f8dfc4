import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { BrokerProcess } from '../../support/broker-process.js';
import { runCommand } from '../../support/run-command.js';

/**
 * A data volume that fills up (the quota `log.dirs.capacity.bytes`, as the local provider's
 * volumes are): produces are refused with KAFKA_STORAGE_ERROR, the broker keeps serving reads,
 * and after a restart everything acknowledged is there and no partial batch is visible.
 */
const { Kafka, logLevel } = kafkajs;
let broker: BrokerProcess | undefined;
afterEach(async () => broker?.destroy());

describe('full data volume', () => {
  it('refuses produces with KAFKA_STORAGE_ERROR and keeps what was acknowledged', async () => {
    broker = await BrokerProcess.start({ properties: { 'log.dirs.capacity.bytes': 200_000 } });
    const kafka = new Kafka({
      brokers: [broker.bootstrap],
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 },
    });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'filling', numPartitions: 1 }] });
    await admin.disconnect();
    const producer = kafka.producer({ retry: { retries: 0 } });
    await producer.connect();
    const acknowledged: string[] = [];
    let failure: (Error & { type?: string }) | undefined;
    for (let i = 0; i < 1000 && !failure; i++) {
      const value = `${i}:${'x'.repeat(4000)}`;
      try {
        await producer.send({ topic: 'filling', acks: -1, messages: [{ value }] });
        acknowledged.push(value);
      } catch (error) {
        failure = (error as { cause?: Error }).cause ?? (error as Error);
      }
    }
    await producer.disconnect();
    expect(failure?.type).toBe('KAFKA_STORAGE_ERROR');
    expect(acknowledged.length).toBeGreaterThan(10);

    broker = await broker.restart();
    const read = await runCommand('kcat', [
      '-b',
      broker.bootstrap,
      '-C',
      '-t',
      'filling',
      '-o',
      'beginning',
      '-e',
      '-f',
      '%o %s\\n',
    ]);
    const lines = read.stdout.trim().split('\n');
    expect(lines).toHaveLength(acknowledged.length);
    lines.forEach((line, i) => expect(line).toBe(`${i} ${acknowledged[i]}`));
  });

  it('accepts produces again at once when the volume is grown through the admin endpoint', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'strata-broker-'));
    const token = 'grow-token-3f8a2c9d6e1b4a7f0c5d8e2b9a6f3c1d';
    writeFileSync(join(dataDir, 'admin.token'), token);
    broker = await BrokerProcess.start({
      dataDir,
      properties: {
        'log.dirs.capacity.bytes': 100_000,
        'admin.listener.token.file': join(dataDir, 'admin.token'),
      },
    });
    const kafka = new Kafka({
      brokers: [broker.bootstrap],
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 },
    });
    const producer = kafka.producer({ retry: { retries: 0 }, allowAutoTopicCreation: true });
    await producer.connect();
    const send = (i: number) =>
      producer.send({ topic: 'grown', acks: -1, messages: [{ value: `${i}:${'y'.repeat(4000)}` }] });
    let refused: (Error & { type?: string }) | undefined;
    let sent = 0;
    for (; sent < 1000 && !refused; sent++) {
      try {
        await send(sent);
      } catch (error) {
        refused = (error as { cause?: Error }).cause ?? (error as Error);
      }
    }
    expect(refused?.type).toBe('KAFKA_STORAGE_ERROR');

    const authorization = `Bearer ${token}`;
    const grow = (body: unknown) =>
      fetch(`${broker!.adminUrl}/storage/capacity`, {
        method: 'PUT',
        headers: { authorization },
        body: JSON.stringify(body),
      });
    const invalid = await grow({ bytes: -5 });
    expect(invalid.status).toBe(400);
    expect(await invalid.text()).toContain('bytes must be a positive integer');
    const notJson = await fetch(`${broker!.adminUrl}/storage/capacity`, {
      method: 'PUT',
      headers: { authorization },
      body: '{bytes:',
    });
    expect(notJson.status).toBe(400);
    expect(await notJson.text()).toContain('bytes must be a positive integer');

    const grown = await grow({ bytes: 1_000_000 });
    expect(grown.status).toBe(200);
    const storage = (await grown.json()) as { logDirs: { totalBytes: number }[] };
    expect(storage.logDirs[0]!.totalBytes).toBe(1_000_000);
    await send(sent);
    await producer.disconnect();
  });
});
