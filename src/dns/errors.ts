/**
 * Malformed wire data, or a value that cannot be put on the wire (bad name, address, size).
 * The codec throws only this for data problems; other errors are programming errors.
 */
export class WireError extends Error {
  override readonly name = 'WireError';
}
