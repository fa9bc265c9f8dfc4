import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerProcess } from '../support/broker-process.js';
import { consumeAssigned, produceAll } from '../support/rdkafka.js';

/** librdkafka 2.12 (node-rdkafka) against a broker process. */
let broker: BrokerProcess;

beforeAll(async () => {
  broker = await BrokerProcess.start({ properties: { 'num.partitions': 2 } });
});
afterAll(async () => broker?.destroy());

describe('librdkafka', () => {
  it('produces with the idempotent producer: every record acknowledged once, offsets contiguous', async () => {
    const values = Array.from({ length: 2000 }, (_, i) => `idem-${i}`);
    const deliveries = await produceAll(
      {
        'bootstrap.servers': broker.bootstrap,
        'enable.idempotence': true,
        'compression.codec': 'lz4',
        'linger.ms': 5,
      },
      'rdkafka-idempotent',
      values,
      0,
    );
    expect(deliveries).toHaveLength(2000);
    expect(deliveries.map((d) => d.offset).sort((a, b) => a - b)).toEqual(values.map((_, i) => i));
    const messages = await consumeAssigned(broker.bootstrap, 'rdkafka-idempotent', 0, 0, 2000);
    expect(messages.map((m) => m.value!.toString())).toEqual(values);
  });

  it('consumes from an offset in the middle', async () => {
    const values = Array.from({ length: 50 }, (_, i) => `mid-${i}`);
    await produceAll({ 'bootstrap.servers': broker.bootstrap }, 'rdkafka-middle', values, 1, {
      'request.required.acks': 1,
    });
    const messages = await consumeAssigned(broker.bootstrap, 'rdkafka-middle', 1, 30, 20);
    expect(messages.map((m) => m.offset)).toEqual(Array.from({ length: 20 }, (_, i) => 30 + i));
  });

  it('resets a position past the log end by auto.offset.reset: a fetch error carries an empty record set, not null', async () => {
    const values = Array.from({ length: 10 }, (_, i) => `reset-${i}`);
    await produceAll({ 'bootstrap.servers': broker.bootstrap }, 'rdkafka-reset', values, 0, {
      'request.required.acks': 1,
    });
    // Offset 1000 is out of range: the broker answers OFFSET_OUT_OF_RANGE and librdkafka resets.
    const messages = await consumeAssigned(broker.bootstrap, 'rdkafka-reset', 0, 1000, 10, {
      'auto.offset.reset': 'earliest',
    });
    expect(messages.map((m) => m.value!.toString())).toEqual(values);
  });
});
