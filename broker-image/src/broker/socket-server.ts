import { createServer, type Server, type Socket } from 'node:net';
import type { Listener } from '../config/listeners.js';
import type { BrokerServices } from './api-handler.js';
import { Connection } from './connection.js';

export interface BoundListener extends Listener {
  /** The port actually bound (differs from the configured one when that is 0). */
  readonly boundPort: number;
}

/** One TCP server per listener; tracks connections so shutdown can close them all. */
export class SocketServer {
  private readonly servers: Server[] = [];
  private readonly connections = new Set<Connection>();
  private readonly sockets = new Set<Socket>();

  constructor(private readonly services: BrokerServices) {}

  async start(listeners: readonly Listener[]): Promise<BoundListener[]> {
    const bound: BoundListener[] = [];
    for (const listener of listeners) {
      const server = createServer((socket) => {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        const connection = new Connection(socket, listener, this.services, (c) => this.connections.delete(c));
        this.connections.add(connection);
      });
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

  /** Stops accepting, then closes every connection. */
  async stop(): Promise<void> {
    const closed = Promise.all(
      this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))),
    );
    for (const connection of [...this.connections]) connection.close();
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  get connectionCount(): number {
    return this.connections.size;
  }
}
