import { ERROR_CODES, type ErrorName } from '../../protocol/errors.js';
import { Produce } from '../../protocol/messages/produce.js';
import { CompressionType } from '../../protocol/records/compression.js';
import {
  ATTRIBUTES_OFFSET,
  COMPRESSION_MASK,
  CURRENT_MAGIC,
  MAGIC_OFFSET,
  batchesOf,
} from '../../protocol/records/record-batch.js';
import { AclOperation } from '../../security/acl.js';
import { authorizedTopic, authorizedTransactionalId } from '../../security/request-authorization.js';
import { defineHandler, type RequestContext } from '../api-handler.js';
import type { ProduceEntry, ProducePartitionResult } from '../replica-manager.js';

/** Kafka 4 removed Produce v0-2 (message formats v0/v1); we advertise them for old clients' checks. */
const FIRST_SERVED_VERSION = 3;

/** Produce v7 is the first that may carry zstd batches (Kafka's ProduceRequest.validateRecords). */
const FIRST_ZSTD_VERSION = 7;

/**
 * Kafka's ProduceRequest.validateRecords, before anything reads a batch's attributes: from v3 a
 * partition's records are record batches of magic 2. A legacy (magic 0/1) message set has its
 * timestamp or key where a batch has its attributes, so nothing else may be read from it: what it
 * would seem to say (transactional, compressed) depends on the bytes of its timestamp.
 */
function recordsRefusal(records: Buffer | null, apiVersion: number): ProducePartitionResult | undefined {
  // Missing records are the replica manager's to answer (INVALID_RECORD), as are batches cut short.
  if (!records || records.length <= MAGIC_OFFSET) return undefined;
  const magic = records.readInt8(MAGIC_OFFSET);
  if (magic !== CURRENT_MAGIC) {
    return refused(
      'INVALID_RECORD',
      `Produce requests with version ${apiVersion} are only allowed to contain record batches with magic version 2, not magic ${magic}`,
    );
  }
  if (
    apiVersion < FIRST_ZSTD_VERSION &&
    records.length > ATTRIBUTES_OFFSET + 1 &&
    (records.readInt16BE(ATTRIBUTES_OFFSET) & COMPRESSION_MASK) === CompressionType.ZSTD
  ) {
    return refused(
      'UNSUPPORTED_COMPRESSION_TYPE',
      `Produce requests with version ${apiVersion} are not allowed to use ZStandard compression`,
    );
  }
  return undefined;
}

/**
 * Whether the partition's records are transactional, read from the first batch as Kafka reads it;
 * only once {@link recordsRefusal} has found it to be of magic 2 (the attribute exists only there).
 */
function isTransactional(records: Buffer | null): boolean {
  if (!records) return false;
  const first = batchesOf(records).next();
  return !first.done && first.value.magic === CURRENT_MAGIC && first.value.isTransactional;
}

function refused(code: ErrorName, errorMessage: string): ProducePartitionResult {
  return {
    errorCode: ERROR_CODES[code],
    errorMessage,
    baseOffset: -1,
    logAppendTime: -1,
    logStartOffset: -1,
  };
}

/** Why a partition's records are refused before any append, if they are. */
function refusal(
  entry: ProduceEntry,
  apiVersion: number,
  transactionalId: string | null,
  context: RequestContext,
): ProducePartitionResult | undefined {
  const { services } = context;
  if (apiVersion < FIRST_SERVED_VERSION) {
    return refused(
      'UNSUPPORTED_VERSION',
      'Produce versions below 3 (message format v0/v1) are not supported',
    );
  }
  // As Kafka: WRITE on the transactional id (for the whole request) and on each topic come first.
  if (transactionalId !== null && !authorizedTransactionalId(context, AclOperation.WRITE, transactionalId)) {
    return refused('TRANSACTIONAL_ID_AUTHORIZATION_FAILED', 'Transactional Id authorization failed.');
  }
  if (!authorizedTopic(context, AclOperation.WRITE, entry.topic)) {
    return refused('TOPIC_AUTHORIZATION_FAILED', `Not authorized to access topics: [${entry.topic}]`);
  }
  const invalidRecords = recordsRefusal(entry.records, apiVersion);
  if (invalidRecords) return invalidRecords;
  // As Kafka's handleProduceRequest: transactional records without a transactional id are not
  // authorized (there is no transactional id to hold WRITE on).
  if (transactionalId === null && isTransactional(entry.records)) {
    return refused('TRANSACTIONAL_ID_AUTHORIZATION_FAILED', 'Transactional Id authorization failed.');
  }
  if (services.metadata.topic(entry.topic)?.internal) {
    // Only the broker itself writes internal topics such as __consumer_offsets.
    return refused('INVALID_TOPIC_EXCEPTION', `Cannot append to internal topic ${entry.topic}`);
  }
  return undefined;
}

/**
 * Produce: each partition's record set is appended on its leader; acks=-1 waits for the ISR;
 * acks=0 sends no response at all (and a failure closes the connection, as Kafka does).
 */
export const produceHandler = defineHandler(Produce, async (request, context) => {
  const { services, apiVersion } = context;
  const entries = request.topicData.flatMap((t) =>
    t.partitionData.map((p) => ({ topic: t.name, partition: p.index, records: p.records })),
  );
  const refusals = entries.map((e) => refusal(e, apiVersion, request.transactionalId, context));
  const accepted = entries.filter((_, i) => !refusals[i]);
  const appended = await services.replicaManager.appendRecords(
    request.acks,
    request.timeoutMs,
    accepted,
    (topic) => {
      const metadata = services.metadata.topic(topic);
      return metadata ? services.replicaManager.minInsyncReplicas(metadata) : 1;
    },
  );
  let next = 0;
  const results = refusals.map((r) => r ?? appended[next++]!);

  if (request.acks === 0) {
    const failed = results.find((r) => r.errorCode !== ERROR_CODES.NONE);
    if (failed) context.closeConnection(`acks=0 produce failed: ${failed.errorMessage ?? failed.errorCode}`);
    return undefined;
  }
  let i = 0;
  return {
    responses: request.topicData.map((t) => ({
      name: t.name,
      partitionResponses: t.partitionData.map((p) => {
        const r = results[i++]!;
        return {
          index: p.index,
          errorCode: r.errorCode,
          baseOffset: r.baseOffset,
          logAppendTimeMs: r.logAppendTime,
          logStartOffset: r.logStartOffset,
          recordErrors: (r.recordErrors ?? []).map((e) => ({
            batchIndex: e.batchIndex,
            batchIndexErrorMessage: e.message,
          })),
          errorMessage: r.errorCode === ERROR_CODES.NONE ? null : r.errorMessage,
        };
      }),
    })),
    throttleTimeMs: 0,
  };
});
