import { connect, type Socket } from 'node:net';
import { FrameDecoder, framePrefix } from '../protocol/frame.js';
import { readResponseHeader, responseHeaderVersion, writeRequestHeader } from '../protocol/headers.js';
import { Reader } from '../protocol/primitives/reader.js';
import { Writer } from '../protocol/primitives/writer.js';
import {
  decodeResponse,
  encodeRequest,
  type ApiDefinition,
  type DecodedResponseOf,
  type EncodableRequestOf,
} from '../protocol/schema/api.js';

interface Pending {
  readonly api: ApiDefinition;
  readonly version: number;
  readonly resolve: (response: unknown) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

export class BrokerConnectionError extends Error {
  override readonly name = 'BrokerConnectionError';
}

/**
 * A minimal Kafka client for broker-to-broker requests (a follower fetching from its leader):
 * one connection, pipelined requests matched by correlation id, opened on first use and again
 * after a failure. Every request has a deadline.
 */
export class BrokerClient {
  private socket: Socket | undefined;
  private connecting: Promise<Socket> | undefined;
  private readonly pending = new Map<number, Pending>();
  private correlationId = 0;
  private closed = false;

  constructor(
    readonly host: string,
    readonly port: number,
    private readonly clientId: string,
    private readonly maxFrameBytes = 256 * 1024 * 1024,
  ) {}

  private connect(): Promise<Socket> {
    if (this.socket && !this.socket.destroyed) return Promise.resolve(this.socket);
    this.connecting ??= new Promise<Socket>((resolve, reject) => {
      const socket = connect({ host: this.host, port: this.port });
      const decoder = new FrameDecoder(this.maxFrameBytes);
      socket.setNoDelay(true);
      socket.once('connect', () => {
        this.socket = socket;
        this.connecting = undefined;
        resolve(socket);
      });
      socket.on('data', (chunk: Buffer) => {
        try {
          for (const frame of decoder.push(chunk)) this.onFrame(frame);
        } catch (error) {
          socket.destroy(error as Error);
        }
      });
      socket.on('error', (error) => {
        if (this.connecting) {
          this.connecting = undefined;
          reject(new BrokerConnectionError(`cannot reach ${this.host}:${this.port}: ${error.message}`));
        }
      });
      socket.on('close', () => {
        if (this.socket === socket) this.socket = undefined;
        this.failAll(new BrokerConnectionError(`connection to ${this.host}:${this.port} closed`));
      });
    });
    return this.connecting;
  }

  private onFrame(frame: Buffer): void {
    const correlationId = frame.readInt32BE(0);
    const pending = this.pending.get(correlationId);
    if (!pending) return;
    this.pending.delete(correlationId);
    clearTimeout(pending.timer);
    try {
      const reader = new Reader(frame);
      readResponseHeader(reader, responseHeaderVersion(pending.api.apiKey, pending.version));
      pending.resolve(decodeResponse(pending.api, reader, pending.version));
    } catch (error) {
      pending.reject(error as Error);
    }
  }

  async request<A extends ApiDefinition>(
    api: A,
    version: number,
    body: EncodableRequestOf<A>,
    timeoutMs: number,
  ): Promise<DecodedResponseOf<A>> {
    if (this.closed) throw new BrokerConnectionError('client closed');
    const socket = await this.connect();
    const correlationId = (this.correlationId = (this.correlationId + 1) & 0x7fffffff);
    const writer = new Writer(256);
    writeRequestHeader(writer, {
      apiKey: api.apiKey,
      apiVersion: version,
      correlationId,
      clientId: this.clientId,
    });
    encodeRequest(api, body as never, writer, version);
    const chunks = writer.toChunks();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(correlationId);
        reject(
          new BrokerConnectionError(
            `${api.name} to ${this.host}:${this.port} timed out after ${timeoutMs} ms`,
          ),
        );
        // A lost response leaves the connection out of step: start afresh.
        socket.destroy();
      }, timeoutMs);
      this.pending.set(correlationId, {
        api,
        version,
        resolve: resolve as (response: unknown) => void,
        reject,
        timer,
      });
      socket.cork();
      socket.write(framePrefix(writer.length));
      for (const chunk of chunks) socket.write(chunk);
      socket.uncork();
    });
  }

  private failAll(error: Error): void {
    for (const [id, pending] of this.pending) {
      clearTimeout(pending.timer);
      pending.reject(error);
      this.pending.delete(id);
    }
  }

  close(): void {
    this.closed = true;
    this.socket?.destroy();
    this.failAll(new BrokerConnectionError('client closed'));
  }
}
