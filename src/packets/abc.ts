/**
 * The serializer and converter contracts of `torsion/packets` (EasyNetwork's
 * `serializers/abc.py` and `converter.py`).
 *
 * A *serializer* turns a packet into bytes and back. A one-shot
 * {@link IPacketSerializer} works on whole datagrams; an
 * {@link IIncrementalPacketSerializer} frames packets in a byte stream with
 * generators; an {@link IBufferedIncrementalPacketSerializer} does the same
 * into a receive buffer it lends (zero-copy). A *converter* maps the
 * serializer's data-transfer objects to the application's packets.
 * @module
 */

/**
 * A one-shot serializer: one packet is one whole byte string (a datagram,
 * a line without its newline ...). EasyNetwork's `AbstractPacketSerializer`.
 * @typeParam S - the packets it serializes.
 * @typeParam R - the packets it deserializes.
 */
export interface IPacketSerializer<S, R = S> {
  /**
   * The bytes of `packet`.
   * @throws whatever the format refuses (e.g. `UnicodeEncodeError`,
   *   `TypeError`): an error of the caller, never of the peer.
   */
  serialize(packet: S): Buffer;
  /**
   * The packet `data` holds, all of `data`.
   * @throws DeserializeError when `data` is not a valid packet; its
   *   `errorInfo` carries the detail when the serializer runs with `debug`.
   */
  deserialize(data: Buffer): R;
}

/**
 * A serializer for a byte stream. EasyNetwork's
 * `AbstractIncrementalPacketSerializer`.
 *
 * The deserializing generator's grammar:
 * `next() -> next(chunk)* -> return [packet, remainder]`: it is primed with
 * one `next()` (which yields), then fed non-empty chunks until it returns
 * the packet and the bytes that followed it (`remainder`, possibly empty,
 * possibly a view of the chunks fed: copy it before reusing their memory).
 * A new generator is started for each packet, and fed the remainder first.
 */
export interface IIncrementalPacketSerializer<S, R = S> {
  /** The bytes of `packet`, framed for the stream, in one or more parts. */
  incrementalSerialize(packet: S): Iterable<Buffer>;
  /**
   * A generator that takes chunks until one packet is complete.
   * @throws IncrementalDeserializeError (from `next(chunk)`) when the packet
   *   is invalid; its `remainingData` is what followed the bad packet, to
   *   be parsed on. `LimitOverrunError` (one) when the packet is over the
   *   serializer's limit. Anything else thrown is a bug of the serializer.
   */
  incrementalDeserialize(): Generator<void, [packet: R, remainder: Buffer], Buffer>;
}

/**
 * An incremental serializer that lends its own receive buffer, so bytes
 * are read straight into it. EasyNetwork's
 * `BufferedIncrementalPacketSerializer`.
 *
 * The generator's grammar: `next() -> next(nbytes)* -> return [packet,
 * remainder]`. Each value it yields is where the reader writes next in
 * `buffer`: `undefined` (or `0`) for the start, a positive `n` to skip the
 * first `n` bytes, a negative `-n` for the last `n` bytes. Each `next(nbytes)`
 * says how many bytes were written there (> 0). The returned `remainder`
 * may be a view of `buffer`: the reader copies it (e.g. to the start of a
 * fresh buffer, then feeds its length as the first `nbytes`) before
 * writing into the buffer again.
 * @typeParam B - the buffer type it lends.
 */
export interface IBufferedIncrementalPacketSerializer<S, R = S, B extends Uint8Array = Uint8Array>
  extends IIncrementalPacketSerializer<S, R> {
  /**
   * A new receive buffer (never empty). `sizeHint` is the reader's preferred
   * size; the serializer may return a smaller or larger one.
   */
  createDeserializerBuffer(sizeHint: number): B;
  /**
   * A generator that reads one packet in `buffer`, as described above.
   * @throws IncrementalDeserializeError / LimitOverrunError as
   *   {@link IIncrementalPacketSerializer.incrementalDeserialize}.
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: EasyNetwork's contract: a bare `yield` means offset 0
  bufferedIncrementalDeserialize(buffer: B): Generator<number | void, [packet: R, remainder: Buffer], number>;
}

/**
 * Maps application packets to the serializer's data-transfer objects and
 * back. EasyNetwork's `AbstractPacketConverterComposite`.
 * @typeParam S - the application packets sent.
 * @typeParam R - the application packets received.
 * @typeParam DS - the serializer's sent objects.
 * @typeParam DR - the serializer's received objects.
 */
export interface IPacketConverter<S, R, DS, DR> {
  /** The object to serialize for `packet`. */
  convertToDtoPacket(packet: S): DS;
  /**
   * The packet a deserialized object stands for.
   * @throws PacketConversionError when the object is not a valid packet.
   */
  createFromDtoPacket(packet: DR): R;
}

function hasMethods(value: unknown, names: readonly string[]): boolean {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return false;
  const v = value as Record<string, unknown>;
  return names.every((n) => typeof v[n] === 'function');
}

/** True when `value` has the methods of an {@link IPacketSerializer}. */
export function isPacketSerializer(value: unknown): value is IPacketSerializer<unknown, unknown> {
  return hasMethods(value, ['serialize', 'deserialize']);
}

/** True when `value` has the methods of an {@link IIncrementalPacketSerializer}. */
export function isIncrementalPacketSerializer(value: unknown): value is IIncrementalPacketSerializer<unknown, unknown> {
  return hasMethods(value, ['incrementalSerialize', 'incrementalDeserialize']);
}

/** True when `value` has the methods of an {@link IBufferedIncrementalPacketSerializer}. */
export function isBufferedIncrementalPacketSerializer(
  value: unknown,
): value is IBufferedIncrementalPacketSerializer<unknown, unknown, Uint8Array> {
  return (
    isIncrementalPacketSerializer(value) && hasMethods(value, ['createDeserializerBuffer', 'bufferedIncrementalDeserialize'])
  );
}

/** True when `value` has the methods of an {@link IPacketConverter}. */
export function isPacketConverter(value: unknown): value is IPacketConverter<unknown, unknown, unknown, unknown> {
  return hasMethods(value, ['convertToDtoPacket', 'createFromDtoPacket']);
}
