import { defineApi } from '../schema/api.js';
import { t } from '../schema/fields.js';

export const Fetch = defineApi({
  apiKey: 1,
  name: 'Fetch',
  versions: [4, 12],
  flexibleFrom: 12,
  request: {
    clusterId: t.string({ v: '12+', nullable: '12+', default: null, tag: 0 }),
    replicaId: t.int32({ v: '0-14', default: -1 }),
    maxWaitMs: t.int32(),
    minBytes: t.int32(),
    maxBytes: t.int32({ v: '3+', default: 0x7fffffff }),
    isolationLevel: t.int8({ v: '4+' }),
    sessionId: t.int32({ v: '7+' }),
    sessionEpoch: t.int32({ v: '7+', default: -1 }),
    topics: t.array({
      topic: t.string({ v: '0-12' }),
      partitions: t.array({
        partition: t.int32(),
        currentLeaderEpoch: t.int32({ v: '9+', default: -1 }),
        fetchOffset: t.int64(),
        lastFetchedEpoch: t.int32({ v: '12+', default: -1 }),
        logStartOffset: t.int64({ v: '5+', default: -1 }),
        partitionMaxBytes: t.int32(),
      }),
    }),
    forgottenTopicsData: t.array(
      {
        topic: t.string({ v: '7-12' }),
        partitions: t.arrayOf(t.int32()),
      },
      { v: '7+' },
    ),
    rackId: t.string({ v: '11+' }),
  },
  response: {
    throttleTimeMs: t.int32({ v: '1+' }),
    errorCode: t.int16({ v: '7+' }),
    sessionId: t.int32({ v: '7+' }),
    responses: t.array({
      topic: t.string({ v: '0-12' }),
      partitions: t.array({
        partitionIndex: t.int32(),
        errorCode: t.int16(),
        highWatermark: t.int64(),
        lastStableOffset: t.int64({ v: '4+', default: -1 }),
        logStartOffset: t.int64({ v: '5+', default: -1 }),
        divergingEpoch: t.struct(
          { epoch: t.int32({ default: -1 }), endOffset: t.int64({ default: -1 }) },
          { v: '12+', tag: 0 },
        ),
        currentLeader: t.struct(
          { leaderId: t.int32({ default: -1 }), leaderEpoch: t.int32({ default: -1 }) },
          { v: '12+', tag: 1 },
        ),
        snapshotId: t.struct(
          { endOffset: t.int64({ default: -1 }), epoch: t.int32({ default: -1 }) },
          { v: '12+', tag: 2 },
        ),
        abortedTransactions: t.array(
          { producerId: t.int64(), firstOffset: t.int64() },
          { v: '4+', nullable: '4+' },
        ),
        preferredReadReplica: t.int32({ v: '11+', default: -1 }),
        records: t.records(),
      }),
    }),
  },
});
