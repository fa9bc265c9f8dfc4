import { homedir } from 'node:os';
import { resolve } from 'node:path';
import { z } from 'zod';
import { Ec2Environment, ec2Settings, type Ec2Settings } from './providers/ec2/ec2-settings.js';

/**
 * The control plane's settings, from the environment, validated at start-up: a bad value stops
 * the process with a message naming the variable.
 */
const Environment = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().min(1).default('127.0.0.1'),
  STRATA_STATE_DIR: z.string().min(1).default('./.strata'),
  STRATA_DATABASE_URL: z
    .string()
    .regex(/^(file:|postgres(ql)?:\/\/)/, 'must start with file: (SQLite) or postgresql:// (PostgreSQL)')
    .optional(),
  STRATA_PROVIDER: z.enum(['local', 'ec2']).default('local'),
  STRATA_API_KEY: z
    .string()
    .max(512, 'must be at most 512 characters')
    .superRefine((key, context) => {
      const problem = weakKeyProblem(key);
      if (problem) context.addIssue({ code: 'custom', message: problem });
    })
    .optional(),
  STRATA_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** How often health and storage are checked (ms). */
  STRATA_MONITOR_INTERVAL_MS: z.coerce.number().int().min(100).default(2000),
});

/** The fewest bits of entropy an operator's API key must have. */
export const MIN_KEY_BITS = 128;

/**
 * The entropy of a key, estimated from its own characters: its length times the Shannon entropy
 * of their frequencies. Random keys score about their true strength (a little under it: 64 hex
 * characters ≈ 250 bits, 43 base64url ≈ 205); repeated or patterned text scores far lower.
 */
export function estimatedKeyBits(key: string): number {
  const counts = new Map<string, number>();
  for (const c of key) counts.set(c, (counts.get(c) ?? 0) + 1);
  const length = [...key].length;
  let perCharacter = 0;
  for (const n of counts.values()) perCharacter -= (n / length) * Math.log2(n / length);
  return perCharacter * length;
}

/** Why an operator's API key is too weak (undefined when it is not). */
export function weakKeyProblem(key: string): string | undefined {
  const rule = `must be at least 32 random characters (${MIN_KEY_BITS} bits or more), e.g. from: openssl rand -hex 32`;
  if ([...key].length < 32) return `is too short: ${rule}`;
  if (/\s/.test(key)) return `must not contain white space: ${rule}`;
  const bits = estimatedKeyBits(key);
  if (bits < MIN_KEY_BITS) return `is too predictable (about ${Math.floor(bits)} bits): ${rule}`;
  return undefined;
}

export interface ControlPlaneConfig {
  readonly port: number;
  readonly host: string;
  readonly stateDir: string;
  readonly databaseUrl: string;
  readonly provider: 'local' | 'ec2';
  readonly bootstrapApiKey: string | undefined;
  readonly logLevel: string;
  readonly monitorIntervalMs: number;
  /** The EC2 provider's settings (with STRATA_PROVIDER=ec2). */
  readonly ec2: Ec2Settings | undefined;
}

export class EnvironmentError extends Error {
  override readonly name = 'EnvironmentError';
}

export function loadConfig(env: NodeJS.ProcessEnv): ControlPlaneConfig {
  // A variable set to nothing (`STRATA_DATABASE_URL= npm start`) counts as not set.
  const set = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const parsed = Environment.safeParse(set);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new EnvironmentError(`${issue.path.join('.')}: ${issue.message}`);
  }
  const e = parsed.data;
  let ec2: Ec2Settings | undefined;
  if (e.STRATA_PROVIDER === 'ec2') {
    const settings = Ec2Environment.safeParse(set);
    if (!settings.success) {
      const issue = settings.error.issues[0]!;
      throw new EnvironmentError(
        `${issue.path.join('.') || 'environment'}: ${issue.message} (needed by STRATA_PROVIDER=ec2)`,
      );
    }
    ec2 = ec2Settings(settings.data);
  }
  const stateDir = resolve(e.STRATA_STATE_DIR.replace(/^~(?=\/|$)/, homedir()));
  return {
    port: e.PORT,
    host: e.HOST,
    stateDir,
    databaseUrl: e.STRATA_DATABASE_URL ?? `file:${resolve(stateDir, 'strata.db')}`,
    provider: e.STRATA_PROVIDER,
    bootstrapApiKey: e.STRATA_API_KEY,
    logLevel: e.STRATA_LOG_LEVEL,
    monitorIntervalMs: e.STRATA_MONITOR_INTERVAL_MS,
    ec2,
  };
}
