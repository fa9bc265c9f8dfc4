import { ERROR_CODES, KafkaError, errorCodeOf, errorMessageOf } from '../../protocol/errors.js';
import { CreatePartitions } from '../../protocol/messages/create-partitions.js';
import { AclOperation } from '../../security/acl.js';
import { authorizedTopic } from '../../security/request-authorization.js';
import { defineHandler } from '../api-handler.js';
import { MAX_PARTITIONS_PER_REQUEST, partitionLimitError } from './partition-limit.js';

/** CreatePartitions: grows a topic to `count` partitions, placed like new topics unless assigned. */
export const createPartitionsHandler = defineHandler(CreatePartitions, async (request, context) => {
  const { services } = context;
  const added = request.topics.reduce(
    (n, t) => n + Math.max(0, t.count - (services.metadata.topic(t.name)?.partitions.length ?? 0)),
    0,
  );
  const results = [];
  for (const t of request.topics) {
    try {
      // As Kafka: ALTER on the topic.
      if (!authorizedTopic(context, AclOperation.ALTER, t.name))
        throw new KafkaError('TOPIC_AUTHORIZATION_FAILED', 'Authorization failed.');
      if (added > MAX_PARTITIONS_PER_REQUEST) throw partitionLimitError();
      await services.topicAdmin.createPartitions(
        t.name,
        t.count,
        t.assignments?.map((a) => a.brokerIds) ?? null,
        request.validateOnly,
      );
      results.push({ name: t.name, errorCode: ERROR_CODES.NONE, errorMessage: null });
    } catch (error) {
      results.push({ name: t.name, errorCode: errorCodeOf(error), errorMessage: errorMessageOf(error) });
    }
  }
  return { throttleTimeMs: 0, results };
});
