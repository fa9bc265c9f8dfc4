import { ListGroups } from '../../protocol/messages/list-groups.js';
import { defineHandler } from '../api-handler.js';

export const listGroupsHandler = defineHandler(ListGroups, (request, { services }) => ({
  throttleTimeMs: 0,
  errorCode: 0,
  groups: services.groups.listGroups(request.statesFilter),
}));
