import { JoinGroup } from '../../protocol/messages/join-group.js';
import { defineHandler } from '../api-handler.js';

/** JoinGroup v4 introduced the MEMBER_ID_REQUIRED round trip for members without an id. */
const FIRST_VERSION_REQUIRING_MEMBER_ID = 4;

export const joinGroupHandler = defineHandler(
  JoinGroup,
  async (request, { services, apiVersion, header, remoteAddress }) => {
    const result = await services.groups.joinGroup({
      groupId: request.groupId,
      sessionTimeoutMs: request.sessionTimeoutMs,
      // v0 has no rebalance timeout: the session timeout served for both.
      rebalanceTimeoutMs: apiVersion === 0 ? request.sessionTimeoutMs : request.rebalanceTimeoutMs,
      memberId: request.memberId,
      groupInstanceId: request.groupInstanceId,
      protocolType: request.protocolType,
      protocols: request.protocols,
      clientId: header.clientId ?? '',
      clientHost: `/${remoteAddress.replace(/:\d+$/, '')}`,
      requireKnownMemberId: apiVersion >= FIRST_VERSION_REQUIRING_MEMBER_ID,
    });
    return {
      throttleTimeMs: 0,
      errorCode: result.errorCode,
      generationId: result.generationId,
      protocolType: result.protocolType,
      // Below v7 the protocol name is not nullable.
      protocolName: apiVersion >= 7 ? result.protocolName : (result.protocolName ?? ''),
      leader: result.leader,
      memberId: result.memberId,
      members: result.members,
    };
  },
);
