import { ERROR_CODES } from '../../protocol/errors.js';
import { ConsumerGroupDescribe } from '../../protocol/messages/consumer-group-describe.js';
import { AclOperation, ResourceType } from '../../security/acl.js';
import { authorizedGroup, authorizedOperations } from '../../security/request-authorization.js';
import { defineHandler } from '../api-handler.js';
import { ALL_GROUP_OPERATIONS } from './authorized-operations.js';
import { topicCatalog } from './topic-catalog.js';

/** ConsumerGroupDescribe: each group needs DESCRIBE (else GROUP_AUTHORIZATION_FAILED for it). */
export const consumerGroupDescribeHandler = defineHandler(ConsumerGroupDescribe, (request, context) => {
  const catalog = topicCatalog(context.services.metadata);
  return {
    throttleTimeMs: 0,
    groups: request.groupIds.map((groupId) =>
      authorizedGroup(context, AclOperation.DESCRIBE, groupId)
        ? {
            ...context.services.groups.consumerGroupDescribe(groupId, catalog),
            authorizedOperations: request.includeAuthorizedOperations
              ? authorizedOperations(context, ResourceType.GROUP, groupId, ALL_GROUP_OPERATIONS)
              : -0x80000000,
          }
        : {
            errorCode: ERROR_CODES.GROUP_AUTHORIZATION_FAILED,
            errorMessage: null,
            groupId,
            groupState: '',
            groupEpoch: -1,
            assignmentEpoch: -1,
            assignorName: '',
            members: [],
            authorizedOperations: -0x80000000,
          },
    ),
  };
});
