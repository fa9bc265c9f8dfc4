/**
 * Thrown when bytes on the wire do not form a valid message: a truncated buffer, a negative
 * length where none is allowed, a null where the version does not allow one.
 * The broker answers these by closing the offending connection.
 */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
}
