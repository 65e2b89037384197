import fc from 'fast-check';
import { RuntimeError } from '../../src/errors';
import { LineReceiver } from '../../src/framing';
import type { ITransport } from '../../src/interfaces/transport';
import { Clock } from '../../src/task/clock';
import { StringTransport } from '../../src/testing';
import { arbitraryCuts, cutAt, joinWith, oneByteChunks, packets, standardChunkings, strs } from './chunking';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

/** Twisted's LineTester: acts on tokens (pause, rawpause, stop, len N, produce, unproduce). */
class LineTester extends LineReceiver {
  override delimiter = b('\n');
  override MAX_LENGTH = 64;
  received: Buffer[] = [];
  length = 0;
  constructor(readonly clock: Clock | null = null) {
    super();
  }
  override connectionMade(): void {
    this.received = [];
  }
  override lineReceived(line: Buffer): void {
    this.received.push(line);
    const s = line.toString('latin1');
    if (s === '') {
      this.setRawMode();
    } else if (s === 'pause') {
      this.pauseProducing();
      this.clock!.callLater(0, () => this.resumeProducing());
    } else if (s === 'rawpause') {
      this.pauseProducing();
      this.setRawMode();
      this.received.push(Buffer.alloc(0));
      this.clock!.callLater(0, () => this.resumeProducing());
    } else if (s === 'stop') {
      this.stopProducing();
    } else if (s.startsWith('len ')) {
      this.length = Number(s.slice(4));
    } else if (s.startsWith('produce')) {
      this.transport!.registerProducer(this, false);
    } else if (s.startsWith('unproduce')) {
      this.transport!.unregisterProducer();
    }
  }
  override rawDataReceived(data: Buffer): void {
    const [mine, rest] = [data.subarray(0, this.length), data.subarray(this.length)];
    this.length -= mine.length;
    this.received[this.received.length - 1] = Buffer.concat([this.received[this.received.length - 1]!, mine]);
    if (this.length === 0) this.setLineMode(rest);
  }
  override lineLengthExceeded(line: Buffer): void {
    if (line.length > this.MAX_LENGTH + 1) this.setLineMode(line.subarray(this.MAX_LENGTH + 1));
  }
}

/** Twisted's FlippingLineTester: raw mode after each line, line mode again after one raw byte. */
class FlippingLineTester extends LineReceiver {
  override delimiter = b('\n');
  lines: Buffer[] = [];
  override lineReceived(line: Buffer): void {
    this.lines.push(line);
    this.setRawMode();
  }
  override rawDataReceived(data: Buffer): void {
    this.setLineMode(data.subarray(1));
  }
}

function connect<P extends LineReceiver>(proto: P, transport = new StringTransport()): P {
  proto.makeConnection(transport);
  return proto;
}

function feed(proto: LineReceiver, chunks: readonly Buffer[]): void {
  for (const c of chunks) proto.dataReceived(c);
}

describe('LineReceiver (Twisted LineReceiverTests)', () => {
  const buffer = b(
    'len 10\n\n0123456789len 5\n\n1234\nlen 20\nfoo 123\n\n0123456789\n012345678len 0\nfoo 5\n\n' +
      '1234567890123456789012345678901234567890123456789012345678901234567890\nlen 1\n\na',
  );
  const output = [
    'len 10',
    '0123456789',
    'len 5',
    '1234\n',
    'len 20',
    'foo 123',
    '0123456789\n012345678',
    'len 0',
    'foo 5',
    '',
    '67890',
    'len 1',
    'a',
  ];

  it('delivers the same lines and raw data in packets of 1 to 9 bytes', () => {
    for (let size = 1; size < 10; size++) {
      const a = connect(new LineTester());
      feed(a, packets(buffer, size));
      expect(strs(a.received)).toEqual(output);
    }
  });

  it('delivers the same lines and raw data however a stream without overlong lines is chunked', () => {
    const data = b('len 10\n\n0123456789len 5\n\n1234\nlen 20\nfoo 123\n\n0123456789\n012345678len 0\nfoo 5\n\nlen 1\n\na');
    const expected = [
      'len 10',
      '0123456789',
      'len 5',
      '1234\n',
      'len 20',
      'foo 123',
      '0123456789\n012345678',
      'len 0',
      'foo 5',
      '',
      'len 1',
      'a',
    ];
    for (const chunks of standardChunkings(data)) {
      const a = connect(new LineTester());
      feed(a, chunks);
      expect(strs(a.received)).toEqual(expected);
    }
    fc.assert(
      fc.property(arbitraryCuts(data.length), (cuts) => {
        const a = connect(new LineTester());
        feed(a, cutAt(data, cuts));
        expect(strs(a.received)).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('bytes fed back from lineLengthExceeded wait for the next dataReceived (as in Twisted)', () => {
    const a = connect(new LineTester());
    a.dataReceived(b(`${'x'.repeat(70)}\nnext\n`));
    expect(strs(a.received)).toEqual([]);
    a.dataReceived(Buffer.alloc(0));
    expect(strs(a.received)).toEqual(['xxxxx', 'next']);
  });

  it('pausing from lineReceived holds the rest until resumeProducing (driven by a Clock)', () => {
    const pauseBuf = b('twiddle1\ntwiddle2\npause\ntwiddle3\n');
    for (const chunks of standardChunkings(pauseBuf)) {
      const clock = new Clock();
      const a = connect(new LineTester(clock));
      feed(a, chunks);
      expect(strs(a.received)).toEqual(['twiddle1', 'twiddle2', 'pause']);
      expect(a.paused).toBe(true);
      expect((a.transport as StringTransport).producerState).toBe('paused');
      clock.advance(0);
      expect(strs(a.received)).toEqual(['twiddle1', 'twiddle2', 'pause', 'twiddle3']);
      expect((a.transport as StringTransport).producerState).toBe('producing');
    }
  });

  it('pausing and switching to raw mode delivers the raw bytes on resume', () => {
    const rawpauseBuf = b('twiddle1\ntwiddle2\nlen 5\nrawpause\n12345twiddle3\n');
    for (const chunks of standardChunkings(rawpauseBuf)) {
      const clock = new Clock();
      const a = connect(new LineTester(clock));
      feed(a, chunks);
      expect(strs(a.received)).toEqual(['twiddle1', 'twiddle2', 'len 5', 'rawpause', '']);
      clock.advance(0);
      expect(strs(a.received)).toEqual(['twiddle1', 'twiddle2', 'len 5', 'rawpause', '12345', 'twiddle3']);
    }
  });

  it('stopProducing from lineReceived stops delivery for good and stops the transport', () => {
    const stopBuf = b('twiddle1\ntwiddle2\nstop\nmore\nstuff\n');
    for (const chunks of standardChunkings(stopBuf)) {
      const a = connect(new LineTester());
      feed(a, chunks);
      expect(strs(a.received)).toEqual(['twiddle1', 'twiddle2', 'stop']);
      expect((a.transport as StringTransport).producerState).toBe('stopped');
    }
  });

  it('can register and unregister itself as the producer of its transport while receiving', () => {
    const t = new StringTransport();
    const a = connect(new LineTester(), t);
    a.dataReceived(b('produce\nhello world\nunproduce\ngoodbye\n'));
    expect(strs(a.received)).toEqual(['produce', 'hello world', 'unproduce', 'goodbye']);
    expect(t.producer).toBeNull();
  });

  it('clearLineBuffer() called from lineReceived returns and drops the rest of the buffer', () => {
    class ClearingReceiver extends LineReceiver {
      line: Buffer | null = null;
      rest: Buffer | null = null;
      override lineReceived(line: Buffer): void {
        this.line = line;
        this.rest = this.clearLineBuffer();
      }
    }
    const proto = new ClearingReceiver();
    proto.dataReceived(b('foo\r\nbar\r\nbaz'));
    expect(proto.line!.toString()).toBe('foo');
    expect(proto.rest!.toString()).toBe('bar\r\nbaz');
    proto.dataReceived(b('quux\r\n'));
    expect(proto.line!.toString()).toBe('quux');
    expect(proto.rest!.toString()).toBe('');
  });

  it('switching modes on every byte of a long chunk neither recurses nor loses bytes', () => {
    const n = 50_000;
    const proto = connect(new FlippingLineTester());
    proto.dataReceived(Buffer.from('x\nx'.repeat(n)));
    expect(Buffer.concat(proto.lines).toString()).toBe('x'.repeat(n));
  });

  it('loses the connection on a line longer than MAX_LENGTH (default lineLengthExceeded)', () => {
    const proto = new LineReceiver();
    const t = new StringTransport();
    proto.makeConnection(t);
    proto.dataReceived(Buffer.concat([Buffer.alloc(proto.MAX_LENGTH + 1, 'x'), b('\r\nr')]));
    expect(t.disconnecting).toBe(true);
  });

  it('accepts a MAX_LENGTH line whose delimiter arrives split after the limit was passed', () => {
    const proto = connect(new LineTester());
    proto.MAX_LENGTH = 4;
    const line = b('xxx');
    proto.dataReceived(line);
    proto.dataReceived(proto.delimiter.subarray(0, -1));
    proto.dataReceived(Buffer.concat([proto.delimiter.subarray(-1), line]));
    expect(proto.transport!.disconnecting).toBe(false);
    expect(strs(proto.received)).toEqual(['xxx']);
  });

  it('keeps a MAX_LENGTH line followed by part of the delimiter, without disconnecting', () => {
    const proto = new LineReceiver();
    const t = new StringTransport();
    proto.makeConnection(t);
    proto.dataReceived(Buffer.concat([Buffer.alloc(proto.MAX_LENGTH, 'x'), b('\r')]));
    expect(t.disconnecting).toBe(false);
  });

  it('a MAX_LENGTH line is delivered, with its delimiter in any chunking', () => {
    class Rec extends LineReceiver {
      override MAX_LENGTH = 8;
      lines: string[] = [];
      override lineReceived(line: Buffer): void {
        this.lines.push(line.toString());
      }
    }
    for (const chunks of standardChunkings(b('12345678\r\nab\r\n'))) {
      const p = connect(new Rec());
      feed(p, chunks);
      expect(p.lines).toEqual(['12345678', 'ab']);
      expect(p.transport!.disconnecting).toBe(false);
    }
  });

  it('dataReceived returns what rawDataReceived returned when it is truthy', () => {
    class Raw extends LineReceiver {
      override rawDataReceived(): unknown {
        return new RuntimeError('oops');
      }
    }
    const proto = connect(new Raw());
    proto.setRawMode();
    expect(proto.dataReceived(b('data'))).toBeInstanceOf(RuntimeError);
  });

  it('rawDataReceived and lineReceived throw RuntimeError unless overridden', () => {
    const proto = new LineReceiver();
    expect(() => proto.rawDataReceived(b('foo'))).toThrow(RuntimeError);
    expect(() => proto.lineReceived(b('foo'))).toThrow(RuntimeError);
  });

  it('sendLine writes the line followed by the delimiter; a string is refused', () => {
    const proto = connect(new LineReceiver());
    proto.sendLine(b('hello'));
    proto.sendLine(new Uint8Array([0x61]));
    proto.sendLine(Buffer.alloc(10_000, 'z'));
    const t = proto.transport as StringTransport;
    expect(t.value().toString()).toBe('hello\r\na\r\n' + 'z'.repeat(10_000) + '\r\n');
    expect(() => proto.sendLine('x' as unknown as Buffer)).toThrow(TypeError);
  });
});

/** Twisted's ExcessivelyLargeLineCatcher, MAX_LENGTH 6. */
class LongLineCatcher extends LineReceiver {
  override MAX_LENGTH = 6;
  longLines: Buffer[] = [];
  lines: Buffer[] = [];
  override lineReceived(line: Buffer): void {
    this.lines.push(line);
  }
  override lineLengthExceeded(data: Buffer): void {
    this.longLines.push(data);
  }
}

describe("LineReceiver.lineLengthExceeded gets exactly Twisted's arguments", () => {
  let proto: LongLineCatcher;
  beforeEach(() => {
    proto = connect(new LongLineCatcher());
  });
  const excessive = Buffer.alloc(6 * 2 + 2, 'x');

  it('more than MAX_LENGTH bytes without a delimiter: all of them, in one call', () => {
    proto.dataReceived(excessive);
    expect(strs(proto.longLines)).toEqual([excessive.toString()]);
  });

  it('a short line then too many bytes without a delimiter: all bytes after the short line', () => {
    proto.dataReceived(Buffer.concat([b('x'), proto.delimiter, excessive]));
    expect(strs(proto.lines)).toEqual(['x']);
    expect(strs(proto.longLines)).toEqual([excessive.toString()]);
  });

  it('a too-long line with a delimiter after it: the line, the delimiter and the rest', () => {
    const data = Buffer.concat([excessive, proto.delimiter, excessive]);
    proto.dataReceived(data);
    expect(strs(proto.longLines)).toEqual([data.toString()]);
  });

  it('several too-long lines: the whole byte string, once', () => {
    const data = Buffer.concat([excessive, proto.delimiter, excessive, proto.delimiter]);
    proto.dataReceived(data);
    expect(strs(proto.longLines)).toEqual([data.toString()]);
  });

  it('no delimiter: fires as soon as the buffer reaches MAX_LENGTH + len(delimiter), and clears it', () => {
    const p = connect(new LongLineCatcher());
    feed(p, oneByteChunks(Buffer.alloc(8, 'x')));
    expect(strs(p.longLines)).toEqual(['xxxxxxxx']);
    p.dataReceived(b('ab\r\n'));
    expect(strs(p.lines)).toEqual(['ab']);
  });

  it('the default loses the connection on an unfinished line of MAX_LENGTH + len(delimiter) bytes', () => {
    const p = new LineReceiver();
    const t = new StringTransport();
    p.makeConnection(t);
    p.dataReceived(Buffer.alloc(p.MAX_LENGTH + p.delimiter.length, 'x'));
    expect(t.disconnecting).toBe(true);
  });

  it('no byte is lost or duplicated: lines, exceeded data and the leftover rebuild the stream', () => {
    const alphabet = fc.constantFrom(...'ab\r\n'.split(''));
    fc.assert(
      fc.property(
        fc.array(alphabet, { maxLength: 80 }).chain((cs) => {
          const data = b(cs.join(''));
          return fc.tuple(fc.constant(data), arbitraryCuts(data.length));
        }),
        ([data, cuts]) => {
          const parts: Buffer[] = [];
          class Rec extends LongLineCatcher {
            override lineReceived(line: Buffer): void {
              parts.push(line, this.delimiter);
            }
            override lineLengthExceeded(data: Buffer): void {
              parts.push(data);
            }
          }
          const p = connect(new Rec());
          feed(p, cutAt(data, cuts));
          parts.push(p.clearLineBuffer());
          expect(Buffer.concat(parts).toString('latin1')).toBe(data.toString('latin1'));
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('LineReceiver delivery rules', () => {
  class Rec extends LineReceiver {
    lines: string[] = [];
    onLine: ((line: string) => unknown) | null = null;
    override lineReceived(line: Buffer): unknown {
      const s = line.toString('latin1');
      this.lines.push(s);
      return this.onLine?.(s);
    }
  }

  it('stops delivering the rest of a chunk once the transport is disconnecting', () => {
    const p = connect(new Rec());
    p.onLine = (s) => {
      if (s === 'quit') p.transport!.loseConnection();
    };
    p.dataReceived(b('a\r\nquit\r\nb\r\nc\r\n'));
    expect(p.lines).toEqual(['a', 'quit']);
  });

  it('a truthy return from lineReceived stops delivery, is returned, and the rest stays buffered', () => {
    const p = connect(new Rec());
    p.onLine = (s) => (s === 'halt' ? 'why' : undefined);
    expect(p.dataReceived(b('a\r\nhalt\r\nb\r\nc'))).toBe('why');
    expect(p.lines).toEqual(['a', 'halt']);
    expect(p.dataReceived(b('\r\n'))).toBeUndefined();
    expect(p.lines).toEqual(['a', 'halt', 'b', 'c']);
  });

  it('dataReceived from inside lineReceived only appends: lines keep their order', () => {
    const p = connect(new Rec());
    p.onLine = (s) => {
      if (s === 'a') p.dataReceived(b('x\r\ny'));
    };
    p.dataReceived(b('a\r\nb\r\n'));
    expect(p.lines).toEqual(['a', 'b', 'x']);
    p.dataReceived(b('\r\n'));
    expect(p.lines).toEqual(['a', 'b', 'x', 'y']);
  });

  it('an exception from lineReceived propagates; the next dataReceived carries on after that line', () => {
    const p = connect(new Rec());
    p.onLine = (s) => {
      if (s === 'boom') throw new Error('boom');
    };
    expect(() => p.dataReceived(b('a\r\nboom\r\nb\r\n'))).toThrow('boom');
    expect(p.lines).toEqual(['a', 'boom']);
    p.dataReceived(b('c\r\n'));
    expect(p.lines).toEqual(['a', 'boom', 'b', 'c']);
  });

  it('a delimiter changed from lineReceived applies to the next line', () => {
    const p = connect(new Rec());
    p.onLine = (s) => {
      if (s === 'switch') p.delimiter = b('\n');
    };
    for (const chunks of standardChunkings(b('one\r\nswitch\r\ntwo\nthree\n'))) {
      p.delimiter = b('\r\n');
      p.lines = [];
      feed(p, chunks);
      expect(p.lines).toEqual(['one', 'switch', 'two', 'three']);
    }
  });

  it('setLineMode(extra) from rawDataReceived parses extra for lines', () => {
    class Mixed extends Rec {
      raw: string[] = [];
      override rawDataReceived(data: Buffer): void {
        this.raw.push(data.subarray(0, 3).toString());
        this.setLineMode(data.subarray(3));
      }
    }
    const p = connect(new Mixed());
    p.onLine = (s) => {
      if (s === 'head') p.setRawMode();
    };
    p.dataReceived(b('head\r\nRAWnext\r\nlast\r\n'));
    expect(p.raw).toEqual(['RAW']);
    expect(p.lines).toEqual(['head', 'next', 'last']);
  });

  it('pauseProducing/resumeProducing: Twisted ProducerTests.test_pauseResume', () => {
    const data: string[] = [];
    const fake = {
      paused: false,
      disconnecting: false,
      pauseProducing() {
        this.paused = true;
      },
      resumeProducing() {
        this.paused = false;
      },
      write(d: Buffer) {
        data.push(d.toString());
      },
    };
    class Consuming extends LineReceiver<ITransport> {
      override lineReceived(line: Buffer): void {
        this.transport!.write(line);
        this.pauseProducing();
      }
    }
    const p = new Consuming();
    p.makeConnection(fake as unknown as ITransport);
    p.dataReceived(b('hello, '));
    expect([data, fake.paused, p.paused]).toEqual([[], false, false]);
    p.dataReceived(b('world\r\n'));
    expect([data, fake.paused, p.paused]).toEqual([['hello, world'], true, true]);
    p.resumeProducing();
    expect([data, fake.paused, p.paused]).toEqual([['hello, world'], false, false]);
    p.dataReceived(b('hello\r\nworld\r\n'));
    expect([data, fake.paused, p.paused]).toEqual([['hello, world', 'hello'], true, true]);
    p.resumeProducing();
    expect([data, fake.paused, p.paused]).toEqual([['hello, world', 'hello', 'world'], true, true]);
    p.dataReceived(b('goodbye\r\n'));
    expect(data).toEqual(['hello, world', 'hello', 'world']);
    p.resumeProducing();
    expect([data, fake.paused, p.paused]).toEqual([['hello, world', 'hello', 'world', 'goodbye'], true, true]);
    p.resumeProducing();
    expect([data, fake.paused, p.paused]).toEqual([['hello, world', 'hello', 'world', 'goodbye'], false, false]);
  });

  it('a line inside one chunk is a view of that chunk; a line spanning chunks is a fresh copy', () => {
    const got: Buffer[] = [];
    class Keep extends LineReceiver {
      override lineReceived(line: Buffer): void {
        got.push(line);
      }
    }
    const p = connect(new Keep());
    // Buffer.alloc never hands out the shared pool, so .buffer identifies the chunk.
    const chunk1 = Buffer.alloc(12);
    chunk1.write('abc\r\ndef\r\ngh', 'latin1');
    const chunk2 = Buffer.alloc(4);
    chunk2.write('ij\r\n', 'latin1');
    p.dataReceived(chunk1);
    p.dataReceived(chunk2);
    expect(strs(got)).toEqual(['abc', 'def', 'ghij']);
    expect(got[0]!.buffer).toBe(chunk1.buffer);
    expect(got[1]!.buffer).toBe(chunk1.buffer);
    expect(got[1]!.byteOffset).toBe(5);
    expect(got[2]!.buffer).not.toBe(chunk1.buffer);
    expect(got[2]!.buffer).not.toBe(chunk2.buffer);
    // The copy does not change when the chunks are reused.
    chunk1.fill(0);
    expect(got[2]!.toString()).toBe('ghij');
  });

  it('any delimiter (even self-overlapping ones) splits like a plain split, under random chunking', () => {
    const alphabet = fc.constantFrom('a', 'b', '\r', '\n');
    fc.assert(
      fc.property(
        fc.array(alphabet, { minLength: 1, maxLength: 4 }).map((d) => d.join('')),
        fc.array(
          fc.array(alphabet, { maxLength: 6 }).map((l) => l.join('')),
          { maxLength: 12 },
        ),
        fc.nat(),
        (delim, rawLines, seed) => {
          const data = b(rawLines.join(delim) + delim);
          const pieces = data.toString('latin1').split(delim);
          const cuts = fc.sample(arbitraryCuts(data.length), { seed, numRuns: 1 })[0]!;
          const p = connect(new Rec());
          p.delimiter = b(delim);
          feed(p, cutAt(data, cuts));
          expect(p.lines).toEqual(pieces.slice(0, -1));
          expect(p.clearLineBuffer().toString('latin1')).toBe(pieces[pieces.length - 1]);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('random chunkings of many CRLF lines deliver every line exactly once', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: fc.constantFrom('x', 'y', '\r', ' '), maxLength: 20 }), { maxLength: 30 }),
        fc.nat(),
        (lines, seed) => {
          const clean = lines.map((l) => l.replace(/\r$/, ''));
          const data = joinWith(clean.map(b), b('\r\n'));
          const cuts = fc.sample(arbitraryCuts(data.length), { seed, numRuns: 1 })[0]!;
          const p = connect(new Rec());
          feed(p, cutAt(data, cuts));
          expect(p.lines).toEqual(data.toString('latin1').split('\r\n').slice(0, -1));
        },
      ),
      { numRuns: 500 },
    );
  });
});
