import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MetadataStore } from '../../../broker-image/src/cluster/metadata-store.js';
import { brokerConfigFrom } from '../../../broker-image/src/config/broker-config.js';
import { ConfigError } from '../../../broker-image/src/config/config-error.js';
import type { SaslSettings } from '../../../broker-image/src/config/listener-security.js';
import { ERROR_CODES } from '../../../broker-image/src/protocol/errors.js';
import { Credentials } from '../../../broker-image/src/security/credentials.js';
import { parseJaasConfig } from '../../../broker-image/src/security/jaas.js';
import type { KafkaPrincipal } from '../../../broker-image/src/security/principal.js';
import { SaslAuthentication } from '../../../broker-image/src/security/sasl-authentication.js';
import { ScramClient, credentialFromPassword } from '../../../broker-image/src/security/scram.js';
import { createTestCertificates, type TestCertificates } from '../../support/test-certificates.js';

const noStore = { scramCredential: () => undefined } as unknown as MetadataStore;

describe('JAAS configs', () => {
  it('reads the options of a login module entry, quoted or not', () => {
    const config = parseJaasConfig(
      'org.apache.kafka.common.security.scram.ScramLoginModule required username="broker" password="a \\"quoted\\" secret" user_alice=plain;',
    )!;
    expect(config.loginModule).toBe('org.apache.kafka.common.security.scram.ScramLoginModule');
    expect(Object.fromEntries(config.options)).toEqual({
      username: 'broker',
      password: 'a "quoted" secret',
      user_alice: 'plain',
    });
    expect(parseJaasConfig('not a jaas entry')).toBeUndefined();
  });
});

describe('listener TLS settings', () => {
  let certs: TestCertificates;
  beforeAll(async () => (certs = await createTestCertificates()), 60_000);
  afterAll(() => certs?.cleanup());

  const base = (extra: Record<string, string>): Map<string, string> =>
    new Map(
      Object.entries({
        'node.id': '1',
        listeners: 'PLAINTEXT://:0,SECURE://:0',
        'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,SECURE:SSL',
        ...extra,
      }),
    );

  it('takes PEM text given inline, even with its line breaks lost, per listener', () => {
    const oneLine = (pem: string): string => pem.replace(/\n/g, '');
    const config = brokerConfigFrom(
      base({
        'listener.name.secure.ssl.keystore.type': 'PEM',
        'listener.name.secure.ssl.keystore.key': oneLine(certs.broker.key),
        'listener.name.secure.ssl.keystore.certificate.chain': oneLine(certs.broker.cert),
        'listener.name.secure.ssl.key.password': certs.brokerKeyPassword,
        'listener.name.secure.ssl.truststore.certificates': oneLine(certs.ca),
        'listener.name.secure.ssl.client.auth': 'requested',
        'ssl.enabled.protocols': 'TLSv1.3',
      }),
    );
    const tls = config.listenerSecurity.get('SECURE')!.tls!;
    expect(tls.key).toContain('-----BEGIN ENCRYPTED PRIVATE KEY-----\n');
    expect(tls.cert?.split('\n').every((line) => line.length <= 64)).toBe(true);
    expect(tls.ca).toHaveLength(1);
    expect(tls.clientAuth).toBe('requested');
    expect([tls.minVersion, tls.maxVersion]).toEqual(['TLSv1.3', 'TLSv1.3']);
    expect(config.listenerSecurity.get('PLAINTEXT')).toEqual({ tls: undefined, sasl: undefined });
  });

  it('names the missing setting: an encrypted key without ssl.key.password', () => {
    expect(() => brokerConfigFrom(base({ 'ssl.keystore.location': certs.broker.keystoreFile }))).toThrow(
      /ssl\.key\.password/,
    );
  });

  it('reads a PKCS12 keystore', () => {
    const config = brokerConfigFrom(
      base({ 'ssl.keystore.location': certs.aliceP12File, 'ssl.keystore.password': certs.pkcs12Password }),
    );
    expect(config.listenerSecurity.get('SECURE')!.tls!.pfx?.length).toBeGreaterThan(0);
  });

  it('refuses an unknown per-listener setting', () => {
    expect(() => brokerConfigFrom(base({ 'listener.name.secure.ssl.nonsense': 'x' }))).toThrow(ConfigError);
  });
});

describe('SASL sessions', () => {
  const settings = (maxReauthMs: number): SaslSettings => ({
    mechanisms: ['SCRAM-SHA-256', 'PLAIN'],
    declaredUsers: new Map([
      [
        'SCRAM-SHA-256',
        new Map([
          ['alice', 'alice-secret'],
          ['bob', 'bob-secret'],
        ]),
      ],
    ]),
    jaas: new Map(),
    maxReauthMs,
  });

  function session(maxReauthMs: number) {
    const clock = { now: 1_000 };
    const principals: KafkaPrincipal[] = [];
    const closed: string[] = [];
    const sasl = settings(maxReauthMs);
    const listenerSecurity = new Map([['SASL', { sasl }]]);
    const authentication = new SaslAuthentication(
      'SASL',
      sasl,
      Credentials.of(noStore, listenerSecurity),
      () => clock.now,
      (p) => principals.push(p),
      (reason) => closed.push(reason),
    );
    return { clock, principals, closed, authentication };
  }

  async function login(authentication: SaslAuthentication, user: string, password: string) {
    expect(authentication.handshake('SCRAM-SHA-256', 1).errorCode).toBe(ERROR_CODES.NONE);
    const client = new ScramClient('SCRAM-SHA-256', user, password);
    const first = await authentication.authenticate(client.first());
    if (!first.ok) return first;
    const final = await authentication.authenticate(await client.final(first.response));
    if (final.ok) client.verify(final.response);
    return final;
  }

  it('serves only ApiVersions and SaslHandshake before authenticating', () => {
    const { authentication } = session(0);
    expect(authentication.refusal(18)).toBeUndefined();
    expect(authentication.refusal(17)).toBeUndefined();
    expect(authentication.refusal(3)).toMatch(/before SASL authentication/);
    expect(authentication.refusal(36)).toMatch(/before SASL authentication/);
  });

  it('ends a session after connections.max.reauth.ms unless it re-authenticates as the same principal', async () => {
    const { clock, principals, authentication } = session(1_000);
    const final = await login(authentication, 'alice', 'alice-secret');
    expect(final).toMatchObject({ ok: true, sessionLifetimeMs: 1_000 });
    expect(principals).toEqual([{ principalType: 'User', name: 'alice' }]);
    expect(authentication.refusal(3)).toBeUndefined();
    clock.now += 1_000;
    expect(authentication.refusal(3)).toMatch(/expired/);
    // KIP-368: a new handshake and exchange renews it.
    expect((await login(authentication, 'alice', 'alice-secret')).ok).toBe(true);
    expect(authentication.refusal(3)).toBeUndefined();
    clock.now += 1_000;
    expect((await login(authentication, 'bob', 'bob-secret')).ok).toBe(false);
    expect(authentication.refusal(3)).toMatch(/failed/);
  });

  it('checks PLAIN against the SCRAM credentials when no PLAIN users are declared', async () => {
    const credential = await credentialFromPassword('SCRAM-SHA-512', 'stored-secret');
    const store = {
      scramCredential: (mechanism: string, user: string) =>
        mechanism === 'SCRAM-SHA-512' && user === 'stored' ? credential : undefined,
    } as unknown as MetadataStore;
    const credentials = Credentials.of(store, new Map());
    expect(await credentials.plain('SASL', 'stored', 'stored-secret')).toBe(true);
    expect(await credentials.plain('SASL', 'stored', 'wrong')).toBe(false);
    expect(await credentials.plain('SASL', 'nobody', 'stored-secret')).toBe(false);
  });
});
