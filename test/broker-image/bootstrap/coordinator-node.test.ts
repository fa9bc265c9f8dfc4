import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../support/free-port.js';
import { tempDir } from '../../support/temp-dir.js';
import { waitUntil } from '../../support/wait-until.js';
import {
  BOOTSTRAP_DIR,
  cleanEnvironment,
  recordingCommand,
  runBootstrap,
  startProcess,
  systemdVerify,
  unitExecStart,
  unitSetting,
  writeNodeEnv,
  type TrackedProcess,
} from './bootstrap-scripts.js';

const COORDINATOR_IPS = ['127.0.0.1', '127.0.0.2', '127.0.0.3'];
const ETCD_VERSION = 'v3.4.23';

let dir: { path: string; cleanup: () => void };
const processes: TrackedProcess[] = [];
/** An etcd release tarball as etcd publishes one, made from this machine's etcd, and its sha256. */
let release: { url: string; sha256: string };

beforeAll(() => {
  dir = tempDir('strata-coordinator-node-');
  const name = `etcd-${ETCD_VERSION}-linux-amd64`;
  const releaseDir = join(dir.path, 'release', name);
  mkdirSync(releaseDir, { recursive: true });
  copyFileSync(execFileSync('which', ['etcd'], { encoding: 'utf8' }).trim(), join(releaseDir, 'etcd'));
  const tarball = join(dir.path, 'release', `${name}.tar.gz`);
  execFileSync('tar', ['-czf', tarball, '-C', join(dir.path, 'release'), name]);
  release = {
    url: `file://${tarball}`,
    sha256: createHash('sha256').update(readFileSync(tarball)).digest('hex'),
  };
});

afterAll(async () => {
  for (const p of processes) await p.stop();
  dir.cleanup();
});

function coordinatorInstance(
  index: number,
  ports: { client: number; peer: number },
  overrides: Record<string, string> = {},
) {
  const root = join(dir.path, `coordinator-${index}-${ports.client}`);
  const bundle = join(root, 'opt/strata');
  cpSync(BOOTSTRAP_DIR, join(bundle, 'bootstrap'), { recursive: true });
  mkdirSync(join(root, 'etc/strata'), { recursive: true });
  writeNodeEnv(join(root, 'etc/strata'), {
    STRATA_NODE_ROLE: 'coordinator',
    STRATA_CLUSTER_ID: 'orders-prod',
    STRATA_NODE_ID: String(index),
    STRATA_ZONE: `us-east-1${'abc'[index]}`,
    STRATA_COORDINATORS: COORDINATOR_IPS.join(','),
    STRATA_DATA_VOLUME_ID: '',
    STRATA_BROKER_SETTINGS_B64: '',
    STRATA_BUNDLE_URI: 's3://strata-assets/strata-node.tgz',
    STRATA_PRIVATE_IP: COORDINATOR_IPS[index]!,
    STRATA_ETCD_CLIENT_PORT: String(ports.client),
    STRATA_ETCD_PEER_PORT: String(ports.peer),
    STRATA_ETCD_VERSION: ETCD_VERSION,
    STRATA_ETCD_SHA256: release.sha256,
    STRATA_ETCD_URL: release.url,
    ...overrides,
  });
  const systemctl = recordingCommand(join(root, 'commands'), 'systemctl');
  return {
    root,
    systemctl,
    strataNode: join(bundle, 'bootstrap/strata-node.sh'),
    env: {
      STRATA_ROOT: root,
      STRATA_SYSTEMCTL: systemctl.path,
      STRATA_INSTALL_PACKAGES: recordingCommand(join(root, 'commands'), 'dnf-install').path,
      STRATA_SERVICE_USER: 'nobody',
    },
  };
}

describe('a coordinator instance', () => {
  it('installs the etcd release it is given, and three of them form a quorum from their units', async () => {
    const ports = { client: await freePort(), peer: await freePort() };
    const nodes = COORDINATOR_IPS.map((_, i) => coordinatorInstance(i, ports));
    for (const node of nodes) {
      const result = await runBootstrap(node.strataNode, [], node.env);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toContain(`installed etcd Version: 3.4.23 in ${node.root}/usr/local/bin`);
      expect(node.systemctl.calls()).toEqual([
        'daemon-reload',
        'enable strata-etcd.service',
        'start --no-block strata-etcd.service',
      ]);
    }
    const unit = (node: (typeof nodes)[number]) => join(node.root, 'etc/systemd/system/strata-etcd.service');
    expect(unitSetting(unit(nodes[0]!), 'User')).toBe('nobody');
    expect(unitSetting(unit(nodes[0]!), 'Type')).toBe('notify');
    expect(await systemdVerify([unit(nodes[0]!)], [/Special user nobody configured/])).toEqual([]);
    const dataDir = join(nodes[0]!.root, 'var/lib/strata/etcd');
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);

    for (const node of nodes) processes.push(startProcess(unitExecStart(unit(node)), cleanEnvironment()));
    await waitUntil(
      async () =>
        (
          await Promise.all(
            COORDINATOR_IPS.map(async (ip) => {
              try {
                const response = await fetch(`http://${ip}:${ports.client}/health`);
                return ((await response.json()) as { health: string }).health === 'true';
              } catch {
                return false;
              }
            }),
          )
        ).every(Boolean),
      'a quorum of the three coordinators',
      { timeoutMs: 30_000 },
    );
    expect(existsSync(join(dataDir, 'member/wal'))).toBe(true);

    // Booted again (etcd already installed, its data there): the member rejoins, not re-bootstraps.
    const again = await runBootstrap(nodes[0]!.strataNode, [], nodes[0]!.env);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).not.toContain('installed etcd');
    expect(readFileSync(unit(nodes[0]!), 'utf8')).toContain('--initial-cluster-state=existing');
  });

  it('refuses an etcd release whose sha256 is not the one named, and installs nothing', async () => {
    const wrong = 'f'.repeat(64);
    const node = coordinatorInstance(0, { client: 2379, peer: 2380 }, { STRATA_ETCD_SHA256: wrong });
    const result = await runBootstrap(node.strataNode, [], node.env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${release.url} does not have the sha256 ${wrong}`);
    expect(existsSync(join(node.root, 'usr/local/bin/etcd'))).toBe(false);
    expect(node.systemctl.calls()).toEqual([]);
  });

  it('refuses an address that is not its own in STRATA_COORDINATORS, before installing anything', async () => {
    const node = coordinatorInstance(1, { client: 2379, peer: 2380 }, { STRATA_PRIVATE_IP: '127.0.0.9' });
    const result = await runBootstrap(node.strataNode, [], node.env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      "coordinator 1's address in STRATA_COORDINATORS is 127.0.0.2, not 127.0.0.9",
    );
    expect(existsSync(join(node.root, 'usr/local/bin/etcd'))).toBe(false);
    expect(node.systemctl.calls()).toEqual([]);
  });
});
