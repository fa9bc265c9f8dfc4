import { connect, isIP, type Socket } from 'node:net';
import { connect as connectTls, type ConnectionOptions } from 'node:tls';
import type { BrokerConfig } from '../config/broker-config.js';
import type { InterBrokerSasl } from '../config/listener-security.js';
import { ERROR_CODES } from '../protocol/errors.js';
import { SaslAuthenticate } from '../protocol/messages/sasl-authenticate.js';
import { SaslHandshake } from '../protocol/messages/sasl-handshake.js';
import { ScramClient, isScramMechanism } from '../security/scram.js';
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

/** How a broker-to-broker connection secures itself: TLS options and/or SASL credentials. */
export interface BrokerClientSecurity {
  readonly tls?: ConnectionOptions;
  readonly sasl?: InterBrokerSasl;
}

/**
 * How this broker connects to its peers' inter-broker listener: with TLS when that listener is
 * SSL or SASL_SSL (trusting its truststore, presenting its keystore's certificate when the
 * listener asks for client certificates, checking host names unless
 * ssl.endpoint.identification.algorithm is empty), and with SASL when it is a SASL listener.
 */
export function interBrokerClientSecurity(config: BrokerConfig): BrokerClientSecurity {
  const tls = config.listenerSecurity.get(config.interBrokerListenerName)?.tls;
  return {
    tls: tls && {
      ca: tls.ca ? [...tls.ca] : undefined,
      ...(tls.clientAuth !== 'none'
        ? { key: tls.key, cert: tls.cert, pfx: tls.pfx, passphrase: tls.passphrase }
        : {}),
      minVersion: tls.minVersion,
      maxVersion: tls.maxVersion,
      ciphers: tls.ciphers,
      ...(tls.verifyHostname ? {} : { checkServerIdentity: () => undefined }),
    },
    sasl: config.interBrokerSasl,
  };
}

/** Deadline of each step of authenticating a new connection. */
const AUTHENTICATION_TIMEOUT_MS = 10_000;

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
  /** When the SASL session of the current connection ends (connections.max.reauth.ms on the peer). */
  private sessionRenewAt: number | undefined;

  constructor(
    readonly host: string,
    readonly port: number,
    private readonly clientId: string,
    private readonly maxFrameBytes = 256 * 1024 * 1024,
    private readonly security: BrokerClientSecurity = {},
  ) {}

  private connect(): Promise<Socket> {
    // A SASL session near its end: start a new connection (authenticating again) rather than be cut off.
    if (this.socket && this.sessionRenewAt !== undefined && Date.now() >= this.sessionRenewAt) {
      this.socket.destroy();
      this.socket = undefined;
    }
    if (this.socket && !this.socket.destroyed) return Promise.resolve(this.socket);
    this.connecting ??= this.open().then(
      async (socket) => {
        try {
          if (this.security.sasl) await this.authenticate(socket, this.security.sasl);
        } catch (error) {
          socket.destroy();
          this.connecting = undefined;
          throw error instanceof BrokerConnectionError
            ? error
            : new BrokerConnectionError(
                `authenticating to ${this.host}:${this.port}: ${(error as Error).message}`,
              );
        }
        this.socket = socket;
        this.connecting = undefined;
        return socket;
      },
      (error: unknown) => {
        this.connecting = undefined;
        throw error;
      },
    );
    return this.connecting;
  }

  /** SaslHandshake v1, then SaslAuthenticate until the mechanism's exchange completes. */
  private async authenticate(socket: Socket, sasl: InterBrokerSasl): Promise<void> {
    const handshake = await this.send(
      socket,
      SaslHandshake,
      1,
      { mechanism: sasl.mechanism },
      AUTHENTICATION_TIMEOUT_MS,
    );
    if (handshake.errorCode !== ERROR_CODES.NONE)
      throw new BrokerConnectionError(
        `${this.host}:${this.port} refused SASL mechanism ${sasl.mechanism} (error ${handshake.errorCode})`,
      );
    const step = async (token: Buffer): Promise<{ authBytes: Buffer; sessionLifetimeMs: number }> => {
      const response = await this.send(
        socket,
        SaslAuthenticate,
        2,
        { authBytes: token },
        AUTHENTICATION_TIMEOUT_MS,
      );
      if (response.errorCode !== ERROR_CODES.NONE)
        throw new BrokerConnectionError(
          `SASL authentication to ${this.host}:${this.port} as ${sasl.username} failed: ${response.errorMessage ?? response.errorCode}`,
        );
      return response;
    };
    let lifetime: number;
    if (isScramMechanism(sasl.mechanism)) {
      const scram = new ScramClient(sasl.mechanism, sasl.username, sasl.password);
      const first = await step(scram.first());
      const final = await step(await scram.final(first.authBytes));
      scram.verify(final.authBytes);
      lifetime = final.sessionLifetimeMs;
    } else {
      lifetime = (await step(Buffer.from(`\0${sasl.username}\0${sasl.password}`, 'utf8'))).sessionLifetimeMs;
    }
    this.sessionRenewAt = lifetime > 0 ? Date.now() + Math.floor(lifetime * 0.85) : undefined;
  }

  /** A connected socket (TLS handshake done, when TLS), reading frames into `onFrame`. */
  private open(): Promise<Socket> {
    return new Promise<Socket>((resolve, reject) => {
      const tls = this.security.tls;
      const socket = tls
        ? connectTls({
            ...tls,
            host: this.host,
            port: this.port,
            // SNI takes host names only (RFC 6066); an address is still checked against the certificate.
            servername: tls.servername ?? (isIP(this.host) ? undefined : this.host),
          })
        : connect({ host: this.host, port: this.port });
      const decoder = new FrameDecoder(this.maxFrameBytes);
      let opened = false;
      socket.setNoDelay(true);
      socket.once(tls ? 'secureConnect' : 'connect', () => {
        opened = true;
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
        if (!opened)
          reject(new BrokerConnectionError(`cannot reach ${this.host}:${this.port}: ${error.message}`));
      });
      socket.on('close', () => {
        if (this.socket === socket) this.socket = undefined;
        this.failAll(new BrokerConnectionError(`connection to ${this.host}:${this.port} closed`));
      });
    });
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
    return this.send(socket, api, version, body, timeoutMs);
  }

  private send<A extends ApiDefinition>(
    socket: Socket,
    api: A,
    version: number,
    body: EncodableRequestOf<A>,
    timeoutMs: number,
  ): Promise<DecodedResponseOf<A>> {
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
