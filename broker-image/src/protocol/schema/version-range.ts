/**
 * A range of API versions as Kafka's message definitions write them: "3+", "0-2", "5", "none".
 */
export interface VersionRange {
  readonly min: number;
  /** Inclusive; Infinity for an open range. */
  readonly max: number;
}

export const NO_VERSIONS: VersionRange = { min: 1, max: 0 };
export const ALL_VERSIONS: VersionRange = { min: 0, max: Infinity };

export function parseVersionRange(spec: string): VersionRange {
  if (spec === 'none') return NO_VERSIONS;
  const open = /^(\d+)\+$/.exec(spec);
  if (open) return { min: Number(open[1]), max: Infinity };
  const closed = /^(\d+)-(\d+)$/.exec(spec);
  if (closed) return { min: Number(closed[1]), max: Number(closed[2]) };
  if (/^\d+$/.test(spec)) return { min: Number(spec), max: Number(spec) };
  throw new Error(`invalid version range "${spec}"`);
}

export function inRange(range: VersionRange, version: number): boolean {
  return version >= range.min && version <= range.max;
}
