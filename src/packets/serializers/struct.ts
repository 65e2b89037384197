/**
 * `StructSerializer`: fixed-size binary packets over `torsion/struct`
 * (EasyNetwork's `StructSerializer`, built on Python's `struct`).
 * @module
 */
import { DeserializeError } from '../../errors';
import { structFormat } from '../../struct/struct-format';
import type { IStructCodec } from '../../struct/types';
import { ArgTypeError, checkBytes, describe } from '../../validate';
import { FixedSizePacketSerializer } from './base-stream';
import { optBool, optObject } from './line';
import { asBufferView } from './tools';

const BYTE_ORDER = /^[@=<>!]/;

/**
 * Packets of one fixed-size binary layout: a codec from `torsion/struct`
 * (`defineStruct(...)`, `structFormat(...)`) or a `structFormat` string. A
 * format without a byte-order prefix means network order (`'!'`), as
 * EasyNetwork prepends it.
 * @example
 * ```ts
 * import { StructSerializer } from 'torsion/packets';
 * const s = new StructSerializer('hhI');
 * s.serialize([1, 2, 3]); // <Buffer 00 01 00 02 00 00 00 03>
 * ```
 */
export class StructSerializer<T> extends FixedSizePacketSerializer<T> {
  readonly #codec: IStructCodec<T>;

  /**
   * @param codec - the layout.
   * @throws TypeError / RangeError for a wrong codec or format.
   */
  constructor(codec: IStructCodec<T> | string, opts?: { debug?: boolean }) {
    const c = resolve<T>(codec);
    const o = optObject('opts', opts);
    super(c.byteLength, { debug: optBool('debug', o.debug, false) });
    this.#codec = c;
  }

  /** The codec. */
  get codec(): IStructCodec<T> {
    return this.#codec;
  }

  /**
   * The `packetSize` bytes of `packet`.
   * @throws the codec's TypeError / RangeError for a value that does not fit.
   */
  serialize(packet: T): Buffer {
    return this.#codec.encode(packet);
  }

  /**
   * The value `data` holds.
   * @throws DeserializeError unless `data` has `packetSize` bytes, or when the codec refuses it
   *   (`errorInfo`: `{ data }` with `debug`).
   */
  deserialize(data: Buffer): T {
    checkBytes('data', data);
    const view = asBufferView(data);
    const info = this.debug ? { data: Buffer.from(view) } : null;
    if (view.length !== this.packetSize) {
      throw new DeserializeError(`Invalid value: unpack requires a buffer of ${this.packetSize} bytes`, { errorInfo: info });
    }
    try {
      return this.#codec.decode(view);
    } catch (err) {
      if (!(err instanceof RangeError) && !(err instanceof TypeError)) throw err;
      throw new DeserializeError(`Invalid value: ${err.message}`, { cause: err, errorInfo: info });
    }
  }
}

function resolve<T>(codec: IStructCodec<T> | string): IStructCodec<T> {
  if (typeof codec === 'string') {
    return structFormat(BYTE_ORDER.test(codec) ? codec : `!${codec}`) as unknown as IStructCodec<T>;
  }
  const c = codec as Partial<IStructCodec<T>> | null;
  if (
    c === null ||
    (typeof c !== 'object' && typeof c !== 'function') ||
    typeof c.encode !== 'function' ||
    typeof c.decode !== 'function' ||
    typeof c.byteLength !== 'number'
  ) {
    throw new ArgTypeError(`codec must be an IStructCodec or a structFormat() string, got ${describe(codec)}`);
  }
  return codec;
}
