import type { Request } from 'express';
import type { z } from 'zod';
import { fromZod } from './problem.js';

/** Parses the body with its schema; the parsed value (defaults filled) is what handlers use. */
export function body<S extends z.ZodType>(schema: S, req: Request): z.infer<S> {
  const parsed = schema.safeParse(req.body ?? {});
  if (!parsed.success) throw fromZod(parsed.error, 'body');
  return parsed.data;
}

export function query<S extends z.ZodType>(schema: S, req: Request): z.infer<S> {
  const parsed = schema.safeParse(req.query);
  if (!parsed.success) throw fromZod(parsed.error, 'query');
  return parsed.data;
}
