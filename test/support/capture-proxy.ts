import { connect, createServer, type Server, type Socket } from 'node:net';
import { FrameDecoder } from '../../broker-image/src/protocol/frame.js';

export interface CapturedFrame {
  /** The client connection it travelled on, numbered from 1 in the order they were accepted. */
  readonly connection: number;
  readonly direction: 'request' | 'response';
  /** Of the request, for a response too (matched by correlation id); -1 if no request matched. */
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
  /** The frame as it was sent, without its 4-byte size prefix. */
  readonly bytes: Buffer;
}

export interface ProxyTarget {
  readonly host: string;
  readonly port: number;
}

const MAX_FRAME_BYTES = 256 * 1024 * 1024;

/**
 * A TCP proxy on 127.0.0.1 that forwards each connection to a Kafka listener and records the
 * Kafka frames going both ways. Bytes are forwarded as they arrive, never re-framed, so client
 * and broker see each other's exact traffic; a copy is split into frames, and each response is
 * labelled with its request's API key and version.
 *
 * Clients connect to the brokers that Metadata advertises, so point the broker's advertised
 * listener at the proxy: start the proxy first, then the broker, then call {@link forwardTo}.
 */
export class CaptureProxy {
  readonly frames: CapturedFrame[] = [];
  private target: ProxyTarget | undefined;
  private readonly sockets = new Set<Socket>();
  private connections = 0;

  private constructor(private readonly server: Server) {
    server.on('connection', (client) => this.accept(client));
  }

  static async start(target?: ProxyTarget): Promise<CaptureProxy> {
    const proxy = new CaptureProxy(createServer());
    proxy.target = target;
    await new Promise<void>((resolve, reject) => {
      proxy.server.once('error', reject);
      proxy.server.listen(0, '127.0.0.1', resolve);
    });
    return proxy;
  }

  get port(): number {
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('capture proxy is not listening');
    return address.port;
  }

  get bootstrap(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Connections accepted so far; each frame carries its connection's number. */
  get connectionsAccepted(): number {
    return this.connections;
  }

  /** Sets the listener new connections are forwarded to; until then connections are closed at once. */
  forwardTo(target: ProxyTarget): void {
    this.target = target;
  }

  /** Forgets the frames recorded so far (connections stay open). */
  takeFrames(): CapturedFrame[] {
    return this.frames.splice(0);
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    if (!this.target) {
      client.destroy();
      return;
    }
    const connection = ++this.connections;
    const upstream = connect(this.target.port, this.target.host);
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      // Either side going away ends the pair; errors are the normal end of a proxied connection.
      socket.on('error', () => {});
    }
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);

    const pending = new Map<number, { apiKey: number; apiVersion: number }>();
    this.record(client, (bytes) => {
      const request = {
        apiKey: bytes.readInt16BE(0),
        apiVersion: bytes.readInt16BE(2),
        correlationId: bytes.readInt32BE(4),
      };
      pending.set(request.correlationId, request);
      return { connection, direction: 'request', ...request, bytes };
    });
    this.record(upstream, (bytes) => {
      const correlationId = bytes.readInt32BE(0);
      const request = pending.get(correlationId) ?? { apiKey: -1, apiVersion: -1 };
      pending.delete(correlationId);
      return { connection, direction: 'response', ...request, correlationId, bytes };
    });
  }

  /** Splits what `from` sends into frames and records each; stops recording at the first unframeable byte. */
  private record(from: Socket, describe: (bytes: Buffer) => CapturedFrame): void {
    const decoder = new FrameDecoder(MAX_FRAME_BYTES);
    const onData = (chunk: Buffer) => {
      try {
        for (const frame of decoder.push(chunk)) this.frames.push(describe(Buffer.from(frame)));
      } catch {
        from.off('data', onData);
      }
    };
    from.on('data', onData);
  }
}
