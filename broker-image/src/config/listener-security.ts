import { readFileSync } from 'node:fs';
import type { SecureVersion } from 'node:tls';
import { parseJaasConfig, jaasUsers, type JaasConfig } from '../security/jaas.js';
import { isCertificate, isPrivateKey, pemBlocks } from '../security/pem.js';
import { isScramMechanism } from '../security/scram.js';
import { BROKER_PROPERTIES, type BrokerPropertyName } from './broker-properties.js';
import { ConfigError } from './config-error.js';
import type { Listener } from './listeners.js';

/** The SASL mechanisms served. */
export const SASL_MECHANISMS = ['SCRAM-SHA-256', 'SCRAM-SHA-512', 'PLAIN'] as const;
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];

export type ClientAuth = 'none' | 'requested' | 'required';

/** A listener's TLS side, as Node's `tls` takes it. */
export interface TlsSettings {
  /** The private key and certificate chain (PEM), or a PKCS12 keystore. */
  readonly key?: string;
  readonly cert?: string;
  readonly pfx?: Buffer;
  readonly passphrase?: string;
  /** Trusted certificates (PEM); undefined: Node's default CAs. */
  readonly ca?: readonly string[];
  readonly clientAuth: ClientAuth;
  readonly minVersion: SecureVersion;
  readonly maxVersion: SecureVersion;
  readonly ciphers?: string;
  /** ssl.endpoint.identification.algorithm is https: a broker connecting here checks the host name. */
  readonly verifyHostname: boolean;
}

/** A listener's SASL side. */
export interface SaslSettings {
  readonly mechanisms: readonly SaslMechanism[];
  /** Users declared in the mechanism's JAAS config (`user_<name>="<password>"`, and its own username), by mechanism. */
  readonly declaredUsers: ReadonlyMap<SaslMechanism, ReadonlyMap<string, string>>;
  /** The mechanism's JAAS config, when given. */
  readonly jaas: ReadonlyMap<SaslMechanism, JaasConfig>;
  /** connections.max.reauth.ms: 0 means sessions do not expire. */
  readonly maxReauthMs: number;
}

export interface ListenerSecurity {
  readonly tls?: TlsSettings;
  readonly sasl?: SaslSettings;
}

/** The credentials a broker authenticates to its peers' inter-broker listener with. */
export interface InterBrokerSasl {
  readonly mechanism: SaslMechanism;
  readonly username: string;
  readonly password: string;
}

/**
 * Settings Kafka allows per listener as `listener.name.<listener>.<setting>`, and the
 * mechanism-specific `listener.name.<listener>.<mechanism>.sasl.jaas.config`.
 */
export const PER_LISTENER_SETTINGS: readonly BrokerPropertyName[] = [
  'ssl.keystore.type',
  'ssl.keystore.location',
  'ssl.keystore.password',
  'ssl.keystore.certificate.chain',
  'ssl.keystore.key',
  'ssl.key.password',
  'ssl.truststore.type',
  'ssl.truststore.location',
  'ssl.truststore.password',
  'ssl.truststore.certificates',
  'ssl.client.auth',
  'ssl.enabled.protocols',
  'ssl.protocol',
  'ssl.cipher.suites',
  'ssl.endpoint.identification.algorithm',
  'sasl.enabled.mechanisms',
  'connections.max.reauth.ms',
  'sasl.plain.allow.unencrypted',
];

/** Whether `name` is a per-listener setting Strata knows (listener.name.<l>.<setting>). */
export function isPerListenerSetting(name: string): boolean {
  const match = /^listener\.name\.([a-z0-9_]+)\.(.+)$/.exec(name);
  if (!match) return false;
  const rest = match[2]!;
  if ((PER_LISTENER_SETTINGS as readonly string[]).includes(rest)) return true;
  const jaas = /^([a-z0-9-]+)\.sasl\.jaas\.config$/.exec(rest);
  return jaas !== null && (SASL_MECHANISMS as readonly string[]).includes(jaas[1]!.toUpperCase());
}

const TLS_VERSIONS: readonly SecureVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

/** Reads one listener's settings: the listener-prefixed one, else the broker-wide one, else Kafka's default. */
class ListenerSettings {
  private readonly prefix: string;

  constructor(
    private readonly properties: ReadonlyMap<string, string>,
    listener: Listener,
  ) {
    this.prefix = `listener.name.${listener.name.toLowerCase()}.`;
  }

  /** The name the value was given under (for error messages), or the broker-wide name. */
  nameOf(name: string): string {
    return this.properties.has(this.prefix + name) ? this.prefix + name : name;
  }

  given(name: BrokerPropertyName): boolean {
    return this.properties.has(this.prefix + name) || this.properties.has(name);
  }

  get<T>(name: BrokerPropertyName): T {
    const definition = BROKER_PROPERTIES[name] as { parse: (n: string, t: string) => T; default?: string };
    const text = this.properties.get(this.prefix + name) ?? this.properties.get(name) ?? definition.default;
    if (text === undefined) return undefined as T;
    return definition.parse(this.nameOf(name), text);
  }

  jaas(mechanism: SaslMechanism): { name: string; text: string | undefined } {
    const name = `${this.prefix}${mechanism.toLowerCase()}.sasl.jaas.config`;
    return { name, text: this.properties.get(name) };
  }
}

function readSetting(setting: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new ConfigError(setting, `cannot read ${path}: ${(error as Error).message}`);
  }
}

function tlsSettings(s: ListenerSettings, listener: Listener): TlsSettings {
  const location = s.get<string | undefined>('ssl.keystore.location') || undefined;
  const chainText = s.get<string | undefined>('ssl.keystore.certificate.chain') || undefined;
  const keyText = s.get<string | undefined>('ssl.keystore.key') || undefined;
  const keyPassword = s.get<string | undefined>('ssl.key.password') || undefined;
  const storePassword = s.get<string | undefined>('ssl.keystore.password') || undefined;
  let type: string;
  if (s.given('ssl.keystore.type')) type = s.get<string>('ssl.keystore.type').toUpperCase();
  else if (chainText || keyText) type = 'PEM';
  else if (location && /\.(p12|pfx)$/i.test(location)) type = 'PKCS12';
  else if (location && /\.(pem|crt|key)$/i.test(location)) type = 'PEM';
  else type = s.get<string>('ssl.keystore.type').toUpperCase();

  const needs = `listener ${listener.name} (${listener.securityProtocol})`;
  let key: string | undefined;
  let cert: string | undefined;
  let pfx: Buffer | undefined;
  let passphrase: string | undefined;
  if (type === 'PEM') {
    if (location && (chainText || keyText)) {
      throw new ConfigError(
        s.nameOf('ssl.keystore.location'),
        'is given along with ssl.keystore.certificate.chain/ssl.keystore.key; give one or the other',
      );
    }
    const keyBlocks = location
      ? pemBlocks(readSetting(s.nameOf('ssl.keystore.location'), location).toString('utf8'))
      : pemBlocks(keyText ?? '');
    const chainBlocks = location ? keyBlocks : pemBlocks(chainText ?? '');
    const keys = keyBlocks.filter(isPrivateKey);
    const certs = chainBlocks.filter(isCertificate);
    if (!location && !keyText)
      throw new ConfigError(
        s.nameOf('ssl.keystore.key'),
        `is required for ${needs} (or ssl.keystore.location)`,
      );
    if (!location && !chainText)
      throw new ConfigError(
        s.nameOf('ssl.keystore.certificate.chain'),
        `is required for ${needs} (or ssl.keystore.location)`,
      );
    const keySetting = location ? s.nameOf('ssl.keystore.location') : s.nameOf('ssl.keystore.key');
    if (keys.length !== 1) throw new ConfigError(keySetting, 'must hold exactly one PEM private key');
    if (certs.length === 0)
      throw new ConfigError(
        location ? keySetting : s.nameOf('ssl.keystore.certificate.chain'),
        'holds no PEM certificate',
      );
    key = keys[0]!.text;
    cert = certs.map((b) => b.text).join('');
    if (key.includes('ENCRYPTED') && !keyPassword)
      throw new ConfigError(s.nameOf('ssl.key.password'), `is required: the key of ${needs} is encrypted`);
    passphrase = keyPassword;
  } else if (type === 'PKCS12') {
    if (!location) throw new ConfigError(s.nameOf('ssl.keystore.location'), `is required for ${needs}`);
    pfx = readSetting(s.nameOf('ssl.keystore.location'), location);
    passphrase = storePassword;
  } else {
    throw new ConfigError(
      s.nameOf('ssl.keystore.type'),
      `${type} keystores are not read; use PEM (ssl.keystore.certificate.chain and ssl.keystore.key, or ssl.keystore.location) or PKCS12`,
    );
  }

  const trustLocation = s.get<string | undefined>('ssl.truststore.location') || undefined;
  const trustText = s.get<string | undefined>('ssl.truststore.certificates') || undefined;
  let ca: string[] | undefined;
  if (trustLocation || trustText) {
    const trustType = s.given('ssl.truststore.type')
      ? s.get<string>('ssl.truststore.type').toUpperCase()
      : 'PEM';
    if (trustType !== 'PEM') {
      throw new ConfigError(
        s.nameOf('ssl.truststore.type'),
        `${trustType} truststores are not read; use PEM (ssl.truststore.certificates or ssl.truststore.location)`,
      );
    }
    const setting = trustLocation
      ? s.nameOf('ssl.truststore.location')
      : s.nameOf('ssl.truststore.certificates');
    const text = trustLocation ? readSetting(setting, trustLocation).toString('utf8') : trustText!;
    ca = pemBlocks(text)
      .filter(isCertificate)
      .map((b) => b.text);
    if (ca.length === 0) throw new ConfigError(setting, 'holds no PEM certificate');
  }
  const clientAuth = s.get<ClientAuth>('ssl.client.auth');
  if (clientAuth !== 'none' && !ca) {
    throw new ConfigError(
      s.nameOf('ssl.truststore.certificates'),
      `is required (or ssl.truststore.location) for ssl.client.auth=${clientAuth} on listener ${listener.name}: client certificates are checked against it`,
    );
  }
  const protocols = s.get<string[]>('ssl.enabled.protocols');
  const versions = protocols.map((p) => {
    const version = TLS_VERSIONS.find((v) => v.toLowerCase() === p.toLowerCase());
    if (!version)
      throw new ConfigError(
        s.nameOf('ssl.enabled.protocols'),
        `${p} is not a TLS version (TLSv1.2, TLSv1.3)`,
      );
    return TLS_VERSIONS.indexOf(version);
  });
  if (versions.length === 0)
    throw new ConfigError(s.nameOf('ssl.enabled.protocols'), `must name a TLS version for ${needs}`);
  const ciphers = s.get<string[] | undefined>('ssl.cipher.suites');
  return {
    key,
    cert,
    pfx,
    passphrase,
    ca,
    clientAuth,
    minVersion: TLS_VERSIONS[Math.min(...versions)]!,
    maxVersion: TLS_VERSIONS[Math.max(...versions)]!,
    ciphers: ciphers && ciphers.length > 0 ? ciphers.join(':') : undefined,
    verifyHostname: s.get<string>('ssl.endpoint.identification.algorithm').toLowerCase() === 'https',
  };
}

function saslSettings(s: ListenerSettings, listener: Listener): SaslSettings {
  const setting = s.nameOf('sasl.enabled.mechanisms');
  const names = s.get<string[]>('sasl.enabled.mechanisms').map((m) => m.toUpperCase());
  if (names.length === 0)
    throw new ConfigError(setting, `must name a mechanism for listener ${listener.name}`);
  const mechanisms: SaslMechanism[] = [];
  for (const name of names) {
    if (!(SASL_MECHANISMS as readonly string[]).includes(name)) {
      throw new ConfigError(
        setting,
        `${name} is not served (listener ${listener.name}); the mechanisms served are ${SASL_MECHANISMS.join(', ')}`,
      );
    }
    mechanisms.push(name as SaslMechanism);
  }
  if (
    mechanisms.includes('PLAIN') &&
    listener.securityProtocol === 'SASL_PLAINTEXT' &&
    !s.get<boolean>('sasl.plain.allow.unencrypted')
  ) {
    throw new ConfigError(
      setting,
      `PLAIN would send passwords unencrypted on listener ${listener.name} (SASL_PLAINTEXT); use SASL_SSL, or set sasl.plain.allow.unencrypted=true`,
    );
  }
  const jaas = new Map<SaslMechanism, JaasConfig>();
  const declaredUsers = new Map<SaslMechanism, Map<string, string>>();
  for (const mechanism of mechanisms) {
    const { name, text } = s.jaas(mechanism);
    if (text === undefined) continue;
    const config = parseJaasConfig(text);
    if (!config) throw new ConfigError(name, 'is not a JAAS entry: <LoginModule> required key="value" ...;');
    jaas.set(mechanism, config);
    const users = jaasUsers(config);
    const username = config.options.get('username');
    const password = config.options.get('password');
    // The broker's own credentials (those it uses towards its peers) are a user of the listener too.
    if (username && password !== undefined && isScramMechanism(mechanism) && !users.has(username))
      users.set(username, password);
    declaredUsers.set(mechanism, users);
  }
  return { mechanisms, declaredUsers, jaas, maxReauthMs: s.get<number>('connections.max.reauth.ms') };
}

/** The security of every listener, by name; a listener whose protocol lacks a setting it needs throws, naming it. */
export function listenerSecurityOf(
  properties: ReadonlyMap<string, string>,
  listeners: readonly Listener[],
): Map<string, ListenerSecurity> {
  const result = new Map<string, ListenerSecurity>();
  for (const listener of listeners) {
    const s = new ListenerSettings(properties, listener);
    const protocol = listener.securityProtocol;
    result.set(listener.name, {
      tls: protocol === 'SSL' || protocol === 'SASL_SSL' ? tlsSettings(s, listener) : undefined,
      sasl: protocol === 'SASL_PLAINTEXT' || protocol === 'SASL_SSL' ? saslSettings(s, listener) : undefined,
    });
  }
  return result;
}

/**
 * The credentials for the inter-broker listener when it is a SASL one: the mechanism of
 * sasl.mechanism.inter.broker.protocol, and the username and password of that mechanism's
 * `listener.name.<listener>.<mechanism>.sasl.jaas.config`.
 */
export function interBrokerSaslOf(
  properties: ReadonlyMap<string, string>,
  listener: Listener,
  security: ListenerSecurity,
): InterBrokerSasl | undefined {
  if (!security.sasl) return undefined;
  const setting = 'sasl.mechanism.inter.broker.protocol';
  const mechanism = (properties.get(setting) ?? (BROKER_PROPERTIES[setting].default as string))
    .trim()
    .toUpperCase() as SaslMechanism;
  if (!security.sasl.mechanisms.includes(mechanism)) {
    throw new ConfigError(
      setting,
      `${mechanism} is not among the mechanisms of the inter-broker listener ${listener.name} (${security.sasl.mechanisms.join(', ')})`,
    );
  }
  const name = `listener.name.${listener.name.toLowerCase()}.${mechanism.toLowerCase()}.sasl.jaas.config`;
  const jaas = security.sasl.jaas.get(mechanism);
  const username = jaas?.options.get('username');
  const password = jaas?.options.get('password');
  if (!username || password === undefined) {
    throw new ConfigError(
      name,
      'must give the username and password this broker authenticates to its peers with',
    );
  }
  return { mechanism, username, password };
}
