import { JoinGroup } from '../../protocol/messages/join-group.js';
import { ERROR_CODES } from '../../protocol/errors.js';
import { AclOperation } from '../../security/acl.js';
import { authorizedGroup } from '../../security/request-authorization.js';
import { defineHandler } from '../api-handler.js';

/** JoinGroup v4 introduced the MEMBER_ID_REQUIRED round trip for members without an id. */
const FIRST_VERSION_REQUIRING_MEMBER_ID = 4;

export const joinGroupHandler = defineHandler(JoinGroup, async (request, context) => {
  const { services, apiVersion, header, remoteAddress } = context;
  if (!authorizedGroup(context, AclOperation.READ, request.groupId)) {
    return {
      throttleTimeMs: 0,
      errorCode: ERROR_CODES.GROUP_AUTHORIZATION_FAILED,
      generationId: -1,
      protocolType: null,
      protocolName: apiVersion >= 7 ? null : '',
      leader: '',
      memberId: request.memberId,
      members: [],
    };
  }
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
});
