import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { tempDir } from './temp-dir.js';

/** A certificate with its key, as PEM files and text. */
export interface IssuedCertificate {
  readonly certFile: string;
  readonly keyFile: string;
  /** The key followed by the certificate: a PEM keystore file as Kafka reads one. */
  readonly keystoreFile: string;
  readonly cert: string;
  readonly key: string;
  /** The subject as Kafka's principal builder names it (RFC 2253 order). */
  readonly principalName: string;
}

export interface TestCertificates {
  readonly dir: string;
  readonly caFile: string;
  readonly ca: string;
  /** For 127.0.0.1 and localhost; its key is PKCS#8 and encrypted with `brokerKeyPassword`. */
  readonly broker: IssuedCertificate;
  readonly brokerKeyPassword: string;
  /** Client certificates for mTLS: CN=alice,OU=clients,O=Strata and CN=bob,... */
  readonly alice: IssuedCertificate;
  readonly bob: IssuedCertificate;
  /** A client certificate from a CA the broker does not trust. */
  readonly stranger: IssuedCertificate;
  /** A PKCS12 keystore of alice's certificate and key, with `pkcs12Password`. */
  readonly aliceP12File: string;
  readonly pkcs12Password: string;
  cleanup(): void;
}

const execFileAsync = promisify(execFile);

async function openssl(args: string[]): Promise<void> {
  try {
    await execFileAsync('openssl', args, { timeout: 60_000 });
  } catch (error) {
    throw new Error(
      `openssl ${args.join(' ')} failed: ${(error as { stderr?: string }).stderr ?? String(error)}`,
      { cause: error },
    );
  }
}

/** Generates a CA and certificates signed by it with openssl (EC P-256 keys, one day of validity). */
export async function createTestCertificates(): Promise<TestCertificates> {
  const dir = tempDir('strata-certs-');
  const at = (name: string): string => join(dir.path, name);
  const brokerKeyPassword = 'broker-key-secret';
  const pkcs12Password = 'p12-secret';
  const ecKey = (file: string): Promise<void> =>
    openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', file]);

  async function makeCa(name: string): Promise<void> {
    await ecKey(at(`${name}.key`));
    await openssl([
      'req',
      '-x509',
      '-new',
      '-key',
      at(`${name}.key`),
      '-days',
      '2',
      '-subj',
      `/O=Strata Test/CN=${name}`,
      '-out',
      at(`${name}.crt`),
    ]);
  }
  await makeCa('ca');
  await makeCa('other-ca');

  async function issue(
    name: string,
    subject: string,
    principalName: string,
    ca: string,
    server: boolean,
  ): Promise<IssuedCertificate> {
    const keyFile = at(`${name}.key`);
    await ecKey(keyFile);
    await openssl(['req', '-new', '-key', keyFile, '-subj', subject, '-out', at(`${name}.csr`)]);
    const ext = at(`${name}.ext`);
    writeFileSync(
      ext,
      server
        ? 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n'
        : 'extendedKeyUsage=clientAuth\n',
    );
    await openssl([
      'x509',
      '-req',
      '-in',
      at(`${name}.csr`),
      '-CA',
      at(`${ca}.crt`),
      '-CAkey',
      at(`${ca}.key`),
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      ext,
      '-out',
      at(`${name}.crt`),
    ]);
    const cert = readFileSync(at(`${name}.crt`), 'utf8');
    const key = readFileSync(keyFile, 'utf8');
    const keystoreFile = at(`${name}.keystore.pem`);
    writeFileSync(keystoreFile, key + cert);
    return { certFile: at(`${name}.crt`), keyFile, keystoreFile, cert, key, principalName };
  }

  const plainBroker = await issue(
    'broker',
    '/O=Strata/OU=brokers/CN=localhost',
    'CN=localhost,OU=brokers,O=Strata',
    'ca',
    true,
  );
  // The broker's key as encrypted PKCS#8, as Kafka's PEM keystores take an encrypted key.
  const encryptedKeyFile = at('broker.encrypted.key');
  await openssl([
    'pkcs8',
    '-topk8',
    '-v2',
    'aes-256-cbc',
    '-in',
    plainBroker.keyFile,
    '-passout',
    `pass:${brokerKeyPassword}`,
    '-out',
    encryptedKeyFile,
  ]);
  const encryptedKey = readFileSync(encryptedKeyFile, 'utf8');
  const brokerKeystore = at('broker.keystore.pem');
  writeFileSync(brokerKeystore, encryptedKey + plainBroker.cert);
  const broker: IssuedCertificate = {
    ...plainBroker,
    key: encryptedKey,
    keyFile: encryptedKeyFile,
    keystoreFile: brokerKeystore,
  };

  const alice = await issue(
    'alice',
    '/O=Strata/OU=clients/CN=alice',
    'CN=alice,OU=clients,O=Strata',
    'ca',
    false,
  );
  const bob = await issue('bob', '/O=Strata/OU=clients/CN=bob', 'CN=bob,OU=clients,O=Strata', 'ca', false);
  const stranger = await issue(
    'stranger',
    '/O=Elsewhere/CN=stranger',
    'CN=stranger,O=Elsewhere',
    'other-ca',
    false,
  );
  const aliceP12File = at('alice.p12');
  await openssl([
    'pkcs12',
    '-export',
    '-in',
    alice.certFile,
    '-inkey',
    alice.keyFile,
    '-passout',
    `pass:${pkcs12Password}`,
    '-out',
    aliceP12File,
  ]);
  return {
    dir: dir.path,
    caFile: at('ca.crt'),
    ca: readFileSync(at('ca.crt'), 'utf8'),
    broker,
    brokerKeyPassword,
    alice,
    bob,
    stranger,
    aliceP12File,
    pkcs12Password,
    cleanup: dir.cleanup,
  };
}
