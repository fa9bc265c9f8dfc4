import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCommand } from '../../support/run-command.js';
import { BOOTSTRAP_DIR } from './bootstrap-scripts.js';

function shellScripts(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? shellScripts(join(dir, entry.name))
      : entry.name.endsWith('.sh')
        ? [join(dir, entry.name)]
        : [],
  );
}

describe('node bootstrap scripts', () => {
  const scripts = shellScripts(BOOTSTRAP_DIR);

  it('are all there', () => {
    expect(scripts.map((s) => s.slice(BOOTSTRAP_DIR.length)).sort()).toEqual(
      expect.arrayContaining([
        'strata-node.sh',
        'strata-container.sh',
        'render-broker-properties.sh',
        'render-etcd-flags.sh',
        'grow-data-volume.sh',
        'lib/common.sh',
      ]),
    );
  });

  it('pass shellcheck, following what they source', async () => {
    const result = await runCommand('shellcheck', [
      '--external-sources',
      '--source-path=SCRIPTDIR',
      ...scripts,
    ]);
    expect(result.stdout + result.stderr).toBe('');
    expect(result.code).toBe(0);
  });
});
