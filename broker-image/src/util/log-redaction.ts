/**
 * Fields a broker never writes to its log, wherever they appear in a logged object (up to two
 * levels down): passwords, tokens, private keys and credentials, as SASL, TLS and the admin
 * endpoint's settings carry them. Their values are replaced by "[redacted]".
 */
const SECRET_FIELDS = [
  'password',
  'passwd',
  'secret',
  'token',
  'adminListenerToken',
  'privateKey',
  'authorization',
  'credentials',
  'saltedPassword',
  'storedKey',
  'serverKey',
];

export const LOG_REDACTION = {
  paths: [
    ...SECRET_FIELDS,
    ...SECRET_FIELDS.map((field) => `*.${field}`),
    ...SECRET_FIELDS.map((field) => `*.*.${field}`),
  ],
  censor: '[redacted]',
};
