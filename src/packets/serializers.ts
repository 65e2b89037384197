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
export { type AnyConverter, BufferedStreamProtocol, DatagramProtocol, StreamProtocol } from './protocol';
export {
  AutoSeparatedPacketSerializer,
  type AutoSeparatedPacketSerializerOptions,
  FixedSizePacketSerializer,
  type FixedSizePacketSerializerOptions,
} from './serializers/base-stream';
export { Base64EncoderSerializer, type Base64EncoderSerializerOptions } from './serializers/base64';
export { StructSerializer } from './serializers/struct';
export { ZlibCompressorSerializer, type ZlibCompressorSerializerOptions } from './serializers/compressor';
export { LengthPrefixedSerializer, type LengthPrefixedSerializerOptions } from './serializers/length-prefixed';
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
