import { defineApi } from '../schema/api.js';
import { t } from '../schema/fields.js';

export const DescribeLogDirs = defineApi({
  apiKey: 35,
  name: 'DescribeLogDirs',
  versions: [1, 4],
  flexibleFrom: 2,
  request: {
    topics: t.array({ topic: t.string(), partitions: t.arrayOf(t.int32()) }, { nullable: '0+' }),
  },
  response: {
    throttleTimeMs: t.int32(),
    errorCode: t.int16({ v: '3+' }),
    results: t.array({
      errorCode: t.int16(),
      logDir: t.string(),
      topics: t.array({
        name: t.string(),
        partitions: t.array({
          partitionIndex: t.int32(),
          partitionSize: t.int64(),
          offsetLag: t.int64(),
          isFutureKey: t.bool(),
        }),
      }),
      totalBytes: t.int64({ v: '4+', default: -1 }),
      usableBytes: t.int64({ v: '4+', default: -1 }),
    }),
  },
});
