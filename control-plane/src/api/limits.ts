import { STATUS_CODES, createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Express } from 'express';

/** The largest request headers the API reads (bytes); larger ones are answered 431. */
export const MAX_HEADER_BYTES = 16 * 1024;
/** The largest JSON body the API reads; a larger one is answered 413 (express.json's limit). */
export const MAX_BODY = '256kb';

/**
 * The HTTP server for the API, with headers bounded by {@link MAX_HEADER_BYTES}. A request
 * Node's parser refuses before it reaches the app (headers too large, not HTTP) is answered with a
 * problem+json body — Node's own answer is a bare status line — and the connection is closed.
 */
export function createApiServer(app: Express): Server {
  const server = createServer({ maxHeaderSize: MAX_HEADER_BYTES }, app);
  server.on('clientError', answerClientError);
  return server;
}

/** Listens on host:port; resolves once listening. */
export async function listen(server: Server, port: number, host: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, detail, errors] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [
          431,
          `the request headers are larger than ${MAX_HEADER_BYTES} bytes`,
          [{ field: 'headers', rule: `must be at most ${MAX_HEADER_BYTES} bytes` }],
        ]
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'the request did not arrive in time', []]
        : [400, 'the request is not valid HTTP/1.1', []];
  const title = STATUS_CODES[status] ?? 'Bad Request';
  const body = JSON.stringify({
    type: 'about:blank',
    title,
    status,
    detail,
    ...(errors.length > 0 ? { errors } : {}),
  });
  socket.end(
    `HTTP/1.1 ${status} ${title}\r\n` +
      'content-type: application/problem+json\r\n' +
      `content-length: ${Buffer.byteLength(body)}\r\n` +
      'connection: close\r\n\r\n' +
      body,
  );
}
