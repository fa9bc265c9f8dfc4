import { defineApi } from '../schema/api.js';
import { t } from '../schema/fields.js';

export const CreateTopics = defineApi({
  apiKey: 19,
  name: 'CreateTopics',
  versions: [2, 7],
  flexibleFrom: 5,
  request: {
    topics: t.array({
      name: t.string(),
      numPartitions: t.int32(),
      replicationFactor: t.int16(),
      assignments: t.array({
        partitionIndex: t.int32(),
        brokerIds: t.arrayOf(t.int32()),
      }),
      configs: t.array({
        name: t.string(),
        value: t.string({ nullable: '0+' }),
      }),
    }),
    timeoutMs: t.int32({ default: 60000 }),
    validateOnly: t.bool({ v: '1+' }),
  },
  response: {
    throttleTimeMs: t.int32({ v: '2+' }),
    topics: t.array({
      name: t.string(),
      topicId: t.uuid({ v: '7+' }),
      errorCode: t.int16(),
      // Kafka gives no default: an unset message is sent as "", not null.
      errorMessage: t.string({ v: '1+', nullable: '0+' }),
      topicConfigErrorCode: t.int16({ v: '5+', tag: 0 }),
      numPartitions: t.int32({ v: '5+', default: -1 }),
      replicationFactor: t.int16({ v: '5+', default: -1 }),
      configs: t.array(
        {
          name: t.string(),
          value: t.string({ nullable: '5+' }),
          readOnly: t.bool(),
          configSource: t.int8({ default: -1 }),
          isSensitive: t.bool(),
        },
        { v: '5+', nullable: '5+' },
      ),
    }),
  },
});
