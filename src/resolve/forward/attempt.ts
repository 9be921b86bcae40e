// The outcome of one attempt to get a reply from one server over one transport.
import type { DecodedMessage } from '../../dns/index.js';

export type Attempt =
  | { kind: 'reply'; reply: DecodedMessage; dropped: number }
  /** No acceptable reply before the deadline. */
  | { kind: 'timeout'; dropped: number }
  /** The socket failed: unreachable, refused, reset, or closed before a reply. */
  | { kind: 'network'; error: Error; dropped: number };
