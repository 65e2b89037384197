/**
 * Text codecs named as Python names them, with Python's error policies.
 *
 * One module for every text conversion above the transports (lsst's
 * `readStr`/`writeStr`, EasyNetwork's string and JSON serializers, telnet's
 * Unicode reader and writer and its CHARSET option). `Buffer` does UTF-8,
 * Latin-1, ASCII and UTF-16; `iconv-lite` (pure JavaScript) does the rest
 * (cp437, koi8-r, big5, gbk, iso-8859-2 ...).
 *
 * - Names are Python's, case and `-`/`_`/spaces ignored: `'utf-8'`,
 *   `'UTF8'`, `'latin_1'`, `'iso-8859-1'`, `'us-ascii'`, `'cp437'`.
 *   `latin-1` and `ascii` mean ISO-8859-1 and ASCII, never WHATWG's
 *   windows-1252.
 * - Policies are `'strict'` (throw {@link UnicodeDecodeError} /
 *   {@link UnicodeEncodeError}), `'replace'` (U+FFFD when decoding, `?`
 *   when encoding, as Python) and `'ignore'` (drop what does not convert).
 * @module
 */
import { isUtf8 } from 'node:buffer';
import * as iconv from 'iconv-lite';
import { UnicodeDecodeError, UnicodeEncodeError } from '../errors';
import { ArgRangeError, ArgTypeError } from '../validate';

/** Python's codec error policies. */
export type UnicodeErrors = 'strict' | 'replace' | 'ignore';

type Kind = 'utf-8' | 'latin-1' | 'ascii' | 'utf-16-le' | 'utf-16-be' | 'utf-16' | 'iconv';

/** A looked-up encoding: its canonical (Python) name and how it converts. */
export interface Codec {
  /** Python's canonical name: `'utf-8'`, `'latin-1'`, `'ascii'`, `'cp437'` ... */
  readonly name: string;
  /** @hidden */
  readonly kind: Kind;
  /** @hidden the iconv-lite name, for kind 'iconv' */
  readonly iconvName: string;
}

const ALIASES: Record<string, [Kind, string]> = {
  utf8: ['utf-8', 'utf-8'],
  u8: ['utf-8', 'utf-8'],
  utf: ['utf-8', 'utf-8'],
  cp65001: ['utf-8', 'utf-8'],
  latin1: ['latin-1', 'latin-1'],
  latin: ['latin-1', 'latin-1'],
  l1: ['latin-1', 'latin-1'],
  iso88591: ['latin-1', 'latin-1'],
  iso885911987: ['latin-1', 'latin-1'],
  isoir100: ['latin-1', 'latin-1'],
  cp819: ['latin-1', 'latin-1'],
  '8859': ['latin-1', 'latin-1'],
  ascii: ['ascii', 'ascii'],
  usascii: ['ascii', 'ascii'],
  us: ['ascii', 'ascii'],
  '646': ['ascii', 'ascii'],
  ansix341968: ['ascii', 'ascii'],
  iso646us: ['ascii', 'ascii'],
  cp367: ['ascii', 'ascii'],
  utf16: ['utf-16', 'utf-16'],
  utf16le: ['utf-16-le', 'utf-16-le'],
  utf16be: ['utf-16-be', 'utf-16-be'],
  ucs2: ['utf-16-le', 'utf-16-le'],
};

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function wellFormed(text: string): boolean {
  LONE_SURROGATE.lastIndex = 0;
  return !LONE_SURROGATE.test(text);
}

function squash(name: string): string {
  return name.toLowerCase().replace(/[-_\s]/g, '');
}

const cache = new Map<string, Codec | null>();

/**
 * The codec for `name`, or `null` when no codec of that name exists.
 * Odd spellings are normalised (`'iso-8859-02'` is `'iso-8859-2'`,
 * `'cp-1250'` is `'cp1250'`).
 */
export function findCodec(name: string): Codec | null {
  if (typeof name !== 'string' || name === '') return null;
  const hit = cache.get(name);
  if (hit !== undefined) return hit;
  const key = squash(name);
  let codec: Codec | null = null;
  const alias = ALIASES[key];
  if (alias !== undefined) {
    codec = { name: alias[1], kind: alias[0], iconvName: '' };
  } else {
    // iso-8859-02 -> iso88592; windows-1250 / cp-1250 -> cp1250
    const unpadded = key.replace(/^(iso8859)0*(\d+)$/, '$1$2').replace(/^windows(\d+)$/, 'cp$1');
    if (unpadded !== key && ALIASES[unpadded] !== undefined) {
      const a = ALIASES[unpadded];
      codec = { name: a[1], kind: a[0], iconvName: '' };
    } else if (iconv.encodingExists(unpadded)) {
      const m = /^iso8859(\d+)$/.exec(unpadded);
      const pretty = m ? `iso-8859-${m[1]}` : /^koi8/.test(unpadded) ? unpadded.replace(/^koi8/, 'koi8-') : unpadded;
      codec = { name: pretty, kind: 'iconv', iconvName: unpadded };
    }
  }
  cache.set(name, codec);
  return codec;
}

/**
 * The codec for `name`.
 * @param argName - the argument to name in the error.
 * @throws TypeError (`ERR_INVALID_ARG_TYPE`) unless `name` is a string;
 *   RangeError (`ERR_OUT_OF_RANGE`) for an unknown encoding.
 */
export function lookupCodec(name: unknown, argName = 'encoding'): Codec {
  if (typeof name !== 'string') throw new ArgTypeError(`${argName} must be a string naming an encoding, got ${typeof name}`);
  const codec = findCodec(name);
  if (codec === null) throw new ArgRangeError(`${argName}: unknown encoding ${JSON.stringify(name)}`);
  return codec;
}

/** Throw TypeError/RangeError unless `errors` is one of Python's policies. */
export function checkErrors(errors: unknown, argName = 'errors'): asserts errors is UnicodeErrors {
  if (errors !== 'strict' && errors !== 'replace' && errors !== 'ignore') {
    if (typeof errors !== 'string') throw new ArgTypeError(`${argName} must be 'strict', 'replace' or 'ignore'`);
    throw new ArgRangeError(`${argName} must be 'strict', 'replace' or 'ignore', not ${JSON.stringify(errors)}`);
  }
}

function asCodec(encoding: string | Codec): Codec {
  return typeof encoding === 'string' ? lookupCodec(encoding) : encoding;
}

// ---- decoding ----------------------------------------------------------------

/**
 * Decode UTF-8 from `buf[start, end)`. Invalid sequences follow `errors`
 * (one U+FFFD per maximal invalid subpart, as Python and WHATWG). Returns
 * the text and the number of bytes consumed: with `final` false an
 * incomplete sequence at the end is left unconsumed.
 */
function decodeUtf8(buf: Buffer, errors: UnicodeErrors, final: boolean, codecName: string): [string, number] {
  // Fast path: valid throughout (the overwhelming case).
  let end = buf.length;
  if (!final) end -= incompleteUtf8Tail(buf);
  const body = end === buf.length ? buf : buf.subarray(0, end);
  if (isValidUtf8(body)) return [body.toString('utf8'), end];
  let out = '';
  let runStart = 0;
  let i = 0;
  while (i < end) {
    const n = validSequenceLength(buf, i, end);
    if (n > 0) {
      i += n;
      continue;
    }
    if (i > runStart) out += buf.toString('utf8', runStart, i);
    const bad = Math.max(1, -n);
    if (errors === 'strict') {
      throw new UnicodeDecodeError(codecName, Buffer.from(buf.subarray(i, i + bad)), {
        message: `'${codecName}' codec can't decode byte 0x${buf[i].toString(16).padStart(2, '0')} in position ${i}: ${
          n === -1 && (buf[i] < 0xc2 || buf[i] > 0xf4)
            ? 'invalid start byte'
            : i - n >= end
              ? 'unexpected end of data'
              : 'invalid continuation byte'
        }`,
      });
    }
    if (errors === 'replace') out += '\ufffd';
    i += bad;
    runStart = i;
  }
  if (end > runStart) out += buf.toString('utf8', runStart, end);
  return [out, end];
}

function isValidUtf8(buf: Buffer): boolean {
  return isUtf8(buf);
}

/** Length of the valid sequence at `i` (> 0), or minus the length of the maximal invalid subpart. */
function validSequenceLength(b: Buffer, i: number, end: number): number {
  const c = b[i];
  if (c < 0x80) return 1;
  let need: number;
  let lo = 0x80;
  let hi = 0xbf;
  if (c >= 0xc2 && c <= 0xdf) need = 1;
  else if (c >= 0xe0 && c <= 0xef) {
    need = 2;
    if (c === 0xe0) lo = 0xa0;
    if (c === 0xed) hi = 0x9f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    need = 3;
    if (c === 0xf0) lo = 0x90;
    if (c === 0xf4) hi = 0x8f;
  } else return -1;
  for (let k = 1; k <= need; k++) {
    if (i + k >= end) return -k;
    const x = b[i + k];
    if (k === 1 ? x < lo || x > hi : x < 0x80 || x > 0xbf) return -k;
  }
  return need + 1;
}

/** How many bytes at the end of `buf` start a UTF-8 sequence that is not complete yet (0..3). */
function incompleteUtf8Tail(buf: Buffer): number {
  const n = buf.length;
  for (let back = 1; back <= Math.min(3, n); back++) {
    const c = buf[n - back];
    if (c < 0x80) return 0;
    if (c >= 0xc0) {
      const need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
      if (back >= need) return 0;
      // only hold it back when what we have is a valid prefix
      return validSequenceLength(buf, n - back, n) === -back ? back : 0;
    }
  }
  return 0;
}

function decodeAscii(buf: Buffer, errors: UnicodeErrors): string {
  let bad = -1;
  for (let i = 0; i < buf.length; i++) {
    if (buf[i] > 0x7f) {
      bad = i;
      break;
    }
  }
  if (bad < 0) return buf.toString('latin1');
  if (errors === 'strict') {
    throw new UnicodeDecodeError('ascii', Buffer.from(buf.subarray(bad, bad + 1)), {
      message: `'ascii' codec can't decode byte 0x${buf[bad].toString(16)} in position ${bad}: ordinal not in range(128)`,
    });
  }
  let out = '';
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i];
    if (c <= 0x7f) out += String.fromCharCode(c);
    else if (errors === 'replace') out += '\ufffd';
  }
  return out;
}

function decodeUtf16(buf: Buffer, le: boolean, errors: UnicodeErrors, codecName: string): string {
  const even = buf.length & ~1;
  let text: string;
  if (le) text = buf.toString('utf16le', 0, even);
  else {
    const swapped = Buffer.from(buf.subarray(0, even));
    swapped.swap16();
    text = swapped.toString('utf16le');
  }
  text = fixSurrogates(text, errors, codecName, buf);
  if (even !== buf.length) {
    if (errors === 'strict') {
      throw new UnicodeDecodeError(codecName, Buffer.from(buf.subarray(even)), {
        message: `'${codecName}' codec can't decode byte 0x${buf[even].toString(16)} in position ${even}: truncated data`,
      });
    }
    if (errors === 'replace') text += '\ufffd';
  }
  return text;
}

/** Lone surrogates: an error under 'strict', U+FFFD under 'replace', dropped under 'ignore'. */
function fixSurrogates(text: string, errors: UnicodeErrors, codecName: string, data: Buffer): string {
  if (wellFormed(text)) return text;
  if (errors === 'strict')
    throw new UnicodeDecodeError(codecName, Buffer.from(data), {
      message: `'${codecName}' codec can't decode: illegal UTF-16 surrogate`,
    });
  return text.replace(LONE_SURROGATE, errors === 'replace' ? '\ufffd' : '');
}

function decodeIconv(buf: Buffer, codec: Codec, errors: UnicodeErrors): string {
  const text = iconv.decode(buf, codec.iconvName);
  if (!text.includes('\ufffd')) return text;
  // iconv-lite marks undecodable input with U+FFFD; a real U+FFFD can only come from the bytes that encode it.
  const real = iconv.encode('\ufffd', codec.iconvName);
  const hasReal = real.length > 0 && !iconv.decode(real, codec.iconvName).includes('?') && buf.includes(real);
  if (hasReal) return text;
  if (errors === 'strict')
    throw new UnicodeDecodeError(codec.name, Buffer.from(buf), {
      message: `'${codec.name}' codec can't decode ${buf.length} byte(s)`,
    });
  return errors === 'replace' ? text : text.replace(/\ufffd/g, '');
}

/**
 * Decode `data` with `encoding` under `errors` (default 'strict').
 * @throws UnicodeDecodeError under 'strict' when `data` is not valid.
 */
export function decodeText(data: Uint8Array, encoding: string | Codec, errors: UnicodeErrors = 'strict'): string {
  const codec = asCodec(encoding);
  const buf = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  switch (codec.kind) {
    case 'utf-8':
      return decodeUtf8(buf, errors, true, codec.name)[0];
    case 'latin-1':
      return buf.toString('latin1');
    case 'ascii':
      return decodeAscii(buf, errors);
    case 'utf-16-le':
      return decodeUtf16(buf, true, errors, codec.name);
    case 'utf-16-be':
      return decodeUtf16(buf, false, errors, codec.name);
    case 'utf-16': {
      if (buf.length >= 2 && buf[0] === 0xfe && buf[1] === 0xff) return decodeUtf16(buf.subarray(2), false, errors, codec.name);
      if (buf.length >= 2 && buf[0] === 0xff && buf[1] === 0xfe) return decodeUtf16(buf.subarray(2), true, errors, codec.name);
      return decodeUtf16(buf, true, errors, codec.name);
    }
    default:
      return decodeIconv(buf, codec, errors);
  }
}

/**
 * A decoder fed chunk by chunk (Python's `codecs.getincrementaldecoder`):
 * a multi-byte character split across chunks is decoded once complete.
 */
export class IncrementalDecoder {
  readonly codec: Codec;
  private pending: Buffer = Buffer.alloc(0);
  private bom: 'unknown' | 'le' | 'be' = 'unknown';
  private readonly iconvDecoder: { write(b: Buffer): string; end(): string | undefined } | null;

  constructor(
    encoding: string | Codec,
    readonly errors: UnicodeErrors = 'strict',
  ) {
    this.codec = asCodec(encoding);
    checkErrors(errors);
    this.iconvDecoder = this.codec.kind === 'iconv' ? iconv.getDecoder(this.codec.iconvName) : null;
  }

  /** Decode the next chunk; with `final`, what is held back must complete now. */
  decode(chunk: Uint8Array, final = false): string {
    const c = this.codec;
    let buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (c.kind === 'latin-1') return buf.toString('latin1');
    if (c.kind === 'ascii') return decodeAscii(buf, this.errors);
    if (this.iconvDecoder !== null) {
      const text = this.iconvDecoder.write(buf) + (final ? (this.iconvDecoder.end() ?? '') : '');
      if (!text.includes('\ufffd') || this.errors === 'replace') return text;
      if (this.errors === 'ignore') return text.replace(/\ufffd/g, '');
      throw new UnicodeDecodeError(c.name, Buffer.from(buf), { message: `'${c.name}' codec can't decode ${buf.length} byte(s)` });
    }
    if (this.pending.length > 0) {
      buf = Buffer.concat([this.pending, buf]);
      this.pending = Buffer.alloc(0);
    }
    if (c.kind === 'utf-8') {
      const [text, used] = decodeUtf8(buf, this.errors, final, c.name);
      if (used < buf.length) this.pending = Buffer.from(buf.subarray(used));
      return text;
    }
    // UTF-16: hold an odd byte and a high surrogate split from its low half.
    if (c.kind === 'utf-16' && this.bom === 'unknown') {
      if (buf.length < 2 && !final) {
        this.pending = Buffer.from(buf);
        return '';
      }
      if (buf.length >= 2 && buf[0] === 0xfe && buf[1] === 0xff) {
        this.bom = 'be';
        buf = buf.subarray(2);
      } else {
        this.bom = 'le';
        if (buf.length >= 2 && buf[0] === 0xff && buf[1] === 0xfe) buf = buf.subarray(2);
      }
    }
    const le = c.kind === 'utf-16-le' || (c.kind === 'utf-16' && this.bom === 'le');
    if (final) return decodeUtf16(buf, le, this.errors, c.name);
    let even = buf.length & ~1;
    if (even >= 2) {
      const hi = le ? buf[even - 1] : buf[even - 2];
      if (hi >= 0xd8 && hi <= 0xdb) even -= 2;
    }
    this.pending = Buffer.from(buf.subarray(even));
    return decodeUtf16(buf.subarray(0, even), le, this.errors, c.name);
  }

  /** Forget what is held back. */
  reset(): void {
    this.pending = Buffer.alloc(0);
    this.bom = 'unknown';
    this.iconvDecoder?.end();
  }
}

// ---- encoding ----------------------------------------------------------------

function encodeFailure(codecName: string, text: string, at: number): UnicodeEncodeError {
  const ch = String.fromCodePoint(text.codePointAt(at) ?? 0);
  return new UnicodeEncodeError(codecName, text, {
    message: `'${codecName}' codec can't encode character ${JSON.stringify(ch)} (U+${(ch.codePointAt(0) ?? 0)
      .toString(16)
      .toUpperCase()
      .padStart(4, '0')}) in position ${at}`,
  });
}

function encodeSingle(text: string, max: number, errors: UnicodeErrors, codecName: string): Buffer {
  let ok = true;
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) > max) {
      if (errors === 'strict') throw encodeFailure(codecName, text, i);
      ok = false;
      break;
    }
  }
  if (ok) return Buffer.from(text, 'latin1');
  let out = '';
  for (const ch of text) {
    if (ch.length === 1 && ch.charCodeAt(0) <= max) out += ch;
    else if (errors === 'replace') out += '?';
  }
  return Buffer.from(out, 'latin1');
}

function encodeUnicode(text: string, errors: UnicodeErrors, codecName: string): string {
  if (wellFormed(text)) return text;
  if (errors === 'strict') {
    LONE_SURROGATE.lastIndex = 0;
    const at = LONE_SURROGATE.exec(text)?.index ?? 0;
    throw encodeFailure(codecName, text, at);
  }
  return text.replace(LONE_SURROGATE, errors === 'replace' ? '?' : '');
}

/**
 * Encode `text` with `encoding` under `errors` (default 'strict').
 * @throws UnicodeEncodeError under 'strict' for a character the encoding lacks
 *   (or a lone surrogate); TypeError unless `text` is a string.
 */
export function encodeText(text: string, encoding: string | Codec, errors: UnicodeErrors = 'strict'): Buffer {
  if (typeof text !== 'string') throw new ArgTypeError(`text must be a string, got ${typeof text}`);
  const codec = asCodec(encoding);
  switch (codec.kind) {
    case 'utf-8':
      return Buffer.from(encodeUnicode(text, errors, codec.name), 'utf8');
    case 'latin-1':
      return encodeSingle(text, 0xff, errors, codec.name);
    case 'ascii':
      return encodeSingle(text, 0x7f, errors, codec.name);
    case 'utf-16-le':
      return Buffer.from(encodeUnicode(text, errors, codec.name), 'utf16le');
    case 'utf-16-be':
      return Buffer.from(encodeUnicode(text, errors, codec.name), 'utf16le').swap16();
    case 'utf-16':
      return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(encodeUnicode(text, errors, codec.name), 'utf16le')]);
    default: {
      const whole = iconv.encode(text, codec.iconvName);
      if (iconv.decode(whole, codec.iconvName) === text) return whole;
      // Some character did not survive the round trip: find it, character by character.
      const parts: Buffer[] = [];
      let at = 0;
      for (const ch of text) {
        const b = iconv.encode(ch, codec.iconvName);
        if (iconv.decode(b, codec.iconvName) === ch) parts.push(b);
        else if (errors === 'strict') throw encodeFailure(codec.name, text, at);
        else if (errors === 'replace') parts.push(Buffer.from('?'));
        at += ch.length;
      }
      return Buffer.concat(parts);
    }
  }
}

/** True when `encoding` can encode every character of `text`. */
export function canEncode(text: string, encoding: string | Codec): boolean {
  try {
    encodeText(text, encoding, 'strict');
    return true;
  } catch {
    return false;
  }
}
