/**
 * Who a connection acts as, in Kafka's terms: a principal type and name, written `User:alice`.
 * A connection that has not authenticated (a PLAINTEXT listener, or SSL without a client
 * certificate) is `User:ANONYMOUS`, as in Kafka.
 */
export interface KafkaPrincipal {
  readonly principalType: string;
  readonly name: string;
}

export const ANONYMOUS: KafkaPrincipal = { principalType: 'User', name: 'ANONYMOUS' };

export function principalString(principal: KafkaPrincipal): string {
  return `${principal.principalType}:${principal.name}`;
}

/** Parses `Type:name` (as ACLs and `super.users` write principals); undefined if it is not one. */
export function parsePrincipal(text: string): KafkaPrincipal | undefined {
  const at = text.indexOf(':');
  if (at <= 0 || at === text.length - 1) return undefined;
  return { principalType: text.slice(0, at), name: text.slice(at + 1) };
}
