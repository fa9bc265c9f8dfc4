import {
  DescribeProducers,
  ListOffsets,
  Produce,
  WriteTxnMarkers,
} from '../../broker-image/src/protocol/messages/index.js';
import { batchesOf } from '../../broker-image/src/protocol/records/record-batch.js';
import { buildRecordBatch, recordsOf } from '../../broker-image/src/protocol/records/records.js';
import type { RawClient } from './raw-client.js';
import { PRODUCE_VERSION, fetchPartitionOnce } from './raw-requests.js';

/**
 * The requests a transactional producer and a transaction coordinator send, built from the
 * broker's own codecs, for tests of the log side of transactions without a coordinator.
 */

export const WRITE_TXN_MARKERS_VERSION = 1;
export const LIST_OFFSETS_VERSION = 7;
export const READ_UNCOMMITTED = 0;
export const READ_COMMITTED = 1;

export interface TransactionalProducer {
  readonly transactionalId: string;
  readonly producerId: number;
  readonly producerEpoch: number;
}

/** Produces one transactional batch (acks=-1); resolves with the base offset. */
export async function produceInTransaction(
  client: RawClient,
  producer: TransactionalProducer,
  target: { topic: string; partition: number; baseSequence: number },
  values: readonly string[],
): Promise<number> {
  const records = buildRecordBatch(
    values.map((v) => ({ value: Buffer.from(v) })),
    {
      producerId: producer.producerId,
      producerEpoch: producer.producerEpoch,
      baseSequence: target.baseSequence,
      transactional: true,
    },
  );
  const response = await client.request(Produce, PRODUCE_VERSION, {
    transactionalId: producer.transactionalId,
    acks: -1,
    timeoutMs: 30_000,
    topicData: [{ name: target.topic, partitionData: [{ index: target.partition, records }] }],
  });
  const result = response.responses[0]!.partitionResponses[0]!;
  if (result.errorCode !== 0)
    throw new Error(
      `transactional Produce to ${target.topic}-${target.partition} failed with ${result.errorCode}`,
    );
  return result.baseOffset;
}

/** Sends one WriteTxnMarkers marker; resolves with each partition's error code, by `topic-partition`. */
export async function writeMarker(
  client: RawClient,
  marker: {
    producerId: number;
    producerEpoch: number;
    committed: boolean;
    coordinatorEpoch?: number;
    partitions: readonly { topic: string; partition: number }[];
  },
): Promise<Record<string, number>> {
  const topics = [...new Set(marker.partitions.map((p) => p.topic))];
  const response = await client.request(WriteTxnMarkers, WRITE_TXN_MARKERS_VERSION, {
    markers: [
      {
        producerId: marker.producerId,
        producerEpoch: marker.producerEpoch,
        transactionResult: marker.committed,
        coordinatorEpoch: marker.coordinatorEpoch ?? 0,
        topics: topics.map((name) => ({
          name,
          partitionIndexes: marker.partitions.filter((p) => p.topic === name).map((p) => p.partition),
        })),
      },
    ],
  });
  const out: Record<string, number> = {};
  for (const t of response.markers[0]!.topics)
    for (const p of t.partitions) out[`${t.name}-${p.partitionIndex}`] = p.errorCode;
  return out;
}

/** ListOffsets' latest offset under an isolation level. */
export async function latestOffset(
  client: RawClient,
  topic: string,
  partition: number,
  isolationLevel: number,
): Promise<number> {
  const response = await client.request(ListOffsets, LIST_OFFSETS_VERSION, {
    replicaId: -1,
    isolationLevel,
    topics: [{ name: topic, partitions: [{ partitionIndex: partition, timestamp: -1 }] }],
  });
  const result = response.topics[0]!.partitions[0]!;
  if (result.errorCode !== 0)
    throw new Error(`ListOffsets ${topic}-${partition} failed with ${result.errorCode}`);
  return result.offset;
}

export interface IsolatedFetch {
  readonly errorCode: number;
  readonly highWatermark: number;
  readonly lastStableOffset: number;
  readonly abortedTransactions: { producerId: number; firstOffset: number }[] | null;
  /** Every record of the data batches returned (aborted ones too: skipping them is the consumer's). */
  readonly values: string[];
  readonly controlBatches: number;
}

export async function fetchIsolated(
  client: RawClient,
  topic: string,
  partition: number,
  offset: number,
  isolationLevel: number,
): Promise<IsolatedFetch> {
  const result = await fetchPartitionOnce(client, topic, partition, offset, isolationLevel);
  const batches = [...batchesOf(result.records ?? Buffer.alloc(0))];
  return {
    errorCode: result.errorCode,
    highWatermark: result.highWatermark,
    lastStableOffset: result.lastStableOffset,
    abortedTransactions: result.abortedTransactions,
    values: batches.filter((b) => !b.isControl).flatMap((b) => recordsOf(b).map((r) => r.value!.toString())),
    controlBatches: batches.filter((b) => b.isControl).length,
  };
}

export async function describeProducers(
  client: RawClient,
  topic: string,
  partition: number,
): Promise<{ errorCode: number; activeProducers: { producerId: number; currentTxnStartOffset: number }[] }> {
  const response = await client.request(DescribeProducers, 0, {
    topics: [{ name: topic, partitionIndexes: [partition] }],
  });
  return response.topics[0]!.partitions[0]!;
}
