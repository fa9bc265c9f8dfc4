/**
 * The machine's own limits, measured in the same run as the workloads: how fast the log disk takes
 * sequential writes, how fast loopback TCP moves bytes between two processes, and how fast one core
 * copies memory. Broker results are quoted as fractions of these.
 */
import { rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { runToCompletion, spawnTracked } from '../support/children.js';
import { median } from '../report/stats.js';

export interface Ceilings {
  /** Sequential write into the page cache (dd, no sync): what a broker that never fsyncs writes into. */
  readonly diskBufferedMBps: number;
  /** The same, including the final fdatasync: what the device sustains through the page cache. */
  readonly diskBufferedSyncedMBps: number;
  /** Sequential O_DIRECT writes (dd oflag=direct): the device itself. */
  readonly diskDirectMBps: number;
  /** Bytes per second between two processes over one loopback TCP connection. */
  readonly loopbackMBps: number;
  /** Buffer.copy of 64 MiB blocks on one core. */
  readonly memcpyMBps: number;
  /** The exact commands, for the results file. */
  readonly commands: readonly string[];
}

const MB = 1024 * 1024;

export interface CeilingSizes {
  /** Bytes dd writes per measurement. */
  readonly ddBytes: number;
  /** How long the loopback and memory-copy loops run. */
  readonly loopSeconds: number;
  readonly repetitions: number;
}

export async function measureCeilings(logDiskDir: string, sizes: CeilingSizes): Promise<Ceilings> {
  const file = join(logDiskDir, 'ceiling.dd');
  const count = Math.max(1, Math.round(sizes.ddBytes / MB));
  const dd = (extra: string[]) => ['if=/dev/zero', `of=${file}`, 'bs=1M', `count=${count}`, ...extra];
  const variants = {
    buffered: dd([]),
    synced: dd(['conv=fdatasync']),
    direct: dd(['oflag=direct']),
  };
  const samples: Record<keyof typeof variants | 'loopback' | 'memcpy', number[]> = {
    buffered: [],
    synced: [],
    direct: [],
    loopback: [],
    memcpy: [],
  };
  try {
    for (let rep = 0; rep < sizes.repetitions; rep++) {
      // An unmeasured write first: in a VM, page-cache pages the guest has not touched yet cost a
      // host fault each, and the O_DIRECT file before it freed none. Brokers write into warm pages.
      await runToCompletion('sync', [], { timeoutMs: 300_000 });
      rmSync(file, { force: true });
      await ddMBps(variants.buffered);
      for (const [name, args] of Object.entries(variants) as [keyof typeof variants, string[]][]) {
        await runToCompletion('sync', [], { timeoutMs: 300_000 });
        rmSync(file, { force: true });
        samples[name].push(await ddMBps(args));
      }
      samples.loopback.push(await loopbackMBps(sizes.loopSeconds));
      samples.memcpy.push(memcpyMBps(sizes.loopSeconds));
    }
  } finally {
    rmSync(file, { force: true });
  }
  return {
    diskBufferedMBps: median(samples.buffered),
    diskBufferedSyncedMBps: median(samples.synced),
    diskDirectMBps: median(samples.direct),
    loopbackMBps: median(samples.loopback),
    memcpyMBps: median(samples.memcpy),
    commands: [
      ...Object.values(variants).map((args) => `dd ${args.join(' ')}`),
      `loopback: one node process writes 1 MiB chunks to another over 127.0.0.1 for ${sizes.loopSeconds} s (bench/machine/ceilings.ts)`,
      `memcpy: Buffer.copy of a 64 MiB buffer, repeated for ${sizes.loopSeconds} s (bench/machine/ceilings.ts)`,
    ],
  };
}

async function ddMBps(args: string[]): Promise<number> {
  const result = await runToCompletion('dd', args, { timeoutMs: 600_000, env: { LC_ALL: 'C' } });
  // "1073741824 bytes (1.1 GB, 1.0 GiB) copied, 0.52 s, 2.1 GB/s"
  const match = /^(\d+) bytes .* copied, ([\d.]+) s/m.exec(result.stderr);
  if (result.code !== 0 || !match) throw new Error(`dd ${args.join(' ')} failed: ${result.stderr}`);
  return Number(match[1]) / MB / Number(match[2]);
}

/** The sender, run as its own process so sender and receiver each have a core (as broker and client do). */
const LOOPBACK_SENDER = `
const net = require('node:net');
const [port, seconds] = process.argv.slice(1).map(Number);
const chunk = Buffer.alloc(1024 * 1024, 7);
const socket = net.connect(port, '127.0.0.1', () => {
  const deadline = Date.now() + seconds * 1000;
  const pump = () => {
    while (Date.now() < deadline) if (!socket.write(chunk)) return socket.once('drain', pump);
    socket.end();
  };
  pump();
});
`;

async function loopbackMBps(seconds: number): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  try {
    const received = new Promise<number>((resolve, reject) => {
      server.once('connection', (socket) => {
        let bytes = 0;
        let first = 0n;
        socket.on('data', (data: Buffer) => {
          if (first === 0n) first = process.hrtime.bigint();
          bytes += data.length;
        });
        socket.on('end', () => resolve(bytes / MB / (Number(process.hrtime.bigint() - first) / 1e9)));
        socket.on('error', reject);
      });
    });
    const sender = spawnTracked(process.execPath, ['-e', LOOPBACK_SENDER, String(port), String(seconds)], {
      stdio: 'ignore',
    });
    const exited = new Promise<void>((resolve) => sender.once('exit', () => resolve()));
    const mbps = await received;
    await exited;
    return mbps;
  } finally {
    server.close();
  }
}

function memcpyMBps(seconds: number): number {
  const size = 64 * MB;
  const source = Buffer.alloc(size, 1);
  const target = Buffer.alloc(size);
  source.copy(target); // fault the pages in before timing
  let copies = 0;
  const started = process.hrtime.bigint();
  const deadline = started + BigInt(Math.round(seconds * 1e9));
  let now = started;
  while (now < deadline) {
    source.copy(target);
    copies++;
    now = process.hrtime.bigint();
  }
  return (copies * size) / MB / (Number(now - started) / 1e9);
}
