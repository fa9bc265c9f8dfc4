import { STATUS_CODES } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import { z } from 'zod';
import { ClusterError } from '../clusters/cluster-error.js';

/** An error answered as `application/problem+json` (RFC 9457), naming the field and the rule. */
export class ApiProblem extends Error {
  override readonly name = 'ApiProblem';

  constructor(
    readonly status: number,
    readonly title: string,
    detail: string,
    readonly errors: { field: string; rule: string }[] = [],
  ) {
    super(detail);
  }
}

const STATUS: Record<ClusterError['code'], [number, string]> = {
  'not-found': [404, 'Not Found'],
  invalid: [400, 'Bad Request'],
  conflict: [409, 'Conflict'],
  unavailable: [503, 'Service Unavailable'],
};

export function fromZod(error: z.ZodError, where: string): ApiProblem {
  const errors = error.issues.map((issue) => ({
    field: [where, ...issue.path.map(String)].filter(Boolean).join('.'),
    rule: issue.message,
  }));
  return new ApiProblem(400, 'Bad Request', errors.map((e) => `${e.field}: ${e.rule}`).join('; '), errors);
}

export function sendProblem(res: Response, problem: ApiProblem): void {
  res
    .status(problem.status)
    .type('application/problem+json')
    .json({
      type: 'about:blank',
      title: problem.title,
      status: problem.status,
      detail: problem.message,
      ...(problem.errors.length > 0 ? { errors: problem.errors } : {}),
    });
}

/** The last middleware: known errors become their problem; anything else a logged 500. */
export function problemHandler(log: (error: unknown) => void) {
  return (error: unknown, _req: Request, res: Response, _next: NextFunction): void => {
    if (error instanceof ApiProblem) return sendProblem(res, error);
    if (error instanceof ClusterError) {
      const [status, title] = STATUS[error.code];
      return sendProblem(
        res,
        new ApiProblem(status, title, error.message, [{ field: error.field, rule: error.rule }]),
      );
    }
    if (error instanceof SyntaxError && 'body' in error) {
      return sendProblem(
        res,
        new ApiProblem(400, 'Bad Request', 'the request body is not valid JSON', [
          { field: 'body', rule: 'must be JSON' },
        ]),
      );
    }
    const status = (error as { status?: unknown }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      // The body parser's refusals (too large, unsupported encoding): say what it said.
      const message = (error as Error).message;
      return sendProblem(
        res,
        new ApiProblem(status, STATUS_CODES[status] ?? 'Bad Request', message, [
          { field: 'body', rule: message },
        ]),
      );
    }
    log(error);
    sendProblem(
      res,
      new ApiProblem(500, 'Internal Server Error', 'the request failed; see the control plane log'),
    );
  };
}
