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
import { Reader } from '../protocol/primitives/reader.js';
import { Writer } from '../protocol/primitives/writer.js';
import { ERROR_CODES } from '../protocol/errors.js';
import { decodeRequest, encodeResponse, type ApiDefinition } from '../protocol/schema/api.js';
import type { BrokerServices, RequestContext } from './api-handler.js';
import { advertisedApis } from './handlers/api-versions.js';

/** Responses queued but not yet written beyond which the connection stops reading. */
const MAX_IN_FLIGHT = 256;
/** Bytes buffered in the socket beyond which the connection stops reading until it drains. */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

interface Slot {
  chunks: Buffer[] | undefined;
  done: boolean;
}

/**
 * One client connection: splits frames, decodes requests, runs handlers, and writes responses in
 * request order (as Kafka guarantees per connection) with one vectored write each. Anything it
 * cannot parse closes this connection only, with one log line.
 */
export class Connection {
  private readonly decoder: FrameDecoder;
  private readonly slots: Slot[] = [];
  private closed = false;
  private paused = false;

  constructor(
    private readonly socket: Socket,
    private readonly listener: Listener,
    private readonly services: BrokerServices,
    private readonly onClose: (connection: Connection) => void,
  ) {
    this.decoder = new FrameDecoder(services.config.socketRequestMaxBytes);
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
    let frames: Buffer[];
    try {
      frames = this.decoder.push(chunk);
    } catch (error) {
      this.reject(`invalid frame: ${(error as Error).message}`);
      return;
    }
    for (const frame of frames) {
      if (this.closed) return;
      this.handleFrame(frame);
    }
    this.maybePause();
  }

  private handleFrame(frame: Buffer): void {
    const started = process.hrtime.bigint();
    const reader = new Reader(frame);
    let header: RequestHeader;
    try {
      header = readRequestHeader(reader);
    } catch (error) {
      this.reject(`unreadable request header: ${(error as Error).message}`);
      return;
    }
    const handler = this.services.handlers.get(header.apiKey);
    const minVersion = handler ? (handler.minVersion ?? handler.api.minVersion) : 0;
    if (!handler || header.apiVersion < minVersion || header.apiVersion > handler.api.maxVersion) {
      if (header.apiKey === API_VERSIONS_KEY) {
        // A newer client: answer in v0 with UNSUPPORTED_VERSION and our versions, so it can retry.
        this.respondNow(header, ApiVersions, 0, {
          errorCode: ERROR_CODES.UNSUPPORTED_VERSION,
          apiKeys: advertisedApis(this.services),
        });
        return;
      }
      this.reject(
        handler
          ? `${handler.api.name} v${header.apiVersion} is not supported (${minVersion}-${handler.api.maxVersion})`
          : `unknown API key ${header.apiKey}`,
        header,
      );
      return;
    }
    let request: unknown;
    try {
      request = decodeRequest(handler.api, reader, header.apiVersion);
    } catch (error) {
      this.reject(
        `malformed ${handler.api.name} v${header.apiVersion} request: ${(error as Error).message}`,
        header,
      );
      return;
    }
    const slot: Slot = { chunks: undefined, done: false };
    this.slots.push(slot);
    const context: RequestContext = {
      header,
      apiVersion: header.apiVersion,
      listener: this.listener,
      remoteAddress: this.remoteAddress,
      services: this.services,
    };
    const finish = (response: unknown): void => {
      if (response !== undefined) slot.chunks = this.encode(header, handler.api, header.apiVersion, response);
      slot.done = true;
      this.services.metrics.request(handler.api.name, Number(process.hrtime.bigint() - started) / 1e9);
      this.flush();
    };
    try {
      const result = handler.handle(request as never, context);
      if (result instanceof Promise) {
        result.then(finish, (error: unknown) => this.fail(handler.api, header, error));
      } else {
        finish(result);
      }
    } catch (error) {
      this.fail(handler.api, header, error);
    }
  }

  private encode(header: RequestHeader, api: ApiDefinition, version: number, response: unknown): Buffer[] {
    const writer = new Writer(512);
    writeResponseHeader(writer, header.correlationId, responseHeaderVersion(header.apiKey, version));
    encodeResponse(api, response as never, writer, version);
    const chunks = writer.toChunks();
    return [framePrefix(writer.length), ...chunks];
  }

  private respondNow(header: RequestHeader, api: ApiDefinition, version: number, response: unknown): void {
    this.slots.push({ chunks: this.encode(header, api, version, response), done: true });
    this.flush();
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

  private flush(): void {
    if (this.closed) return;
    let wrote = false;
    while (this.slots.length > 0 && this.slots[0]!.done) {
      const slot = this.slots.shift()!;
      if (!slot.chunks) continue;
      if (!wrote) this.socket.cork();
      wrote = true;
      for (const chunk of slot.chunks) this.socket.write(chunk);
    }
    if (wrote) this.socket.uncork();
    this.maybePause();
    this.maybeResume();
  }

  private maybePause(): void {
    if (this.paused || this.closed) return;
    if (this.slots.length >= MAX_IN_FLIGHT || this.socket.writableLength >= MAX_BUFFERED_BYTES) {
      this.paused = true;
      this.socket.pause();
    }
  }

  private maybeResume(): void {
    if (!this.paused || this.closed) return;
    if (this.slots.length < MAX_IN_FLIGHT && this.socket.writableLength < MAX_BUFFERED_BYTES) {
      this.paused = false;
      this.socket.resume();
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.slots.length = 0;
    this.socket.destroy();
    this.onClose(this);
  }
}
