import pino, { type Logger } from 'pino';

/**
 * Fields never written to the log, wherever they appear in a logged object (up to two levels
 * down): API keys, passwords, tokens, private keys and request credentials. Their values are
 * replaced by "[redacted]". Nothing logs them on purpose; this is the net under that rule.
 */
const SECRET_FIELDS = [
  'password',
  'passwd',
  'secret',
  'token',
  'apiKey',
  'bootstrapApiKey',
  'STRATA_API_KEY',
  'privateKey',
  'authorization',
  'cookie',
  'hash',
];

export const LOG_REDACTION = {
  paths: [
    ...SECRET_FIELDS,
    ...SECRET_FIELDS.map((field) => `*.${field}`),
    ...SECRET_FIELDS.map((field) => `*.*.${field}`),
    'req.headers.authorization',
    'req.headers.cookie',
    'headers.authorization',
  ],
  censor: '[redacted]',
};

/** The control plane's logger: JSON lines to stdout, at `level`, with secret fields redacted. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  const options = { level, base: { role: 'control-plane' }, redact: LOG_REDACTION };
  return destination ? pino(options, destination) : pino(options);
}
