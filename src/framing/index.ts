/**
 * Framing protocols (`torsion/protocols/basic`, Twisted's
 * `twisted.protocols.basic`): turn a byte stream into lines or
 * length-prefixed strings, plus an idle timeout for any protocol
 * (Twisted's `policies.TimeoutMixin`).
 *
 * Every receiver hands out Buffers the application may keep. A frame that
 * lies inside one received chunk is a view of it (no copy); a frame that
 * spans chunks is copied once, when complete; no received byte is searched
 * twice, so cost is linear in the bytes received however they are chunked.
 * @module torsion/protocols/basic
 */
export { LineReceiver } from './line-receiver';
export { LineOnlyReceiver } from './line-only-receiver';
export { IntNStringReceiver, Int8StringReceiver, Int16StringReceiver, Int32StringReceiver } from './int-n-string-receiver';
export { NetstringReceiver } from './netstring-receiver';
export { StringTooLongError, NetstringParseError } from './errors';
export { TimeoutMixin } from './timeout';
export type { ProtocolConstructor } from './timeout';
