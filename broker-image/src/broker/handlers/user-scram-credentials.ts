import { ERROR_CODES, KafkaError } from '../../protocol/errors.js';
import { AlterUserScramCredentials } from '../../protocol/messages/alter-user-scram-credentials.js';
import { DescribeUserScramCredentials } from '../../protocol/messages/describe-user-scram-credentials.js';
import type { ScramCredentialKey, UserScramCredential } from '../../cluster/metadata-store.js';
import {
  SCRAM_MAX_ITERATIONS,
  SCRAM_MECHANISMS,
  SCRAM_MIN_ITERATIONS,
  credentialFromSaltedPassword,
  scramMechanismOfCode,
} from '../../security/scram.js';
import { AclOperation } from '../../security/acl.js';
import { authorizedCluster } from '../../security/request-authorization.js';
import { defineHandler } from '../api-handler.js';

/** The users' SCRAM mechanisms and iterations (never salts or keys); all users when none is named. */
export const describeUserScramCredentialsHandler = defineHandler(
  DescribeUserScramCredentials,
  (request, context) => {
    const { services } = context;
    // As Kafka: describing credentials needs DESCRIBE on the cluster.
    if (!authorizedCluster(context, AclOperation.DESCRIBE)) {
      return {
        throttleTimeMs: 0,
        errorCode: ERROR_CODES.CLUSTER_AUTHORIZATION_FAILED,
        errorMessage: 'Cluster authorization failed.',
        results: [],
      };
    }
    const all = services.metadata.scramCredentials();
    const byUser = new Map<string, { mechanism: number; iterations: number }[]>();
    for (const { user, mechanism, credential } of all) {
      const infos = byUser.get(user) ?? [];
      infos.push({ mechanism: SCRAM_MECHANISMS[mechanism].code, iterations: credential.iterations });
      byUser.set(user, infos);
    }
    const infosOf = (user: string): { mechanism: number; iterations: number }[] =>
      (byUser.get(user) ?? []).sort((a, b) => a.mechanism - b.mechanism);
    const named = request.users ?? [];
    if (named.length === 0) {
      return {
        throttleTimeMs: 0,
        errorCode: ERROR_CODES.NONE,
        errorMessage: null,
        results: [...byUser.keys()].sort().map((user) => ({
          user,
          errorCode: ERROR_CODES.NONE,
          errorMessage: null,
          credentialInfos: infosOf(user),
        })),
      };
    }
    const counts = new Map<string, number>();
    for (const { name } of named) counts.set(name, (counts.get(name) ?? 0) + 1);
    return {
      throttleTimeMs: 0,
      errorCode: ERROR_CODES.NONE,
      errorMessage: null,
      results: [...counts].map(([user, count]) => {
        if (count > 1)
          return {
            user,
            errorCode: ERROR_CODES.DUPLICATE_RESOURCE,
            errorMessage: `Cannot describe SCRAM credentials for the same user twice in a single request: ${user}`,
            credentialInfos: [],
          };
        if (!byUser.has(user))
          return {
            user,
            errorCode: ERROR_CODES.RESOURCE_NOT_FOUND,
            errorMessage: `Attempt to describe a user credential that does not exist: ${user}`,
            credentialInfos: [],
          };
        return { user, errorCode: ERROR_CODES.NONE, errorMessage: null, credentialInfos: infosOf(user) };
      }),
    };
  },
);

interface UserResult {
  errorCode: number;
  errorMessage: string | null;
}

/**
 * Adds, replaces and removes SCRAM credentials. The client sends the salt and salted password
 * (kafka-configs computes them); only the salt, iterations, StoredKey and ServerKey are kept. As in
 * Kafka, each user's changes succeed or fail together, with one result per user.
 */
export const alterUserScramCredentialsHandler = defineHandler(
  AlterUserScramCredentials,
  async (request, context) => {
    const { services } = context;
    const failures = new Map<string, UserResult>();
    const fail = (user: string, code: keyof typeof ERROR_CODES, message: string): void => {
      if (!failures.has(user)) failures.set(user, { errorCode: ERROR_CODES[code], errorMessage: message });
    };
    const users: string[] = [];
    const seen = new Set<string>();
    const note = (user: string, mechanism: number): void => {
      if (!users.includes(user)) users.push(user);
      const key = `${mechanism}/${user}`;
      if (seen.has(key))
        fail(user, 'DUPLICATE_RESOURCE', 'A user credential cannot be altered twice in the same request');
      seen.add(key);
    };
    // As Kafka: changing credentials needs ALTER on the cluster; every user named fails without it.
    if (!authorizedCluster(context, AclOperation.ALTER)) {
      const named = [...request.deletions, ...request.upsertions].map((c) => c.name);
      return {
        throttleTimeMs: 0,
        results: [...new Set(named)].map((user) => ({
          user,
          errorCode: ERROR_CODES.CLUSTER_AUTHORIZATION_FAILED,
          errorMessage: 'Cluster authorization failed.',
        })),
      };
    }
    const deletions: ScramCredentialKey[] = [];
    for (const deletion of request.deletions) {
      note(deletion.name, deletion.mechanism);
      const mechanism = scramMechanismOfCode(deletion.mechanism);
      if (!deletion.name) fail(deletion.name, 'UNACCEPTABLE_CREDENTIAL', 'Username must not be empty');
      else if (!mechanism) fail(deletion.name, 'UNSUPPORTED_SASL_MECHANISM', 'Unknown SCRAM mechanism');
      else if (!services.metadata.scramCredential(mechanism, deletion.name))
        fail(deletion.name, 'RESOURCE_NOT_FOUND', 'Attempt to delete a user credential that does not exist');
      else deletions.push({ user: deletion.name, mechanism });
    }
    const upsertions: UserScramCredential[] = [];
    for (const upsertion of request.upsertions) {
      const user = upsertion.name;
      note(user, upsertion.mechanism);
      const mechanism = scramMechanismOfCode(upsertion.mechanism);
      if (!user) fail(user, 'UNACCEPTABLE_CREDENTIAL', 'Username must not be empty');
      else if (!mechanism) fail(user, 'UNSUPPORTED_SASL_MECHANISM', 'Unknown SCRAM mechanism');
      else if (upsertion.iterations < SCRAM_MIN_ITERATIONS)
        fail(user, 'UNACCEPTABLE_CREDENTIAL', `Too few iterations (the minimum is ${SCRAM_MIN_ITERATIONS})`);
      else if (upsertion.iterations > SCRAM_MAX_ITERATIONS)
        fail(user, 'UNACCEPTABLE_CREDENTIAL', `Too many iterations (the maximum is ${SCRAM_MAX_ITERATIONS})`);
      else if (
        upsertion.salt.length === 0 ||
        upsertion.saltedPassword.length !== SCRAM_MECHANISMS[mechanism].keyLength
      )
        fail(
          user,
          'UNACCEPTABLE_CREDENTIAL',
          'The salt or salted password is missing or of the wrong length',
        );
      else
        upsertions.push({
          user,
          mechanism,
          credential: credentialFromSaltedPassword(
            mechanism,
            upsertion.saltedPassword,
            upsertion.salt,
            upsertion.iterations,
          ),
        });
    }
    const ok = (c: ScramCredentialKey): boolean => !failures.has(c.user);
    const results = new Map<string, UserResult>();
    try {
      await services.metadata.alterScramCredentials(upsertions.filter(ok), deletions.filter(ok));
    } catch (error) {
      const code = error instanceof KafkaError ? error.errorCode : ERROR_CODES.UNKNOWN_SERVER_ERROR;
      for (const user of users)
        if (!failures.has(user))
          results.set(user, { errorCode: code, errorMessage: (error as Error).message });
    }
    return {
      throttleTimeMs: 0,
      results: users.map((user) => ({
        user,
        ...(failures.get(user) ?? results.get(user) ?? { errorCode: ERROR_CODES.NONE, errorMessage: null }),
      })),
    };
  },
);
