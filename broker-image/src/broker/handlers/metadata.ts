import { topicNameProblem, type TopicMetadata } from '../../cluster/metadata.js';
import { ERROR_CODES, KafkaError, errorCodeOf } from '../../protocol/errors.js';
import { Metadata } from '../../protocol/messages/metadata.js';
import type { ResponseOf } from '../../protocol/schema/api.js';
import { AclOperation, CLUSTER_NAME, ResourceType } from '../../security/acl.js';
import {
  authorizedCluster,
  authorizedOperations,
  authorizedTopic,
} from '../../security/request-authorization.js';
import { defineHandler, type RequestContext } from '../api-handler.js';
import { ALL_CLUSTER_OPERATIONS, ALL_TOPIC_OPERATIONS } from './authorized-operations.js';

type TopicResponse = NonNullable<ResponseOf<typeof Metadata>['topics']>[number];

function describeTopic(
  topic: TopicMetadata,
  includeOperations: boolean,
  aliveBrokers: ReadonlySet<number>,
  context: RequestContext,
): TopicResponse {
  return {
    errorCode: ERROR_CODES.NONE,
    name: topic.name,
    topicId: topic.topicId,
    isInternal: topic.internal,
    partitions: topic.partitions.map((p) => ({
      errorCode:
        p.leader >= 0 && aliveBrokers.has(p.leader) ? ERROR_CODES.NONE : ERROR_CODES.LEADER_NOT_AVAILABLE,
      partitionIndex: p.partition,
      leaderId: aliveBrokers.has(p.leader) ? p.leader : -1,
      leaderEpoch: p.leaderEpoch,
      replicaNodes: [...p.replicas],
      isrNodes: [...p.isr],
      offlineReplicas: p.replicas.filter((id) => !aliveBrokers.has(id)),
    })),
    topicAuthorizedOperations: includeOperations
      ? authorizedOperations(context, ResourceType.TOPIC, topic.name, ALL_TOPIC_OPERATIONS)
      : -0x80000000,
  };
}

function topicError(name: string, error: unknown): TopicResponse {
  return {
    errorCode: errorCodeOf(error),
    name,
    topicId: Buffer.alloc(16),
    isInternal: false,
    partitions: [],
  };
}

/**
 * Metadata: brokers (endpoints of the listener the request came in on), the controller, and the
 * requested topics — creating unknown ones when both the client and `auto.create.topics.enable`
 * allow it.
 *
 * As Kafka: only topics the principal may DESCRIBE are listed; one asked for by name without
 * DESCRIBE is TOPIC_AUTHORIZATION_FAILED (by id, UNKNOWN_TOPIC_ID, so ids reveal nothing), and
 * auto-creating needs CREATE on the cluster or the topic (else TOPIC_AUTHORIZATION_FAILED).
 */
export const metadataHandler = defineHandler(Metadata, async (request, context: RequestContext) => {
  const { services, apiVersion } = context;
  const store = services.metadata;
  const brokers = store.brokers();
  const alive = new Set(brokers.map((b) => b.nodeId));
  const includeOperations = request.includeTopicAuthorizedOperations;
  const allTopics = request.topics === null || (apiVersion === 0 && request.topics.length === 0);

  const describable = (name: string): boolean => authorizedTopic(context, AclOperation.DESCRIBE, name);
  const describe = (topic: TopicMetadata): TopicResponse =>
    describeTopic(topic, includeOperations, alive, context);
  const topics: TopicResponse[] = [];
  if (allTopics) {
    for (const topic of store.topics()) if (describable(topic.name)) topics.push(describe(topic));
  } else {
    const autoCreate =
      services.config.autoCreateTopicsEnable && (apiVersion < 4 || request.allowAutoTopicCreation);
    for (const requested of request.topics ?? []) {
      const name = requested.name;
      if (name === null) {
        const byId = store.topics().find((t) => t.topicId.equals(requested.topicId));
        topics.push(
          byId && describable(byId.name)
            ? describe(byId)
            : { ...topicError('', new KafkaError('UNKNOWN_TOPIC_ID')), name: null },
        );
        continue;
      }
      if (!describable(name)) {
        topics.push(topicError(name, new KafkaError('TOPIC_AUTHORIZATION_FAILED')));
        continue;
      }
      const existing = store.topic(name);
      if (existing) {
        topics.push(describe(existing));
        continue;
      }
      const problem = topicNameProblem(name);
      if (problem) {
        topics.push(topicError(name, new KafkaError('INVALID_TOPIC_EXCEPTION', problem)));
        continue;
      }
      if (!autoCreate) {
        topics.push(topicError(name, new KafkaError('UNKNOWN_TOPIC_OR_PARTITION')));
        continue;
      }
      if (
        !authorizedCluster(context, AclOperation.CREATE) &&
        !authorizedTopic(context, AclOperation.CREATE, name)
      ) {
        topics.push(topicError(name, new KafkaError('TOPIC_AUTHORIZATION_FAILED')));
        continue;
      }
      try {
        const created = await services.topicAdmin.createTopic({
          name,
          numPartitions: -1,
          replicationFactor: -1,
          assignments: [],
          configs: new Map(),
          validateOnly: false,
        });
        topics.push(describe(created.topic!));
        services.logger.info({ topic: name, client: context.header.clientId }, 'auto-created topic');
      } catch (error) {
        const existingNow = store.topic(name);
        topics.push(existingNow ? describe(existingNow) : topicError(name, error));
      }
    }
  }

  return {
    throttleTimeMs: 0,
    brokers: brokers.flatMap((b) => {
      const endpoint = b.endpoints.find((e) => e.listener === context.listener.name);
      return endpoint ? [{ nodeId: b.nodeId, host: endpoint.host, port: endpoint.port, rack: b.rack }] : [];
    }),
    clusterId: store.clusterId,
    controllerId: store.controllerId(),
    topics,
    // v8-10, as DescribeCluster: the operations only with DESCRIBE on the cluster (else none).
    clusterAuthorizedOperations: request.includeClusterAuthorizedOperations
      ? authorizedCluster(context, AclOperation.DESCRIBE)
        ? authorizedOperations(context, ResourceType.CLUSTER, CLUSTER_NAME, ALL_CLUSTER_OPERATIONS)
        : 0
      : -0x80000000,
  };
});
