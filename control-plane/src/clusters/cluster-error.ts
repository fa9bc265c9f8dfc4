/** The control plane's one error type: what went wrong, with the field and the rule it broke. */
export type ClusterErrorCode = 'not-found' | 'invalid' | 'conflict' | 'unavailable';

export class ClusterError extends Error {
  override readonly name = 'ClusterError';

  constructor(
    readonly code: ClusterErrorCode,
    readonly field: string,
    readonly rule: string,
  ) {
    super(`${field}: ${rule}`);
  }
}

export const notFound = (field: string, what: string): ClusterError =>
  new ClusterError('not-found', field, `${what} does not exist`);
export const invalid = (field: string, rule: string): ClusterError =>
  new ClusterError('invalid', field, rule);
export const conflict = (field: string, rule: string): ClusterError =>
  new ClusterError('conflict', field, rule);
