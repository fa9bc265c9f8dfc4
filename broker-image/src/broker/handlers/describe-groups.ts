import { DescribeGroups } from '../../protocol/messages/describe-groups.js';
import { ERROR_CODES } from '../../protocol/errors.js';
import { AclOperation, ResourceType } from '../../security/acl.js';
import { authorizedGroup, authorizedOperations } from '../../security/request-authorization.js';
import { defineHandler } from '../api-handler.js';
import { ALL_GROUP_OPERATIONS } from './authorized-operations.js';

/** DescribeGroups: each group needs DESCRIBE (else GROUP_AUTHORIZATION_FAILED for it). */
export const describeGroupsHandler = defineHandler(DescribeGroups, (request, context) => ({
  throttleTimeMs: 0,
  groups: request.groups.map((groupId) =>
    authorizedGroup(context, AclOperation.DESCRIBE, groupId)
      ? {
          ...context.services.groups.describeGroup(groupId),
          authorizedOperations: request.includeAuthorizedOperations
            ? authorizedOperations(context, ResourceType.GROUP, groupId, ALL_GROUP_OPERATIONS)
            : -0x80000000,
        }
      : {
          errorCode: ERROR_CODES.GROUP_AUTHORIZATION_FAILED,
          groupId,
          groupState: '',
          protocolType: '',
          protocolData: '',
          members: [],
        },
  ),
}));
