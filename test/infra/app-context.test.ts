import { describe, expect, it } from 'vitest';
import {
  DEFAULT_NODE_BUNDLE_PATH,
  REPOSITORY_ROOT,
  stackPropsFromContext,
} from '../../infra/lib/app-context.js';
import { clusterSettings, CLUSTER_DEFAULTS } from '../../infra/lib/cluster-settings.js';
import { ControlPlaneDatabase } from '../../infra/lib/control-plane.js';

/** The app's settings: context keys as the CLI passes them (strings) or cdk.json does (JSON). */
const fromContext = (context: Record<string, unknown>) => stackPropsFromContext((key) => context[key]);

describe('the app context', () => {
  it('takes command-line strings and cdk.json values alike', () => {
    expect(
      fromContext({
        brokersPerZone: '2',
        volumeSizeGiB: 200,
        availabilityZones: 'eu-west-1a, eu-west-1b,eu-west-1c',
        databaseMultiAz: 'false',
        storageAutoExpansion: false,
        controlPlaneDatabase: 'sqlite',
        nodeBundlePath: 'build/bundle.tgz',
      }),
    ).toEqual({
      brokersPerZone: 2,
      volumeSizeGiB: 200,
      availabilityZones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'],
      databaseMultiAz: false,
      storageAutoExpansion: false,
      controlPlaneDatabase: ControlPlaneDatabase.SQLITE,
      nodeBundlePath: `${REPOSITORY_ROOT}build/bundle.tgz`,
    });
  });

  it('leaves out what is not given, and finds the node bundle where the build script writes it', () => {
    expect(fromContext({})).toEqual({ nodeBundlePath: DEFAULT_NODE_BUNDLE_PATH });
  });

  it.each([
    [{ brokersPerZone: 'two' }, 'context brokersPerZone must be a whole number, not "two"'],
    [{ brokersPerZone: 1.5 }, 'context brokersPerZone must be a whole number, not 1.5'],
    [{ databaseMultiAz: 'yes' }, 'context databaseMultiAz must be true or false, not "yes"'],
    [
      { availabilityZones: 'a,,c' },
      'context availabilityZones must be zone names, comma-separated, not "a,,c"',
    ],
    [
      { controlPlaneDatabase: 'mysql' },
      'context controlPlaneDatabase must be one of postgresql, sqlite, not "mysql"',
    ],
    [{ clusterId: 7 }, 'context clusterId must be a string, not 7'],
  ])('refuses %j by its key', (context, message) => {
    expect(() => fromContext(context)).toThrow(message);
  });
});

describe('the cluster settings', () => {
  it("are MSK's defaults unless given", () => {
    expect(clusterSettings()).toEqual({
      clusterId: CLUSTER_DEFAULTS.clusterId,
      brokersPerZone: 1,
      volumeSizeGiB: 100,
      autoExpansion: {
        enabled: true,
        targetUtilizationPercent: 60,
        maxVolumeSizeGiB: 1000,
        cooldownSeconds: 21600,
      },
      brokerConfiguration: {},
    });
  });

  it.each([
    [{ clusterId: '-x' }, /^clusterId: "-x" must be 1-64 letters/],
    [{ brokersPerZone: 0 }, /^brokersPerZone: /],
    [{ targetUtilizationPercent: 95 }, /^targetUtilizationPercent: /],
    [{ expansionCooldownSeconds: -1 }, /^expansionCooldownSeconds: /],
    [{ volumeSizeGiB: 500, maxVolumeSizeGiB: 400 }, /^maxVolumeSizeGiB: 400 is below volumeSizeGiB \(500\)$/],
    [{ brokerConfiguration: { 'no.such.setting': '1' } }, /^brokerConfiguration/],
  ])('refuses %j with the control plane API rules, naming the setting', (input, message) => {
    expect(() => clusterSettings(input)).toThrow(message);
  });
});
