import { ERROR_CODES } from '../../protocol/errors.js';
import { Produce } from '../../protocol/messages/produce.js';
import { batchesOf } from '../../protocol/records/record-batch.js';
import { defineHandler } from '../api-handler.js';

/** Kafka 4 removed Produce v0-2 (message formats v0/v1); we advertise them for old clients' checks. */
const FIRST_SERVED_VERSION = 3;

function hasTransactionalBatch(records: Buffer | null): boolean {
  if (!records) return false;
  for (const batch of batchesOf(records)) if (batch.isTransactional) return true;
  return false;
}

/**
 * Produce: each partition's record set is appended on its leader; acks=-1 waits for the ISR;
 * acks=0 sends no response at all.
 */
export const produceHandler = defineHandler(Produce, async (request, { services, apiVersion }) => {
  const entries = request.topicData.flatMap((t) =>
    t.partitionData.map((p) => ({ topic: t.name, partition: p.index, records: p.records })),
  );
  let results;
  if (apiVersion < FIRST_SERVED_VERSION) {
    results = entries.map(() => ({
      errorCode: ERROR_CODES.UNSUPPORTED_VERSION,
      errorMessage: 'Produce versions below 3 (message format v0/v1) are not supported',
      baseOffset: -1,
      logAppendTime: -1,
      logStartOffset: -1,
    }));
  } else if (request.transactionalId !== null || entries.some((e) => hasTransactionalBatch(e.records))) {
    results = entries.map(() => ({
      errorCode: ERROR_CODES.INVALID_TXN_STATE,
      errorMessage: 'transactions are not supported by this broker',
      baseOffset: -1,
      logAppendTime: -1,
      logStartOffset: -1,
    }));
  } else {
    const store = services.metadata;
    results = await services.replicaManager.appendRecords(
      request.acks,
      request.timeoutMs,
      entries,
      (topic) => {
        const metadata = store.topic(topic);
        return metadata ? services.replicaManager.minInsyncReplicas(metadata) : 1;
      },
    );
  }
  if (request.acks === 0) return undefined;

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
          errorMessage: r.errorCode === ERROR_CODES.NONE ? null : r.errorMessage,
        };
      }),
    })),
    throttleTimeMs: 0,
  };
});
