import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Database } from '../db/database.js';
import { ApiProblem, sendProblem } from './problem.js';

export function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** A new API key: shown once to whoever creates it; only its hash is stored. */
export function newApiKey(): string {
  return `strata_${randomBytes(24).toString('base64url')}`;
}

/**
 * Makes sure an admin key exists: STRATA_API_KEY if given (stored hashed), else — on the very
 * first start — a new key, returned so it can be printed once.
 */
export async function ensureAdminKey(
  db: Database,
  configured: string | undefined,
): Promise<string | undefined> {
  if (configured) {
    const hash = hashKey(configured);
    if (!(await db.apiKey.findUnique({ where: { hash } }))) {
      await db.apiKey.create({
        data: {
          id: randomUUID(),
          name: 'admin (STRATA_API_KEY)',
          hash,
          prefix: configured.slice(0, 12),
          role: 'admin',
        },
      });
    }
    return undefined;
  }
  if ((await db.apiKey.count()) > 0) return undefined;
  const key = newApiKey();
  await db.apiKey.create({
    data: { id: randomUUID(), name: 'admin', hash: hashKey(key), prefix: key.slice(0, 12), role: 'admin' },
  });
  return key;
}

/** Every request needs `Authorization: Bearer <key>` with a known key. */
export function requireApiKey(db: Database) {
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
    const key = await db.apiKey.findUnique({ where: { hash: hashKey(match[1]!) } });
    if (!key) {
      res.set('WWW-Authenticate', 'Bearer error="invalid_token"');
      return sendProblem(res, new ApiProblem(401, 'Unauthorized', 'the API key is not valid'));
    }
    next();
  };
}
