import { connect, type Socket } from 'node:net';
import { framePrefix } from '../../broker-image/src/protocol/frame.js';
import {
  readResponseHeader,
  responseHeaderVersion,
  writeRequestHeader,
} from '../../broker-image/src/protocol/headers.js';
import { Reader } from '../../broker-image/src/protocol/primitives/reader.js';
import { Writer } from '../../broker-image/src/protocol/primitives/writer.js';
import {
  decodeResponse,
  encodeRequest,
  type ApiDefinition,
  type DecodedResponseOf,
  type EncodableRequestOf,
} from '../../broker-image/src/protocol/schema/api.js';

const DEFAULT_TIMEOUT_MS = 30_000;
const CLIENT_ID = 'raw-client';

export interface RequestFrameOptions {
  readonly correlationId: number;
  /** API version to claim in the header; the body's by default (a test may claim another). */
  readonly apiVersion?: number;
  readonly clientId?: string | null;
}

/** A request as it goes on the wire: size prefix, request header, body. */
export function encodeRequestFrame<A extends ApiDefinition>(
  api: A,
  version: number,
  body: EncodableRequestOf<A>,
  options: RequestFrameOptions,
): Buffer {
  const writer = new Writer(256);
  writeRequestHeader(writer, {
    apiKey: api.apiKey,
    apiVersion: options.apiVersion ?? version,
    correlationId: options.correlationId,
    clientId: options.clientId === undefined ? CLIENT_ID : options.clientId,
  });
  encodeRequest(api, body as never, writer, version);
  const payload = writer.toBuffer();
  return Buffer.concat([framePrefix(payload.length), payload]);
}

/** A response frame (without its size prefix) decoded as `api` at `version`. */
export function decodeResponseFrame<A extends ApiDefinition>(
  api: A,
  version: number,
  frame: Buffer,
): { correlationId: number; body: DecodedResponseOf<A> } {
  const reader = new Reader(frame);
  const correlationId = readResponseHeader(reader, responseHeaderVersion(api.apiKey, version));
  const body = decodeResponse(api, reader, version) as DecodedResponseOf<A>;
  if (reader.remaining !== 0)
    throw new Error(`${reader.remaining} bytes left after the ${api.name} response`);
  return { correlationId, body };
}

/**
 * A Kafka connection with no client logic: it writes whatever bytes it is given and hands back
 * response frames in the order they arrive, so tests can send malformed input and see exactly
 * what the broker answers, or whether it closes the connection.
 */
export class RawClient {
  private readonly frames: Buffer[] = [];
  private readonly readers: { resolve: (frame: Buffer) => void; reject: (error: Error) => void }[] = [];
  private pending: Buffer = Buffer.alloc(0);
  private nextCorrelationId = 1;
  private closedFlag = false;
  /** Resolves when the broker (or we) closed the connection. */
  readonly closed: Promise<void>;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    // A reset from the broker counts as a close; the tests check for closes, not their manner.
    socket.on('error', () => {});
    this.closed = new Promise((resolve) =>
      socket.on('close', () => {
        this.closedFlag = true;
        for (const r of this.readers.splice(0)) r.reject(new Error('connection closed'));
        resolve();
      }),
    );
  }

  static connect(port: number, host = '127.0.0.1'): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host }, () => {
        socket.off('error', reject);
        resolve(new RawClient(socket));
      });
      socket.once('error', reject);
    });
  }

  get isClosed(): boolean {
    return this.closedFlag;
  }

  /** Writes raw bytes; resolves once they are handed to the kernel. */
  write(bytes: Buffer): Promise<void> {
    return new Promise((resolve, reject) =>
      this.socket.write(bytes, (error) => (error ? reject(error) : resolve())),
    );
  }

  /** Half-closes: no more bytes from us. */
  end(): void {
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }

  correlationId(): number {
    return this.nextCorrelationId++;
  }

  /** Sends a request without waiting (acks=0 produce, pipelining); returns its correlation id. */
  async send<A extends ApiDefinition>(
    api: A,
    version: number,
    body: EncodableRequestOf<A>,
    options: Partial<RequestFrameOptions> = {},
  ): Promise<number> {
    const correlationId = options.correlationId ?? this.correlationId();
    await this.write(encodeRequestFrame(api, version, body, { ...options, correlationId }));
    return correlationId;
  }

  /** Sends a request and decodes the next response, which must carry its correlation id. */
  async request<A extends ApiDefinition>(
    api: A,
    version: number,
    body: EncodableRequestOf<A>,
    options: Partial<RequestFrameOptions> = {},
  ): Promise<DecodedResponseOf<A>> {
    const correlationId = await this.send(api, version, body, options);
    return this.response(api, version, correlationId);
  }

  /** Decodes the next response frame and checks its correlation id. */
  async response<A extends ApiDefinition>(
    api: A,
    version: number,
    correlationId: number,
  ): Promise<DecodedResponseOf<A>> {
    const decoded = decodeResponseFrame(api, version, await this.nextFrame());
    if (decoded.correlationId !== correlationId) {
      throw new Error(`expected the response to ${correlationId}, got one for ${decoded.correlationId}`);
    }
    return decoded.body;
  }

  /** The next response frame (without its size prefix). */
  nextFrame(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<Buffer> {
    const ready = this.frames.shift();
    if (ready) return Promise.resolve(ready);
    if (this.closedFlag) return Promise.reject(new Error('connection closed'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.readers.splice(this.readers.indexOf(reader), 1);
        reject(new Error(`no response within ${timeoutMs} ms`));
      }, timeoutMs);
      const reader = {
        resolve: (frame: Buffer) => {
          clearTimeout(timer);
          resolve(frame);
        },
        reject: (error: Error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      this.readers.push(reader);
    });
  }

  /**
   * Resolves once the broker has closed the connection; rejects if it answers instead or stays
   * silent for `timeoutMs`.
   */
  async expectClosed(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<void> {
    const outcome = await this.nextFrame(timeoutMs).then(
      (frame) => `the broker answered (correlation id ${frame.readInt32BE(0)}) instead of closing`,
      (error: Error) => (this.closedFlag ? undefined : error.message),
    );
    if (outcome !== undefined) throw new Error(outcome);
  }

  private onData(chunk: Buffer): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    while (this.pending.length >= 4) {
      const size = this.pending.readInt32BE(0);
      if (this.pending.length < 4 + size) break;
      const frame = this.pending.subarray(4, 4 + size);
      this.pending = this.pending.subarray(4 + size);
      const reader = this.readers.shift();
      if (reader) reader.resolve(frame);
      else this.frames.push(frame);
    }
  }
}

/** Connects, runs `use`, and closes the connection whatever happens. */
export async function withRawClient<T>(port: number, use: (client: RawClient) => Promise<T>): Promise<T> {
  const client = await RawClient.connect(port);
  try {
    return await use(client);
  } finally {
    client.destroy();
  }
}
