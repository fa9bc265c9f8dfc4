import { Heartbeat } from '../../protocol/messages/heartbeat.js';
import { defineHandler } from '../api-handler.js';

export const heartbeatHandler = defineHandler(Heartbeat, (request, { services }) => ({
  throttleTimeMs: 0,
  errorCode: services.groups.heartbeat(
    request.groupId,
    request.generationId,
    request.memberId,
    request.groupInstanceId,
  ),
}));
