// The DNS wire codec's public surface.

export * from './types.js';
export { WireError } from './errors.js';
export {
  readName,
  skipName,
  encodeName,
  nameToLabels,
  nameWireLength,
  canonicalName,
  namesEqual,
  MAX_LABEL_LENGTH,
  MAX_NAME_LENGTH,
} from './name.js';
export { parseQuery, type ParseOutcome } from './parse.js';
export { encodeResponse, type ResponseHeader, type EncodeOptions } from './encode.js';
export { decodeMessage, type DecodedMessage, type DecodeOptions } from './message.js';
export { OPT_RECORD_SIZE } from './edns.js';
export { HEADER_SIZE } from './header.js';
