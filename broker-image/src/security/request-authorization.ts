import { isIP } from 'node:net';
import type { RequestContext } from '../broker/api-handler.js';
import { AclOperation, CLUSTER_NAME, ResourceType } from './acl.js';
import { principalString } from './principal.js';

/**
 * What handlers ask the authorizer, for the request's principal and client host. Without an
 * authorizer every question is answered yes.
 */

/**
 * The client's address as Kafka's ACL hosts name it (Java's getHostAddress): without the port,
 * IPv4-mapped addresses as IPv4, IPv6 as eight hex groups without leading zeros (`0:0:0:0:0:0:0:1`).
 */
export function clientHost(remoteAddress: string): string {
  const withoutPort = remoteAddress.replace(/:\d+$/, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(withoutPort);
  if (mapped) return mapped[1]!;
  if (isIP(withoutPort) !== 6) return withoutPort;
  const [head = '', tail] = withoutPort.split('::');
  const groups = (part: string | undefined): string[] => (part ? part.split(':') : []);
  const left = groups(head);
  const right = groups(tail);
  const all =
    tail === undefined
      ? left
      : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return all.map((g) => parseInt(g, 16).toString(16)).join(':');
}

export function authorized(
  context: RequestContext,
  operation: number,
  resourceType: number,
  name: string,
): boolean {
  const authorizer = context.services.authorizer;
  if (!authorizer) return true;
  return authorizer.authorize(
    principalString(context.principal),
    clientHost(context.remoteAddress),
    operation,
    resourceType,
    name,
  );
}

export const authorizedTopic = (context: RequestContext, operation: number, topic: string): boolean =>
  authorized(context, operation, ResourceType.TOPIC, topic);

export const authorizedGroup = (context: RequestContext, operation: number, group: string): boolean =>
  authorized(context, operation, ResourceType.GROUP, group);

export const authorizedCluster = (context: RequestContext, operation: number): boolean =>
  authorized(context, operation, ResourceType.CLUSTER, CLUSTER_NAME);

export const authorizedTransactionalId = (context: RequestContext, operation: number, id: string): boolean =>
  authorized(context, operation, ResourceType.TRANSACTIONAL_ID, id);

/** Whether the principal may do `operation` on some resource of the type (Kafka's authorizeByResourceType). */
export function authorizedOnSome(context: RequestContext, operation: number, resourceType: number): boolean {
  const authorizer = context.services.authorizer;
  if (!authorizer) return true;
  return authorizer.authorizeByResourceType(
    principalString(context.principal),
    clientHost(context.remoteAddress),
    operation,
    resourceType,
  );
}

/**
 * The operations (as Kafka's bit set, bit n = operation code n) of `all` the principal may do on
 * a resource, as Metadata and DescribeCluster report when asked.
 */
export function authorizedOperations(
  context: RequestContext,
  resourceType: number,
  name: string,
  all: number,
): number {
  if (!context.services.authorizer) return all;
  let allowed = 0;
  for (let op = AclOperation.READ; op <= AclOperation.TWO_PHASE_COMMIT; op++) {
    if (all & (1 << op) && authorized(context, op, resourceType, name)) allowed |= 1 << op;
  }
  return allowed;
}
