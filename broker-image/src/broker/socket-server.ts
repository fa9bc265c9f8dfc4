import { lookup } from 'node:dns/promises';
import { X509Certificate } from 'node:crypto';
import { createServer, isIP, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket, type TlsOptions } from 'node:tls';
import type { ConnectionCloseReason } from '../admin/metrics.js';
import { ConfigError } from '../config/config-error.js';
import type { Listener } from '../config/listeners.js';
import type { TlsSettings } from '../config/listener-security.js';
import { ANONYMOUS, type KafkaPrincipal } from '../security/principal.js';
import type { BrokerServices } from './api-handler.js';
import { Connection } from './connection.js';
import { ConnectionLog } from './connection-log.js';
import { RequestMemory } from './request-memory.js';

export interface BoundListener extends Listener {
  /** The port actually bound (differs from the configured one when that is 0). */
  readonly boundPort: number;
}

/**
 * One TCP server per listener; tracks connections so shutdown can close them all. It enforces
 * Kafka's connection limits: a connection beyond max.connections (broker-wide) or
 * max.connections.per.ip (and its overrides) is closed at once, logged and counted. With several
 * listeners the inter-broker one is exempt from max.connections, as in Kafka, so replication
 * keeps working when clients use up the broker's connections. The connections share the budget
 * of request bytes (queued.max.request.bytes).
 */
export class SocketServer {
  private readonly servers: Server[] = [];
  private readonly connections = new Set<Connection>();
  private readonly sockets = new Set<Socket>();
  private readonly byAddress = new Map<string, number>();
  private readonly byListener = new Map<string, number>();
  /** max.connections.per.ip.overrides, by address (host names resolved at start). */
  private limitByAddress = new Map<string, number>();
  private readonly memory: RequestMemory;
  private readonly log: ConnectionLog;

  constructor(private readonly services: BrokerServices) {
    this.memory = new RequestMemory(services.config.queuedMaxRequestBytes ?? Infinity);
    this.log = new ConnectionLog(services.logger);
    services.metrics.watchNetwork({
      queuedRequestBytes: () => this.memory.used,
      peakQueuedRequestBytes: () => this.memory.peakUsed,
      connections: () => [...this.byListener].map(([listener, count]) => ({ listener, count })),
    });
  }

  async start(listeners: readonly Listener[]): Promise<BoundListener[]> {
    this.limitByAddress = await resolveOverrides(this.services.config.maxConnectionsPerIpOverrides);
    const exemptListener = listeners.length > 1 ? this.services.config.interBrokerListenerName : undefined;
    const bound: BoundListener[] = [];
    for (const listener of listeners) {
      this.byListener.set(listener.name, 0);
      const exempt = listener.name === exemptListener;
      const tls = this.services.config.listenerSecurity.get(listener.name)?.tls;
      let server: Server;
      if (tls) {
        // Connections are counted (and refused) as they arrive, served once their TLS handshake is done.
        const tlsServer = createTlsServer(tlsServerOptions(tls));
        tlsServer.on('connection', (socket: Socket) => this.admit(socket, listener, exempt));
        tlsServer.on('secureConnection', (socket: TLSSocket) =>
          this.serve(socket, listener, tls.clientAuth !== 'none' && listener.securityProtocol === 'SSL'),
        );
        tlsServer.on('tlsClientError', (error, socket) => {
          this.log.warn(
            'tls_handshake_failed',
            { remote: normalizeAddress(socket.remoteAddress), listener: listener.name },
            `TLS handshake failed: ${error.message}`,
          );
          this.services.metrics.connectionClosed('tls_handshake_failed');
        });
        server = tlsServer;
      } else {
        server = createServer((socket) => {
          if (this.admit(socket, listener, exempt)) this.serve(socket, listener, false);
        });
      }
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host: listener.host || undefined, port: listener.port }, () => {
          server.off('error', reject);
          resolve();
        });
      });
      server.on('error', (error) =>
        this.services.logger.error({ err: error, listener: listener.name }, 'listener error'),
      );
      this.servers.push(server);
      const address = server.address();
      bound.push({
        ...listener,
        boundPort: typeof address === 'object' && address ? address.port : listener.port,
      });
    }
    return bound;
  }

  /** Counts a new connection against the limits; false (and closed) when refused. */
  private admit(socket: Socket, listener: Listener, exempt: boolean): boolean {
    const address = normalizeAddress(socket.remoteAddress);
    const refused = this.refusal(address, exempt);
    if (refused) {
      socket.on('error', () => {});
      socket.destroy();
      this.log.warn(refused.reason, { remote: address, listener: listener.name }, refused.message);
      this.services.metrics.connectionClosed(refused.reason);
      return false;
    }
    this.sockets.add(socket);
    this.byAddress.set(address, (this.byAddress.get(address) ?? 0) + 1);
    this.byListener.set(listener.name, (this.byListener.get(listener.name) ?? 0) + 1);
    socket.on('close', () => {
      this.sockets.delete(socket);
      const left = (this.byAddress.get(address) ?? 1) - 1;
      if (left > 0) this.byAddress.set(address, left);
      else this.byAddress.delete(address);
      this.byListener.set(listener.name, (this.byListener.get(listener.name) ?? 1) - 1);
    });
    return true;
  }

  /** Serves an admitted connection; on an SSL listener asking for client certificates, as the certificate's subject. */
  private serve(socket: Socket, listener: Listener, certificatePrincipal: boolean): void {
    const principal = certificatePrincipal ? principalOfCertificate(socket as TLSSocket) : ANONYMOUS;
    const resources = { services: this.services, memory: this.memory, log: this.log };
    const connection = new Connection(
      socket,
      listener,
      resources,
      (c) => this.connections.delete(c),
      principal,
    );
    this.connections.add(connection);
  }

  /** Why a new connection from `address` is refused, or undefined when it is let in. */
  private refusal(
    address: string,
    exempt: boolean,
  ): { reason: ConnectionCloseReason; message: string } | undefined {
    const config = this.services.config;
    if (!exempt && this.sockets.size >= config.maxConnections) {
      return {
        reason: 'max_connections',
        message: `refused connection: the broker already has the maximum of ${config.maxConnections} connections (max.connections)`,
      };
    }
    const limit = this.limitByAddress.get(address) ?? config.maxConnectionsPerIp;
    if ((this.byAddress.get(address) ?? 0) >= limit) {
      return {
        reason: 'max_connections_per_ip',
        message: `refused connection: ${address} already has the maximum of ${limit} connections (max.connections.per.ip)`,
      };
    }
    return undefined;
  }

  /** Stops accepting, then closes every connection. */
  async stop(): Promise<void> {
    const closed = Promise.all(
      this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))),
    );
    for (const connection of [...this.connections]) connection.close();
    for (const socket of this.sockets) socket.destroy();
    this.log.flush();
    await closed;
  }

  get connectionCount(): number {
    return this.connections.size;
  }
}

/** An address as connections are counted by: an IPv4 address mapped into IPv6 as plain IPv4. */
function normalizeAddress(address: string | undefined): string {
  if (!address) return '';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  // One spelling of each IPv6 address (compressed, lower case).
  return isIP(address) === 6 ? new URL(`http://[${address}]`).hostname.slice(1, -1) : address;
}

/** The overrides by address: host names are resolved, as Kafka does, and must resolve. */
async function resolveOverrides(overrides: ReadonlyMap<string, number>): Promise<Map<string, number>> {
  const byAddress = new Map<string, number>();
  for (const [host, count] of overrides) {
    if (isIP(host)) {
      byAddress.set(normalizeAddress(host), count);
      continue;
    }
    let addresses: { address: string }[];
    try {
      addresses = await lookup(host, { all: true });
    } catch (error) {
      throw new ConfigError(
        'max.connections.per.ip.overrides',
        `${host} does not resolve (${(error as Error).message})`,
      );
    }
    for (const { address } of addresses) byAddress.set(normalizeAddress(address), count);
  }
  return byAddress;
}

/** Node's TLS server options for a listener's settings. */
function tlsServerOptions(tls: TlsSettings): TlsOptions {
  return {
    key: tls.key,
    cert: tls.cert,
    pfx: tls.pfx,
    passphrase: tls.passphrase,
    ca: tls.ca ? [...tls.ca] : undefined,
    requestCert: tls.clientAuth !== 'none',
    rejectUnauthorized: tls.clientAuth === 'required',
    minVersion: tls.minVersion,
    maxVersion: tls.maxVersion,
    ciphers: tls.ciphers,
  };
}

/**
 * The principal of a verified client certificate as Kafka's default principal builder names it:
 * `User:` and the subject's distinguished name in RFC 2253 order (most specific first), e.g.
 * `User:CN=alice,OU=eng,O=Example`. Without a verified certificate: User:ANONYMOUS.
 */
export function principalOfCertificate(socket: TLSSocket): KafkaPrincipal {
  if (!socket.authorized) return ANONYMOUS;
  const raw = socket.getPeerCertificate()?.raw;
  if (!raw || raw.length === 0) return ANONYMOUS;
  const subject = new X509Certificate(raw).subject;
  return { principalType: 'User', name: subject.split('\n').reverse().join(',') };
}
