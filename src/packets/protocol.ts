/**
 * EasyNetwork's protocol objects (`protocol.py`): a serializer plus an
 * optional converter, with the serializer's errors wrapped in the
 * protocol parse errors the clients raise.
 * @module
 */
import {
  DatagramProtocolParseError,
  DeserializeError,
  IncrementalDeserializeError,
  PacketConversionError,
  RuntimeError,
  StreamProtocolParseError,
} from '../errors';
import { ArgRangeError, ArgTypeError, describe } from '../validate';
import {
  type IBufferedIncrementalPacketSerializer,
  type IIncrementalPacketSerializer,
  type IPacketConverter,
  type IPacketSerializer,
  isBufferedIncrementalPacketSerializer,
  isIncrementalPacketSerializer,
  isPacketConverter,
  isPacketSerializer,
} from './abc';

/** A converter whose data-transfer types are those of the serializer it goes with. */
// biome-ignore lint/suspicious/noExplicitAny: a converter's DTO types are the serializer's, unknown here
export type AnyConverter<S, R> = IPacketConverter<S, R, any, any>;

function checkConverter<S, R>(converter: unknown): AnyConverter<S, R> | null {
  if (converter === undefined || converter === null) return null;
  if (!isPacketConverter(converter)) {
    throw new ArgTypeError(
      `converter must be an IPacketConverter (convertToDtoPacket, createFromDtoPacket) or null, got ${describe(converter)}`,
    );
  }
  return converter as AnyConverter<S, R>;
}

/** What a stream protocol does with a serializer's error: wrap the recoverable ones. */
function wrapStreamError(err: unknown): never {
  if (err instanceof IncrementalDeserializeError) throw new StreamProtocolParseError(err.remainingData, err);
  if (err instanceof DeserializeError) {
    throw new RuntimeError('DeserializeError raised instead of IncrementalDeserializeError', { cause: err });
  }
  throw err;
}

/**
 * A protocol object for a byte stream: an incremental serializer and an
 * optional converter. EasyNetwork's `StreamProtocol`.
 * @typeParam S - the packets sent.
 * @typeParam R - the packets received.
 * @example
 * ```ts
 * import { JSONSerializer, StreamProtocol } from 'torsion/packets';
 * const protocol = new StreamProtocol<unknown, unknown>(new JSONSerializer());
 * const gen = protocol.buildPacketFromChunks();
 * gen.next();
 * const step = gen.next(Buffer.from('{"a":1}\n[2]\n'));
 * // step.done === true; step.value is [{ a: 1 }, Buffer.from('[2]\n')]
 * ```
 */
export class StreamProtocol<S, R> {
  readonly #serializer: IIncrementalPacketSerializer<unknown, unknown>;
  readonly #converter: AnyConverter<S, R> | null;

  /**
   * @param serializer - the incremental serializer.
   * @param converter - maps packets to the serializer's objects and back.
   * @throws TypeError (`ERR_INVALID_ARG_TYPE`) for a serializer without the
   *   incremental methods, or a converter without the converter methods.
   */
  // biome-ignore lint/suspicious/noExplicitAny: the serializer's packet types are the converter's DTO types
  constructor(serializer: IIncrementalPacketSerializer<any, any>, converter?: AnyConverter<S, R> | null) {
    if (!isIncrementalPacketSerializer(serializer)) {
      throw new ArgTypeError(
        `serializer must be an incremental serializer (incrementalSerialize, incrementalDeserialize), got ${describe(serializer)}`,
      );
    }
    this.#serializer = serializer;
    this.#converter = checkConverter<S, R>(converter);
  }

  /** The serializer given to the constructor. */
  get serializer(): IIncrementalPacketSerializer<unknown, unknown> {
    return this.#serializer;
  }

  /** The converter given to the constructor, or `null`. */
  get converter(): AnyConverter<S, R> | null {
    return this.#converter;
  }

  /**
   * The parts of the bytes of `packet` (converted first when there is a
   * converter). Errors of the converter or serializer propagate as they are.
   */
  generateChunks(packet: S): Iterable<Buffer> {
    const converter = this.#converter;
    const dto = converter === null ? packet : converter.convertToDtoPacket(packet);
    return this.#serializer.incrementalSerialize(dto);
  }

  /**
   * A generator that builds one packet from chunks (the grammar of
   * {@link IIncrementalPacketSerializer.incrementalDeserialize}).
   * @throws StreamProtocolParseError (from `next(chunk)`) wrapping the
   *   serializer's `IncrementalDeserializeError` or the converter's
   *   `PacketConversionError`, with the data to parse on as
   *   `remainingData`; `RuntimeError` when the serializer threw a plain
   *   `DeserializeError` (a bug of the serializer).
   */
  *buildPacketFromChunks(): Generator<void, [R, Buffer], Buffer> {
    let dto: unknown;
    let remainder: Buffer;
    try {
      [dto, remainder] = yield* this.#serializer.incrementalDeserialize();
    } catch (err) {
      wrapStreamError(err);
    }
    return [convertReceived(this.#converter, dto, remainder), remainder];
  }
}

function convertReceived<S, R>(converter: AnyConverter<S, R> | null, dto: unknown, remainder: Buffer): R {
  if (converter === null) return dto as R;
  try {
    return converter.createFromDtoPacket(dto);
  } catch (err) {
    if (err instanceof PacketConversionError) throw new StreamProtocolParseError(remainder, err);
    throw err;
  }
}

/**
 * A stream protocol object whose serializer lends the receive buffer
 * (zero-copy reads). EasyNetwork's `BufferedStreamProtocol`; being a
 * {@link StreamProtocol} too, it also builds packets from chunks.
 * @typeParam B - the buffer type the serializer lends.
 */
export class BufferedStreamProtocol<S, R, B extends Uint8Array = Uint8Array> extends StreamProtocol<S, R> {
  readonly #buffered: IBufferedIncrementalPacketSerializer<unknown, unknown, B>;

  /**
   * @param serializer - the buffered incremental serializer.
   * @param converter - maps packets to the serializer's objects and back.
   * @throws TypeError (`ERR_INVALID_ARG_TYPE`) for a serializer without the
   *   buffered methods, or a converter without the converter methods.
   */
  // biome-ignore lint/suspicious/noExplicitAny: the serializer's packet types are the converter's DTO types
  constructor(serializer: IBufferedIncrementalPacketSerializer<any, any, B>, converter?: AnyConverter<S, R> | null) {
    if (!isBufferedIncrementalPacketSerializer(serializer)) {
      throw new ArgTypeError(
        `serializer must be a buffered incremental serializer (createDeserializerBuffer, bufferedIncrementalDeserialize), got ${describe(serializer)}`,
      );
    }
    super(serializer, converter);
    this.#buffered = serializer;
  }

  /**
   * A new receive buffer, from the serializer's `createDeserializerBuffer`.
   * @throws TypeError / RangeError when `sizeHint` is not an integer > 0.
   */
  createBuffer(sizeHint: number): B {
    if (typeof sizeHint !== 'number') throw new ArgTypeError(`sizeHint must be an integer, got ${describe(sizeHint)}`);
    if (!Number.isInteger(sizeHint) || sizeHint <= 0) {
      throw new ArgRangeError(`sizeHint must be an integer > 0, got ${sizeHint}`);
    }
    return this.#buffered.createDeserializerBuffer(sizeHint);
  }

  /**
   * A generator that builds one packet in `buffer` (the grammar of
   * {@link IBufferedIncrementalPacketSerializer.bufferedIncrementalDeserialize}).
   * @throws as {@link StreamProtocol.buildPacketFromChunks}.
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: EasyNetwork's contract: a bare `yield` means offset 0
  *buildPacketFromBuffer(buffer: B): Generator<number | void, [R, Buffer], number> {
    let dto: unknown;
    let remainder: Buffer;
    try {
      [dto, remainder] = yield* this.#buffered.bufferedIncrementalDeserialize(buffer);
    } catch (err) {
      wrapStreamError(err);
    }
    return [convertReceived(this.converter, dto, remainder), remainder];
  }
}

/**
 * A protocol object for datagrams: a one-shot serializer and an optional
 * converter. EasyNetwork's `DatagramProtocol` (not `torsion/protocol`'s
 * Twisted `DatagramProtocol`).
 */
export class DatagramProtocol<S, R> {
  readonly #serializer: IPacketSerializer<unknown, unknown>;
  readonly #converter: AnyConverter<S, R> | null;

  /**
   * @param serializer - the one-shot serializer.
   * @param converter - maps packets to the serializer's objects and back.
   * @throws TypeError (`ERR_INVALID_ARG_TYPE`) for a serializer without
   *   `serialize`/`deserialize`, or a converter without the converter methods.
   */
  // biome-ignore lint/suspicious/noExplicitAny: the serializer's packet types are the converter's DTO types
  constructor(serializer: IPacketSerializer<any, any>, converter?: AnyConverter<S, R> | null) {
    if (!isPacketSerializer(serializer)) {
      throw new ArgTypeError(`serializer must be a serializer (serialize, deserialize), got ${describe(serializer)}`);
    }
    this.#serializer = serializer;
    this.#converter = checkConverter<S, R>(converter);
  }

  /** The serializer given to the constructor. */
  get serializer(): IPacketSerializer<unknown, unknown> {
    return this.#serializer;
  }

  /** The converter given to the constructor, or `null`. */
  get converter(): AnyConverter<S, R> | null {
    return this.#converter;
  }

  /** The datagram for `packet` (converted first when there is a converter). */
  makeDatagram(packet: S): Buffer {
    const converter = this.#converter;
    return this.#serializer.serialize(converter === null ? packet : converter.convertToDtoPacket(packet));
  }

  /**
   * The packet `datagram` holds.
   * @param senderAddress - who sent it, recorded in the error (the clients
   *   pass it; `null` by default).
   * @throws DatagramProtocolParseError wrapping the serializer's
   *   `DeserializeError` or the converter's `PacketConversionError`.
   */
  buildPacketFromDatagram(datagram: Buffer, senderAddress: unknown = null): R {
    let dto: unknown;
    try {
      dto = this.#serializer.deserialize(datagram);
    } catch (err) {
      if (err instanceof DeserializeError) throw new DatagramProtocolParseError(err, senderAddress);
      throw err;
    }
    const converter = this.#converter;
    if (converter === null) return dto as R;
    try {
      return converter.createFromDtoPacket(dto);
    } catch (err) {
      if (err instanceof PacketConversionError) throw new DatagramProtocolParseError(err, senderAddress);
      throw err;
    }
  }
}
