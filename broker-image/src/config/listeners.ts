import { ConfigError } from './config-error.js';

export interface Listener {
  /** The listener's name, e.g. PLAINTEXT. */
  readonly name: string;
  /** Host to bind; '' binds every interface. */
  readonly host: string;
  readonly port: number;
  readonly securityProtocol: string;
}

const SECURITY_PROTOCOLS = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'];

/** Parses `NAME://host:port,...` as Kafka's `listeners` and `advertised.listeners` are written. */
export function parseListeners(
  setting: string,
  text: string,
  protocolMap: ReadonlyMap<string, string>,
): Listener[] {
  const listeners = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((entry) => {
      const match = /^([A-Za-z0-9_]+):\/\/(\[[^\]]*\]|[^:/]*):(\d+)$/.exec(entry);
      if (!match) throw new ConfigError(setting, `"${entry}" is not of the form NAME://host:port`);
      const name = match[1]!.toUpperCase();
      const port = Number(match[3]);
      if (port > 65535) throw new ConfigError(setting, `port ${port} in "${entry}" is out of range`);
      const securityProtocol = protocolMap.get(name);
      if (!securityProtocol) {
        throw new ConfigError(setting, `listener ${name} has no entry in listener.security.protocol.map`);
      }
      return { name, host: match[2]!.replace(/^\[|\]$/g, ''), port, securityProtocol };
    });
  const names = new Set<string>();
  for (const l of listeners) {
    if (names.has(l.name)) throw new ConfigError(setting, `listener ${l.name} is listed twice`);
    names.add(l.name);
  }
  return listeners;
}

export function parseProtocolMap(entries: readonly string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const entry of entries) {
    const [name, protocol] = entry.split(':');
    if (!name || !protocol || !SECURITY_PROTOCOLS.includes(protocol.toUpperCase())) {
      throw new ConfigError(
        'listener.security.protocol.map',
        `"${entry}" is not NAME:PROTOCOL with a known protocol`,
      );
    }
    map.set(name.toUpperCase(), protocol.toUpperCase());
  }
  return map;
}
