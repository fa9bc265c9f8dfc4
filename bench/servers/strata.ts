/**
 * Strata as the harness runs it: one broker from the compiled bin (test/support/broker-process.ts),
 * or a replicated cluster of brokers and a 3-member etcd quorum (test/support/broker-cluster.ts).
 */
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { BrokerCluster } from '../../test/support/broker-cluster.js';
import { BrokerProcess } from '../../test/support/broker-process.js';
import { childPids } from '../machine/proc-usage.js';
import type { SystemUnderTest } from './system.js';
import type { Properties } from './kafka.js';

export interface StrataOptions {
  /** The broker's data dir (its server.properties and `logs/`). */
  readonly dataDir: string;
  readonly properties: Properties;
  /** When set, the broker runs under `node --cpu-prof` and writes its profile here on exit. */
  readonly cpuProfileDir?: string;
  /** Start on the data dir as it is and leave it on stop (a restart on the same data). */
  readonly keepData?: boolean;
}

export async function startStrata(options: StrataOptions): Promise<SystemUnderTest> {
  if (!options.keepData) rmSync(options.dataDir, { recursive: true, force: true });
  mkdirSync(options.dataDir, { recursive: true });
  const nodeArgs: string[] = [];
  if (options.cpuProfileDir) {
    mkdirSync(options.cpuProfileDir, { recursive: true });
    nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`);
  }
  const broker = await BrokerProcess.start({
    dataDir: options.dataDir,
    properties: options.properties,
    nodeArgs,
  });
  return {
    side: 'strata',
    bootstrap: broker.bootstrap,
    brokerPids: [broker.child.pid!],
    supportPids: [],
    configText: readFileSync(broker.propertiesFile, 'utf8'),
    startCommand: ['node', ...nodeArgs, 'bin/strata-broker.js', 'server.properties'].join(' '),
    stop: async () => {
      // SIGTERM: a clean stop, which is also when node writes a --cpu-prof profile.
      await broker.stop();
      if (!options.keepData) rmSync(options.dataDir, { recursive: true, force: true });
    },
  };
}

export interface StrataClusterOptions {
  readonly brokers: number;
  readonly properties: Properties;
}

/** Brokers' data dirs come from os.tmpdir(), which the harness points at its work dir. */
export async function startStrataCluster(options: StrataClusterOptions): Promise<SystemUnderTest> {
  const etcdBefore = new Set(childPids('etcd'));
  const cluster = await BrokerCluster.start({ brokers: options.brokers, properties: options.properties });
  const brokers = [...cluster.brokers.values()];
  return {
    side: 'strata',
    bootstrap: cluster.bootstrap,
    brokerPids: brokers.map((b) => b.child.pid!),
    supportPids: childPids('etcd').filter((pid) => !etcdBefore.has(pid)),
    configText: readFileSync(brokers[0]!.propertiesFile, 'utf8'),
    startCommand:
      'etcd ×3 as test/support/etcd-cluster.ts starts them (see scripts/local-cluster.sh), then per broker: node bin/strata-broker.js server.properties',
    stop: () => cluster.destroy(),
  };
}
