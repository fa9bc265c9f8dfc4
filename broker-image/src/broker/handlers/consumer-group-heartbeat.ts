import { ERROR_CODES } from '../../protocol/errors.js';
import { ConsumerGroupHeartbeat } from '../../protocol/messages/consumer-group-heartbeat.js';
import { AclOperation } from '../../security/acl.js';
import { authorizedGroup } from '../../security/request-authorization.js';
import { defineHandler } from '../api-handler.js';
import { topicCatalog } from './topic-catalog.js';

/** ConsumerGroupHeartbeat (KIP-848): READ on the group, else GROUP_AUTHORIZATION_FAILED. */
export const consumerGroupHeartbeatHandler = defineHandler(ConsumerGroupHeartbeat, (request, context) => {
  const { services, apiVersion, header, remoteAddress } = context;
  if (!authorizedGroup(context, AclOperation.READ, request.groupId)) {
    return {
      throttleTimeMs: 0,
      errorCode: ERROR_CODES.GROUP_AUTHORIZATION_FAILED,
      errorMessage: null,
      memberId: null,
      memberEpoch: 0,
      heartbeatIntervalMs: 0,
      assignment: null,
    };
  }
  const result = services.groups.consumerGroupHeartbeat(
    {
      apiVersion,
      groupId: request.groupId,
      memberId: request.memberId,
      memberEpoch: request.memberEpoch,
      instanceId: request.instanceId,
      rackId: request.rackId,
      rebalanceTimeoutMs: request.rebalanceTimeoutMs,
      subscribedTopicNames: request.subscribedTopicNames,
      subscribedTopicRegex: request.subscribedTopicRegex,
      serverAssignor: request.serverAssignor,
      topicPartitions: request.topicPartitions,
      clientId: header.clientId ?? '',
      clientHost: `/${remoteAddress.replace(/:\d+$/, '')}`,
    },
    topicCatalog(services.metadata),
  );
  return { throttleTimeMs: 0, ...result };
});
