import { Writer, createAPI, type Reader } from '@platformatic/kafka';

/**
 * ElectLeaders v2 (API key 43), which the client library does not offer: made with its own
 * request/response building blocks. The control plane uses it after moving partitions, so each
 * partition's preferred replica (its first) leads at once instead of at the brokers' next
 * leader-imbalance check.
 */
export interface ElectLeadersResult {
  readonly errorCode: number;
  readonly results: { topic: string; partition: number; errorCode: number; errorMessage: string | null }[];
}

const PREFERRED = 0;

function createRequest(topics: { topic: string; partitions: number[] }[], timeoutMs: number): Writer {
  return Writer.create()
    .appendInt8(PREFERRED)
    .appendArray(topics, (w, t) => {
      w.appendString(t.topic).appendArray(t.partitions, (w, p) => w.appendInt32(p), true, false);
    })
    .appendInt32(timeoutMs)
    .appendTaggedFields();
}

function parseResponse(
  _correlationId: number,
  _apiKey: number,
  _apiVersion: number,
  reader: Reader,
): ElectLeadersResult {
  reader.readInt32(); // throttle_time_ms
  const errorCode = reader.readInt16();
  const results = reader
    .readArray((r) => {
      const topic = r.readString()!;
      return r.readArray((p) => ({
        topic,
        partition: p.readInt32(),
        errorCode: p.readInt16(),
        errorMessage: p.readNullableString(),
      }));
    })
    .flat();
  return { errorCode, results };
}

export const electLeadersV2 = createAPI<
  [{ topic: string; partitions: number[] }[], number],
  ElectLeadersResult
>(43, 2, createRequest, parseResponse);
