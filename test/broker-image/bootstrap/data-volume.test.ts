import { execFileSync, spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  openSync,
  closeSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getProperties } from 'properties-file';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freePort } from '../../support/free-port.js';
import { tempDir } from '../../support/temp-dir.js';
import { waitUntil } from '../../support/wait-until.js';
import {
  BOOTSTRAP_DIR,
  cleanEnvironment,
  recordingCommand,
  runBootstrap,
  startBroker,
  startProcess,
  systemdVerify,
  unitExecStart,
  unitSetting,
  writeNodeEnv,
  type TrackedProcess,
} from './bootstrap-scripts.js';

const REPOSITORY_BIN = fileURLToPath(new URL('../../../bin/', import.meta.url));
const MIB = 1024 * 1024;
const VOLUME_ID = 'vol-0a1b2c3d4e5f60718';
/** A user every Linux has, so the test adds none to the machine. */
const SERVICE_USER = 'nobody';
/** What systemd says of units that run as nobody, as the tests' do. */
const NOBODY_WARNING = /Special user nobody configured/;

/**
 * Whether this machine lets the test attach a file as a block device (root, loop devices): the
 * format, mount and grow of a data volume need one. Found by trying.
 */
const LOOP_DEVICES = (() => {
  const dir = tempDir('strata-loop-probe-');
  try {
    const image = join(dir.path, 'probe.img');
    writeFileSync(image, Buffer.alloc(MIB));
    const attach = spawnSync('losetup', ['--find', '--show', image], { encoding: 'utf8' });
    if (attach.status !== 0) return false;
    execFileSync('losetup', ['--detach', attach.stdout.trim()]);
    return true;
  } catch {
    return false;
  } finally {
    dir.cleanup();
  }
})();

/**
 * Whether ext4 grows while mounted here (resize2fs on a mounted file system). Some kernels refuse
 * it to a sandbox; found by trying.
 */
const EXT4_ONLINE_GROW =
  LOOP_DEVICES &&
  (() => {
    const dir = tempDir('strata-ext4-probe-');
    const image = join(dir.path, 'probe.img');
    const mountPoint = join(dir.path, 'mnt');
    let device = '';
    try {
      execFileSync('truncate', ['--size', String(32 * MIB), image]);
      device = execFileSync('losetup', ['--find', '--show', image], { encoding: 'utf8' }).trim();
      execFileSync('mkfs.ext4', ['-q', device]);
      mkdirSync(mountPoint);
      execFileSync('mount', [device, mountPoint]);
      execFileSync('truncate', ['--size', String(64 * MIB), image]);
      execFileSync('losetup', ['--set-capacity', device]);
      return spawnSync('resize2fs', [device], { stdio: 'ignore' }).status === 0;
    } catch {
      return false;
    } finally {
      spawnSync('umount', [mountPoint]);
      if (device) spawnSync('losetup', ['--detach', device]);
      dir.cleanup();
    }
  })();

/** A file attached as a block device: an EBS volume's stand-in, which can grow while in use. */
class LoopVolume {
  private constructor(
    readonly image: string,
    readonly device: string,
  ) {}

  static attach(image: string, bytes: number): LoopVolume {
    execFileSync('truncate', ['--size', String(bytes), image]);
    const device = execFileSync('losetup', ['--find', '--show', image], { encoding: 'utf8' }).trim();
    return new LoopVolume(image, device);
  }

  /** What ModifyVolume does to an attached volume: a larger device under the running instance. */
  grow(bytes: number): void {
    execFileSync('truncate', ['--size', String(bytes), this.image]);
    execFileSync('losetup', ['--set-capacity', this.device]);
  }

  detach(): void {
    spawnSync('losetup', ['--detach', this.device]);
  }
}

interface Instance {
  readonly root: string;
  /** Where the node bundle is unpacked: the bootstrap, and the broker's bin. */
  readonly bundle: string;
  readonly strataNode: string;
  readonly growDataVolume: string;
  readonly systemctl: ReturnType<typeof recordingCommand>;
  readonly packages: ReturnType<typeof recordingCommand>;
  readonly env: Record<string, string>;
  readonly mountPoint: string;
}

let dir: { path: string; cleanup: () => void };
let volumes: LoopVolume[];
let processes: TrackedProcess[];
let mounts: string[];

beforeEach(() => {
  dir = tempDir('strata-data-volume-');
  volumes = [];
  processes = [];
  mounts = [];
});

afterEach(async () => {
  for (const p of processes) await p.stop();
  for (const mountPoint of mounts) spawnSync('umount', [mountPoint]);
  for (const volume of volumes) volume.detach();
  dir.cleanup();
});

/**
 * An instance's file system under a temp dir: the node bundle in opt/strata (the bootstrap, and
 * the bin of the broker this checkout built), and the volume linked where udev would link it.
 */
function instance(volume?: LoopVolume): Instance {
  const root = join(dir.path, 'root');
  const bundle = join(root, 'opt/strata');
  cpSync(BOOTSTRAP_DIR, join(bundle, 'bootstrap'), { recursive: true });
  symlinkSync(REPOSITORY_BIN, join(bundle, 'bin'));
  const byId = join(root, 'dev/disk/by-id');
  mkdirSync(byId, { recursive: true });
  mkdirSync(join(root, 'etc'), { recursive: true });
  if (volume) {
    const serial = VOLUME_ID.replace('-', '');
    symlinkSync(volume.device, join(byId, `nvme-Amazon_Elastic_Block_Store_${serial}`));
  }
  const systemctl = recordingCommand(join(dir.path, 'commands'), 'systemctl');
  const packages = recordingCommand(join(dir.path, 'commands'), 'dnf-install');
  const mountPoint = join(root, 'var/lib/strata/data');
  mounts.push(mountPoint);
  return {
    root,
    bundle,
    strataNode: join(bundle, 'bootstrap/strata-node.sh'),
    growDataVolume: join(bundle, 'bootstrap/grow-data-volume.sh'),
    systemctl,
    packages,
    mountPoint,
    env: {
      STRATA_ROOT: root,
      STRATA_SYSTEMCTL: systemctl.path,
      STRATA_INSTALL_PACKAGES: packages.path,
      STRATA_SERVICE_USER: SERVICE_USER,
      STRATA_VOLUME_WAIT_SECONDS: '2',
    },
  };
}

function brokerNodeEnv(node: Instance, extra: Record<string, string> = {}): void {
  mkdirSync(join(node.root, 'etc/strata'), { recursive: true });
  writeNodeEnv(join(node.root, 'etc/strata'), {
    STRATA_NODE_ROLE: 'broker',
    STRATA_CLUSTER_ID: 'volume-test',
    STRATA_NODE_ID: '1',
    STRATA_ZONE: 'us-east-1a',
    STRATA_COORDINATORS: '127.0.0.1',
    STRATA_DATA_VOLUME_ID: VOLUME_ID,
    STRATA_BROKER_SETTINGS_B64: '',
    STRATA_BUNDLE_URI: 's3://strata-assets/strata-node.tgz',
    STRATA_PRIVATE_IP: '127.0.0.1',
    ...extra,
  });
}

function blkid(device: string, tag: string): string {
  return execFileSync('blkid', ['--probe', '--match-tag', tag, '--output', 'value', device], {
    encoding: 'utf8',
  }).trim();
}

function mountSource(mountPoint: string): string {
  const result = spawnSync('findmnt', ['--noheadings', '--output', 'SOURCE', '--mountpoint', mountPoint], {
    encoding: 'utf8',
  });
  return result.status === 0 ? result.stdout.trim() : '';
}

function fileSystemBytes(path: string): number {
  const stats = execFileSync('stat', ['--file-system', '--format', '%b %S', path], { encoding: 'utf8' });
  const [blocks, blockSize] = stats.trim().split(' ').map(Number);
  return blocks! * blockSize!;
}

/** One etcd member on loopback: the broker's coordinator for these tests. */
async function singleCoordinator(): Promise<number> {
  const clientPort = await freePort();
  const peerPort = await freePort();
  const coordinator = startProcess(
    [
      'etcd',
      `--data-dir=${join(dir.path, 'etcd')}`,
      `--listen-client-urls=http://127.0.0.1:${clientPort}`,
      `--advertise-client-urls=http://127.0.0.1:${clientPort}`,
      `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-cluster=default=http://127.0.0.1:${peerPort}`,
    ],
    cleanEnvironment(),
  );
  processes.push(coordinator);
  return clientPort;
}

async function storageTotalBytes(adminPort: number): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${adminPort}/storage`);
  const body = (await response.json()) as { logDirs: { totalBytes: number }[] };
  return body.logDirs[0]!.totalBytes;
}

describe('a broker instance', () => {
  it('waits for its data volume, then fails naming it when it never attaches', async () => {
    const node = instance();
    brokerNodeEnv(node);
    const result = await runBootstrap(node.strataNode, [], node.env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`volume ${VOLUME_ID} is not attached after 2s`);
    expect(node.systemctl.calls()).toEqual([]);
  });

  it.each([
    ['a relative root', { STRATA_ROOT: 'root' }, 'STRATA_ROOT "root" is not an absolute path'],
    ['a blank systemctl', { STRATA_SYSTEMCTL: ' ' }, 'STRATA_SYSTEMCTL is blank'],
    ['a bad user name', { STRATA_SERVICE_USER: 'Strata User' }, 'STRATA_SERVICE_USER "Strata User"'],
  ])('refuses %s, naming the variable', async (_what, override, message) => {
    const node = instance();
    brokerNodeEnv(node);
    const result = await runBootstrap(node.strataNode, [], { ...node.env, ...override });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(message);
  });

  it.runIf(LOOP_DEVICES)(
    'formats its blank volume, mounts it, starts a broker on it, and grows the file system under the running broker',
    async () => {
      const volume = LoopVolume.attach(join(dir.path, 'volume.img'), 320 * MIB);
      volumes.push(volume);
      const node = instance(volume);
      const clientPort = await singleCoordinator();
      const kafkaPort = await freePort();
      const adminPort = await freePort();
      brokerNodeEnv(node, {
        STRATA_ETCD_CLIENT_PORT: String(clientPort),
        STRATA_KAFKA_PORT: String(kafkaPort),
        STRATA_ADMIN_PORT: String(adminPort),
      });

      const result = await runBootstrap(node.strataNode, [], node.env);
      expect(result.code, result.stderr).toBe(0);

      // The volume: XFS, mounted by UUID from fstab, grown to its device already.
      expect(blkid(volume.device, 'TYPE')).toBe('xfs');
      const uuid = blkid(volume.device, 'UUID');
      expect(readFileSync(join(node.root, 'etc/fstab'), 'utf8')).toBe(
        `UUID=${uuid} ${node.mountPoint} xfs defaults,noatime,nofail 0 2\n`,
      );
      expect(mountSource(node.mountPoint)).toBe(volume.device);
      const logsDir = join(node.mountPoint, 'logs');
      expect(statSync(logsDir).uid).toBe(
        Number(execFileSync('id', ['-u', SERVICE_USER], { encoding: 'utf8' })),
      );

      // server.properties and the units, and systemd asked to start them.
      const properties = getProperties(readFileSync(join(node.root, 'etc/strata/server.properties'), 'utf8'));
      expect(properties).toMatchObject({
        'node.id': '1',
        'broker.rack': 'us-east-1a',
        'log.dirs': logsDir,
        'coordinator.endpoints': `http://127.0.0.1:${clientPort}`,
        'admin.listener.token.file': join(node.root, 'etc/strata/admin.token'),
      });
      // The admin token: made once, 256 bits, readable by root and the broker's group only.
      const tokenFile = join(node.root, 'etc/strata/admin.token');
      const token = readFileSync(tokenFile, 'utf8');
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(statSync(tokenFile).mode & 0o777).toBe(0o640);
      const units = join(node.root, 'etc/systemd/system');
      expect(unitSetting(join(units, 'strata-broker.service'), 'User')).toBe(SERVICE_USER);
      expect(unitSetting(join(units, 'strata-broker.service'), 'RequiresMountsFor')).toBe(node.mountPoint);
      const unitFiles = ['strata-broker.service', 'strata-growfs.service', 'strata-growfs.timer'];
      expect(
        await systemdVerify(
          unitFiles.map((unit) => join(units, unit)),
          [NOBODY_WARNING],
        ),
      ).toEqual([]);
      expect(node.packages.calls()).toEqual(['nodejs20 xfsprogs']);
      expect(node.systemctl.calls()).toEqual([
        'daemon-reload',
        'enable --now strata-growfs.timer strata-broker.service',
      ]);

      // What systemd would run: the broker, on the mounted volume.
      const broker = await startBroker(unitExecStart(join(units, 'strata-broker.service')), processes);
      const before = await storageTotalBytes(adminPort);
      expect(before).toBe(fileSystemBytes(node.mountPoint));
      expect(before).toBeLessThan(320 * MIB);

      // EBS grows the volume; the timer's service grows the file system; the broker sees it.
      volume.grow(640 * MIB);
      const growfs = unitExecStart(join(units, 'strata-growfs.service'));
      expect(growfs).toEqual([node.growDataVolume, node.mountPoint]);
      const grown = await runBootstrap(growfs[0]!, growfs.slice(1));
      expect(grown.code, grown.stderr).toBe(0);
      expect(grown.stderr).toContain(`grew ${node.mountPoint}`);
      expect(fileSystemBytes(node.mountPoint)).toBeGreaterThan(500 * MIB);
      await waitUntil(
        async () => (await storageTotalBytes(adminPort)) > 500 * MIB,
        'the broker to see the grown volume',
        {
          timeoutMs: 10_000,
        },
      );
      expect(broker.alive).toBe(true);

      // Nothing to grow the second time.
      const again = await runBootstrap(growfs[0]!, growfs.slice(1));
      expect(again.code).toBe(0);
      expect(again.stderr).toContain('fills');
    },
  );

  it.runIf(LOOP_DEVICES)('keeps a volume that has a file system, and runs again without change', async () => {
    const volume = LoopVolume.attach(join(dir.path, 'volume.img'), 64 * MIB);
    volumes.push(volume);
    // A replaced broker's volume: ext4, holding its logs.
    execFileSync('mkfs.ext4', ['-q', '-L', 'kept', volume.device]);
    const uuid = blkid(volume.device, 'UUID');
    const node = instance(volume);
    brokerNodeEnv(node);

    const first = await runBootstrap(node.strataNode, [], node.env);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toContain('already has a file system (ext4)');
    expect(blkid(volume.device, 'UUID')).toBe(uuid);
    writeFileSync(join(node.mountPoint, 'logs', 'kept.txt'), 'from before');
    const token = readFileSync(join(node.root, 'etc/strata/admin.token'), 'utf8');

    const second = await runBootstrap(node.strataNode, [], node.env);
    expect(second.code, second.stderr).toBe(0);
    expect(readFileSync(join(node.root, 'etc/strata/admin.token'), 'utf8')).toBe(token);
    expect(mountSource(node.mountPoint)).toBe(volume.device);
    expect(readFileSync(join(node.mountPoint, 'logs', 'kept.txt'), 'utf8')).toBe('from before');
    expect(readFileSync(join(node.root, 'etc/fstab'), 'utf8').trim().split('\n')).toEqual([
      `UUID=${uuid} ${node.mountPoint} ext4 defaults,noatime,nofail 0 2`,
    ]);
  });

  it.runIf(EXT4_ONLINE_GROW)('grows a mounted ext4 volume with resize2fs', async () => {
    const volume = LoopVolume.attach(join(dir.path, 'volume.img'), 64 * MIB);
    volumes.push(volume);
    execFileSync('mkfs.ext4', ['-q', volume.device]);
    const node = instance(volume);
    brokerNodeEnv(node);
    const bootstrapped = await runBootstrap(node.strataNode, [], node.env);
    expect(bootstrapped.code, bootstrapped.stderr).toBe(0);

    volume.grow(128 * MIB);
    const grown = await runBootstrap(node.growDataVolume, [node.mountPoint]);
    expect(grown.code, grown.stderr).toBe(0);
    expect(fileSystemBytes(node.mountPoint)).toBeGreaterThan(100 * MIB);
  });

  it.runIf(LOOP_DEVICES)('refuses to format a volume with a partition table and no file system', async () => {
    const volume = LoopVolume.attach(join(dir.path, 'volume.img'), 64 * MIB);
    volumes.push(volume);
    writeMbrPartitionTable(volume.device);
    const node = instance(volume);
    brokerNodeEnv(node);
    const result = await runBootstrap(node.strataNode, [], node.env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `${volume.device} has a dos partition table and no file system; not formatting it`,
    );
    expect(existsSync(join(node.root, 'etc/fstab'))).toBe(false);
  });
});

/** An MBR with one Linux partition and no file system anywhere: a disk someone partitioned. */
function writeMbrPartitionTable(device: string): void {
  const mbr = Buffer.alloc(512);
  mbr[446 + 4] = 0x83;
  mbr.writeUInt32LE(2048, 446 + 8);
  mbr.writeUInt32LE(65536, 446 + 12);
  mbr[510] = 0x55;
  mbr[511] = 0xaa;
  const fd = openSync(device, 'r+');
  try {
    writeSync(fd, mbr, 0, mbr.length, 0);
  } finally {
    closeSync(fd);
  }
}
