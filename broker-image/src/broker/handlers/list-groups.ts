import { ListGroups } from '../../protocol/messages/list-groups.js';
import { AclOperation } from '../../security/acl.js';
import { authorizedCluster, authorizedGroup } from '../../security/request-authorization.js';
import { defineHandler } from '../api-handler.js';

/**
 * ListGroups: every group with DESCRIBE on the cluster, else those the principal may DESCRIBE; v5
 * filters by and reports the group type ("Classic" or "Consumer").
 */
export const listGroupsHandler = defineHandler(ListGroups, (request, context) => {
  const groups = context.services.groups.listGroups(request.statesFilter, request.typesFilter);
  const all = authorizedCluster(context, AclOperation.DESCRIBE);
  return {
    throttleTimeMs: 0,
    errorCode: 0,
    groups: all ? groups : groups.filter((g) => authorizedGroup(context, AclOperation.DESCRIBE, g.groupId)),
  };
});
