import { SyncGroup } from '../../protocol/messages/sync-group.js';
import { defineHandler } from '../api-handler.js';

export const syncGroupHandler = defineHandler(SyncGroup, async (request, { services }) => {
  const result = await services.groups.syncGroup(request);
  return { throttleTimeMs: 0, ...result };
});
