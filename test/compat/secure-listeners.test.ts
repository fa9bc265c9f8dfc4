import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../broker-image/src/protocol/errors.js';
import { ApiVersions } from '../../broker-image/src/protocol/messages/api-versions.js';
import { Metadata } from '../../broker-image/src/protocol/messages/metadata.js';
import { SaslAuthenticate } from '../../broker-image/src/protocol/messages/sasl-authenticate.js';
import { SaslHandshake } from '../../broker-image/src/protocol/messages/sasl-handshake.js';
import { ScramClient } from '../../broker-image/src/security/scram.js';
import { BrokerProcess, runBrokerExpectingExit } from '../support/broker-process.js';
import { KAFKA_TOOLS, runKafkaTool } from '../support/kafka-jars.js';
import { RawClient } from '../support/raw-client.js';
import { consumeAssigned, produceAll } from '../support/rdkafka.js';
import { runCommand } from '../support/run-command.js';
import { createTestCertificates, type TestCertificates } from '../support/test-certificates.js';

/**
 * A broker with a SASL_SSL listener (SCRAM-SHA-256, SCRAM-SHA-512 and PLAIN), an SSL listener
 * requiring client certificates and a SASL_PLAINTEXT one (SCRAM-SHA-512, and PLAIN by opt-in),
 * used by real clients: kafkajs, kcat, node-rdkafka and Kafka's own Java tools.
 */
let certs: TestCertificates;
let broker: BrokerProcess;
const ports: Record<string, number> = {};

const SCRAM_MODULE = 'org.apache.kafka.common.security.scram.ScramLoginModule';
const ADMIN = { username: 'admin', password: 'admin-secret' };
const ALICE = { username: 'alice', password: 'alice-secret' };

function jaas(module: string, options: Record<string, string>): string {
  return `${module} required ${Object.entries(options)
    .map(([k, v]) => `${k}="${v}"`)
    .join(' ')};`;
}

beforeAll(async () => {
  certs = await createTestCertificates();
  const adminJaas = jaas(SCRAM_MODULE, { user_admin: ADMIN.password });
  broker = await BrokerProcess.start({
    properties: {
      listeners: 'SASL_SSL://127.0.0.1:0,SSL://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0',
      'inter.broker.listener.name': 'SASL_SSL',
      'ssl.keystore.type': 'PEM',
      'ssl.keystore.location': certs.broker.keystoreFile,
      'ssl.key.password': certs.brokerKeyPassword,
      'ssl.truststore.type': 'PEM',
      'ssl.truststore.location': certs.caFile,
      'listener.name.ssl.ssl.client.auth': 'required',
      'listener.name.sasl_ssl.sasl.enabled.mechanisms': 'SCRAM-SHA-256,SCRAM-SHA-512,PLAIN',
      'listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config': adminJaas,
      'listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config': adminJaas,
      'listener.name.sasl_plaintext.sasl.enabled.mechanisms': 'SCRAM-SHA-512,PLAIN',
      'listener.name.sasl_plaintext.sasl.plain.allow.unencrypted': 'true',
      'listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config': adminJaas,
      'connections.max.reauth.ms': 60_000,
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

const address = (listener: string): string => `localhost:${ports[listener]}`;

/** A client properties file for Kafka's tools. */
function clientProperties(name: string, properties: Record<string, string>): string {
  const file = join(certs.dir, `${name}.properties`);
  writeFileSync(
    file,
    Object.entries(properties)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n') + '\n',
  );
  return file;
}

function scramClientProperties(
  name: string,
  mechanism: string,
  user: { username: string; password: string },
): string {
  return clientProperties(name, {
    'security.protocol': 'SASL_SSL',
    'sasl.mechanism': mechanism,
    'sasl.jaas.config': jaas(SCRAM_MODULE, user),
    'ssl.truststore.type': 'PEM',
    'ssl.truststore.location': certs.caFile,
  });
}

async function tool(main: string, args: string[], input?: string): Promise<string> {
  const result = await runKafkaTool(main, args, { input, timeoutMs: 120_000 });
  if (result.code !== 0)
    throw new Error(`${main} ${args.join(' ')} exited ${result.code}\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

describe('SCRAM users with kafka-configs', () => {
  it('creates users over an authenticated listener and describes them', async () => {
    const admin = scramClientProperties('admin', 'SCRAM-SHA-512', ADMIN);
    const base = ['--bootstrap-server', address('SASL_SSL'), '--command-config', admin];
    const altered = await tool(KAFKA_TOOLS.configs, [
      ...base,
      '--alter',
      '--add-config',
      `SCRAM-SHA-512=[iterations=8192,password=${ALICE.password}],SCRAM-SHA-256=[password=${ALICE.password}]`,
      '--entity-type',
      'users',
      '--entity-name',
      'alice',
    ]);
    expect(altered).toMatch(/Completed updating config for user alice/);
    const described = await tool(KAFKA_TOOLS.configs, [...base, '--describe', '--entity-type', 'users']);
    expect(described).toMatch(
      /SCRAM credential configs for user-principal 'alice' are SCRAM-SHA-256=iterations=\d+, SCRAM-SHA-512=iterations=8192/,
    );
  }, 180_000);
});

describe('clients', () => {
  it('kafkajs produces and consumes with SCRAM-SHA-512 over TLS', async () => {
    const kafka = new Kafka({
      clientId: 'secure-kafkajs',
      brokers: [address('SASL_SSL')],
      ssl: { ca: [certs.ca] },
      sasl: { mechanism: 'scram-sha-512', ...ALICE },
      logLevel: logLevel.NOTHING,
    });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'kafkajs-secure', messages: [{ value: 'one' }, { value: 'two' }] });
    await producer.disconnect();
    const consumer = kafka.consumer({ groupId: 'kafkajs-secure-group' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'kafkajs-secure', fromBeginning: true });
    const values: string[] = [];
    await new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) => {
          values.push(message.value!.toString());
          if (values.length === 2) resolve();
        },
      });
    });
    await consumer.disconnect();
    expect(values).toEqual(['one', 'two']);
  }, 120_000);

  it('kafkajs is refused with a wrong password', async () => {
    const kafka = new Kafka({
      clientId: 'secure-kafkajs-wrong',
      brokers: [address('SASL_SSL')],
      ssl: { ca: [certs.ca] },
      sasl: { mechanism: 'scram-sha-512', username: 'alice', password: 'wrong' },
      retry: { retries: 0 },
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    await expect(admin.connect()).rejects.toThrow(
      /SASL SCRAM SHA512 authentication failed|SASL_AUTHENTICATION_FAILED/i,
    );
  });

  it('kcat produces and consumes with SASL_SSL and SCRAM-SHA-256', async () => {
    const sasl = [
      '-b',
      address('SASL_SSL'),
      '-X',
      'security.protocol=SASL_SSL',
      '-X',
      'sasl.mechanisms=SCRAM-SHA-256',
      '-X',
      `sasl.username=${ALICE.username}`,
      '-X',
      `sasl.password=${ALICE.password}`,
      '-X',
      `ssl.ca.location=${certs.caFile}`,
    ];
    const produced = await runCommand('kcat', [...sasl, '-P', '-t', 'kcat-secure', '-p', '0'], {
      input: 'a\nb\n',
      timeoutMs: 60_000,
    });
    expect(produced.code, produced.stderr).toBe(0);
    const consumed = await runCommand(
      'kcat',
      [...sasl, '-C', '-t', 'kcat-secure', '-p', '0', '-o', 'beginning', '-e', '-f', '%s\\n'],
      { timeoutMs: 60_000 },
    );
    expect(consumed.code, consumed.stderr).toBe(0);
    expect(consumed.stdout).toBe('a\nb\n');
  }, 120_000);

  it('kcat produces and consumes over SSL with a client certificate (mTLS)', async () => {
    const tls = [
      '-b',
      address('SSL'),
      '-X',
      'security.protocol=SSL',
      '-X',
      `ssl.ca.location=${certs.caFile}`,
      '-X',
      `ssl.certificate.location=${certs.alice.certFile}`,
      '-X',
      `ssl.key.location=${certs.alice.keyFile}`,
    ];
    const produced = await runCommand('kcat', [...tls, '-P', '-t', 'kcat-mtls', '-p', '0'], {
      input: 'x\ny\n',
      timeoutMs: 60_000,
    });
    expect(produced.code, produced.stderr).toBe(0);
    const consumed = await runCommand(
      'kcat',
      [...tls, '-C', '-t', 'kcat-mtls', '-p', '0', '-o', 'beginning', '-e', '-f', '%s\\n'],
      { timeoutMs: 60_000 },
    );
    expect(consumed.code, consumed.stderr).toBe(0);
    expect(consumed.stdout).toBe('x\ny\n');
  }, 120_000);

  it('an SSL client without a certificate, or with one from an untrusted CA, is refused', async () => {
    for (const extra of [
      [],
      [
        '-X',
        `ssl.certificate.location=${certs.stranger.certFile}`,
        '-X',
        `ssl.key.location=${certs.stranger.keyFile}`,
      ],
    ]) {
      const result = await runCommand(
        'kcat',
        [
          '-b',
          address('SSL'),
          '-X',
          'security.protocol=SSL',
          '-X',
          `ssl.ca.location=${certs.caFile}`,
          ...extra,
          '-L',
          '-m',
          '5',
        ],
        { timeoutMs: 60_000 },
      );
      expect(result.code).not.toBe(0);
    }
  }, 60_000);

  it('node-rdkafka produces and consumes with SASL_SSL and SCRAM-SHA-512', async () => {
    const config = {
      'metadata.broker.list': address('SASL_SSL'),
      'security.protocol': 'sasl_ssl' as const,
      'sasl.mechanisms': 'SCRAM-SHA-512',
      'sasl.username': ALICE.username,
      'sasl.password': ALICE.password,
      'ssl.ca.location': certs.caFile,
    };
    const deliveries = await produceAll(config, 'rdkafka-secure', ['r1', 'r2', 'r3'], 0);
    expect(deliveries).toHaveLength(3);
    const messages = await consumeAssigned(address('SASL_SSL'), 'rdkafka-secure', 0, 0, 3, {}, config);
    expect(messages.map((m) => String(m.value))).toEqual(['r1', 'r2', 'r3']);
  }, 120_000);

  it('the Java console producer and consumer use SCRAM, and mTLS', async () => {
    const scram = scramClientProperties('alice-scram', 'SCRAM-SHA-256', ALICE);
    await tool(
      KAFKA_TOOLS.consoleProducer,
      ['--bootstrap-server', address('SASL_SSL'), '--topic', 'java-secure', '--command-config', scram],
      'j1\nj2\n',
    );
    const mtls = clientProperties('alice-mtls', {
      'security.protocol': 'SSL',
      'ssl.truststore.type': 'PEM',
      'ssl.truststore.location': certs.caFile,
      'ssl.keystore.type': 'PEM',
      'ssl.keystore.location': certs.alice.keystoreFile,
    });
    await tool(
      KAFKA_TOOLS.consoleProducer,
      ['--bootstrap-server', address('SSL'), '--topic', 'java-secure', '--command-config', mtls],
      'j3\n',
    );
    for (const [listener, config] of [
      ['SASL_SSL', scram],
      ['SSL', mtls],
    ] as const) {
      const out = await tool(KAFKA_TOOLS.consoleConsumer, [
        '--bootstrap-server',
        address(listener),
        '--topic',
        'java-secure',
        '--from-beginning',
        '--max-messages',
        '3',
        '--timeout-ms',
        '60000',
        '--command-config',
        config,
      ]);
      expect(out.trim().split('\n').sort()).toEqual(['j1', 'j2', 'j3']);
    }
  }, 240_000);
});

/** SaslHandshake v1 + SaslAuthenticate for SCRAM-SHA-512 on a raw connection; the final response. */
async function scramLogin(client: RawClient, username: string, password: string) {
  const handshake = await client.request(SaslHandshake, 1, { mechanism: 'SCRAM-SHA-512' });
  expect(handshake.errorCode).toBe(ERROR_CODES.NONE);
  const scram = new ScramClient('SCRAM-SHA-512', username, password);
  const first = await client.request(SaslAuthenticate, 2, { authBytes: scram.first() });
  if (first.errorCode !== ERROR_CODES.NONE) return first;
  return client.request(SaslAuthenticate, 2, { authBytes: await scram.final(first.authBytes) });
}

describe('refusals on a SASL listener', () => {
  const sasl = (): number => ports.SASL_PLAINTEXT!;

  it('authenticates with SCRAM-SHA-512 and gives the session lifetime (connections.max.reauth.ms)', async () => {
    const client = await RawClient.connect(sasl());
    const versions = await client.request(ApiVersions, 3, {
      clientSoftwareName: 'raw',
      clientSoftwareVersion: '1',
    });
    expect(versions.errorCode).toBe(ERROR_CODES.NONE);
    const final = await scramLogin(client, ADMIN.username, ADMIN.password);
    expect(final.errorCode).toBe(ERROR_CODES.NONE);
    expect(final.sessionLifetimeMs).toBe(60_000);
    const metadata = await client.request(Metadata, 12, {
      topics: [],
      allowAutoTopicCreation: false,
      includeTopicAuthorizedOperations: false,
    });
    expect(metadata.brokers.length).toBe(1);
    client.destroy();
  });

  it.each([
    ['a wrong password', ADMIN.username, 'wrong'],
    ['an unknown user', 'nobody', 'whatever'],
  ])('refuses %s with SASL_AUTHENTICATION_FAILED and closes', async (_what, username, password) => {
    const client = await RawClient.connect(sasl());
    const final = await scramLogin(client, username, password);
    expect(final.errorCode).toBe(ERROR_CODES.SASL_AUTHENTICATION_FAILED);
    await client.expectClosed();
  });

  it('closes a connection that sends another request before authenticating', async () => {
    const client = await RawClient.connect(sasl());
    await client.send(Metadata, 12, {
      topics: [],
      allowAutoTopicCreation: false,
      includeTopicAuthorizedOperations: false,
    });
    await client.expectClosed();
  });

  it('refuses an unsupported mechanism with the enabled ones, then closes', async () => {
    const client = await RawClient.connect(sasl());
    const handshake = await client.request(SaslHandshake, 1, { mechanism: 'GSSAPI' });
    expect(handshake.errorCode).toBe(ERROR_CODES.UNSUPPORTED_SASL_MECHANISM);
    expect(handshake.mechanisms).toEqual(['SCRAM-SHA-512', 'PLAIN']);
    await client.expectClosed();
  });

  it('serves PLAIN against the SCRAM credentials, where enabled', async () => {
    const client = await RawClient.connect(sasl());
    expect((await client.request(SaslHandshake, 1, { mechanism: 'PLAIN' })).errorCode).toBe(ERROR_CODES.NONE);
    const ok = await client.request(SaslAuthenticate, 1, {
      authBytes: Buffer.from(`\0${ALICE.username}\0${ALICE.password}`),
    });
    expect(ok.errorCode).toBe(ERROR_CODES.NONE);
    client.destroy();
    const wrong = await RawClient.connect(sasl());
    await wrong.request(SaslHandshake, 1, { mechanism: 'PLAIN' });
    const refused = await wrong.request(SaslAuthenticate, 1, {
      authBytes: Buffer.from(`\0${ALICE.username}\0nope`),
    });
    expect(refused.errorCode).toBe(ERROR_CODES.SASL_AUTHENTICATION_FAILED);
    await wrong.expectClosed();
  });

  it('serves SaslHandshake v0 followed by raw SASL tokens', async () => {
    const client = await RawClient.connect(sasl());
    expect((await client.request(SaslHandshake, 0, { mechanism: 'SCRAM-SHA-512' })).errorCode).toBe(
      ERROR_CODES.NONE,
    );
    const scram = new ScramClient('SCRAM-SHA-512', ADMIN.username, ADMIN.password);
    const raw = async (token: Buffer): Promise<Buffer> => {
      const prefix = Buffer.alloc(4);
      prefix.writeInt32BE(token.length);
      await client.write(Buffer.concat([prefix, token]));
      return client.nextFrame();
    };
    const first = await raw(scram.first());
    scram.verify(await raw(await scram.final(first)));
    const metadata = await client.request(Metadata, 12, {
      topics: [],
      allowAutoTopicCreation: false,
      includeTopicAuthorizedOperations: false,
    });
    expect(metadata.brokers.length).toBe(1);
    client.destroy();
  });

  it('survives garbage and fuzzed SASL exchanges', async () => {
    let seed = 12345;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const bytes = (n: number): Buffer => Buffer.from(Array.from({ length: n }, () => random(256)));
    for (let round = 0; round < 60; round++) {
      const client = await RawClient.connect(sasl());
      const mechanism = ['SCRAM-SHA-512', 'PLAIN', 'x'][random(3)]!;
      const version = random(2);
      await client.send(SaslHandshake, version, { mechanism });
      const scram = new ScramClient('SCRAM-SHA-512', 'admin', 'x');
      const first = scram.first().toString();
      const tokens = [
        bytes(random(64)),
        Buffer.from(first.slice(0, random(first.length))),
        Buffer.from(first.replace('r=', 'r=,')),
        Buffer.from(`c=biws,r=x,p=${bytes(64).toString('base64')}`),
        Buffer.from('\0\0\0'),
      ];
      for (let i = 0; i < 3 && !client.isClosed; i++) {
        const token = tokens[random(tokens.length)]!;
        if (version === 0 || random(4) === 0) {
          const prefix = Buffer.alloc(4);
          prefix.writeInt32BE(token.length);
          await client.write(Buffer.concat([prefix, token])).catch(() => {});
        } else await client.send(SaslAuthenticate, random(3), { authBytes: token }).catch(() => {});
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
      client.destroy();
    }
    expect(broker.alive).toBe(true);
    const client = await RawClient.connect(sasl());
    expect((await scramLogin(client, ADMIN.username, ADMIN.password)).errorCode).toBe(ERROR_CODES.NONE);
    client.destroy();
  }, 60_000);
});

describe('misconfigured listeners', () => {
  it.each([
    ['an SSL listener without a key', 'listeners=SSL://127.0.0.1:0\n', 'ssl.keystore.key'],
    [
      'an SSL listener with a JKS keystore',
      'listeners=SSL://127.0.0.1:0\nssl.keystore.location=/x.jks\n',
      'ssl.keystore.type',
    ],
    [
      'a SASL listener with the default GSSAPI',
      'listeners=SASL_PLAINTEXT://127.0.0.1:0\n',
      'sasl.enabled.mechanisms',
    ],
    [
      'PLAIN over SASL_PLAINTEXT without the opt-in',
      'listeners=SASL_PLAINTEXT://127.0.0.1:0\nsasl.enabled.mechanisms=PLAIN\n',
      'sasl.enabled.mechanisms',
    ],
    [
      'client certificates required without a truststore',
      'listeners=SSL://127.0.0.1:0\nssl.client.auth=required\nssl.keystore.location=KEYSTORE\nssl.key.password=PASSWORD\n',
      'ssl.truststore.certificates',
    ],
  ])('refuses to start with %s, naming the setting', async (_what, text, setting) => {
    const properties = `node.id=1\nlog.dirs=${join(certs.dir, 'unused-logs')}\n${text}`
      .replace('KEYSTORE', certs.broker.keystoreFile)
      .replace('PASSWORD', certs.brokerKeyPassword);
    const result = await runBrokerExpectingExit(properties);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(setting);
  });
});
