import kafkajs from 'kafkajs';

const { Kafka, logLevel } = kafkajs;

export interface PartitionView {
  readonly partition: number;
  readonly leader: number;
  readonly replicas: number[];
  readonly isr: number[];
}

/** A topic's partitions as a client sees them in Metadata, from any live broker. */
export async function describePartitions(bootstrap: string, topic: string): Promise<PartitionView[]> {
  const admin = new Kafka({
    brokers: bootstrap.split(','),
    logLevel: logLevel.NOTHING,
    retry: { retries: 2 },
    requestTimeout: 5000,
  }).admin();
  await admin.connect();
  try {
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    return topics[0]!.partitions
      .map((p) => ({ partition: p.partitionId, leader: p.leader, replicas: p.replicas, isr: p.isr }))
      .sort((a, b) => a.partition - b.partition);
  } finally {
    await admin.disconnect();
  }
}

/** Polls until `test` holds for the topic's partitions (a leader elected, an ISR regrown, ...). */
export async function waitForPartitions(
  bootstrap: () => string,
  topic: string,
  test: (partitions: PartitionView[]) => boolean,
  what: string,
  timeoutMs = 60_000,
): Promise<PartitionView[]> {
  const deadline = Date.now() + timeoutMs;
  let last: PartitionView[] = [];
  while (Date.now() < deadline) {
    try {
      last = await describePartitions(bootstrap(), topic);
      if (test(last)) return last;
    } catch {
      // a broker may be down or the metadata moving; ask again
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`timed out waiting for ${what}: ${JSON.stringify(last)}`);
}
