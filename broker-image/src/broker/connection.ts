import type { Socket } from 'node:net';
import type { Listener } from '../config/listeners.js';
import { FrameDecoder, framePrefix } from '../protocol/frame.js';
import {
  API_VERSIONS_KEY,
  readRequestHeader,
  responseHeaderVersion,
  writeResponseHeader,
  type RequestHeader,
} from '../protocol/headers.js';
import { ApiVersions } from '../protocol/messages/api-versions.js';
import { Produce } from '../protocol/messages/produce.js';
import { Reader } from '../protocol/primitives/reader.js';
import { Writer } from '../protocol/primitives/writer.js';
import { ERROR_CODES } from '../protocol/errors.js';
import { decodeRequest, encodeResponse, type ApiDefinition } from '../protocol/schema/api.js';
import type { BrokerServices, RequestContext } from './api-handler.js';
import { advertisedApis } from './handlers/api-versions.js';

/** Frames read ahead of the one being served beyond which the connection stops reading. */
const MAX_QUEUED_FRAMES = 64;
/** Bytes buffered in the socket beyond which the connection stops reading until it drains. */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

/**
 * One client connection: splits frames, decodes requests and serves them one at a time, in
 * order, as Kafka does per connection (a request's response is written, with one vectored write,
 * before the next request is looked at). Anything it cannot parse closes this connection only,
 * with one log line.
 */
export class Connection {
  private readonly decoder: FrameDecoder;
  private readonly queue: Buffer[] = [];
  private serving = false;
  private closed = false;
  private paused = false;

  constructor(
    private readonly socket: Socket,
    private readonly listener: Listener,
    private readonly services: BrokerServices,
    private readonly onClose: (connection: Connection) => void,
  ) {
    const pool = services.readBuffers;
    this.decoder = new FrameDecoder(
      services.config.socketRequestMaxBytes,
      // Only a Produce request's buffer is given back once served (see handleFrame), so only a
      // Produce request is assembled in a pooled slab; the first two bytes are its API key.
      (size, head) =>
        (head.length >= 2 && head.readInt16BE(0) === Produce.apiKey ? pool.acquire(size) : undefined) ??
        Buffer.allocUnsafe(size),
    );
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => this.maybeResume());
    socket.on('error', () => this.close());
    socket.on('close', () => this.close());
    if (services.config.connectionsMaxIdleMs > 0) {
      socket.setTimeout(services.config.connectionsMaxIdleMs, () => this.close());
    }
  }

  get remoteAddress(): string {
    return `${this.socket.remoteAddress}:${this.socket.remotePort}`;
  }

  private onData(chunk: Buffer): void {
    try {
      this.queue.push(...this.decoder.push(chunk));
    } catch (error) {
      this.reject(`invalid frame: ${(error as Error).message}`);
      return;
    }
    this.serveQueued();
  }

  /** Serves queued frames in order; a request that answers later holds the ones behind it. */
  private serveQueued(): void {
    while (!this.serving && !this.closed && this.queue.length > 0) {
      const pending = this.handleFrame(this.queue.shift()!);
      if (pending) {
        this.serving = true;
        pending.finally(() => {
          this.serving = false;
          this.serveQueued();
        });
      }
    }
    this.maybePause();
    this.maybeResume();
  }

  /** Serves one request; returns a promise when its response comes later. */
  private handleFrame(frame: Buffer): Promise<void> | undefined {
    const started = process.hrtime.bigint();
    const reader = new Reader(frame);
    let header: RequestHeader;
    try {
      header = readRequestHeader(reader);
    } catch (error) {
      this.reject(`unreadable request header: ${(error as Error).message}`);
      return undefined;
    }
    const handler = this.services.handlers.get(header.apiKey);
    const minVersion = handler ? (handler.minVersion ?? handler.api.minVersion) : 0;
    if (!handler || header.apiVersion < minVersion || header.apiVersion > handler.api.maxVersion) {
      if (header.apiKey === API_VERSIONS_KEY) {
        // A newer client: answer in v0 with UNSUPPORTED_VERSION and our versions, so it can retry.
        this.write(
          this.encode(header, ApiVersions, 0, {
            errorCode: ERROR_CODES.UNSUPPORTED_VERSION,
            apiKeys: advertisedApis(this.services),
          }),
        );
        return undefined;
      }
      this.reject(
        handler
          ? `${handler.api.name} v${header.apiVersion} is not supported (${minVersion}-${handler.api.maxVersion})`
          : `unknown API key ${header.apiKey}`,
        header,
      );
      return undefined;
    }
    let request: unknown;
    try {
      request = decodeRequest(handler.api, reader, header.apiVersion);
    } catch (error) {
      this.reject(
        `malformed ${handler.api.name} v${header.apiVersion} request: ${(error as Error).message}`,
        header,
      );
      return undefined;
    }
    const afterResponse: (() => void)[] = [];
    // A produced record set is written to the log before the response, and nothing keeps it:
    // the frame's buffer can go back to the pool. Other requests' bytes may live on (a group
    // member's metadata), so their buffers are left to the garbage collector.
    if (header.apiKey === Produce.apiKey) afterResponse.push(() => this.services.readBuffers.release(frame));
    const responded = (): void => {
      for (const callback of afterResponse.splice(0)) callback();
    };
    const context: RequestContext = {
      header,
      apiVersion: header.apiVersion,
      listener: this.listener,
      remoteAddress: this.remoteAddress,
      services: this.services,
      closeConnection: (reason) => this.reject(reason, header),
      afterResponse: (callback) => afterResponse.push(callback),
    };
    const finish = (response: unknown): void => {
      this.services.metrics.request(handler.api.name, Number(process.hrtime.bigint() - started) / 1e9);
      if (response !== undefined && !this.closed)
        this.write(this.encode(header, handler.api, header.apiVersion, response), responded);
      else responded();
    };
    const failed = (error: unknown): void => {
      this.fail(handler.api, header, error);
      responded();
    };
    try {
      const result = handler.handle(request as never, context);
      if (result instanceof Promise) return result.then(finish, failed);
      finish(result);
    } catch (error) {
      failed(error);
    }
    return undefined;
  }

  private encode(header: RequestHeader, api: ApiDefinition, version: number, response: unknown): Buffer[] {
    const writer = new Writer(512);
    writeResponseHeader(writer, header.correlationId, responseHeaderVersion(header.apiKey, version));
    encodeResponse(api, response as never, writer, version);
    const chunks = writer.toChunks();
    return [framePrefix(writer.length), ...chunks];
  }

  private fail(api: ApiDefinition, header: RequestHeader, error: unknown): void {
    this.services.logger.error(
      {
        err: error,
        api: api.name,
        version: header.apiVersion,
        client: header.clientId,
        remote: this.remoteAddress,
      },
      'request failed; closing the connection',
    );
    this.close();
  }

  /** Closes this connection after a request it cannot serve; one log line, others unaffected. */
  private reject(reason: string, header?: RequestHeader): void {
    this.services.logger.warn(
      { remote: this.remoteAddress, client: header?.clientId, correlationId: header?.correlationId },
      `closing connection: ${reason}`,
    );
    this.close();
  }

  /**
   * Writes a response with one vectored write. `written` runs once the socket is done with the
   * chunks (written, or the write failed or was cancelled), never before.
   */
  private write(chunks: readonly Buffer[], written?: () => void): void {
    if (this.closed) {
      written?.();
      return;
    }
    this.socket.cork();
    chunks.forEach((chunk, i) =>
      this.socket.write(chunk, i === chunks.length - 1 && written ? () => written() : undefined),
    );
    this.socket.uncork();
  }

  private maybePause(): void {
    if (this.paused || this.closed) return;
    if (this.queue.length >= MAX_QUEUED_FRAMES || this.socket.writableLength >= MAX_BUFFERED_BYTES) {
      this.paused = true;
      this.socket.pause();
    }
  }

  private maybeResume(): void {
    if (!this.paused || this.closed) return;
    if (this.queue.length < MAX_QUEUED_FRAMES && this.socket.writableLength < MAX_BUFFERED_BYTES) {
      this.paused = false;
      this.socket.resume();
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.length = 0;
    this.socket.destroy();
    this.onClose(this);
  }
}
