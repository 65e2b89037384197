/**
 * EasyNetwork's `Base64EncoderSerializer` (`serializers/wrapper/base64.py`).
 * @module
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { DeserializeError } from '../../errors';
import { ArgRangeError, ArgTypeError, checkBytes, describe } from '../../validate';
import { type IPacketSerializer, isPacketSerializer } from '../abc';
import { AutoSeparatedPacketSerializer } from './base-stream';
import { DEFAULT_SERIALIZER_LIMIT, optBool, optObject } from './line';
import { asBufferView, kDeserializeKeepsNoReference } from './tools';

/** Options of {@link Base64EncoderSerializer}. */
export interface Base64EncoderSerializerOptions {
  /** `'urlsafe'` (default: `-` and `_`) or `'standard'` (`+` and `/`); padded either way, as Python's base64. */
  alphabet?: 'standard' | 'urlsafe';
  /**
   * Append a SHA-256 checksum to the data before encoding (`true`), or an
   * HMAC-SHA256 signature with a key given as 32 URL-safe base64 bytes
   * (see {@link Base64EncoderSerializer.generateKey}). Default false.
   */
  checksum?: boolean | string | Buffer;
  /** The bytes that end each token on a stream (default `'\r\n'`). */
  separator?: Buffer | Uint8Array;
  /** The longest token the stream methods accept, in bytes (default 65536). */
  limit?: number;
  /** Put detail in the errors' `errorInfo` (default false). */
  debug?: boolean;
}

const STANDARD_TOKEN = /^[A-Za-z0-9+/]*={0,2}$/;
const URLSAFE_TOKEN = /^[A-Za-z0-9\-_]*={0,2}$/;
const NOT_IN_ALPHABET = /[^A-Za-z0-9+/=]/g;

function isSpace(sep: Buffer): boolean {
  return sep.length > 0 && sep.every((b) => b === 0x20 || (b >= 0x09 && b <= 0x0d));
}

/**
 * Decode as Python's `b64decode` (non-validating): bytes outside the
 * alphabet are discarded; bad padding is an error. Returns null for an
 * invalid token.
 */
function decodeBase64(token: string, urlsafe: boolean): Buffer | null {
  let t = token;
  if (!(urlsafe ? URLSAFE_TOKEN : STANDARD_TOKEN).test(t) || t.length % 4 !== 0) {
    if (urlsafe) t = t.replace(/-/g, '+').replace(/_/g, '/');
    t = t.replace(NOT_IN_ALPHABET, '');
    if (!STANDARD_TOKEN.test(t) || t.length % 4 !== 0) return null;
  }
  return Buffer.from(t, 'base64');
}

/**
 * Wraps a one-shot serializer: its bytes travel base64-encoded, one token
 * per separator on a stream. EasyNetwork's `Base64EncoderSerializer`.
 * @example
 * ```ts
 * import { Base64EncoderSerializer, JSONSerializer } from 'torsion/packets';
 * const s = new Base64EncoderSerializer(new JSONSerializer());
 * s.serialize([1]).toString(); // 'WzFd'
 * ```
 */
export class Base64EncoderSerializer<S, R = S> extends AutoSeparatedPacketSerializer<S, R> {
  /** @internal */
  readonly [kDeserializeKeepsNoReference] = true;
  readonly #inner: IPacketSerializer<S, R>;
  readonly #urlsafe: boolean;
  readonly #checksum: ((data: Buffer) => Buffer) | null;

  /**
   * @param serializer - the serializer whose bytes are encoded.
   * @throws TypeError / RangeError for a wrong serializer, alphabet, key or option.
   */
  constructor(serializer: IPacketSerializer<S, R>, opts?: Base64EncoderSerializerOptions) {
    const o = optObject('opts', opts);
    const separator = o.separator ?? Buffer.from('\r\n');
    checkBytes('separator', separator);
    super(separator, {
      incrementalSerializeCheckSeparator: !isSpace(asBufferView(separator)),
      limit: o.limit ?? DEFAULT_SERIALIZER_LIMIT,
      debug: optBool('debug', o.debug, false),
    });
    if (!isPacketSerializer(serializer)) {
      throw new ArgTypeError(`serializer must be a serializer (serialize, deserialize), got ${describe(serializer)}`);
    }
    const alphabet = o.alphabet ?? 'urlsafe';
    if (alphabet !== 'urlsafe' && alphabet !== 'standard') {
      throw new ArgRangeError(`alphabet must be 'standard' or 'urlsafe', got ${describe(alphabet)}`);
    }
    this.#inner = serializer;
    this.#urlsafe = alphabet === 'urlsafe';
    const checksum = o.checksum ?? false;
    if (checksum === false) this.#checksum = null;
    else if (checksum === true) this.#checksum = (data) => createHash('sha256').update(data).digest();
    else if (typeof checksum === 'string' || Buffer.isBuffer(checksum)) {
      const key = decodeBase64(Buffer.isBuffer(checksum) ? checksum.toString('latin1') : checksum, true);
      if (key === null || key.length !== 32)
        throw new ArgRangeError('checksum: signing key must be 32 url-safe base64-encoded bytes.');
      this.#checksum = (data) => createHmac('sha256', key).update(data).digest();
    } else {
      throw new ArgTypeError(`checksum must be a boolean or a key, got ${describe(checksum)}`);
    }
  }

  /** A fresh key for signed checksums (32 random bytes, URL-safe base64). Keep it some place safe! */
  static generateKey(): Buffer {
    return Buffer.from(urlsafe(randomBytes(32).toString('base64')), 'latin1');
  }

  /** The wrapped serializer's bytes (and checksum), base64-encoded. */
  serialize(packet: S): Buffer {
    let data = asBufferView(this.#inner.serialize(packet));
    const checksum = this.#checksum;
    if (checksum !== null) data = Buffer.concat([data, checksum(data)]);
    const text = data.toString('base64');
    return Buffer.from(this.#urlsafe ? urlsafe(text) : text, 'latin1');
  }

  /**
   * The packet the token `data` encodes.
   * @throws DeserializeError ("Invalid token") for bad base64 or a checksum
   *   mismatch; the wrapped serializer's errors as they are.
   */
  deserialize(data: Buffer): R {
    checkBytes('data', data);
    let decoded = decodeBase64(asBufferView(data).toString('latin1'), this.#urlsafe);
    if (decoded === null)
      throw new DeserializeError('Invalid token', { errorInfo: this.debug ? { data: Buffer.from(data) } : null });
    const checksum = this.#checksum;
    if (checksum !== null) {
      const body = decoded.subarray(0, Math.max(0, decoded.length - 32));
      const digest = decoded.subarray(body.length);
      const expected = checksum(body);
      if (digest.length !== 32 || !timingSafeEqual(expected, digest)) {
        throw new DeserializeError('Invalid token', { errorInfo: this.debug ? { data: Buffer.from(data) } : null });
      }
      decoded = body;
    }
    return this.#inner.deserialize(decoded);
  }
}

function urlsafe(b64: string): string {
  return b64.replace(/\+/g, '-').replace(/\//g, '_');
}
