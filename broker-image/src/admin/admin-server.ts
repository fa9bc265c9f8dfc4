import { createHash, timingSafeEqual } from 'node:crypto';
import {
  STATUS_CODES,
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { Socket } from 'node:net';
import type { BrokerMetrics } from './metrics.js';

export interface AdminSources {
  readonly metrics: BrokerMetrics;
  /** True once logs are loaded and the listeners accept requests. */
  isReady(): boolean;
  /** Capacity and usage of each data volume (what storage auto-expansion reads). */
  storage(): unknown;
  /** The bytes the logs take on the data volumes (a new capacity may not be below it). */
  usedBytes(): number;
  /**
   * Sets the data volume's capacity where it is a quota (`log.dirs.capacity.bytes`): a grown volume
   * takes effect at once, with no restart. Returns false when the capacity is the device's own.
   */
  setCapacity(bytes: number): boolean;
  /** The replica fetchers: which leader each follows, for which partitions, and how it fares. */
  replication(): unknown;
}

export interface AdminServerOptions {
  /**
   * The bearer token changes (PUT /storage/capacity) need (admin.listener.token.file); null refuses
   * every change. Reads (/healthz, /readyz, /metrics, /storage, /replication) need none.
   */
  readonly token: string | null;
}

/** The largest request headers the endpoint reads (bytes); larger ones are answered 431. */
export const ADMIN_MAX_HEADER_BYTES = 8 * 1024;
/** The largest request body the endpoint reads (bytes); a larger one is answered 413. */
export const ADMIN_MAX_BODY_BYTES = 4096;

/** An error answered as `application/problem+json` (RFC 9457), naming the field and the rule. */
class AdminProblem extends Error {
  constructor(
    readonly status: number,
    detail: string,
    readonly errors: { field: string; rule: string }[] = [],
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
  }

  get body(): string {
    return JSON.stringify({
      type: 'about:blank',
      title: STATUS_CODES[this.status] ?? 'Error',
      status: this.status,
      detail: this.message,
      ...(this.errors.length > 0 ? { errors: this.errors } : {}),
    });
  }
}

function sendProblem(res: ServerResponse, problem: AdminProblem): void {
  res.writeHead(problem.status, { 'content-type': 'application/problem+json', ...problem.headers });
  res.end(problem.body);
}

/**
 * A request Node's parser refused before it reached a handler: headers over the limit are a 431,
 * anything else a 400, each with a problem body (Node's own answer has none), then the connection
 * is closed.
 */
function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const problem =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? new AdminProblem(431, `the request headers are larger than ${ADMIN_MAX_HEADER_BYTES} bytes`, [
          { field: 'headers', rule: `must be at most ${ADMIN_MAX_HEADER_BYTES} bytes` },
        ])
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? new AdminProblem(408, 'the request did not arrive in time')
        : new AdminProblem(400, 'the request is not valid HTTP/1.1');
  const body = problem.body;
  socket.end(
    `HTTP/1.1 ${problem.status} ${STATUS_CODES[problem.status]}\r\n` +
      'content-type: application/problem+json\r\n' +
      `content-length: ${Buffer.byteLength(body)}\r\n` +
      'connection: close\r\n\r\n' +
      body,
  );
}

/** Whether an Authorization header carries `token`, compared in constant time. */
function carriesToken(header: string | undefined, token: string): boolean {
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  if (!match) return false;
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(match[1]!), digest(token));
}

/**
 * The broker's small HTTP endpoint: `/healthz` (the process is alive), `/readyz` (it serves
 * clients), `/metrics` (Prometheus text), `/storage` (data volume capacity and usage, JSON) and
 * `/replication`, open to read; and `PUT /storage/capacity`, which needs the bearer token.
 * Headers are bounded by {@link ADMIN_MAX_HEADER_BYTES}, bodies by {@link ADMIN_MAX_BODY_BYTES};
 * every refusal is a problem+json body.
 */
export class AdminServer {
  private server: Server | undefined;

  constructor(
    private readonly sources: AdminSources,
    private readonly options: AdminServerOptions = { token: null },
  ) {}

  async start(host: string, port: number): Promise<number> {
    const server = createServer({ maxHeaderSize: ADMIN_MAX_HEADER_BYTES }, (req, res) => {
      this.route(req, res).catch((error: unknown) => {
        if (res.headersSent) return void res.destroy();
        sendProblem(
          res,
          error instanceof AdminProblem
            ? error
            : new AdminProblem(500, `the request failed: ${String(error)}`),
        );
      });
    });
    server.on('clientError', answerClientError);
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: host || undefined, port }, () => resolve());
    });
    const address = server.address();
    return typeof address === 'object' && address ? address.port : port;
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/storage/capacity' && req.method === 'PUT') {
      this.authorize(req);
      const bytes = capacityBytes(await readBody(req));
      if (bytes === undefined) {
        throw new AdminProblem(400, 'bytes must be a positive integer', [
          { field: 'bytes', rule: 'must be a positive integer' },
        ]);
      }
      const used = this.sources.usedBytes();
      if (bytes < used) {
        throw new AdminProblem(
          409,
          `${bytes} bytes is below the ${used} bytes the logs use: the capacity is unchanged`,
          [{ field: 'bytes', rule: `must not be below the bytes the logs use (${used})` }],
        );
      }
      if (!this.sources.setCapacity(bytes)) {
        throw new AdminProblem(409, "the capacity is the device's own: grow the device", [
          { field: 'bytes', rule: "cannot be set where the capacity is the device's own" },
        ]);
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(this.sources.storage()));
      return;
    }
    if (req.method !== 'GET') {
      throw new AdminProblem(405, `${req.method} is not allowed on ${path}`, [], {
        allow: path === '/storage/capacity' ? 'PUT' : 'GET',
      });
    }
    switch (path) {
      case '/healthz':
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
        return;
      case '/readyz': {
        const ready = this.sources.isReady();
        res
          .writeHead(ready ? 200 : 503, { 'content-type': 'text/plain' })
          .end(ready ? 'ready\n' : 'not ready\n');
        return;
      }
      case '/metrics': {
        const body = await this.sources.metrics.registry.metrics();
        res.writeHead(200, { 'content-type': this.sources.metrics.registry.contentType }).end(body);
        return;
      }
      case '/storage':
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify(this.sources.storage()));
        return;
      case '/replication':
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify(this.sources.replication()));
        return;
      default:
        throw new AdminProblem(404, `no route for ${req.method} ${path}`);
    }
  }

  /** Refuses a change without the bearer token (401), or any change when none is configured (403). */
  private authorize(req: IncomingMessage): void {
    const token = this.options.token;
    if (token === null) {
      throw new AdminProblem(
        403,
        'changes are disabled on this broker: set admin.listener.token.file to a file holding a token',
        [{ field: 'admin.listener.token.file', rule: 'must be set for changes' }],
      );
    }
    const header = req.headers.authorization;
    if (!carriesToken(header, token)) {
      throw new AdminProblem(
        401,
        header ? 'the token is not valid' : 'a token is required: Authorization: Bearer <token>',
        [],
        { 'www-authenticate': header ? 'Bearer error="invalid_token"' : 'Bearer' },
      );
    }
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/**
 * The request body as text, up to {@link ADMIN_MAX_BODY_BYTES}: a larger one is a 413, refused
 * once the rest has been read and dropped, since closing while the client still sends would reset
 * the connection before it reads the answer.
 */
function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    const declared = Number(req.headers['content-length']);
    let tooLarge = Number.isFinite(declared) && declared > ADMIN_MAX_BODY_BYTES;
    req.on('data', (chunk: Buffer) => {
      if (tooLarge) return;
      length += chunk.length;
      if (length > ADMIN_MAX_BODY_BYTES) {
        tooLarge = true;
        chunks.length = 0;
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!tooLarge) return resolve(Buffer.concat(chunks).toString('utf8'));
      reject(
        new AdminProblem(413, `the request body is larger than ${ADMIN_MAX_BODY_BYTES} bytes`, [
          { field: 'body', rule: `must be at most ${ADMIN_MAX_BODY_BYTES} bytes` },
        ]),
      );
    });
    req.on('error', reject);
  });
}

/** The `bytes` of a `PUT /storage/capacity` body, or undefined unless it is JSON with a positive integer. */
function capacityBytes(body: string): number | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body || '{}');
  } catch {
    return undefined;
  }
  const bytes = Number((parsed as { bytes?: unknown } | null)?.bytes);
  return Number.isSafeInteger(bytes) && bytes > 0 ? bytes : undefined;
}
