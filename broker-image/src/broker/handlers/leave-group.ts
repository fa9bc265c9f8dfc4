import { LeaveGroup } from '../../protocol/messages/leave-group.js';
import { ERROR_CODES } from '../../protocol/errors.js';
import { AclOperation } from '../../security/acl.js';
import { authorizedGroup } from '../../security/request-authorization.js';
import { defineHandler } from '../api-handler.js';

/** LeaveGroup: one member up to v2, a batch of members (by id or instance id) from v3. */
export const leaveGroupHandler = defineHandler(LeaveGroup, (request, context) => {
  const { services, apiVersion } = context;
  if (!authorizedGroup(context, AclOperation.READ, request.groupId))
    return { throttleTimeMs: 0, errorCode: ERROR_CODES.GROUP_AUTHORIZATION_FAILED, members: [] };
  const leaving = apiVersion >= 3 ? request.members : [{ memberId: request.memberId, groupInstanceId: null }];
  const result = services.groups.leaveGroup(request.groupId, leaving);
  if (apiVersion >= 3) return { throttleTimeMs: 0, errorCode: result.errorCode, members: result.members };
  return { throttleTimeMs: 0, errorCode: result.errorCode || result.members[0]?.errorCode || 0 };
});
