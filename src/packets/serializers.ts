/**
 * The serializers, converters and protocol objects of `torsion/packets`
 * (EasyNetwork's `serializers/`, `converter.py` and `protocol.py`), and the
 * packet errors they raise.
 * @module
 */
export {
  type IBufferedIncrementalPacketSerializer,
  type IIncrementalPacketSerializer,
  type IPacketConverter,
  type IPacketSerializer,
  isBufferedIncrementalPacketSerializer,
  isIncrementalPacketSerializer,
  isPacketConverter,
  isPacketSerializer,
} from './abc';
export { BufferedStreamProtocol, DatagramProtocol, StreamProtocol } from './protocol';
export { JSONSerializer, type JSONSerializerOptions } from './serializers/json';
export {
  DEFAULT_SERIALIZER_LIMIT,
  type Newline,
  StringLineSerializer,
  type StringLineSerializerOptions,
} from './serializers/line';
export type { UnicodeErrors } from '../codec';
export {
  BaseProtocolParseError,
  ClientClosedError,
  DatagramProtocolParseError,
  DeserializeError,
  IncompleteReadError,
  IncrementalDeserializeError,
  LimitOverrunError,
  MessageLengthError,
  PacketConversionError,
  StreamProtocolParseError,
} from '../errors';
