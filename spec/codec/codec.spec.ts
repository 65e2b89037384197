/**
 * The text codecs every text-taking API above the transports shares:
 * Python's encoding names, Python's error policies, and an incremental
 * decoder that never splits a character.
 */
import fc from 'fast-check';

import { canEncode, checkErrors, decodeText, encodeText, findCodec, IncrementalDecoder, lookupCodec } from '../../src/codec';
import { UnicodeDecodeError, UnicodeEncodeError } from '../../src/errors';

describe('encoding names (Python spelling, case and -/_ ignored)', () => {
  it.each([
    ['utf-8', 'utf-8'],
    ['UTF8', 'utf-8'],
    ['utf_8', 'utf-8'],
    ['latin-1', 'latin-1'],
    ['ISO-8859-1', 'latin-1'],
    ['latin_1', 'latin-1'],
    ['us-ascii', 'ascii'],
    ['ASCII', 'ascii'],
    ['cp437', 'cp437'],
    ['CP-1250', 'cp1250'],
    ['windows-1252', 'cp1252'],
    ['iso-8859-02', 'iso-8859-2'],
    ['KOI8-R', 'koi8-r'],
    ['big5', 'big5'],
    ['utf-16-le', 'utf-16-le'],
  ])('%s is %s', (name, canonical) => {
    expect(findCodec(name)?.name).toBe(canonical);
  });

  it('an unknown name is null for findCodec and a RangeError naming the argument for lookupCodec', () => {
    expect(findCodec('no-such-codec')).toBeNull();
    expect(() => lookupCodec('no-such-codec', 'encoding')).toThrow(RangeError);
    expect(() => lookupCodec('no-such-codec', 'encoding')).toThrow(/encoding/);
    expect(() => lookupCodec(42, 'encoding')).toThrow(TypeError);
  });

  it('latin-1 is ISO-8859-1, not windows-1252: 0x80 decodes to U+0080', () => {
    expect(decodeText(Buffer.from([0x80]), 'latin-1')).toBe('\u0080');
    expect(decodeText(Buffer.from([0x80]), 'cp1252')).toBe('€');
  });

  it('checkErrors accepts only the three policies', () => {
    expect(() => checkErrors('strict')).not.toThrow();
    expect(() => checkErrors('surrogateescape')).toThrow(RangeError);
    expect(() => checkErrors(1)).toThrow(TypeError);
  });
});

describe('decoding with a policy', () => {
  const bad = Buffer.from([0x68, 0xff, 0x69]);
  it('strict throws UnicodeDecodeError with the encoding and the bad bytes', () => {
    let caught: unknown;
    try {
      decodeText(bad, 'utf-8');
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(UnicodeDecodeError);
    const err = caught as UnicodeDecodeError;
    expect(err.code).toBe('ERR_UNICODE_DECODE');
    expect(err.encoding).toBe('utf-8');
    expect(err.data).toEqual(Buffer.from([0xff]));
    expect(err.message).toMatch(/position 1: invalid start byte/);
  });
  it('replace gives U+FFFD, ignore drops', () => {
    expect(decodeText(bad, 'utf-8', 'replace')).toBe('h\ufffdi');
    expect(decodeText(bad, 'utf-8', 'ignore')).toBe('hi');
  });
  it('a truncated sequence at the end is an error under strict', () => {
    expect(() => decodeText(Buffer.from('€').subarray(0, 2), 'utf-8')).toThrow(/unexpected end of data/);
  });
  it('surrogates encoded in UTF-8 (CESU) are invalid', () => {
    expect(() => decodeText(Buffer.from([0xed, 0xa0, 0x80]), 'utf-8')).toThrow(UnicodeDecodeError);
  });
  it('ascii refuses bytes above 0x7f under strict', () => {
    expect(() => decodeText(Buffer.from([0x41, 0xc3]), 'ascii')).toThrow(/ordinal not in range\(128\)/);
    expect(decodeText(Buffer.from([0x41, 0xc3]), 'ascii', 'replace')).toBe('A\ufffd');
  });
  it('utf-16 reads its BOM; an odd byte is truncated data', () => {
    expect(decodeText(Buffer.from([0xfe, 0xff, 0x00, 0x41]), 'utf-16')).toBe('A');
    expect(decodeText(Buffer.from([0xff, 0xfe, 0x41, 0x00]), 'utf-16')).toBe('A');
    expect(() => decodeText(Buffer.from([0x41, 0x00, 0x42]), 'utf-16-le')).toThrow(/truncated/);
  });
  it('codecs Node lacks come from iconv-lite', () => {
    expect(decodeText(Buffer.from([0x80, 0x82]), 'cp437')).toBe('Çé');
    expect(decodeText(Buffer.from([0xc1]), 'koi8-r')).toBe('а');
  });
});

describe('encoding with a policy', () => {
  it('strict throws UnicodeEncodeError naming the character and its position', () => {
    let caught: unknown;
    try {
      encodeText('ab€', 'latin-1');
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(UnicodeEncodeError);
    const err = caught as UnicodeEncodeError;
    expect(err.code).toBe('ERR_UNICODE_ENCODE');
    expect(err.text).toBe('ab€');
    expect(err.message).toMatch(/U\+20AC.*position 2/);
  });
  it("replace gives '?', ignore drops, for Buffer and iconv codecs alike", () => {
    expect(encodeText('a€b', 'ascii', 'replace')).toEqual(Buffer.from('a?b'));
    expect(encodeText('a€b', 'ascii', 'ignore')).toEqual(Buffer.from('ab'));
    expect(encodeText('é€', 'cp437', 'replace')).toEqual(Buffer.from([0x82, 0x3f]));
    expect(() => encodeText('é€', 'cp437')).toThrow(UnicodeEncodeError);
  });
  it('a lone surrogate cannot be encoded in UTF-8 under strict', () => {
    expect(() => encodeText('a\ud800', 'utf-8')).toThrow(UnicodeEncodeError);
    expect(encodeText('a\ud800', 'utf-8', 'replace')).toEqual(Buffer.from('a?'));
  });
  it('a non-string is a TypeError', () => {
    expect(() => encodeText(5 as unknown as string, 'utf-8')).toThrow(TypeError);
  });
  it('canEncode tells without throwing', () => {
    expect(canEncode('é', 'latin-1')).toBe(true);
    expect(canEncode('€', 'latin-1')).toBe(false);
  });
  it('utf-16 writes a BOM, utf-16-be swaps', () => {
    expect(encodeText('A', 'utf-16')).toEqual(Buffer.from([0xff, 0xfe, 0x41, 0x00]));
    expect(encodeText('A', 'utf-16-be')).toEqual(Buffer.from([0x00, 0x41]));
  });
});

describe('IncrementalDecoder', () => {
  it.each(['utf-8', 'utf-16-le', 'utf-16-be', 'big5', 'latin-1'])(
    '%s: any split of valid text decodes to the same text',
    (encoding) => {
      const alphabet = encoding === 'latin-1' ? 'aé\u00ff' : encoding === 'big5' ? 'a中文字' : 'aé€😀中';
      fc.assert(
        fc.property(
          fc.array(fc.constantFrom(...Array.from(alphabet)), { maxLength: 30 }),
          fc.array(fc.nat(), { maxLength: 8 }),
          (chars, cuts) => {
            const text = chars.join('');
            const bytes = encodeText(text, encoding);
            const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
            const dec = new IncrementalDecoder(encoding);
            let out = '';
            let prev = 0;
            for (const p of points) {
              out += dec.decode(bytes.subarray(prev, p));
              prev = p;
            }
            out += dec.decode(bytes.subarray(prev), true);
            expect(out).toBe(text);
          },
        ),
      );
    },
  );

  it('byte by byte UTF-8 holds a split character back and gives it once complete', () => {
    const dec = new IncrementalDecoder('utf-8');
    const euro = Buffer.from('€');
    expect(dec.decode(euro.subarray(0, 1))).toBe('');
    expect(dec.decode(euro.subarray(1, 2))).toBe('');
    expect(dec.decode(euro.subarray(2))).toBe('€');
  });

  it('an incomplete character at final is an error under strict, U+FFFD under replace', () => {
    const strict = new IncrementalDecoder('utf-8');
    expect(strict.decode(Buffer.from([0xe2, 0x82]))).toBe('');
    expect(() => strict.decode(Buffer.alloc(0), true)).toThrow(UnicodeDecodeError);
    const lenient = new IncrementalDecoder('utf-8', 'replace');
    lenient.decode(Buffer.from([0xe2, 0x82]));
    expect(lenient.decode(Buffer.alloc(0), true)).toBe('\ufffd');
  });

  it('an invalid byte in the middle is not held back', () => {
    const dec = new IncrementalDecoder('utf-8', 'replace');
    expect(dec.decode(Buffer.from([0x61, 0xff, 0x62]))).toBe('a\ufffdb');
  });
});
