import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerCluster } from '../support/broker-cluster.js';
import { createTestCertificates, type TestCertificates } from '../support/test-certificates.js';
import { waitUntil } from '../support/wait-until.js';

/**
 * Three brokers whose only listener is SASL_SSL, also used between brokers: followers fetch
 * over TLS, authenticated with SCRAM-SHA-512 as the broker user of the listener's JAAS config.
 */
let certs: TestCertificates;
let cluster: BrokerCluster;

const SCRAM_MODULE = 'org.apache.kafka.common.security.scram.ScramLoginModule';

beforeAll(async () => {
  certs = await createTestCertificates();
  cluster = await BrokerCluster.start({
    properties: {
      listeners: 'SASL_SSL://127.0.0.1:0',
      'inter.broker.listener.name': 'SASL_SSL',
      'sasl.mechanism.inter.broker.protocol': 'SCRAM-SHA-512',
      'sasl.enabled.mechanisms': 'SCRAM-SHA-512',
      'listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config': `${SCRAM_MODULE} required username="broker" password="broker-secret" user_admin="admin-secret";`,
      'ssl.keystore.location': certs.broker.keystoreFile,
      'ssl.key.password': certs.brokerKeyPassword,
      'ssl.truststore.location': certs.caFile,
      'replica.lag.time.max.ms': 4000,
    },
  });
}, 180_000);

afterAll(async () => {
  await cluster?.destroy();
  certs?.cleanup();
});

describe('replication over a SASL_SSL inter-broker listener', () => {
  it('keeps every replica in sync while records are produced with acks=all', async () => {
    const kafka = new Kafka({
      clientId: 'secure-cluster',
      brokers: cluster.bootstrap.split(','),
      ssl: { ca: [certs.ca] },
      sasl: { mechanism: 'scram-sha-512', username: 'admin', password: 'admin-secret' },
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [{ topic: 'secure-rep', numPartitions: 3, replicationFactor: 3 }],
      waitForLeaders: true,
    });
    const producer = kafka.producer();
    await producer.connect();
    for (let i = 0; i < 5; i++) {
      await producer.send({
        topic: 'secure-rep',
        acks: -1,
        messages: Array.from({ length: 10 }, (_, j) => ({ value: `m-${i}-${j}` })),
      });
    }
    await producer.disconnect();
    // Past replica.lag.time.max.ms: a follower that could not fetch would have left the ISR.
    await new Promise((resolve) => setTimeout(resolve, 6000));
    const metadata = await admin.fetchTopicMetadata({ topics: ['secure-rep'] });
    for (const partition of metadata.topics[0]!.partitions) expect(partition.isr.sort()).toEqual([1, 2, 3]);
    await admin.disconnect();

    // Each follower fetched from its leaders without a failure.
    await waitUntil(
      async () => {
        for (const broker of cluster.brokers.values()) {
          const replication = (await (await fetch(`${broker.adminUrl}/replication`)).json()) as {
            fetchers: { fetches: number; lastFailure: string | null }[];
          };
          if (replication.fetchers.length === 0) return false;
          if (replication.fetchers.some((f) => f.fetches === 0 || f.lastFailure !== null)) return false;
        }
        return true;
      },
      'every follower fetching over SASL_SSL without failures',
      { timeoutMs: 30_000 },
    );
  }, 120_000);
});
