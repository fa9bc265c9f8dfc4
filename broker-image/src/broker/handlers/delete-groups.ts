import { DeleteGroups } from '../../protocol/messages/delete-groups.js';
import { defineHandler } from '../api-handler.js';

export const deleteGroupsHandler = defineHandler(DeleteGroups, async (request, { services }) => {
  const results = [];
  for (const groupId of request.groupsNames)
    results.push({ groupId, errorCode: await services.groups.deleteGroup(groupId) });
  return { throttleTimeMs: 0, results };
});
