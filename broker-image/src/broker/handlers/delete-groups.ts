import { DeleteGroups } from '../../protocol/messages/delete-groups.js';
import { ERROR_CODES } from '../../protocol/errors.js';
import { AclOperation } from '../../security/acl.js';
import { authorizedGroup } from '../../security/request-authorization.js';
import { defineHandler } from '../api-handler.js';

/** DeleteGroups: each group needs DELETE (else GROUP_AUTHORIZATION_FAILED for it). */
export const deleteGroupsHandler = defineHandler(DeleteGroups, async (request, context) => {
  const results = [];
  for (const groupId of request.groupsNames)
    results.push({
      groupId,
      errorCode: authorizedGroup(context, AclOperation.DELETE, groupId)
        ? await context.services.groups.deleteGroup(groupId)
        : ERROR_CODES.GROUP_AUTHORIZATION_FAILED,
    });
  return { throttleTimeMs: 0, results };
});
