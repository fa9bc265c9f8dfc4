import { ApiVersions, CreateTopics, Fetch, Produce } from '../../broker-image/src/protocol/messages/index.js';
import { batchesOf, type RecordBatch } from '../../broker-image/src/protocol/records/record-batch.js';
import { buildRecordBatch, recordsOf } from '../../broker-image/src/protocol/records/records.js';
import { withRawClient, type RawClient } from './raw-client.js';

/** Well-formed requests over a {@link RawClient}, for setting up and checking what bad input did. */

export const PRODUCE_VERSION = 9;
export const FETCH_VERSION = 12;
export const CREATE_TOPICS_VERSION = 7;
export const API_VERSIONS_VERSION = 3;

/** A record batch of string values (no keys), as a producer would send it. */
export function valuesBatch(values: readonly string[]): Buffer {
  return buildRecordBatch(values.map((v) => ({ value: Buffer.from(v) })));
}

/** Creates topics and fails unless every one was created. */
export async function createTopics(
  client: RawClient,
  topics: readonly { name: string; partitions: number; configs?: Record<string, string> }[],
): Promise<void> {
  const response = await client.request(CreateTopics, CREATE_TOPICS_VERSION, {
    topics: topics.map((t) => ({
      name: t.name,
      numPartitions: t.partitions,
      replicationFactor: 1,
      assignments: [],
      configs: Object.entries(t.configs ?? {}).map(([name, value]) => ({ name, value })),
    })),
    timeoutMs: 30_000,
  });
  const failed = response.topics.filter((t) => t.errorCode !== 0);
  if (failed.length > 0) throw new Error(`CreateTopics failed: ${JSON.stringify(failed)}`);
}

/** Produces one batch of `values` with acks=-1; resolves with the base offset. */
export async function produceValues(
  client: RawClient,
  topic: string,
  partition: number,
  values: readonly string[],
): Promise<number> {
  const response = await client.request(Produce, PRODUCE_VERSION, {
    acks: -1,
    timeoutMs: 30_000,
    topicData: [{ name: topic, partitionData: [{ index: partition, records: valuesBatch(values) }] }],
  });
  const result = response.responses[0]!.partitionResponses[0]!;
  if (result.errorCode !== 0)
    throw new Error(`Produce to ${topic}-${partition} failed with ${result.errorCode}`);
  return result.baseOffset;
}

/** One partition's fetch result: its error code, high watermark and the stored batches. */
export interface FetchedBatches {
  readonly errorCode: number;
  readonly highWatermark: number;
  readonly batches: RecordBatch[];
}

/** One partition's Fetch answer, from `offset`, without waiting for data. */
export async function fetchPartitionOnce(
  client: RawClient,
  topic: string,
  partition: number,
  offset: number,
  isolationLevel = 0,
) {
  const response = await client.request(Fetch, FETCH_VERSION, {
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 64 * 1024 * 1024,
    isolationLevel,
    sessionId: 0,
    topics: [
      { topic, partitions: [{ partition, fetchOffset: offset, partitionMaxBytes: 64 * 1024 * 1024 }] },
    ],
    forgottenTopicsData: [],
    rackId: '',
  });
  return response.responses[0]!.partitions[0]!;
}

/** Fetches one partition from `offset` without waiting for data; the batches as stored. */
export async function fetchBatches(
  client: RawClient,
  topic: string,
  partition: number,
  offset: number,
): Promise<FetchedBatches> {
  const result = await fetchPartitionOnce(client, topic, partition, offset);
  return {
    errorCode: result.errorCode,
    highWatermark: result.highWatermark,
    batches: [...batchesOf(result.records ?? Buffer.alloc(0))],
  };
}

/** One partition's fetch result with every record decoded: offsets and values. */
export interface FetchedPartition {
  readonly errorCode: number;
  readonly highWatermark: number;
  readonly records: { offset: number; value: string | null }[];
}

export async function fetchPartition(
  client: RawClient,
  topic: string,
  partition: number,
  offset: number,
): Promise<FetchedPartition> {
  const { errorCode, highWatermark, batches } = await fetchBatches(client, topic, partition, offset);
  const records = batches.flatMap((batch) =>
    recordsOf(batch).map((r) => ({ offset: r.offset, value: r.value?.toString() ?? null })),
  );
  return { errorCode, highWatermark, records };
}

/** Every value in a partition, read from offset 0 over a fresh connection. */
export async function readAllValues(port: number, topic: string, partition: number): Promise<string[]> {
  return withRawClient(port, async (client) => {
    const values: string[] = [];
    let offset = 0;
    for (;;) {
      const fetched = await fetchPartition(client, topic, partition, offset);
      if (fetched.errorCode !== 0)
        throw new Error(`Fetch ${topic}-${partition} failed with ${fetched.errorCode}`);
      for (const r of fetched.records) if (r.offset >= offset) values.push(r.value ?? '<null>');
      const next = fetched.records.at(-1);
      if (!next || next.offset + 1 >= fetched.highWatermark) return values;
      offset = next.offset + 1;
    }
  });
}

/** An ApiVersions round trip on a fresh connection: the broker still serves new clients. */
export async function apiVersionsOnNewConnection(port: number): Promise<number> {
  return withRawClient(port, async (client) => {
    const response = await client.request(ApiVersions, API_VERSIONS_VERSION, {
      clientSoftwareName: 'raw-client',
      clientSoftwareVersion: '1.0',
    });
    return response.errorCode;
  });
}
