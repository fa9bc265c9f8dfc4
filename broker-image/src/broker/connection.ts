import type { Socket } from 'node:net';
import type { ConnectionCloseReason } from '../admin/metrics.js';
import type { Listener } from '../config/listeners.js';
import { FrameDecoder, FrameTooLargeError, framePrefix } from '../protocol/frame.js';
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
import { ANONYMOUS, type KafkaPrincipal } from '../security/principal.js';
import { SaslAuthentication } from '../security/sasl-authentication.js';
import type { BrokerServices, RequestContext } from './api-handler.js';
import type { ConnectionLog } from './connection-log.js';
import { advertisedApis } from './handlers/api-versions.js';
import type { RequestMemory, RequestMemoryWaiter } from './request-memory.js';

/** Frames read ahead of the one being served beyond which the connection stops reading. */
const MAX_QUEUED_FRAMES = 64;
/** Bytes buffered in the socket beyond which the connection stops reading until it drains. */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

/** What the connections of one broker share. */
export interface ConnectionResources {
  readonly services: BrokerServices;
  /** The budget of request bytes being read or waiting to be served (queued.max.request.bytes). */
  readonly memory: RequestMemory;
  /** Rate-limited warnings about single connections. */
  readonly log: ConnectionLog;
}

/**
 * One client connection: splits frames, decodes requests and serves them one at a time, in
 * order, as Kafka does per connection (a request's response is written, with one vectored write,
 * before the next request is looked at). Anything it cannot parse closes this connection only,
 * with one (rate-limited) log line.
 *
 * Every request's size is reserved in the broker's request memory when its size prefix arrives
 * and given back once the request is served (for a Produce, once its response is written, when
 * its pooled buffer goes back to the pool); while the next request does not fit, the connection
 * stops reading from its socket.
 */
export class Connection implements RequestMemoryWaiter {
  private readonly decoder: FrameDecoder;
  private readonly queue: Buffer[] = [];
  private readonly services: BrokerServices;
  private readonly memory: RequestMemory;
  private readonly connectionLog: ConnectionLog;
  private serving = false;
  private closed = false;
  private paused = false;
  private waitingForMemory = false;
  /** Request bytes this connection reserved and has not given back. */
  private heldBytes = 0;
  /** Of those, the bytes of requests being served (given back when each is done, even after a close). */
  private servingBytes = 0;

  constructor(
    private readonly socket: Socket,
    private readonly listener: Listener,
    resources: ConnectionResources,
    private readonly onClose: (connection: Connection) => void,
    /** The principal of a client certificate (SSL with ssl.client.auth), else anonymous until SASL says otherwise. */
    principal: KafkaPrincipal = ANONYMOUS,
  ) {
    this.principal = principal;
    const services = resources.services;
    const sasl = services.config.listenerSecurity.get(listener.name)?.sasl;
    if (sasl) {
      this.authentication = new SaslAuthentication(
        listener.name,
        sasl,
        services.credentials,
        () => services.clock.now(),
        (authenticated) => (this.principal = authenticated),
        (reason) => this.reject('authentication_failed', reason),
      );
    }
    this.services = services;
    this.memory = resources.memory;
    this.connectionLog = resources.log;
    const pool = services.readBuffers;
    this.decoder = new FrameDecoder(
      services.config.socketRequestMaxBytes,
      // Only a Produce request's buffer is given back once served (see handleFrame), so only a
      // Produce request is assembled in a pooled slab; the first two bytes are its API key.
      (size, head) =>
        (head.length >= 2 && head.readInt16BE(0) === Produce.apiKey ? pool.acquire(size) : undefined) ??
        Buffer.allocUnsafe(size),
      (size) => this.reserve(size),
    );
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => this.updateReading());
    socket.on('error', () => this.close());
    socket.on('close', () => this.close());
    if (services.config.connectionsMaxIdleMs > 0) {
      // A listener of its own, not setTimeout's one-time callback: a connection found busy when
      // the timer fires is looked at again once it has been idle that long once more.
      socket.setTimeout(services.config.connectionsMaxIdleMs);
      socket.on('timeout', () => this.onIdle());
    }
  }

  /** Who this connection acts as; anonymous until an authentication (SASL, a client certificate) says otherwise. */
  principal: KafkaPrincipal;
  /** The SASL state, on a SASL listener. */
  private readonly authentication: SaslAuthentication | undefined;

  get remoteAddress(): string {
    return `${this.socket.remoteAddress}:${this.socket.remotePort}`;
  }

  private onData(chunk: Buffer): void {
    this.take(() => this.decoder.push(chunk));
  }

  /** Queues the frames `decode` completes and serves them; a frame it cannot parse closes us. */
  private take(decode: () => Buffer[]): void {
    try {
      this.queue.push(...decode());
    } catch (error) {
      this.reject(
        error instanceof FrameTooLargeError ? 'frame_too_large' : 'invalid_frame',
        `invalid frame: ${(error as Error).message}`,
      );
      return;
    }
    this.serveQueued();
  }

  /** Reserves room for the next request; when there is none, stops reading until there is. */
  private reserve(size: number): boolean {
    if (this.memory.reserve(this, size)) {
      this.heldBytes += size;
      return true;
    }
    this.waitingForMemory = true;
    this.services.metrics.requestMemoryWait();
    this.updateReading();
    return false;
  }

  /** The request memory made room for the request this connection waits to read. */
  granted(bytes: number): void {
    this.heldBytes += bytes;
    // Called while another connection gives bytes back: carry on from a fresh stack.
    queueMicrotask(() => {
      if (this.closed) return;
      this.waitingForMemory = false;
      this.take(() => this.decoder.granted());
    });
  }

  /** Gives back the bytes of a request that was being served. */
  private served(bytes: number): void {
    this.servingBytes -= bytes;
    if (!this.closed) this.heldBytes -= bytes;
    this.memory.release(bytes);
  }

  /**
   * Idle for connections.max.idle.ms: closed, unless it is only waiting on the broker (a request
   * being served or queued, or room to read the next one), which is not the client being idle.
   */
  private onIdle(): void {
    if (this.closed || this.serving || this.waitingForMemory || this.queue.length > 0) return;
    this.services.metrics.connectionClosed('idle');
    this.close();
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
    this.updateReading();
  }

  /**
   * Serves one request; returns a promise when its response comes later. The frame's reserved
   * bytes are given back once its response is written (or will never be).
   */
  private handleFrame(frame: Buffer): Promise<void> | undefined {
    const bytes = frame.length;
    this.servingBytes += bytes;
    let done = false;
    const release = (): void => {
      if (done) return;
      done = true;
      this.served(bytes);
    };
    const afterResponse: (() => void)[] = [release];
    const responded = (): void => {
      for (const callback of afterResponse.splice(0)) callback();
    };
    return this.serveFrame(frame, afterResponse, responded);
  }

  private serveFrame(
    frame: Buffer,
    afterResponse: (() => void)[],
    responded: () => void,
  ): Promise<void> | undefined {
    // After a SaslHandshake v0 the client sends SASL tokens, not requests.
    if (this.authentication?.expectsRawToken) return this.serveRawToken(frame, responded);
    const started = process.hrtime.bigint();
    const reader = new Reader(frame);
    let header: RequestHeader;
    try {
      header = readRequestHeader(reader);
    } catch (error) {
      this.reject('invalid_request', `unreadable request header: ${(error as Error).message}`);
      responded();
      return undefined;
    }
    const refusal = this.authentication?.refusal(header.apiKey);
    if (refusal) {
      this.reject('authentication_failed', refusal, header);
      responded();
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
          responded,
        );
        return undefined;
      }
      this.reject(
        'invalid_request',
        handler
          ? `${handler.api.name} v${header.apiVersion} is not supported (${minVersion}-${handler.api.maxVersion})`
          : `unknown API key ${header.apiKey}`,
        header,
      );
      responded();
      return undefined;
    }
    let request: unknown;
    try {
      request = decodeRequest(handler.api, reader, header.apiVersion);
    } catch (error) {
      this.reject(
        'invalid_request',
        `malformed ${handler.api.name} v${header.apiVersion} request: ${(error as Error).message}`,
        header,
      );
      responded();
      return undefined;
    }
    // A produced record set is written to the log before the response, and nothing keeps it:
    // the frame's buffer can go back to the pool. Other requests' bytes may live on (a group
    // member's metadata), so their buffers are left to the garbage collector.
    if (header.apiKey === Produce.apiKey) afterResponse.push(() => this.services.readBuffers.release(frame));
    const context: RequestContext = {
      header,
      apiVersion: header.apiVersion,
      listener: this.listener,
      remoteAddress: this.remoteAddress,
      principal: this.principal,
      authentication: this.authentication,
      services: this.services,
      closeConnection: (reason) => this.reject('invalid_request', reason, header),
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

  /** One raw SASL token (after SaslHandshake v0), answered as a size-prefixed token; a failure closes. */
  private serveRawToken(frame: Buffer, responded: () => void): Promise<void> {
    return this.authentication!.authenticate(Buffer.from(frame)).then((result) => {
      if (!result.ok) {
        this.reject('authentication_failed', result.message);
        responded();
        return;
      }
      const prefix = framePrefix(result.response.length);
      this.write(result.response.length > 0 ? [prefix, result.response] : [prefix], responded);
    });
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
    if (!this.closed) this.services.metrics.connectionClosed('request_failed');
    this.close();
  }

  /**
   * Closes this connection after a request it cannot serve, with one log line (rate-limited
   * across connections) and counted by reason; other connections are unaffected.
   */
  private reject(kind: ConnectionCloseReason, reason: string, header?: RequestHeader): void {
    if (this.closed) return;
    this.connectionLog.warn(
      kind,
      { remote: this.remoteAddress, client: header?.clientId, correlationId: header?.correlationId },
      `closing connection: ${reason}`,
    );
    this.services.metrics.connectionClosed(kind);
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

  /**
   * Reads from the socket only while there is room: for the next request in the request memory,
   * in the queue of frames read ahead, and in the socket's buffer of responses not yet sent.
   */
  private updateReading(): void {
    if (this.closed) return;
    const full =
      this.waitingForMemory ||
      this.queue.length >= MAX_QUEUED_FRAMES ||
      this.socket.writableLength >= MAX_BUFFERED_BYTES;
    if (full === this.paused) return;
    this.paused = full;
    if (full) this.socket.pause();
    else this.socket.resume();
  }

  /**
   * Closes the socket and gives back the request bytes it held, but those of a request still
   * being served, which it gives back once done.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.length = 0;
    this.memory.cancel(this);
    this.memory.release(this.heldBytes - this.servingBytes);
    this.heldBytes = 0;
    this.socket.destroy();
    this.onClose(this);
  }
}
