import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerProcess } from '../support/broker-process.js';
import { runCommand } from '../support/run-command.js';
import { createTestCertificates, type TestCertificates } from '../support/test-certificates.js';

/**
 * The principals connections act as, seen through the authorizer: a client certificate's subject
 * (`User:CN=alice,OU=clients,O=Strata`) on an SSL listener with ssl.client.auth=required, and the
 * SCRAM username (`User:admin`) on a SASL listener. Only those two are super users; anyone else
 * has no ACLs.
 */
let certs: TestCertificates;
let broker: BrokerProcess;
const ports: Record<string, number> = {};

beforeAll(async () => {
  certs = await createTestCertificates();
  broker = await BrokerProcess.start({
    properties: {
      listeners: 'SSL://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0',
      'inter.broker.listener.name': 'SSL',
      'ssl.keystore.location': certs.broker.keystoreFile,
      'ssl.key.password': certs.brokerKeyPassword,
      'ssl.truststore.location': certs.caFile,
      'ssl.client.auth': 'required',
      'sasl.enabled.mechanisms': 'SCRAM-SHA-512',
      'listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config':
        'org.apache.kafka.common.security.scram.ScramLoginModule required user_admin="admin-secret" user_carol="carol-secret";',
      'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
      'super.users': `User:${certs.alice.principalName};User:admin`,
    },
  });
  const started = broker.lines.find((l) => l.msg === 'broker started')!;
  for (const listener of started.listeners!) {
    const match = /^(\w+):\/\/.*:(\d+)$/.exec(listener)!;
    ports[match[1]!] = Number(match[2]);
  }
}, 120_000);

afterAll(async () => {
  await broker?.destroy();
  certs?.cleanup();
});

function tlsAs(who: 'alice' | 'bob'): string[] {
  return [
    '-b',
    `localhost:${ports.SSL}`,
    '-X',
    'security.protocol=SSL',
    '-X',
    `ssl.ca.location=${certs.caFile}`,
    '-X',
    `ssl.certificate.location=${certs[who].certFile}`,
    '-X',
    `ssl.key.location=${certs[who].keyFile}`,
  ];
}

function scramAs(username: string, password: string): string[] {
  return [
    '-b',
    `127.0.0.1:${ports.SASL_PLAINTEXT}`,
    '-X',
    'security.protocol=SASL_PLAINTEXT',
    '-X',
    'sasl.mechanisms=SCRAM-SHA-512',
    '-X',
    `sasl.username=${username}`,
    '-X',
    `sasl.password=${password}`,
  ];
}

const produce = (connection: string[], topic: string, input: string) =>
  runCommand('kcat', [...connection, '-P', '-t', topic, '-p', '0'], { input, timeoutMs: 60_000 });

describe('principals', () => {
  it("a client certificate acts as User:<its subject's DN>", async () => {
    const alice = await produce(tlsAs('alice'), 'by-cert', 'from alice\n');
    expect(alice.code, alice.stderr).toBe(0);
    const bob = await produce(tlsAs('bob'), 'by-cert', 'from bob\n');
    expect(bob.code).not.toBe(0);
    expect(bob.stderr).toMatch(/authoriz/i);
  }, 60_000);

  it('a SCRAM login acts as User:<username>', async () => {
    const admin = await produce(scramAs('admin', 'admin-secret'), 'by-scram', 'from admin\n');
    expect(admin.code, admin.stderr).toBe(0);
    const carol = await produce(scramAs('carol', 'carol-secret'), 'by-scram', 'from carol\n');
    expect(carol.code).not.toBe(0);
    expect(carol.stderr).toMatch(/authoriz/i);
  }, 60_000);
});
