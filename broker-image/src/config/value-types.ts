import { ConfigError } from './config-error.js';

/**
 * Parsers for Kafka's config value types (int, long, double, boolean, string, list, class of
 * values), each turning the text of a property into a value or a {@link ConfigError}.
 */
export type ValueParser<T> = ((name: string, text: string) => T) & { readonly configType?: ValueKind };

/** Kafka's config value types, as DescribeConfigs reports them. */
export type ValueKind = 'BOOLEAN' | 'STRING' | 'INT' | 'SHORT' | 'LONG' | 'DOUBLE' | 'LIST';

function typed<T>(configType: ValueKind, parse: (name: string, text: string) => T): ValueParser<T> {
  return Object.assign(parse, { configType });
}

const INT32_MAX = 2 ** 31 - 1;

function integer(name: string, text: string, min: number, max: number, what: string): number {
  const trimmed = text.trim();
  if (!/^-?\d+$/.test(trimmed)) throw new ConfigError(name, `"${text}" is not ${what}`);
  const value = Number(trimmed);
  if (!Number.isSafeInteger(value) && value !== 2 ** 63) {
    // Long.MAX_VALUE is Kafka's "never" and reads as 2^63 here.
    if (trimmed !== '9223372036854775807') throw new ConfigError(name, `"${text}" is out of range`);
  }
  if (value < min) throw new ConfigError(name, `${value} is below the minimum ${min}`);
  if (value > max) throw new ConfigError(name, `${value} is above the maximum ${max}`);
  return trimmed === '9223372036854775807' ? Number.MAX_SAFE_INTEGER : value;
}

export const int = (min = -(2 ** 31), max = INT32_MAX): ValueParser<number> =>
  typed('INT', (name, text) => integer(name, text, min, max, 'an int'));

export const long = (min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): ValueParser<number> =>
  typed('LONG', (name, text) =>
    integer(name, text, min, max === Number.MAX_SAFE_INTEGER ? 2 ** 63 : max, 'a long'),
  );

export const double = (min = -Infinity, max = Infinity): ValueParser<number> =>
  typed('DOUBLE', (name, text) => {
    const value = Number(text.trim());
    if (text.trim() === '' || !Number.isFinite(value))
      throw new ConfigError(name, `"${text}" is not a number`);
    if (value < min || value > max) throw new ConfigError(name, `${value} is outside [${min}, ${max}]`);
    return value;
  });

export const bool: ValueParser<boolean> = typed('BOOLEAN', (name, text) => {
  const t = text.trim().toLowerCase();
  if (t === 'true') return true;
  if (t === 'false') return false;
  throw new ConfigError(name, `"${text}" is not true or false`);
});

export const str: ValueParser<string> = typed('STRING', (_name, text) => text.trim());

export const nonEmpty: ValueParser<string> = typed('STRING', (name, text) => {
  if (text.trim() === '') throw new ConfigError(name, 'must not be empty');
  return text.trim();
});

export const list: ValueParser<string[]> = typed('LIST', (_name, text) =>
  text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== ''),
);

export const oneOf = <T extends string>(...values: T[]): ValueParser<T> =>
  typed('STRING', (name, text) => {
    const t = text.trim();
    const found = values.find((v) => v.toLowerCase() === t.toLowerCase());
    if (!found) throw new ConfigError(name, `"${text}" is not one of ${values.join(', ')}`);
    return found;
  });

export const listOf = <T extends string>(...values: T[]): ValueParser<T[]> =>
  typed('LIST', (name, text) => {
    const items = list(name, text);
    if (items.length === 0) throw new ConfigError(name, `must list at least one of ${values.join(', ')}`);
    return items.map((item) => oneOf(...values)(name, item));
  });

/**
 * Kafka's `host:count,...` map (max.connections.per.ip.overrides): each host (a name or an
 * address; an IPv6 address may be bracketed) with a count of at least 0, each host once.
 */
export const hostCounts: ValueParser<ReadonlyMap<string, number>> = typed('STRING', (name, text) => {
  const counts = new Map<string, number>();
  for (const entry of list(name, text)) {
    const at = entry.lastIndexOf(':');
    const host = entry
      .slice(0, Math.max(at, 0))
      .trim()
      .replace(/^\[(.*)\]$/, '$1');
    const count = entry.slice(at + 1).trim();
    if (at < 0 || host === '' || !/^\d+$/.test(count))
      throw new ConfigError(name, `"${entry}" is not host:count`);
    if (counts.has(host.toLowerCase())) throw new ConfigError(name, `${host} is given twice`);
    counts.set(host.toLowerCase(), integer(name, count, 0, INT32_MAX, 'an int'));
  }
  return counts;
});
