import { Heartbeat } from '../../protocol/messages/heartbeat.js';
import { ERROR_CODES } from '../../protocol/errors.js';
import { AclOperation } from '../../security/acl.js';
import { authorizedGroup } from '../../security/request-authorization.js';
import { defineHandler } from '../api-handler.js';

export const heartbeatHandler = defineHandler(Heartbeat, (request, context) => ({
  throttleTimeMs: 0,
  errorCode: authorizedGroup(context, AclOperation.READ, request.groupId)
    ? context.services.groups.heartbeat(
        request.groupId,
        request.generationId,
        request.memberId,
        request.groupInstanceId,
      )
    : ERROR_CODES.GROUP_AUTHORIZATION_FAILED,
}));
