import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { BrokerMetrics } from './metrics.js';

export interface AdminSources {
  readonly metrics: BrokerMetrics;
  /** True once logs are loaded and the listeners accept requests. */
  isReady(): boolean;
  /** Capacity and usage of each data volume (what storage auto-expansion reads). */
  storage(): unknown;
  /**
   * Sets the data volume's capacity where it is a quota (`log.dirs.capacity.bytes`): a grown volume
   * takes effect at once, with no restart. Returns false when the capacity is the device's own.
   */
  setCapacity(bytes: number): boolean;
  /** The replica fetchers: which leader each follows, for which partitions, and how it fares. */
  replication(): unknown;
}

/**
 * The broker's small HTTP endpoint: `/healthz` (the process is alive), `/readyz` (it serves
 * clients), `/metrics` (Prometheus text) and `/storage` (data volume capacity and usage, JSON).
 */
export class AdminServer {
  private server: Server | undefined;

  constructor(private readonly sources: AdminSources) {}

  async start(host: string, port: number): Promise<number> {
    const server = createServer((req, res) => {
      this.route(req, res).catch((error: unknown) => {
        res.statusCode = 500;
        res.end(String(error));
      });
    });
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
      const bytes = capacityBytes(await readBody(req));
      if (bytes === undefined) {
        res.writeHead(400, { 'content-type': 'text/plain' }).end('bytes must be a positive integer\n');
        return;
      }
      if (!this.sources.setCapacity(bytes)) {
        res
          .writeHead(409, { 'content-type': 'text/plain' })
          .end("the capacity is the device's own: grow the device\n");
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(this.sources.storage()));
      return;
    }
    if (req.method !== 'GET') {
      res.writeHead(405, { 'content-type': 'text/plain', allow: 'GET' }).end('method not allowed\n');
      return;
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
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    }
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
      if (body.length > 4096) req.destroy(new Error('request body too large'));
    });
    req.on('end', () => resolve(body));
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
