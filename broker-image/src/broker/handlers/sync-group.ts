import { SyncGroup } from '../../protocol/messages/sync-group.js';
import { ERROR_CODES } from '../../protocol/errors.js';
import { AclOperation } from '../../security/acl.js';
import { authorizedGroup } from '../../security/request-authorization.js';
import { defineHandler } from '../api-handler.js';

export const syncGroupHandler = defineHandler(SyncGroup, async (request, context) => {
  const { services } = context;
  if (!authorizedGroup(context, AclOperation.READ, request.groupId)) {
    return {
      throttleTimeMs: 0,
      errorCode: ERROR_CODES.GROUP_AUTHORIZATION_FAILED,
      protocolType: null,
      protocolName: null,
      assignment: Buffer.alloc(0),
    };
  }
  const result = await services.groups.syncGroup(request);
  return { throttleTimeMs: 0, ...result };
});
