import {
  decodeCharset,
  decodeEnviron,
  decodeIsSend,
  decodeNaws,
  decodeSlc,
  decodeStatusIs,
  encodeCharsetAccepted,
  encodeCharsetRejected,
  encodeCharsetRequest,
  encodeEnvironIs,
  encodeEnvironSend,
  encodeIs,
  encodeNaws,
  encodeSlc,
  encodeStatusIs,
  encodeTspeed,
  parseTspeed,
} from '../../../src/telnet/telnetlib3/payloads';
import { normaliseCharset, selectCharset } from '../../../src/telnet/telnetlib3/charset';

const b = (...xs: Array<number | string>): Buffer =>
  Buffer.concat(xs.map((x) => (typeof x === 'number' ? Buffer.from([x]) : Buffer.from(x, 'latin1'))));

describe('TTYPE / TSPEED / XDISPLOC payloads', () => {
  it('IS carries the text after the IS byte', () => {
    expect(encodeIs('xterm-256color')).toEqual(b(0, 'xterm-256color'));
    expect(decodeIsSend(b(0, 'VT100'))).toEqual(['is', 'VT100']);
    expect(decodeIsSend(b(1))).toEqual(['send', '']);
  });
  it('a malformed payload decodes to null', () => {
    expect(decodeIsSend(Buffer.alloc(0))).toBeNull();
    expect(decodeIsSend(b(1, 'x'))).toBeNull();
    expect(decodeIsSend(b(7, 'x'))).toBeNull();
  });
  it('TSPEED is "rx,tx"', () => {
    expect(encodeTspeed(38400, 9600)).toEqual(b(0, '38400,9600'));
    expect(parseTspeed('38400,9600')).toEqual([38400, 9600]);
    expect(parseTspeed(' 1 , 2 ')).toEqual([1, 2]);
    expect(parseTspeed('fast')).toBeNull();
    expect(parseTspeed('1,2,3')).toBeNull();
  });
});

describe('NAWS payload', () => {
  it('is width then height, 16-bit big endian', () => {
    expect(encodeNaws(25, 80)).toEqual(Buffer.from([0, 80, 0, 25]));
    expect(encodeNaws(300, 1000)).toEqual(Buffer.from([0x03, 0xe8, 0x01, 0x2c]));
    expect(decodeNaws(Buffer.from([0x03, 0xe8, 0x01, 0x2c]))).toEqual([300, 1000]);
  });
  it('clamps to 0..65535 and refuses a wrong length', () => {
    expect(encodeNaws(-1, 70000)).toEqual(Buffer.from([0xff, 0xff, 0, 0]));
    expect(decodeNaws(Buffer.from([0, 80, 0]))).toBeNull();
  });
});

describe('NEW_ENVIRON payloads', () => {
  it('SEND names each variable after VAR, and VAR/USERVAR alone ask for all', () => {
    expect(encodeEnvironSend(['LANG', 'TERM', 0, 3])).toEqual(b(1, 0, 'LANG', 0, 'TERM', 0, 3));
    expect(encodeEnvironSend([])).toEqual(b(1));
  });
  it('IS gives VAR name VALUE value, and null as undefined', () => {
    expect(encodeEnvironIs({ TERM: 'vt100', LANG: null })).toEqual(b(0, 0, 'TERM', 1, 'vt100', 0, 'LANG'));
  });
  it('escapes the control bytes with ESC both ways', () => {
    const enc = encodeEnvironIs({ 'A\x01B': 'x\x02\x00y\x03' });
    expect(enc).toEqual(b(0, 0, 'A', 2, 1, 'B', 1, 'x', 2, 2, 2, 0, 'y', 2, 3));
    expect(decodeEnviron(enc)).toEqual({ command: 'is', entries: [{ kind: 'var', name: 'A\x01B', value: 'x\x02\x00y\x03' }] });
  });
  it('decodes SEND, IS and INFO with VAR and USERVAR entries', () => {
    expect(decodeEnviron(b(1, 0, 'LANG', 0, 3))).toEqual({
      command: 'send',
      entries: [
        { kind: 'var', name: 'LANG', value: null },
        { kind: 'var', name: '', value: null },
        { kind: 'uservar', name: '', value: null },
      ],
    });
    expect(decodeEnviron(b(2, 3, 'X', 1, ''))!.entries).toEqual([{ kind: 'uservar', name: 'X', value: '' }]);
  });
  it('refuses data before the first VAR, a second VALUE, a trailing ESC, an unknown command', () => {
    expect(decodeEnviron(b(0, 'junk'))).toBeNull();
    expect(decodeEnviron(b(0, 0, 'A', 1, 'x', 1, 'y'))).toBeNull();
    expect(decodeEnviron(b(0, 0, 'A', 2))).toBeNull();
    expect(decodeEnviron(b(9))).toBeNull();
    expect(decodeEnviron(Buffer.alloc(0))).toBeNull();
  });
});

describe('CHARSET payloads', () => {
  it('REQUEST is the separator then the names joined by it', () => {
    expect(encodeCharsetRequest(['UTF-8', 'CP437'])).toEqual(b(1, ' UTF-8 CP437'));
    expect(encodeCharsetAccepted('UTF-8')).toEqual(b(2, 'UTF-8'));
    expect(encodeCharsetRejected()).toEqual(b(3));
  });
  it('decodes REQUEST with any separator and the [TTABLE] prefix', () => {
    expect(decodeCharset(b(1, ';UTF-8;;LATIN1'))).toEqual({ command: 'request', ttable: false, offers: ['UTF-8', 'LATIN1'] });
    expect(decodeCharset(b(1, '[TTABLE]', 1, ' UTF-8'))).toEqual({ command: 'request', ttable: true, offers: ['UTF-8'] });
    expect(decodeCharset(b(2, 'cp437'))).toEqual({ command: 'accepted', charset: 'cp437' });
    expect(decodeCharset(b(3))).toEqual({ command: 'rejected' });
    expect(decodeCharset(b(1))).toBeNull();
    expect(decodeCharset(Buffer.alloc(0))).toBeNull();
  });
});

describe('STATUS and SLC payloads', () => {
  it('STATUS IS lists WILL/WONT then DO/DONT, doubling an SE option byte', () => {
    const enc = encodeStatusIs(
      [
        [1, true],
        [240, false],
      ],
      [[3, true]],
    );
    expect(enc).toEqual(Buffer.from([0, 251, 1, 252, 240, 240, 253, 3]));
    expect(decodeStatusIs(enc)).toEqual([
      [251, 1],
      [252, 240],
      [253, 3],
    ]);
    expect(decodeStatusIs(Buffer.from([0, 251]))).toBeNull();
    expect(decodeStatusIs(Buffer.from([1]))).toBeNull();
  });
  it('SLC is triplets', () => {
    expect(encodeSlc([[3, 2, 3]])).toEqual(Buffer.from([3, 3, 2, 3]));
    expect(decodeSlc(Buffer.from([3, 2, 3, 4, 2, 15]))).toEqual([
      [3, 2, 3],
      [4, 2, 15],
    ]);
    expect(decodeSlc(Buffer.from([3, 2]))).toBeNull();
  });
});

describe('the CHARSET policy (sendCharset)', () => {
  it('takes the offer naming our own encoding, as the server spelled it', () => {
    expect(selectCharset('utf8', ['LATIN1', 'UTF-8'])).toEqual({ offer: 'UTF-8', canonical: 'utf-8' });
  });
  it('Latin-1 is a weak preference: the first usable offer wins', () => {
    expect(selectCharset('latin1', ['illegal', 'cp437'])).toEqual({ offer: 'cp437', canonical: 'cp437' });
    expect(selectCharset('iso-8859-1', ['KOI8-R', 'LATIN1'])).toEqual({ offer: 'LATIN1', canonical: 'latin-1' });
  });
  it('another explicit encoding not offered is rejected', () => {
    expect(selectCharset('utf-8', ['cp437', 'koi8-r'])).toBeNull();
  });
  it('without a preference, the first offer torsion can encode', () => {
    expect(selectCharset(false, ['illegal', 'x-unknown', 'BIG5', 'UTF-8'])).toEqual({ offer: 'BIG5', canonical: 'big5' });
    expect(selectCharset(null, ['illegal', 'this-is-no-good-either'])).toBeNull();
  });
  it('normalises odd spellings', () => {
    expect(normaliseCharset('iso-8859-02')).toBe('iso-8859-2');
    expect(normaliseCharset('cp-1250')).toBe('cp1250');
    expect(normaliseCharset('ISO8859-2')).toBe('iso-8859-2');
    expect(normaliseCharset('  ')).toBeNull();
    expect(selectCharset('iso-8859-2', ['ISO-8859-02'])).toEqual({ offer: 'ISO-8859-02', canonical: 'iso-8859-2' });
  });
});
