import { DescribeGroups } from '../../protocol/messages/describe-groups.js';
import { defineHandler } from '../api-handler.js';
import { ALL_GROUP_OPERATIONS } from './authorized-operations.js';

export const describeGroupsHandler = defineHandler(DescribeGroups, (request, { services }) => ({
  throttleTimeMs: 0,
  groups: request.groups.map((groupId) => ({
    ...services.groups.describeGroup(groupId),
    authorizedOperations: request.includeAuthorizedOperations ? ALL_GROUP_OPERATIONS : -0x80000000,
  })),
}));
