import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ControlPlaneDatabase } from './control-plane.js';
import type { StrataStackProps } from './strata-stack.js';

/** The repository's root: relative paths in the app's context are read from here. */
export const REPOSITORY_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Where `scripts/build-node-bundle.mjs` writes the node bundle. */
export const DEFAULT_NODE_BUNDLE_PATH = resolve(REPOSITORY_ROOT, '.cache/node-bundle/strata-node.tgz');

/** The context keys the app reads (`cdk synth -c key=value`, or `context` in cdk.json). */
export type ContextProps = Pick<
  StrataStackProps,
  | 'nodeBundlePath'
  | 'clusterId'
  | 'brokersPerZone'
  | 'availabilityZones'
  | 'volumeSizeGiB'
  | 'targetUtilizationPercent'
  | 'maxVolumeSizeGiB'
  | 'expansionCooldownSeconds'
  | 'natGateways'
  | 'dataMountPath'
  | 'storageAutoExpansion'
  | 'controlPlaneDatabase'
  | 'databaseMultiAz'
  | 'databaseDeletionProtection'
>;

/**
 * The stack's settings from the app's context. Values given on the command line arrive as strings
 * (`-c brokersPerZone=2`), values from cdk.json as JSON; both are taken. A malformed value is
 * refused by its key; ranges are checked by the stack (the control plane API's rules).
 */
export function stackPropsFromContext(context: (key: string) => unknown): ContextProps {
  const text = (key: string): string | undefined => {
    const value = context(key);
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value !== 'string')
      throw new Error(`context ${key} must be a string, not ${JSON.stringify(value)}`);
    return value;
  };
  const integer = (key: string): number | undefined => {
    const value = context(key);
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value === 'number' && Number.isInteger(value)) return value;
    if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
    throw new Error(`context ${key} must be a whole number, not ${JSON.stringify(value)}`);
  };
  const boolean = (key: string): boolean | undefined => {
    const value = context(key);
    if (value === undefined || value === null || value === '') return undefined;
    if (value === true || value === 'true') return true;
    if (value === false || value === 'false') return false;
    throw new Error(`context ${key} must be true or false, not ${JSON.stringify(value)}`);
  };
  const zones = (key: string): string[] | undefined => {
    const value = context(key);
    if (value === undefined || value === null || value === '') return undefined;
    const list = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : undefined;
    if (!list || !list.every((zone) => typeof zone === 'string' && zone.trim() !== '')) {
      throw new Error(`context ${key} must be zone names, comma-separated, not ${JSON.stringify(value)}`);
    }
    return list.map((zone: string) => zone.trim());
  };
  const oneOf = <T extends string>(key: string, values: readonly T[]): T | undefined => {
    const value = text(key);
    if (value === undefined) return undefined;
    if (!(values as readonly string[]).includes(value)) {
      throw new Error(`context ${key} must be one of ${values.join(', ')}, not ${JSON.stringify(value)}`);
    }
    return value as T;
  };
  const bundle = text('nodeBundlePath');
  const props: Record<string, unknown> = {
    nodeBundlePath: bundle === undefined ? DEFAULT_NODE_BUNDLE_PATH : resolveFromRoot(bundle),
    clusterId: text('clusterId'),
    brokersPerZone: integer('brokersPerZone'),
    availabilityZones: zones('availabilityZones'),
    volumeSizeGiB: integer('volumeSizeGiB'),
    targetUtilizationPercent: integer('targetUtilizationPercent'),
    maxVolumeSizeGiB: integer('maxVolumeSizeGiB'),
    expansionCooldownSeconds: integer('expansionCooldownSeconds'),
    natGateways: integer('natGateways'),
    dataMountPath: text('dataMountPath'),
    storageAutoExpansion: boolean('storageAutoExpansion'),
    controlPlaneDatabase: oneOf('controlPlaneDatabase', Object.values(ControlPlaneDatabase)),
    databaseMultiAz: boolean('databaseMultiAz'),
    databaseDeletionProtection: boolean('databaseDeletionProtection'),
  };
  return Object.fromEntries(Object.entries(props).filter(([, v]) => v !== undefined)) as ContextProps;
}

function resolveFromRoot(path: string): string {
  return isAbsolute(path) ? path : resolve(REPOSITORY_ROOT, path);
}
