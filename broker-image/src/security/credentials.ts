import { createHash, randomBytes } from 'node:crypto';
import type { MetadataStore } from '../cluster/metadata-store.js';
import type { ListenerSecurity } from '../config/listener-security.js';
import {
  SCRAM_MECHANISMS,
  constantTimeEqual,
  credentialFromPasswordSync,
  isScramMechanism,
  passwordMatches,
  type ScramCredential,
  type ScramMechanism,
} from './scram.js';

/**
 * The credentials SASL checks, for every listener: the users a listener's JAAS configs declare
 * (kept in memory, SCRAM ones salted at start-up) and, for SCRAM and PLAIN, the SCRAM credentials
 * of the metadata store (those kafka-configs creates). A declared user wins over a stored one.
 */
export class Credentials {
  /** Random per broker: keys the made-up credentials SCRAM answers unknown users with. */
  readonly decoyKey = randomBytes(32);

  private constructor(
    private readonly metadata: MetadataStore,
    /** By listener, then mechanism, then user. */
    private readonly declaredScram: ReadonlyMap<
      string,
      ReadonlyMap<ScramMechanism, ReadonlyMap<string, ScramCredential>>
    >,
    /** By listener, then user: PLAIN's declared passwords. */
    private readonly declaredPlain: ReadonlyMap<string, ReadonlyMap<string, string>>,
  ) {}

  static of(metadata: MetadataStore, listenerSecurity: ReadonlyMap<string, ListenerSecurity>): Credentials {
    const scram = new Map<string, Map<ScramMechanism, Map<string, ScramCredential>>>();
    const plain = new Map<string, ReadonlyMap<string, string>>();
    for (const [listener, security] of listenerSecurity) {
      if (!security.sasl) continue;
      const byMechanism = new Map<ScramMechanism, Map<string, ScramCredential>>();
      for (const [mechanism, users] of security.sasl.declaredUsers) {
        if (mechanism === 'PLAIN') {
          if (users.size > 0) plain.set(listener, users);
          continue;
        }
        if (!isScramMechanism(mechanism)) continue;
        const credentials = new Map<string, ScramCredential>();
        for (const [user, password] of users)
          credentials.set(user, credentialFromPasswordSync(mechanism, password));
        byMechanism.set(mechanism, credentials);
      }
      scram.set(listener, byMechanism);
    }
    return new Credentials(metadata, scram, plain);
  }

  /** A user's SCRAM credential on a listener, declared or stored. */
  scram(listener: string, mechanism: ScramMechanism, user: string): ScramCredential | undefined {
    return (
      this.declaredScram.get(listener)?.get(mechanism)?.get(user) ??
      this.metadata.scramCredential(mechanism, user)
    );
  }

  /**
   * Whether PLAIN's user and password are right on a listener: against the users its PLAIN JAAS
   * config declares when it declares some, else against the user's SCRAM credentials.
   */
  async plain(listener: string, user: string, password: string): Promise<boolean> {
    const declared = this.declaredPlain.get(listener);
    if (declared) {
      const expected = declared.get(user);
      const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();
      // Compared as digests, so the comparison takes the same time whatever the lengths.
      const matches = constantTimeEqual(digest(expected ?? ''), digest(password));
      return expected !== undefined && matches;
    }
    for (const mechanism of Object.keys(SCRAM_MECHANISMS) as ScramMechanism[]) {
      const credential = this.scram(listener, mechanism, user);
      if (credential) return passwordMatches(mechanism, credential, password);
    }
    return false;
  }
}
