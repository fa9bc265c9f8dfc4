import { createHash, createHmac, pbkdf2, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const pbkdf2Async = promisify(pbkdf2);

/** The SCRAM mechanisms served, with their hash and the code Kafka's credential APIs give them. */
export const SCRAM_MECHANISMS = {
  'SCRAM-SHA-256': { hash: 'sha256', keyLength: 32, code: 1 },
  'SCRAM-SHA-512': { hash: 'sha512', keyLength: 64, code: 2 },
} as const;

export type ScramMechanism = keyof typeof SCRAM_MECHANISMS;

/** Kafka's bounds on a SCRAM credential's iterations. */
export const SCRAM_MIN_ITERATIONS = 4096;
export const SCRAM_MAX_ITERATIONS = 16384;

export function isScramMechanism(name: string): name is ScramMechanism {
  return name in SCRAM_MECHANISMS;
}

export function scramMechanismOfCode(code: number): ScramMechanism | undefined {
  return (Object.keys(SCRAM_MECHANISMS) as ScramMechanism[]).find((m) => SCRAM_MECHANISMS[m].code === code);
}

/**
 * What the broker keeps of a SCRAM password (RFC 5802): the salt, the iterations, StoredKey and
 * ServerKey. Neither the password nor the salted password can be recovered from it.
 */
export interface ScramCredential {
  readonly salt: Buffer;
  readonly iterations: number;
  readonly storedKey: Buffer;
  readonly serverKey: Buffer;
}

function hmac(mechanism: ScramMechanism, key: Buffer, data: string | Buffer): Buffer {
  return createHmac(SCRAM_MECHANISMS[mechanism].hash, key).update(data).digest();
}

function hash(mechanism: ScramMechanism, data: Buffer): Buffer {
  return createHash(SCRAM_MECHANISMS[mechanism].hash).update(data).digest();
}

/** The salted password: Hi(password, salt, iterations), PBKDF2 with the mechanism's HMAC. */
export async function saltedPassword(
  mechanism: ScramMechanism,
  password: string,
  salt: Buffer,
  iterations: number,
): Promise<Buffer> {
  const { hash: digest, keyLength } = SCRAM_MECHANISMS[mechanism];
  return pbkdf2Async(Buffer.from(password.normalize('NFKC'), 'utf8'), salt, iterations, keyLength, digest);
}

/** StoredKey and ServerKey of a salted password (what kafka-configs sends, computed client-side). */
export function credentialFromSaltedPassword(
  mechanism: ScramMechanism,
  salted: Buffer,
  salt: Buffer,
  iterations: number,
): ScramCredential {
  const clientKey = hmac(mechanism, salted, 'Client Key');
  return {
    salt: Buffer.from(salt),
    iterations,
    storedKey: hash(mechanism, clientKey),
    serverKey: hmac(mechanism, salted, 'Server Key'),
  };
}

export async function credentialFromPassword(
  mechanism: ScramMechanism,
  password: string,
  iterations = SCRAM_MIN_ITERATIONS,
  salt: Buffer = randomBytes(32),
): Promise<ScramCredential> {
  const salted = await saltedPassword(mechanism, password, salt, iterations);
  return credentialFromSaltedPassword(mechanism, salted, salt, iterations);
}

/** As credentialFromPassword, synchronously (for the few users a configuration declares, at start-up). */
export function credentialFromPasswordSync(
  mechanism: ScramMechanism,
  password: string,
  iterations = SCRAM_MIN_ITERATIONS,
  salt: Buffer = randomBytes(32),
): ScramCredential {
  const { hash: digest, keyLength } = SCRAM_MECHANISMS[mechanism];
  const salted = pbkdf2Sync(
    Buffer.from(password.normalize('NFKC'), 'utf8'),
    salt,
    iterations,
    keyLength,
    digest,
  );
  return credentialFromSaltedPassword(mechanism, salted, salt, iterations);
}

/** Whether `password` is the one `credential` was made from, compared in constant time. */
export async function passwordMatches(
  mechanism: ScramMechanism,
  credential: ScramCredential,
  password: string,
): Promise<boolean> {
  const candidate = credentialFromSaltedPassword(
    mechanism,
    await saltedPassword(mechanism, password, credential.salt, credential.iterations),
    credential.salt,
    credential.iterations,
  );
  return constantTimeEqual(candidate.storedKey, credential.storedKey);
}

export function constantTimeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

export class SaslFailure extends Error {
  override readonly name = 'SaslFailure';
}

/** RFC 5802's saslname: `=2C` and `=3D` stand for `,` and `=`; any other `=` is invalid. */
function decodeSaslName(text: string): string {
  if (/=(?!2C|3D)/.test(text)) throw new SaslFailure('invalid username encoding');
  return text.replace(/=2C/g, ',').replace(/=3D/g, '=');
}

export function encodeSaslName(name: string): string {
  return name.replace(/=/g, '=3D').replace(/,/g, '=2C');
}

/** `a=1,b=2` into its attributes; a value may contain `=`. */
function attributes(text: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const part of text.split(',')) {
    const at = part.indexOf('=');
    if (at !== 1) throw new SaslFailure(`invalid SCRAM attribute "${part.slice(0, 20)}"`);
    map.set(part[0]!, part.slice(2));
  }
  return map;
}

const PRINTABLE_NONCE = /^[\x21-\x2b\x2d-\x7e]+$/;

/** Looks up a user's credential for a mechanism; undefined when the user has none. */
export type ScramCredentialLookup = (mechanism: ScramMechanism, user: string) => ScramCredential | undefined;

/**
 * The server side of one SCRAM exchange (RFC 5802, RFC 7677): client-first → server-first,
 * client-final → server-final. An unknown user goes through the same steps with a made-up
 * credential and fails at the proof, as a wrong password does, so neither answer says which.
 */
export class ScramServer {
  private step: 'first' | 'final' | 'done' = 'first';
  private user = '';
  private credential: ScramCredential | undefined;
  private known = false;
  private gs2Header = '';
  private clientFirstBare = '';
  private serverFirst = '';
  private nonce = '';

  constructor(
    private readonly mechanism: ScramMechanism,
    private readonly lookup: ScramCredentialLookup,
    /** Key for the made-up credentials of unknown users (per broker, random). */
    private readonly decoyKey: Buffer,
  ) {}

  get username(): string {
    return this.user;
  }

  /** Answers one client message; the exchange is complete once `done` is true. */
  evaluate(token: Buffer): { response: Buffer; done: boolean } {
    const text = token.toString('utf8');
    if (this.step === 'first') return { response: Buffer.from(this.first(text), 'utf8'), done: false };
    if (this.step === 'final') return { response: Buffer.from(this.final(text), 'utf8'), done: true };
    throw new SaslFailure('the SCRAM exchange is already complete');
  }

  private first(text: string): string {
    // gs2-header: "n,," or "y,," (no channel binding), optionally with a=authzid.
    const match = /^([ny]),(a=[^,]*)?,(.*)$/s.exec(text);
    if (!match) throw new SaslFailure('invalid SCRAM client-first message');
    this.gs2Header = `${match[1]},${match[2] ?? ''},`;
    this.clientFirstBare = match[3]!;
    const attrs = attributes(this.clientFirstBare);
    const user = attrs.get('n');
    const clientNonce = attrs.get('r');
    if (user === undefined || user === '' || !clientNonce || !PRINTABLE_NONCE.test(clientNonce))
      throw new SaslFailure('invalid SCRAM client-first message');
    if (attrs.has('m')) throw new SaslFailure('SCRAM extensions are not supported');
    for (const key of attrs.keys()) {
      // Kafka's extensions (tokenauth for delegation tokens) are not served.
      if (key !== 'n' && key !== 'r') throw new SaslFailure(`unsupported SCRAM attribute ${key}`);
    }
    this.user = decodeSaslName(user);
    const authzid = match[2]?.slice(2);
    if (authzid && decodeSaslName(authzid) !== this.user)
      throw new SaslFailure('the authorization id must be the username');
    const found = this.lookup(this.mechanism, this.user);
    this.known = found !== undefined;
    this.credential = found ?? this.decoy();
    this.nonce = clientNonce + randomBytes(24).toString('base64url');
    this.serverFirst = `r=${this.nonce},s=${this.credential.salt.toString('base64')},i=${this.credential.iterations}`;
    this.step = 'final';
    return this.serverFirst;
  }

  private final(text: string): string {
    this.step = 'done';
    const proofAt = text.lastIndexOf(',p=');
    if (proofAt < 0) throw new SaslFailure('invalid SCRAM client-final message');
    const withoutProof = text.slice(0, proofAt);
    const attrs = attributes(withoutProof);
    const proof = Buffer.from(text.slice(proofAt + 3), 'base64');
    if (attrs.get('c') !== Buffer.from(this.gs2Header, 'utf8').toString('base64'))
      throw new SaslFailure('invalid SCRAM channel binding');
    // As Kafka checks it: the nonce must end with the server's (librdkafka repeats the client nonce before it).
    if (!attrs.get('r')?.endsWith(this.nonce)) throw new SaslFailure('invalid SCRAM nonce');
    const credential = this.credential!;
    const authMessage = `${this.clientFirstBare},${this.serverFirst},${withoutProof}`;
    const clientSignature = hmac(this.mechanism, credential.storedKey, authMessage);
    if (proof.length !== clientSignature.length) throw new SaslFailure('invalid credentials');
    const clientKey = Buffer.alloc(proof.length);
    for (let i = 0; i < proof.length; i++) clientKey[i] = proof[i]! ^ clientSignature[i]!;
    const matches = constantTimeEqual(hash(this.mechanism, clientKey), credential.storedKey);
    if (!matches || !this.known) throw new SaslFailure('invalid credentials');
    return `v=${hmac(this.mechanism, credential.serverKey, authMessage).toString('base64')}`;
  }

  /** A stable, made-up credential for a user that has none. */
  private decoy(): ScramCredential {
    const seed = createHmac('sha256', this.decoyKey).update(`${this.mechanism}\0${this.user}`).digest();
    const keyLength = SCRAM_MECHANISMS[this.mechanism].keyLength;
    return {
      salt: seed,
      iterations: SCRAM_MIN_ITERATIONS,
      storedKey: Buffer.alloc(keyLength),
      serverKey: Buffer.alloc(keyLength),
    };
  }
}

/** The client side of a SCRAM exchange, for broker-to-broker connections (and tests). */
export class ScramClient {
  private readonly clientNonce = randomBytes(24).toString('base64url');
  private clientFirstBare = '';
  private expectedServerSignature: Buffer | undefined;

  constructor(
    private readonly mechanism: ScramMechanism,
    private readonly username: string,
    private readonly password: string,
  ) {}

  first(): Buffer {
    this.clientFirstBare = `n=${encodeSaslName(this.username)},r=${this.clientNonce}`;
    return Buffer.from(`n,,${this.clientFirstBare}`, 'utf8');
  }

  async final(serverFirst: Buffer): Promise<Buffer> {
    const text = serverFirst.toString('utf8');
    const attrs = attributes(text);
    const nonce = attrs.get('r');
    const salt = Buffer.from(attrs.get('s') ?? '', 'base64');
    const iterations = Number(attrs.get('i'));
    if (!nonce?.startsWith(this.clientNonce) || !Number.isInteger(iterations) || iterations < 1)
      throw new SaslFailure('invalid SCRAM server-first message');
    const salted = await saltedPassword(this.mechanism, this.password, salt, iterations);
    const clientKey = hmac(this.mechanism, salted, 'Client Key');
    const storedKey = hash(this.mechanism, clientKey);
    const withoutProof = `c=${Buffer.from('n,,').toString('base64')},r=${nonce}`;
    const authMessage = `${this.clientFirstBare},${text},${withoutProof}`;
    const signature = hmac(this.mechanism, storedKey, authMessage);
    const proof = Buffer.alloc(clientKey.length);
    for (let i = 0; i < proof.length; i++) proof[i] = clientKey[i]! ^ signature[i]!;
    this.expectedServerSignature = hmac(
      this.mechanism,
      hmac(this.mechanism, salted, 'Server Key'),
      authMessage,
    );
    return Buffer.from(`${withoutProof},p=${proof.toString('base64')}`, 'utf8');
  }

  /** Checks the server-final message proves the server knows the credential. */
  verify(serverFinal: Buffer): void {
    const attrs = attributes(serverFinal.toString('utf8'));
    if (attrs.has('e')) throw new SaslFailure(`SCRAM authentication failed: ${attrs.get('e')}`);
    const signature = Buffer.from(attrs.get('v') ?? '', 'base64');
    if (!this.expectedServerSignature || !constantTimeEqual(signature, this.expectedServerSignature))
      throw new SaslFailure('the server signature does not match');
  }
}
