/**
 * The IAC parser of Telnet: data runs, IAC IAC, commands, subnegotiations,
 * the CR rules of RFC 854, malformed input, and fragmentation at every byte
 * boundary.
 */
import fc from 'fast-check';
import {
  AYT,
  BINARY,
  CR,
  DO,
  ECHO,
  GA,
  IAC,
  LF,
  NAWS,
  NOP,
  NULL,
  SB,
  SE,
  SGA,
  TTYPE,
  WILL,
  WONT,
  nameCommand,
  nameCommands,
} from '../../../src/telnet/conch/constants';
import { escapeIac } from '../../../src/telnet/conch/telnet';
import { type Event, Recorder, captureDebug, connected, take } from './helpers';

const B = (...xs: (number | string)[]) =>
  Buffer.concat(xs.map((x) => (typeof x === 'string' ? Buffer.from(x, 'latin1') : Buffer.from([x]))));

/** Feed `stream` in the pieces given by `cuts` (sorted positions) to a fresh Recorder. */
function feed(stream: Buffer, cuts: number[] = [], setup?: (t: Recorder) => void): Recorder {
  const [t] = connected();
  setup?.(t);
  let start = 0;
  for (const c of [...cuts, stream.length]) {
    if (c > start) t.dataReceived(stream.subarray(start, c));
    start = Math.max(start, c);
  }
  return t;
}

/** Events with adjacent data events merged (fragmentation may split data, never reorder it). */
function normalized(events: Event[]): Event[] {
  const out: Event[] = [];
  for (const e of events) {
    const last = out[out.length - 1];
    if (e[0] === 'data' && last !== undefined && last[0] === 'data') {
      out[out.length - 1] = ['data', Buffer.concat([last[1], e[1]])];
    } else {
      out.push(e);
    }
  }
  return out;
}

describe('nameCommand / nameCommands', () => {
  it('names commands and options as telnetlib3 does', () => {
    expect(nameCommand(WILL)).toBe('WILL');
    expect(nameCommand(NAWS)).toBe('NAWS');
    expect(nameCommand(IAC)).toBe('IAC');
    expect(nameCommand(239)).toBe('CMD_EOR');
    expect(nameCommand(25)).toBe('EOR');
    expect(nameCommand(100)).toBe("b'd'");
    expect(nameCommand(200)).toBe("b'\\xc8'");
    expect(nameCommands([IAC, DO, ECHO])).toBe('IAC DO ECHO');
    expect(nameCommands(Buffer.from([IAC, SB, TTYPE]), ',')).toBe('IAC,SB,TTYPE');
  });
  it('rejects what is not a byte', () => {
    expect(() => nameCommand(256)).toThrow(RangeError);
    expect(() => nameCommand(1.5)).toThrow(RangeError);
    expect(() => nameCommand('a' as unknown as number)).toThrow(TypeError);
    expect(() => nameCommands('abc' as unknown as number[])).toThrow(TypeError);
  });
});

describe('escapeIac', () => {
  it('doubles every IAC and returns the same bytes when there is none', () => {
    expect([...escapeIac(B(1, IAC, 2, IAC, IAC))]).toEqual([1, IAC, IAC, 2, IAC, IAC, IAC, IAC]);
    const plain = Buffer.from('abc');
    expect(escapeIac(plain)).toBe(plain);
    expect([...escapeIac(new Uint8Array([IAC]))]).toEqual([IAC, IAC]);
    expect(() => escapeIac('x' as unknown as Buffer)).toThrow(TypeError);
  });
});

describe('Telnet parser', () => {
  it('passes a run of plain data on as the same Buffer (no copy)', () => {
    const [t] = connected();
    let got: Buffer | null = null;
    t.applicationDataReceived = (d) => {
      got = d;
    };
    const chunk = Buffer.from('hello world');
    t.dataReceived(chunk);
    expect(got).toBe(chunk);
  });

  it('IAC IAC is a data byte 255, delivered with the data around it as one Buffer', () => {
    const t = feed(B('a', IAC, IAC, 'b', IAC, IAC, IAC, IAC, 'c'));
    expect(t.events).toEqual([['data', B('a', IAC, 'b', IAC, IAC, 'c')]]);
  });

  it('a command flushes the data before it, then the data after it follows', () => {
    const t = feed(B('ab', IAC, NOP, 'cd', IAC, AYT, IAC, GA));
    expect(t.events).toEqual([
      ['data', B('ab')],
      ['command', NOP, null],
      ['data', B('cd')],
      ['command', AYT, null],
      ['command', GA, null],
    ]);
  });

  it('commandMap handlers take two-byte commands', () => {
    const [t] = connected();
    const seen: (number | null)[] = [];
    t.commandMap.set(NOP, (arg) => seen.push(arg));
    t.dataReceived(B(IAC, NOP, IAC, NOP));
    expect(seen).toEqual([null, null]);
    expect(t.events).toEqual([]);
  });

  it('a subnegotiation goes to its negotiationMap handler with doubled IACs undone', () => {
    const [t] = connected();
    const seen: Buffer[] = [];
    t.negotiationMap.set(NAWS, (d) => seen.push(Buffer.from(d)));
    t.dataReceived(B('x', IAC, SB, NAWS, 0, IAC, IAC, 0, 24, IAC, SE, 'y'));
    expect(seen).toEqual([B(0, IAC, 0, 24)]);
    expect(t.events).toEqual([
      ['data', B('x')],
      ['data', B('y')],
    ]);
  });

  it('a subnegotiation without a handler goes to unhandledSubnegotiation', () => {
    const t = feed(B(IAC, SB, TTYPE, 0, 'VT100', IAC, SE));
    expect(t.events).toEqual([['sb', TTYPE, B(0, 'VT100')]]);
  });

  it('requestNegotiation sends IAC SB about data IAC SE with IACs doubled, and the parser reads it back', () => {
    const [t, tr] = connected();
    t.requestNegotiation(NAWS, B(0, IAC, 0, 24));
    const wire = tr.value();
    expect([...wire]).toEqual([IAC, SB, NAWS, 0, IAC, IAC, 0, 24, IAC, SE]);
    const r = feed(wire);
    expect(r.events).toEqual([['sb', NAWS, B(0, IAC, 0, 24)]]);
    expect(() => t.requestNegotiation(NAWS, 'x' as unknown as Buffer)).toThrow(TypeError);
  });

  describe('CR while the peer BINARY is off (RFC 854)', () => {
    it('CR NUL is delivered as CR, CR LF as CR LF, CR x as CR x', () => {
      const t = feed(B('a', CR, NULL, 'b', CR, LF, 'c', CR, 'd'));
      expect(t.data()).toEqual(B('a', CR, 'b', CR, LF, 'c', CR, 'd'));
    });
    it('CR at the end of a chunk waits for the next byte', () => {
      const t = feed(B('a', CR, NULL, 'b'), [2]);
      expect(t.data()).toEqual(B('a', CR, 'b'));
      expect(t.events[0]).toEqual(['data', B('a')]);
    });
    it('CR IAC: the CR is data, the IAC starts a command', () => {
      const t = feed(B('a', CR, IAC, NOP, 'b'));
      expect(t.events).toEqual([
        ['data', B('a', CR)],
        ['command', NOP, null],
        ['data', B('b')],
      ]);
    });
    it('with the peer BINARY on, CR NUL is delivered as it is', () => {
      const stream = B(IAC, WILL, BINARY, 'a', CR, NULL, 'b');
      const t = feed(stream, [], (x) => x.remote.add(BINARY));
      expect(t.data()).toEqual(B('a', CR, NULL, 'b'));
    });
  });

  describe('malformed input is logged at debug and skipped, the data around it kept', () => {
    it('IAC followed by a byte that is no command', () => {
      const [events, stop] = captureDebug();
      const t = feed(B('ab', IAC, 65, 'cd'));
      stop();
      expect(t.data()).toEqual(B('ab', 'cd'));
      expect(t.nonData()).toEqual([]);
      expect(events.some((e) => e.level === 'debug' && /no command/.test(e.message))).toBe(true);
    });
    it('a subnegotiation interrupted by IAC <command>: the SB is dropped, the command obeyed', () => {
      const [events, stop] = captureDebug();
      const t = feed(B('ab', IAC, SB, NAWS, 0, 80, IAC, WILL, ECHO, 'cd'));
      stop();
      expect(t.data()).toEqual(B('ab', 'cd'));
      expect(t.nonData()).toEqual([['enableRemote', ECHO]]);
      expect(events.some((e) => e.level === 'debug' && /interrupted/.test(e.message))).toBe(true);
    });
    it('a truncated SB followed by IAC NOP and data', () => {
      const t = feed(B(IAC, SB, TTYPE, 'xyz', IAC, NOP, 'data'));
      expect(t.events).toEqual([
        ['command', NOP, null],
        ['data', B('data')],
      ]);
    });
    it('an empty subnegotiation', () => {
      const t = feed(B('a', IAC, SB, IAC, SE, 'b'));
      expect(t.data()).toEqual(B('ab'));
      expect(t.nonData()).toEqual([]);
    });
    it('a subnegotiation longer than maxSubnegotiationLength is skipped up to its IAC SE', () => {
      const [events, stop] = captureDebug();
      const [t] = connected();
      t.maxSubnegotiationLength = 10;
      const long = Buffer.alloc(100, 0x41);
      t.dataReceived(B('a', IAC, SB, TTYPE));
      t.dataReceived(long);
      t.dataReceived(B(IAC, IAC, 'tail', IAC, SE, 'b', IAC, SB, NAWS, 1, 2, IAC, SE, 'c'));
      stop();
      expect(t.data()).toEqual(B('abc'));
      expect(t.nonData()).toEqual([['sb', NAWS, B(1, 2)]]);
      expect(events.filter((e) => e.level === 'debug' && /maxSubnegotiationLength/.test(e.message))).toHaveLength(1);
      expect(t.state).toBe('data');
    });
    it('maxSubnegotiationLength is checked', () => {
      const [t] = connected();
      expect(() => {
        t.maxSubnegotiationLength = 0;
      }).toThrow(RangeError);
      expect(t.maxSubnegotiationLength).toBe(65536);
    });
    it('IAC SE outside a subnegotiation is an unhandled command, not a crash', () => {
      const t = feed(B('a', IAC, SE, 'b'));
      expect(t.events).toEqual([
        ['data', B('a')],
        ['command', SE, null],
        ['data', B('b')],
      ]);
    });
  });

  it('a throwing negotiationMap handler ends the connection but the rest of the chunk is parsed', () => {
    const [logged, stop] = captureDebug();
    const [t, tr] = connected();
    t.negotiationMap.set(NAWS, () => {
      throw new Error('bad handler');
    });
    t.dataReceived(B(IAC, SB, NAWS, 1, IAC, SE, 'after'));
    stop();
    expect(logged.some((e) => e.level === 'critical' && /negotiationMap handler of NAWS/.test(e.message))).toBe(true);
    expect(t.data()).toEqual(B('after'));
    expect(tr.disconnected || tr.disconnecting).toBe(true);
  });

  describe('fragmentation', () => {
    const stream = B(
      'hello',
      IAC,
      IAC,
      CR,
      LF,
      IAC,
      WILL,
      SGA,
      'x',
      CR,
      NULL,
      IAC,
      SB,
      NAWS,
      0,
      IAC,
      IAC,
      0,
      24,
      IAC,
      SE,
      IAC,
      DO,
      ECHO,
      CR,
      IAC,
      NOP,
      'end',
      IAC,
      SB,
      TTYPE,
      'x',
      IAC,
      WONT,
      SGA,
      IAC,
      WILL,
      BINARY,
      'bin',
      CR,
      NULL,
      IAC,
      IAC,
    );
    const setup = (t: Recorder) => {
      t.remote.add(SGA);
      t.remote.add(BINARY);
    };
    const whole = feed(stream, [], setup);

    it('the stream in one chunk gives the expected callbacks', () => {
      expect(normalized(whole.events)).toEqual([
        ['data', B('hello', IAC, CR, LF)],
        ['enableRemote', SGA],
        ['data', B('x', CR)],
        ['sb', NAWS, B(0, IAC, 0, 24)],
        ['enableLocal', ECHO],
        ['data', B(CR)],
        ['command', NOP, null],
        ['data', B('end')],
        ['disableRemote', SGA],
        ['enableRemote', BINARY],
        ['data', B('bin', CR, NULL, IAC)],
      ]);
    });

    it('split at every byte boundary gives the same callbacks', () => {
      for (let cut = 1; cut < stream.length; cut++) {
        expect(normalized(feed(stream, [cut], setup).events)).toEqual(normalized(whole.events));
      }
    });

    it('one byte at a time gives the same callbacks', () => {
      const cuts = Array.from({ length: stream.length }, (_, i) => i);
      expect(normalized(feed(stream, cuts, setup).events)).toEqual(normalized(whole.events));
    });

    it('any split of any valid stream gives the same data and callbacks (property)', () => {
      const token = fc.oneof(
        fc.uint8Array({ minLength: 1, maxLength: 20 }).map((a) => escapeIac(Buffer.from(a).map((b) => (b === CR ? 0x20 : b)))),
        fc.constantFrom(B(CR, LF), B(CR, NULL), B(IAC, IAC), B(IAC, NOP), B(IAC, GA), B(IAC, AYT)),
        fc.tuple(fc.constantFrom(WILL, WONT, DO, 254), fc.constantFrom(SGA, ECHO, NAWS, TTYPE)).map(([c, o]) => B(IAC, c, o)),
        fc
          .tuple(fc.constantFrom(NAWS, TTYPE, 99), fc.uint8Array({ maxLength: 12 }))
          .map(([o, p]) => Buffer.concat([B(IAC, SB, o), escapeIac(p), B(IAC, SE)])),
      );
      fc.assert(
        fc.property(fc.array(token, { maxLength: 30 }), fc.array(fc.nat(), { maxLength: 10 }), (tokens, rawCuts) => {
          const s = Buffer.concat(tokens);
          const cuts = [...new Set(rawCuts.map((c) => (s.length === 0 ? 0 : c % (s.length + 1))))].sort((a, b) => a - b);
          const setupRand = (t: Recorder) => {
            t.local.add(ECHO);
            t.remote.add(SGA);
          };
          const a = feed(s, [], setupRand);
          const b = feed(s, cuts, setupRand);
          expect(normalized(b.events)).toEqual(normalized(a.events));
          expect(b.state).toBe('data');
        }),
        { numRuns: 300 },
      );
    });
  });

  it('64 kB with 1% IAC bytes, split anywhere, comes out as the same data', () => {
    const data = Buffer.alloc(65536);
    // No CR: the peer's BINARY is off here, so CR rules would apply.
    for (let i = 0; i < data.length; i++) data[i] = i % 100 === 7 ? IAC : (i * 31) & 0x7f || 1;
    for (let i = 0; i < data.length; i++) if (data[i] === CR) data[i] = 0x20;
    const wire = escapeIac(data);
    expect(wire.length).toBe(data.length + 656);
    const t = feed(wire, [1000, 1001, 1008, 30000, 30001, 65000]);
    expect(t.data().equals(data)).toBe(true);
  });

  it('take() helper sanity: written bytes are observed', () => {
    const [t, tr] = connected();
    t.sendCommand(GA);
    t.sendCommand(DO, ECHO);
    t.sendRaw(B(IAC, NOP));
    expect(take(tr)).toEqual([IAC, GA, IAC, DO, ECHO, IAC, NOP]);
  });
});

describe('Recorder sanity', () => {
  it('a fresh Recorder refuses everything', () => {
    const t = new Recorder();
    expect(t.enableLocal(1)).toBe(false);
  });
});
