import { Clock } from 'torsion/testing';
import { TimeoutError } from 'torsion/defer';
import { IncompleteReadError, LimitOverrunError, UnicodeDecodeError, ConnectionLost } from 'torsion/error';
import { TelnetReaderUnicode } from '../../../src/telnet/telnetlib3/reader-unicode';

const tick = () => new Promise((r) => setImmediate(r));

describe('TelnetReaderUnicode', () => {
  it('readline ends at \\r\\n, \\n, \\r\\0 and a lone \\r', async () => {
    const r = new TelnetReaderUnicode();
    r.feedData(Buffer.from('a\r\nb\nc\r\0d\re'));
    r.feedEof();
    expect(await r.readline()).toBe('a\r\n');
    expect(await r.readline()).toBe('b\n');
    expect(await r.readline()).toBe('c\r\0');
    expect(await r.readline()).toBe('d\r');
    expect(await r.readline()).toBe('e');
    expect(await r.readline()).toBe('');
    expect(r.atEof()).toBe(true);
  });

  it('a \\r at the end of the buffer ends the line, and a following \\n is dropped', async () => {
    const r = new TelnetReaderUnicode();
    r.feedData(Buffer.from('yes\r'));
    expect(await r.readline()).toBe('yes\r');
    r.feedData(Buffer.from('\nno\n'));
    expect(await r.readline()).toBe('no\n');
  });

  it('decodes utf-8 split across chunks, at every byte boundary', async () => {
    const text = 'héllo → 世界 🎉\n';
    const bytes = Buffer.from(text);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const r = new TelnetReaderUnicode();
      const p = r.readline();
      r.feedData(bytes.subarray(0, cut));
      await tick();
      r.feedData(bytes.subarray(cut));
      expect(await p).toBe(text);
    }
  });

  it('decodes with the encoding its protocol reports at read time', async () => {
    let enc = 'US-ASCII';
    const r = new TelnetReaderUnicode({ fnEncoding: () => enc, encodingErrors: 'replace' });
    r.feedData(Buffer.from([0xb3, 0x0a]));
    enc = 'cp437';
    expect(await r.readline()).toBe('│\n');
    enc = 'US-ASCII';
    r.feedData(Buffer.from([0xb3, 0x0a]));
    expect(await r.readline()).toBe('\ufffd\n');
  });

  it("encodingErrors 'strict' rejects the read with UnicodeDecodeError; 'ignore' drops", async () => {
    const strict = new TelnetReaderUnicode({ encodingErrors: 'strict' });
    strict.feedData(Buffer.from([0x61, 0xff, 0x62]));
    const err = await strict.read(10).catch((e) => e);
    expect(err).toBeInstanceOf(UnicodeDecodeError);
    expect(err.data).toEqual(Buffer.from([0x61, 0xff, 0x62]));
    const s2 = new TelnetReaderUnicode();
    s2.feedData(Buffer.from([0xc3, 0x28]));
    s2.feedEof();
    await expect(s2.read()).rejects.toBeInstanceOf(UnicodeDecodeError);
    const ign = new TelnetReaderUnicode({ encodingErrors: 'ignore' });
    ign.feedData(Buffer.from([0x61, 0xc3, 0x28, 0x62]));
    ign.feedEof();
    expect(await ign.read()).toBe('a(b');
  });

  it('readexactly counts characters, and fails at EOF with the partial', async () => {
    const r = new TelnetReaderUnicode();
    r.feedData(Buffer.from('ééé'));
    expect(await r.readexactly(2)).toBe('éé');
    r.feedEof();
    const err = await r.readexactly(3).catch((e) => e);
    expect(err).toBeInstanceOf(IncompleteReadError);
    expect(err.partial.toString()).toBe('é');
  });

  it('readuntilPattern returns through the match', async () => {
    const r = new TelnetReaderUnicode();
    r.feedData(Buffer.from('login: pass'));
    expect(await r.readuntilPattern(/log[a-z]+: /)).toBe('login: ');
    r.feedEof();
    await expect(r.readuntilPattern(/x/)).rejects.toBeInstanceOf(IncompleteReadError);
  });

  it('a line longer than the limit rejects with LimitOverrunError and stays buffered', async () => {
    const r = new TelnetReaderUnicode({ limit: 4 });
    r.feedData(Buffer.from('abcdefgh'));
    await expect(r.readline()).rejects.toBeInstanceOf(LimitOverrunError);
    expect(await r.read(3)).toBe('abc');
  });

  it('a read times out on the clock and consumes nothing', async () => {
    const clock = new Clock();
    const r = new TelnetReaderUnicode({ reactor: clock });
    r.feedData(Buffer.from('partial'));
    const p = r.readline({ timeout: 2 });
    await tick();
    clock.advance(1.9);
    await tick();
    clock.advance(0.1);
    await expect(p).rejects.toBeInstanceOf(TimeoutError);
    expect(await r.read(100)).toBe('partial');
  });

  it('an aborted read rejects with the reason', async () => {
    const r = new TelnetReaderUnicode({ reactor: new Clock() });
    const ac = new AbortController();
    const p = r.read(1, { signal: ac.signal });
    ac.abort(new Error('stop'));
    await expect(p).rejects.toThrow('stop');
  });

  it('after an exception, buffered data comes first, then the exception', async () => {
    const r = new TelnetReaderUnicode();
    r.feedData(Buffer.from('last words'));
    r.setException(new ConnectionLost());
    expect(await r.read(4)).toBe('last');
    expect(await r.read()).toBe(' words');
    await expect(r.read()).rejects.toBeInstanceOf(ConnectionLost);
  });

  it('iterates lines until EOF', async () => {
    const r = new TelnetReaderUnicode();
    r.feedData(Buffer.from('one\r\ntwo\r\n'));
    r.feedEof();
    const lines: string[] = [];
    for await (const l of r) lines.push(l);
    expect(lines).toEqual(['one\r\n', 'two\r\n']);
  });

  it('pauses its transport above twice the limit and resumes at the limit', async () => {
    const r = new TelnetReaderUnicode({ limit: 4 });
    const calls: string[] = [];
    r.setTransport({ pauseProducing: () => calls.push('pause'), resumeProducing: () => calls.push('resume') });
    r.feedData(Buffer.from('12345678'));
    expect(calls).toEqual([]);
    r.feedData(Buffer.from('9'));
    expect(calls).toEqual(['pause']);
    await r.read(4);
    expect(calls).toEqual(['pause']);
    await r.read(1);
    expect(calls).toEqual(['pause', 'resume']);
  });

  it('bad arguments throw typed errors', () => {
    expect(() => new TelnetReaderUnicode({ limit: 0 })).toThrow(RangeError);
    expect(() => new TelnetReaderUnicode({ encodingErrors: 'loud' as never })).toThrow(RangeError);
    const r = new TelnetReaderUnicode();
    return Promise.all([
      expect(r.readexactly(-1)).rejects.toBeInstanceOf(RangeError),
      expect(r.readuntilPattern('x' as never)).rejects.toBeInstanceOf(TypeError),
      expect(r.read(1, { timeout: -1 })).rejects.toBeInstanceOf(RangeError),
    ]);
  });
});
