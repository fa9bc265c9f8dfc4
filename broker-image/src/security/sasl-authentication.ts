import type { SaslMechanism, SaslSettings } from '../config/listener-security.js';
import { ERROR_CODES } from '../protocol/errors.js';
import type { Credentials } from './credentials.js';
import type { KafkaPrincipal } from './principal.js';
import { SaslFailure, ScramServer, isScramMechanism } from './scram.js';

const API_VERSIONS = 18;
const SASL_HANDSHAKE = 17;
const SASL_AUTHENTICATE = 36;

/** One step of a mechanism's exchange: the bytes to answer, and the principal once complete. */
interface MechanismServer {
  evaluate(token: Buffer): Promise<{ response: Buffer; principal?: KafkaPrincipal }>;
}

class ScramMechanismServer implements MechanismServer {
  constructor(private readonly scram: ScramServer) {}

  async evaluate(token: Buffer): Promise<{ response: Buffer; principal?: KafkaPrincipal }> {
    const { response, done } = this.scram.evaluate(token);
    return done
      ? { response, principal: { principalType: 'User', name: this.scram.username } }
      : { response };
  }
}

/** PLAIN (RFC 4616): one message, `authzid NUL authcid NUL password`. */
class PlainMechanismServer implements MechanismServer {
  private used = false;

  constructor(private readonly check: (user: string, password: string) => Promise<boolean>) {}

  async evaluate(token: Buffer): Promise<{ response: Buffer; principal?: KafkaPrincipal }> {
    if (this.used) throw new SaslFailure('the PLAIN exchange is already complete');
    this.used = true;
    const parts = token.toString('utf8').split('\0');
    if (parts.length !== 3) throw new SaslFailure('invalid PLAIN message');
    const [authzid, user, password] = parts as [string, string, string];
    if (!user) throw new SaslFailure('invalid PLAIN message: no username');
    if (authzid && authzid !== user) throw new SaslFailure('the authorization id must be the username');
    if (!(await this.check(user, password))) throw new SaslFailure('invalid credentials');
    return { response: Buffer.alloc(0), principal: { principalType: 'User', name: user } };
  }
}

export type AuthenticateResult =
  | { readonly ok: true; readonly response: Buffer; readonly sessionLifetimeMs: number }
  | { readonly ok: false; readonly message: string };

/**
 * The SASL state of one connection on a SASL listener, as Kafka's server authenticator keeps it:
 * before authenticating only ApiVersions, SaslHandshake and SaslAuthenticate are served;
 * SaslHandshake v0 is followed by raw SASL tokens instead of SaslAuthenticate requests; with
 * connections.max.reauth.ms the session ends that long after authenticating, and a request other
 * than a new SaslHandshake (KIP-368 re-authentication) after that closes the connection.
 */
export class SaslAuthentication {
  private state: 'initial' | 'handshaken' | 'authenticated' | 'failed' = 'initial';
  private server: MechanismServer | undefined;
  private mechanism: SaslMechanism | undefined;
  /** SaslHandshake v0: the tokens that follow come without SaslAuthenticate framing. */
  private rawTokens = false;
  private expiresAt: number | undefined;
  private principal: KafkaPrincipal | undefined;
  private everAuthenticated = false;

  constructor(
    private readonly listener: string,
    private readonly settings: SaslSettings,
    private readonly credentials: Credentials,
    private readonly now: () => number,
    private readonly onAuthenticated: (principal: KafkaPrincipal) => void,
    /** Closes the connection (with a log line giving the reason). */
    readonly closeConnection: (reason: string) => void,
  ) {}

  get expectsRawToken(): boolean {
    return this.rawTokens && this.state === 'handshaken';
  }

  /** Why a request of `apiKey` may not be served now (the connection is then closed); undefined: it may. */
  refusal(apiKey: number): string | undefined {
    switch (this.state) {
      case 'failed':
        return 'authentication failed';
      case 'initial':
        if (apiKey === SASL_HANDSHAKE || (apiKey === API_VERSIONS && !this.everAuthenticated))
          return undefined;
        return `API key ${apiKey} before SASL authentication`;
      case 'handshaken':
        return apiKey === SASL_AUTHENTICATE ? undefined : `API key ${apiKey} during SASL authentication`;
      case 'authenticated':
        if (apiKey === SASL_HANDSHAKE) return undefined;
        if (this.expiresAt !== undefined && this.now() >= this.expiresAt)
          return 'the SASL session expired without re-authentication (connections.max.reauth.ms)';
        return apiKey === SASL_AUTHENTICATE ? 'SaslAuthenticate without a SaslHandshake' : undefined;
    }
  }

  handshake(mechanism: string, version: number): { errorCode: number; mechanisms: string[] } {
    const mechanisms = [...this.settings.mechanisms];
    if (this.state === 'handshaken' || this.state === 'failed')
      return { errorCode: ERROR_CODES.ILLEGAL_SASL_STATE, mechanisms };
    const wanted = mechanisms.find((m) => m === mechanism);
    // Re-authentication keeps the mechanism (KIP-368).
    if (!wanted || (this.everAuthenticated && wanted !== this.mechanism)) {
      this.state = 'failed';
      return { errorCode: ERROR_CODES.UNSUPPORTED_SASL_MECHANISM, mechanisms };
    }
    if (this.everAuthenticated && version === 0) {
      this.state = 'failed';
      return { errorCode: ERROR_CODES.ILLEGAL_SASL_STATE, mechanisms };
    }
    this.mechanism = wanted;
    this.server = isScramMechanism(wanted)
      ? new ScramMechanismServer(
          new ScramServer(
            wanted,
            (m, user) => this.credentials.scram(this.listener, m, user),
            this.credentials.decoyKey,
          ),
        )
      : new PlainMechanismServer((user, password) => this.credentials.plain(this.listener, user, password));
    this.rawTokens = version === 0;
    this.state = 'handshaken';
    return { errorCode: ERROR_CODES.NONE, mechanisms };
  }

  /** Answers one SASL token; a failure leaves the connection to be closed once answered. */
  async authenticate(token: Buffer): Promise<AuthenticateResult> {
    if (this.state !== 'handshaken' || !this.server) {
      this.state = 'failed';
      return { ok: false, message: 'SaslAuthenticate before a SaslHandshake' };
    }
    try {
      const { response, principal } = await this.server.evaluate(token);
      if (!principal) return { ok: true, response, sessionLifetimeMs: 0 };
      if (
        this.principal &&
        (principal.name !== this.principal.name || principal.principalType !== this.principal.principalType)
      )
        throw new SaslFailure('re-authentication must keep the principal');
      this.state = 'authenticated';
      this.everAuthenticated = true;
      this.principal = principal;
      this.server = undefined;
      const lifetime = this.settings.maxReauthMs;
      this.expiresAt = lifetime > 0 ? this.now() + lifetime : undefined;
      this.onAuthenticated(principal);
      return { ok: true, response, sessionLifetimeMs: lifetime };
    } catch (error) {
      this.state = 'failed';
      const reason = error instanceof SaslFailure ? error.message : 'invalid SASL message';
      return {
        ok: false,
        message: `Authentication failed during authentication due to invalid credentials with SASL mechanism ${this.mechanism} (${reason})`,
      };
    }
  }
}
