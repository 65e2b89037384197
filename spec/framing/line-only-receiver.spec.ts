import fc from 'fast-check';
import { RuntimeError } from '../../src/errors';
import { LineOnlyReceiver } from '../../src/framing';
import { StringTransport } from '../../src/testing';
import { arbitraryCuts, cutAt, oneByteChunks, standardChunkings } from './chunking';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

/** Twisted's LineOnlyTester: delimiter \n, MAX_LENGTH 64, records lines. */
class LineOnlyTester extends LineOnlyReceiver {
  override delimiter = b('\n');
  override MAX_LENGTH = 64;
  received: string[] = [];
  exceeded: string[] = [];
  onLine: ((line: string) => void) | null = null;
  override lineReceived(line: Buffer): void {
    const s = line.toString('latin1');
    this.received.push(s);
    this.onLine?.(s);
  }
  override lineLengthExceeded(line: Buffer): void {
    this.exceeded.push(line.toString('latin1'));
    super.lineLengthExceeded(line);
  }
}

function connect<P extends LineOnlyReceiver>(proto: P): P {
  proto.makeConnection(new StringTransport());
  return proto;
}

describe('LineOnlyReceiver (Twisted LineOnlyReceiverTests)', () => {
  const buffer = b('foo\n    bleakness\n    desolation\n    plastic forks\n    ');

  it('delivers every line, one byte at a time, with every split and in packets', () => {
    const expected = buffer.toString('latin1').split('\n').slice(0, -1);
    for (const chunks of standardChunkings(buffer)) {
      const a = connect(new LineOnlyTester());
      for (const c of chunks) a.dataReceived(c);
      expect(a.received).toEqual(expected);
    }
  });

  it('loses the connection on a line longer than MAX_LENGTH', () => {
    const proto = connect(new LineOnlyTester());
    proto.dataReceived(Buffer.concat([Buffer.alloc(proto.MAX_LENGTH + proto.delimiter.length + 1, 'x'), b('\r\nr')]));
    expect(proto.transport!.disconnecting).toBe(true);
  });

  it('lineReceived throws RuntimeError unless overridden', () => {
    const proto = new LineOnlyReceiver();
    expect(() => proto.lineReceived(b('foo'))).toThrow(RuntimeError);
  });

  it('a complete line over MAX_LENGTH is passed without its delimiter; later lines of the chunk are dropped', () => {
    const proto = connect(new LineOnlyTester());
    proto.transport!.loseConnection = () => {}; // keep going, to see what is delivered next
    const long = 'y'.repeat(65);
    proto.dataReceived(b(`a\n${long}\nb\nc\npartial`));
    expect(proto.received).toEqual(['a']);
    expect(proto.exceeded).toEqual([long]);
    proto.dataReceived(b('\nd\n'));
    expect(proto.received).toEqual(['a', 'partial', 'd']);
  });

  it('an unfinished line longer than MAX_LENGTH is passed whole and forgotten', () => {
    const proto = connect(new LineOnlyTester());
    proto.transport!.loseConnection = () => {};
    for (const c of oneByteChunks(b('z'.repeat(65)))) proto.dataReceived(c);
    expect(proto.exceeded).toEqual(['z'.repeat(65)]);
    proto.dataReceived(b('ok\n'));
    expect(proto.received).toEqual(['ok']);
  });

  it('a MAX_LENGTH line is delivered', () => {
    const proto = connect(new LineOnlyTester());
    proto.dataReceived(b('m'.repeat(64) + '\n'));
    expect(proto.received).toEqual(['m'.repeat(64)]);
    expect(proto.transport!.disconnecting).toBe(false);
  });

  it('stops delivering the lines after the one that made the transport disconnect', () => {
    const proto = connect(new LineOnlyTester());
    proto.onLine = (s) => {
      if (s === 'quit') proto.transport!.loseConnection();
    };
    proto.dataReceived(b('a\nquit\nb\nc\n'));
    expect(proto.received).toEqual(['a', 'quit']);
  });

  it('dataReceived from inside lineReceived only appends: lines keep their order', () => {
    const proto = connect(new LineOnlyTester());
    proto.onLine = (s) => {
      if (s === 'a') proto.dataReceived(b('x\n'));
    };
    proto.dataReceived(b('a\nb\n'));
    expect(proto.received).toEqual(['a', 'b', 'x']);
  });

  it('sendLine writes the line and the delimiter as one writeSequence', () => {
    const proto = connect(new LineOnlyTester());
    const seqs: Buffer[][] = [];
    const t = proto.transport as StringTransport;
    const orig = t.writeSequence.bind(t);
    t.writeSequence = (d) => {
      seqs.push(d.map((x) => Buffer.from(x)));
      orig(d);
    };
    proto.sendLine(b('hi'));
    expect(t.value().toString()).toBe('hi\n');
    expect(seqs.map((s) => s.map(String))).toEqual([['hi', '\n']]);
    expect(() => proto.sendLine('hi' as unknown as Buffer)).toThrow(TypeError);
  });

  it('random chunkings deliver every CRLF line exactly once, in order', () => {
    class Crlf extends LineOnlyReceiver {
      lines: string[] = [];
      override lineReceived(line: Buffer): void {
        this.lines.push(line.toString('latin1'));
      }
    }
    fc.assert(
      fc.property(
        fc
          .array(fc.string({ unit: fc.constantFrom('p', 'q', '\r', '\n'), maxLength: 60 }), { maxLength: 4 })
          .map((a) => a.join('')),
        fc.nat(),
        (text, seed) => {
          const data = b(text);
          const cuts = fc.sample(arbitraryCuts(data.length), { seed, numRuns: 1 })[0]!;
          const p = new Crlf();
          p.makeConnection(new StringTransport());
          for (const c of cutAt(data, cuts)) p.dataReceived(c);
          expect(p.lines).toEqual(text.split('\r\n').slice(0, -1));
        },
      ),
      { numRuns: 500 },
    );
  });
});
