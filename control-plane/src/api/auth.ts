import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import type { Database } from '../db/database.js';
import { ApiProblem, sendProblem } from './problem.js';

/**
 * API keys are `strata_<id>_<secret>`: the id (16 hex characters) is not secret and finds the
 * key's row; the secret is 32 random bytes (256 bits) in base64url. The row keeps the id and a
 * salted scrypt hash of the whole key, never the key or any part of its secret. The operator's
 * STRATA_API_KEY, which may have any form, is kept the same way under the id `STRATA_API_KEY`.
 */
const KEY_FORMAT = /^strata_([0-9a-f]{16})_([A-Za-z0-9_-]{43,})$/;
export const CONFIGURED_KEY_ID = 'STRATA_API_KEY';

/** scrypt's cost: 2^14 iterations of 8-block rounds (16 MiB, some tens of ms per hash). */
const SCRYPT = { N: 16384, r: 8, p: 1, keyLength: 32, saltLength: 16 } as const;
const HASH_FORMAT = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9_-]+)\$([A-Za-z0-9_-]+)$/;

/** A new API key: shown once to whoever creates it; only its id and a hash of it are stored. */
export function newApiKey(): { id: string; key: string } {
  const id = randomBytes(8).toString('hex');
  return { id, key: `strata_${id}_${randomBytes(32).toString('base64url')}` };
}

/** The id a presented key names (undefined for a key not in the `strata_<id>_<secret>` form). */
export function keyIdOf(key: string): string | undefined {
  return KEY_FORMAT.exec(key)?.[1];
}

function scryptAsync(
  key: string,
  salt: Buffer,
  params: { N: number; r: number; p: number; keyLength: number },
): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(
      key,
      salt,
      params.keyLength,
      { N: params.N, r: params.r, p: params.p, maxmem: 256 * params.N * params.r },
      (error, derived) => (error ? reject(error) : resolve(derived)),
    ),
  );
}

/** `scrypt$N$r$p$<salt>$<hash>` (base64url) of a key, with a new random salt. */
export async function hashKey(key: string): Promise<string> {
  const salt = randomBytes(SCRYPT.saltLength);
  const derived = await scryptAsync(key, salt, SCRYPT);
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64url')}$${derived.toString('base64url')}`;
}

/** Whether `key` is the one `stored` is the hash of (compared in constant time). */
export async function verifyKey(key: string, stored: string): Promise<boolean> {
  const match = HASH_FORMAT.exec(stored);
  if (!match) return false;
  const expected = Buffer.from(match[5]!, 'base64url');
  const derived = await scryptAsync(key, Buffer.from(match[4]!, 'base64url'), {
    N: Number(match[1]),
    r: Number(match[2]),
    p: Number(match[3]),
    keyLength: expected.length,
  });
  return derived.length === expected.length && timingSafeEqual(derived, expected);
}

/** Whether a stored hash is one this version writes (older rows held an unsalted SHA-256). */
export function isCurrentHash(stored: string): boolean {
  return HASH_FORMAT.test(stored);
}

/**
 * Makes sure an admin key exists. Rows left by older versions (an unsalted SHA-256 beside the
 * key's first characters; the migration blanked both) cannot be re-hashed without the key, so
 * they are deleted here, each with a warning telling the operator to use a new key. Then
 * STRATA_API_KEY, if given, is stored (hashed) as the admin key, replacing a previous one; else,
 * when no key is left, a new key is made and returned so it can be printed once.
 */
export async function ensureAdminKey(
  db: Database,
  configured: string | undefined,
  logger?: Logger,
): Promise<string | undefined> {
  for (const stale of await db.apiKey.findMany()) {
    if (isCurrentHash(stale.hash)) continue;
    await db.apiKey.delete({ where: { id: stale.id } });
    logger?.warn(
      { keyId: stale.id, keyName: stale.name, createdAt: stale.createdAt },
      `API key "${stale.name}" was stored in a format that is no longer accepted and has been removed: ` +
        'set STRATA_API_KEY to a new key (e.g. openssl rand -hex 32), or start without it once to have one made',
    );
  }
  if (configured) {
    const existing = await db.apiKey.findUnique({ where: { id: CONFIGURED_KEY_ID } });
    if (existing && (await verifyKey(configured, existing.hash))) return undefined;
    const hash = await hashKey(configured);
    await db.apiKey.upsert({
      where: { id: CONFIGURED_KEY_ID },
      create: { id: CONFIGURED_KEY_ID, name: 'admin (STRATA_API_KEY)', hash, role: 'admin' },
      update: { hash },
    });
    return undefined;
  }
  if ((await db.apiKey.count()) > 0) return undefined;
  const { id, key } = newApiKey();
  await db.apiKey.create({ data: { id, name: 'admin', hash: await hashKey(key), role: 'admin' } });
  return key;
}

/**
 * Verified keys, by row and hash, each with a SHA-256 of the key that matched: scrypt runs once
 * per key and process, not on every request. Only memory holds it; a changed or deleted row no
 * longer matches.
 */
class VerifiedKeys {
  private readonly entries = new Map<string, Buffer>();

  constructor(private readonly max = 1000) {}

  private static digest(key: string): Buffer {
    return createHash('sha256').update(key).digest();
  }

  has(id: string, hash: string, key: string): boolean {
    const known = this.entries.get(`${id}\n${hash}`);
    return known !== undefined && timingSafeEqual(known, VerifiedKeys.digest(key));
  }

  add(id: string, hash: string, key: string): void {
    if (this.entries.size >= this.max) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(`${id}\n${hash}`, VerifiedKeys.digest(key));
  }
}

/** Whether a presented key is a known one: by its id, else as the operator's STRATA_API_KEY. */
async function authenticate(db: Database, verified: VerifiedKeys, key: string): Promise<boolean> {
  const ids = [keyIdOf(key), CONFIGURED_KEY_ID].filter((id): id is string => id !== undefined);
  for (const id of ids) {
    const row = await db.apiKey.findUnique({ where: { id } });
    if (!row) continue;
    if (verified.has(row.id, row.hash, key)) return true;
    if (await verifyKey(key, row.hash)) {
      verified.add(row.id, row.hash, key);
      return true;
    }
  }
  return false;
}

/** Every request needs `Authorization: Bearer <key>` with a known key. */
export function requireApiKey(db: Database) {
  const verified = new VerifiedKeys();
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const header = req.get('authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) {
      res.set('WWW-Authenticate', 'Bearer');
      return sendProblem(
        res,
        new ApiProblem(401, 'Unauthorized', 'an API key is required: Authorization: Bearer <key>'),
      );
    }
    // A key longer than any this control plane makes or accepts is not hashed at all.
    if (match[1]!.length > 512 || !(await authenticate(db, verified, match[1]!))) {
      res.set('WWW-Authenticate', 'Bearer error="invalid_token"');
      return sendProblem(res, new ApiProblem(401, 'Unauthorized', 'the API key is not valid'));
    }
    next();
  };
}
