import { createServer } from 'node:net';

/** Ports of one cluster: coordinators at +0..5, brokers from +10 (two each: Kafka, admin). */
export const PORT_BLOCK_SIZE = 100;
const FIRST_BLOCK = 20_000;
// Below Linux's ephemeral range (32768 and up), so clients' own ports never take a cluster's.
const LAST_BLOCK = 32_700;
export const MAX_LOCAL_BROKERS = (PORT_BLOCK_SIZE - 10) / 2;

export function coordinatorPorts(base: number, index: number): { client: number; peer: number } {
  return { client: base + index * 2, peer: base + index * 2 + 1 };
}

export function brokerPorts(base: number, brokerId: number): { kafka: number; admin: number } {
  return { kafka: base + 10 + (brokerId - 1) * 2, admin: base + 11 + (brokerId - 1) * 2 };
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ host: '127.0.0.1', port }, () => server.close(() => resolve(true)));
  });
}

/** A block of ports, clear of other clusters' blocks, whose ports are all free right now. */
export async function allocatePortBlock(taken: ReadonlySet<number>): Promise<number> {
  const start =
    FIRST_BLOCK +
    PORT_BLOCK_SIZE * Math.floor(Math.random() * ((LAST_BLOCK - FIRST_BLOCK) / PORT_BLOCK_SIZE));
  for (let base = start, tries = 0; tries < (LAST_BLOCK - FIRST_BLOCK) / PORT_BLOCK_SIZE; tries++) {
    if (!taken.has(base)) {
      const ports = Array.from({ length: PORT_BLOCK_SIZE }, (_, i) => base + i);
      if ((await Promise.all(ports.map(isFree))).every(Boolean)) return base;
    }
    base += PORT_BLOCK_SIZE;
    if (base >= LAST_BLOCK) base = FIRST_BLOCK;
  }
  throw new Error('no free block of local ports for the cluster');
}
