import { createRequire } from 'node:module';
import type * as RdKafka from 'node-rdkafka';

/** node-rdkafka (librdkafka 2.x built from source), loaded through CommonJS. */
export const rdkafka = createRequire(import.meta.url)('node-rdkafka') as typeof RdKafka;

export interface Delivery {
  readonly partition: number;
  readonly offset: number;
  readonly value: string;
}

/** Produces `values` and resolves with every delivery report once all are acknowledged. */
export async function produceAll(
  config: RdKafka.ProducerGlobalConfig,
  topic: string,
  values: readonly string[],
  partition: number | null = null,
  topicConfig: RdKafka.ProducerTopicConfig = {},
): Promise<Delivery[]> {
  const producer = new rdkafka.Producer({ ...config, dr_cb: true }, topicConfig);
  await new Promise<void>((resolve, reject) =>
    producer.connect({}, (error) => (error ? reject(error) : resolve())),
  );
  producer.setPollInterval(10);
  const deliveries: Delivery[] = [];
  const failures: { message: string }[] = [];
  const done = new Promise<void>((resolve) => {
    producer.on('delivery-report', (error, report) => {
      if (error) failures.push(error);
      else
        deliveries.push({ partition: report.partition, offset: report.offset, value: String(report.value) });
      if (deliveries.length + failures.length === values.length) resolve();
    });
  });
  for (const value of values) producer.produce(topic, partition, Buffer.from(value), null, Date.now());
  await done;
  await new Promise<void>((resolve) => producer.disconnect(() => resolve()));
  if (failures.length > 0) throw new Error(`${failures.length} deliveries failed: ${failures[0]!.message}`);
  return deliveries;
}

/**
 * Reads `count` messages from one partition with assign (no group), from `offset`; `topicConfig`
 * is librdkafka's topic configuration (e.g. `auto.offset.reset`).
 */
export async function consumeAssigned(
  bootstrap: string,
  topic: string,
  partition: number,
  offset: number,
  count: number,
  topicConfig: RdKafka.ConsumerTopicConfig = {},
  /** More of librdkafka's global configuration (security settings, say). */
  globalConfig: Partial<RdKafka.ConsumerGlobalConfig> = {},
): Promise<RdKafka.Message[]> {
  const consumer = new rdkafka.KafkaConsumer(
    {
      'bootstrap.servers': bootstrap,
      'group.id': 'assign-only',
      'enable.auto.commit': false,
      ...globalConfig,
    },
    topicConfig,
  );
  await new Promise<void>((resolve, reject) =>
    consumer.connect({}, (error) => (error ? reject(error) : resolve())),
  );
  consumer.assign([{ topic, partition, offset }]);
  const messages: RdKafka.Message[] = [];
  const deadline = Date.now() + 60_000;
  while (messages.length < count && Date.now() < deadline) {
    const batch = await new Promise<RdKafka.Message[]>((resolve, reject) =>
      consumer.consume(500, (error, got) => (error ? reject(error) : resolve(got))),
    );
    messages.push(...batch);
  }
  await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
  return messages;
}
