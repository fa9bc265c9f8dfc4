import { readFileSync } from 'node:fs';
import { getProperties } from 'properties-file';
import { BROKER_PROPERTIES } from './broker-properties.js';
import { ConfigError } from './config-error.js';
import { isPerListenerSetting } from './listener-security.js';

/** Environment variables of the control plane; a broker it launches inherits them and ignores them. */
const CONTROL_PLANE_VARIABLES = new Set([
  'STRATA_DATABASE_URL',
  'STRATA_PROVIDER',
  'STRATA_STATE_DIR',
  'STRATA_API_KEY',
  'STRATA_LOG_LEVEL',
  'STRATA_MONITOR_INTERVAL_MS',
  'STRATA_BROKER_LOG_LEVEL',
]);

/** `STRATA_LOG_RETENTION_MS` → `log.retention.ms`; a double underscore stands for an underscore. */
export function propertyNameOfVariable(variable: string): string {
  return variable
    .slice('STRATA_'.length)
    .toLowerCase()
    .split('__')
    .map((part) => part.replace(/_/g, '.'))
    .join('_');
}

export interface CommandLine {
  readonly propertiesFile: string;
  readonly overrides: ReadonlyMap<string, string>;
}

/** `strata-broker <server.properties> [--override key=value ...]`, as Kafka's start script. */
export function parseCommandLine(args: readonly string[]): CommandLine {
  const [file, ...rest] = args;
  if (!file || file.startsWith('-')) {
    throw new ConfigError(
      'command line',
      'usage: strata-broker <server.properties> [--override key=value ...]',
    );
  }
  const overrides = new Map<string, string>();
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    if (arg !== '--override') throw new ConfigError('command line', `unexpected argument "${arg}"`);
    const pair = rest[++i];
    const at = pair?.indexOf('=') ?? -1;
    if (!pair || at <= 0) throw new ConfigError('--override', `expects key=value, got "${pair ?? ''}"`);
    overrides.set(pair.slice(0, at).trim(), pair.slice(at + 1));
  }
  return { propertiesFile: file, overrides };
}

/**
 * The broker's properties: the file, then `STRATA_*` environment variables, then `--override`s,
 * each later source winning.
 */
export function loadProperties(commandLine: CommandLine, env: NodeJS.ProcessEnv): Map<string, string> {
  let text: string;
  try {
    text = readFileSync(commandLine.propertiesFile, 'utf8');
  } catch (error) {
    throw new ConfigError(
      commandLine.propertiesFile,
      `cannot read the properties file: ${(error as Error).message}`,
    );
  }
  const properties = new Map(Object.entries(getProperties(text)));
  for (const [variable, value] of Object.entries(env)) {
    if (!variable.startsWith('STRATA_') || value === undefined || CONTROL_PLANE_VARIABLES.has(variable))
      continue;
    const name = propertyNameOfVariable(variable);
    if (!(name in BROKER_PROPERTIES) && !isPerListenerSetting(name)) {
      throw new ConfigError(variable, `names the setting ${name}, which is not a setting Strata knows`);
    }
    properties.set(name, value);
  }
  for (const [key, value] of commandLine.overrides) properties.set(key, value);
  return properties;
}
