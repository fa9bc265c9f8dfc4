import { describeTopicConfigs } from '../../config/describe-configs.js';
import { ERROR_CODES, KafkaError, errorCodeOf, errorMessageOf } from '../../protocol/errors.js';
import { CreateTopics } from '../../protocol/messages/create-topics.js';
import { AclOperation } from '../../security/acl.js';
import { authorizedCluster, authorizedTopic } from '../../security/request-authorization.js';
import { defineHandler } from '../api-handler.js';
import { MAX_PARTITIONS_PER_REQUEST, partitionLimitError } from './partition-limit.js';

/**
 * CreateTopics: each topic is validated and placed independently; one topic's error does not stop
 * the others. From v5 a created topic's partition count, replication factor and configs are
 * returned.
 */
export const createTopicsHandler = defineHandler(CreateTopics, async (request, context) => {
  const { services } = context;
  // As Kafka: CREATE on the cluster, or else on each topic (TOPIC_AUTHORIZATION_FAILED).
  const onCluster = authorizedCluster(context, AclOperation.CREATE);
  const seen = new Set<string>();
  const duplicates = new Set(
    request.topics.map((t) => t.name).filter((n) => (seen.has(n) ? true : (seen.add(n), false))),
  );
  const requestedPartitions = request.topics.reduce(
    (n, t) =>
      n +
      (t.assignments.length > 0
        ? t.assignments.length
        : t.numPartitions === -1
          ? services.config.numPartitions
          : Math.max(0, t.numPartitions)),
    0,
  );
  const topics = [];
  for (const t of request.topics) {
    try {
      if (!onCluster && !authorizedTopic(context, AclOperation.CREATE, t.name))
        throw new KafkaError('TOPIC_AUTHORIZATION_FAILED', 'Authorization failed.');
      if (requestedPartitions > MAX_PARTITIONS_PER_REQUEST) throw partitionLimitError();
      if (duplicates.has(t.name))
        throw new KafkaError(
          'INVALID_REQUEST',
          `Create topics request from client contains duplicate topic ${t.name}`,
        );
      const configs = new Map<string, string>();
      for (const c of t.configs) {
        if (c.value === null)
          throw new KafkaError('INVALID_CONFIG', `Null value not supported for topic configs: ${c.name}`);
        configs.set(c.name, c.value);
      }
      const created = await services.topicAdmin.createTopic({
        name: t.name,
        numPartitions: t.numPartitions,
        replicationFactor: t.replicationFactor,
        assignments: t.assignments,
        configs,
        validateOnly: request.validateOnly,
      });
      // As Kafka: the created topic's configs only with DESCRIBE_CONFIGS on it.
      const configsVisible = authorizedTopic(context, AclOperation.DESCRIBE_CONFIGS, t.name);
      topics.push({
        name: t.name,
        topicId: created.topic?.topicId ?? Buffer.alloc(16),
        errorCode: ERROR_CODES.NONE,
        errorMessage: null,
        numPartitions: created.numPartitions,
        replicationFactor: created.replicationFactor,
        ...(configsVisible ? {} : { topicConfigErrorCode: ERROR_CODES.TOPIC_AUTHORIZATION_FAILED }),
        configs: !configsVisible
          ? null
          : describeTopicConfigs(created.configs, services.config).map((c) => ({
              name: c.name,
              value: c.value,
              readOnly: c.readOnly,
              configSource: c.source,
              isSensitive: false,
            })),
      });
      if (created.topic)
        services.logger.info({ topic: t.name, partitions: created.numPartitions }, 'created topic');
    } catch (error) {
      topics.push({
        name: t.name,
        errorCode: errorCodeOf(error),
        errorMessage: errorMessageOf(error),
        numPartitions: -1,
        replicationFactor: -1,
        configs: null,
      });
    }
  }
  return { throttleTimeMs: 0, topics };
});
