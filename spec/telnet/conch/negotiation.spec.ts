/**
 * RFC 1143's Q method on both sides of an option: every state (NO, YES,
 * WANTNO and WANTYES with an empty or an opposite queue) against every
 * event (the peer's positive/negative answer, our enable/disable request),
 * with the bytes sent, the hooks called and the Deferreds settled.
 */
import type { Deferred } from '../../../src/defer/deferred';
import { Failure } from '../../../src/defer/failure';
import {
  AlreadyDisabled,
  AlreadyEnabled,
  AlreadyNegotiating,
  ConnectionLost,
  NegotiationError,
  OptionRefused,
} from '../../../src/errors';
import { DO, DONT, IAC, NAWS, SGA, WILL, WONT } from '../../../src/telnet/conch/constants';
import type { QQueue, QState } from '../../../src/telnet/conch/telnet';
import { captureDebug, connected, type Outcome, type Recorder, take, watch } from './helpers';
import type { StringTransport } from '../../../src/testing';

const OPT = NAWS;

interface SideSpec {
  name: 'us' | 'him';
  enable: (t: Recorder, o: number) => Deferred<true>;
  disable: (t: Recorder, o: number) => Deferred<true>;
  recvPos: number; // the peer's positive answer/request
  recvNeg: number;
  sendPos: number; // what we send to enable
  sendNeg: number;
  enableHook: 'enableLocal' | 'enableRemote';
  disableHook: 'disableLocal' | 'disableRemote';
  agree: (t: Recorder, o: number) => void;
}

const SIDES: SideSpec[] = [
  {
    name: 'us',
    enable: (t, o) => t.will(o),
    disable: (t, o) => t.wont(o),
    recvPos: DO,
    recvNeg: DONT,
    sendPos: WILL,
    sendNeg: WONT,
    enableHook: 'enableLocal',
    disableHook: 'disableLocal',
    agree: (t, o) => t.local.add(o),
  },
  {
    name: 'him',
    enable: (t, o) => t.do(o),
    disable: (t, o) => t.dont(o),
    recvPos: WILL,
    recvNeg: WONT,
    sendPos: DO,
    sendNeg: DONT,
    enableHook: 'enableRemote',
    disableHook: 'disableRemote',
    agree: (t, o) => t.remote.add(o),
  },
];

type Start = 'no' | 'yes' | 'wantno/empty' | 'wantno/opposite' | 'wantyes/empty' | 'wantyes/opposite';

interface Fixture {
  t: Recorder;
  tr: StringTransport;
  cur: Outcome | null; // the request in flight
  next: Outcome | null; // the queued request
}

/** Bring OPT's `side` into `start` through the public API, then clear the record. */
function setUp(side: SideSpec, start: Start): Fixture {
  const [t, tr] = connected();
  let cur: Outcome | null = null;
  let next: Outcome | null = null;
  const recv = (cmd: number) => t.dataReceived(Buffer.from([IAC, cmd, OPT]));
  if (start !== 'no') {
    if (start.startsWith('wantyes')) {
      cur = watch(side.enable(t, OPT));
      if (start === 'wantyes/opposite') next = watch(side.disable(t, OPT));
    } else {
      const first = watch(side.enable(t, OPT));
      recv(side.recvPos);
      expect(first).toEqual({ settled: true, value: true });
      if (start.startsWith('wantno')) {
        cur = watch(side.disable(t, OPT));
        if (start === 'wantno/opposite') next = watch(side.enable(t, OPT));
      }
    }
  }
  const [state, queue] = start.split('/') as [QState, QQueue | undefined];
  expect(t.getOptionState(OPT)[side.name]).toEqual({
    state,
    queue: queue ?? 'empty',
    negotiating: state === 'wantno' || state === 'wantyes',
  });
  t.events.length = 0;
  tr.clear();
  return { t, tr, cur, next };
}

function stateOf(f: Fixture, side: SideSpec): string {
  const s = f.t.getOptionState(OPT)[side.name];
  return s.queue === 'empty' && (s.state === 'no' || s.state === 'yes') ? s.state : `${s.state}/${s.queue}`;
}

describe.each(SIDES)('RFC 1143 on the $name side', (side) => {
  const recv = (f: Fixture, cmd: number) => f.t.dataReceived(Buffer.from([IAC, cmd, OPT]));
  const ok = { settled: true, value: true };
  const pending = { settled: false };

  describe('receiving the positive command', () => {
    it('in NO, the application agrees: YES, the positive answer sent, the hook asked once', () => {
      const f = setUp(side, 'no');
      side.agree(f.t, OPT);
      recv(f, side.recvPos);
      expect(stateOf(f, side)).toBe('yes');
      expect(take(f.tr)).toEqual([IAC, side.sendPos, OPT]);
      expect(f.t.nonData()).toEqual([[side.enableHook, OPT]]);
    });
    it('in NO, the application refuses: stays NO, the negative answer sent', () => {
      const f = setUp(side, 'no');
      recv(f, side.recvPos);
      expect(stateOf(f, side)).toBe('no');
      expect(take(f.tr)).toEqual([IAC, side.sendNeg, OPT]);
      expect(f.t.nonData()).toEqual([[side.enableHook, OPT]]);
    });
    it('in YES: ignored (no reply, no hook)', () => {
      const f = setUp(side, 'yes');
      recv(f, side.recvPos);
      expect(stateOf(f, side)).toBe('yes');
      expect(take(f.tr)).toEqual([]);
      expect(f.t.nonData()).toEqual([]);
    });
    it('in WANTNO/empty (an error of the peer): NO, nothing sent, the disable hook, the request fires', () => {
      const f = setUp(side, 'wantno/empty');
      recv(f, side.recvPos);
      expect(stateOf(f, side)).toBe('no');
      expect(take(f.tr)).toEqual([]);
      expect(f.t.nonData()).toEqual([[side.disableHook, OPT]]);
      expect(f.cur).toEqual(ok);
    });
    it('in WANTNO/opposite (an error of the peer): YES, the disable fails OptionRefused, the queued enable fires', () => {
      const f = setUp(side, 'wantno/opposite');
      recv(f, side.recvPos);
      expect(stateOf(f, side)).toBe('yes');
      expect(take(f.tr)).toEqual([]);
      expect(f.t.nonData()).toEqual([]);
      expect(f.cur!.error).toBeInstanceOf(OptionRefused);
      expect((f.cur!.error as OptionRefused).option).toBe(OPT);
      expect(f.next).toEqual(ok);
    });
    it('in WANTYES/empty: YES, nothing sent, the enable hook as a notice, the request fires true', () => {
      const f = setUp(side, 'wantyes/empty');
      recv(f, side.recvPos);
      expect(stateOf(f, side)).toBe('yes');
      expect(take(f.tr)).toEqual([]);
      expect(f.t.nonData()).toEqual([[side.enableHook, OPT]]);
      expect(f.cur).toEqual(ok);
    });
    it('in WANTYES/opposite: WANTNO/empty, the queued disable sent at once, the enable fires', () => {
      const f = setUp(side, 'wantyes/opposite');
      recv(f, side.recvPos);
      expect(stateOf(f, side)).toBe('wantno/empty');
      expect(take(f.tr)).toEqual([IAC, side.sendNeg, OPT]);
      expect(f.t.nonData()).toEqual([[side.enableHook, OPT]]);
      expect(f.cur).toEqual(ok);
      expect(f.next).toEqual(pending);
      recv(f, side.recvNeg);
      expect(stateOf(f, side)).toBe('no');
      expect(f.next).toEqual(ok);
      expect(f.t.nonData()).toEqual([
        [side.enableHook, OPT],
        [side.disableHook, OPT],
      ]);
    });
  });

  describe('receiving the negative command', () => {
    it('in NO: ignored', () => {
      const f = setUp(side, 'no');
      recv(f, side.recvNeg);
      expect(stateOf(f, side)).toBe('no');
      expect(take(f.tr)).toEqual([]);
      expect(f.t.nonData()).toEqual([]);
    });
    it('in YES: NO, the negative acknowledged, the disable hook', () => {
      const f = setUp(side, 'yes');
      recv(f, side.recvNeg);
      expect(stateOf(f, side)).toBe('no');
      expect(take(f.tr)).toEqual([IAC, side.sendNeg, OPT]);
      expect(f.t.nonData()).toEqual([[side.disableHook, OPT]]);
    });
    it('in WANTNO/empty: NO, nothing sent, the disable hook, the request fires true', () => {
      const f = setUp(side, 'wantno/empty');
      recv(f, side.recvNeg);
      expect(stateOf(f, side)).toBe('no');
      expect(take(f.tr)).toEqual([]);
      expect(f.t.nonData()).toEqual([[side.disableHook, OPT]]);
      expect(f.cur).toEqual(ok);
    });
    it('in WANTNO/opposite: WANTYES/empty, the queued enable sent at once, the disable fires', () => {
      const f = setUp(side, 'wantno/opposite');
      recv(f, side.recvNeg);
      expect(stateOf(f, side)).toBe('wantyes/empty');
      expect(take(f.tr)).toEqual([IAC, side.sendPos, OPT]);
      expect(f.t.nonData()).toEqual([[side.disableHook, OPT]]);
      expect(f.cur).toEqual(ok);
      expect(f.next).toEqual(pending);
      recv(f, side.recvPos);
      expect(stateOf(f, side)).toBe('yes');
      expect(f.next).toEqual(ok);
    });
    it('in WANTYES/empty: NO, the request fails OptionRefused, no hook', () => {
      const f = setUp(side, 'wantyes/empty');
      recv(f, side.recvNeg);
      expect(stateOf(f, side)).toBe('no');
      expect(take(f.tr)).toEqual([]);
      expect(f.t.nonData()).toEqual([]);
      expect(f.cur!.error).toBeInstanceOf(OptionRefused);
      expect((f.cur!.error as OptionRefused).code).toBe('ERR_TELNET_OPTION_REFUSED');
    });
    it('in WANTYES/opposite: NO/empty, the enable fails OptionRefused, the queued disable fires true', () => {
      const f = setUp(side, 'wantyes/opposite');
      recv(f, side.recvNeg);
      expect(stateOf(f, side)).toBe('no');
      expect(take(f.tr)).toEqual([]);
      expect(f.cur!.error).toBeInstanceOf(OptionRefused);
      expect(f.next).toEqual(ok);
    });
  });

  describe('asking to enable', () => {
    it('in NO: WANTYES, the request sent, pending', () => {
      const f = setUp(side, 'no');
      const o = watch(side.enable(f.t, OPT));
      expect(stateOf(f, side)).toBe('wantyes/empty');
      expect(take(f.tr)).toEqual([IAC, side.sendPos, OPT]);
      expect(o).toEqual(pending);
      expect(f.t.isNegotiating(side.sendPos, OPT)).toBe(true);
    });
    it('in YES: fails AlreadyEnabled, nothing sent', () => {
      const f = setUp(side, 'yes');
      const o = watch(side.enable(f.t, OPT));
      expect(o.error).toBeInstanceOf(AlreadyEnabled);
      expect((o.error as AlreadyEnabled).option).toBe(OPT);
      expect(take(f.tr)).toEqual([]);
    });
    it('in WANTNO/empty: queued (WANTNO/opposite), nothing sent yet', () => {
      const f = setUp(side, 'wantno/empty');
      const o = watch(side.enable(f.t, OPT));
      expect(stateOf(f, side)).toBe('wantno/opposite');
      expect(take(f.tr)).toEqual([]);
      expect(o).toEqual(pending);
      expect(f.t.isNegotiating(side.sendPos, OPT)).toBe(false);
      expect(f.t.isNegotiating(side.sendNeg, OPT)).toBe(true);
    });
    it('in WANTNO/opposite: fails AlreadyNegotiating (the same request is queued)', () => {
      const f = setUp(side, 'wantno/opposite');
      const o = watch(side.enable(f.t, OPT));
      expect(o.error).toBeInstanceOf(AlreadyNegotiating);
      expect(stateOf(f, side)).toBe('wantno/opposite');
      expect(f.next).toEqual(pending);
    });
    it('in WANTYES/empty: fails AlreadyNegotiating', () => {
      const f = setUp(side, 'wantyes/empty');
      const o = watch(side.enable(f.t, OPT));
      expect(o.error).toBeInstanceOf(AlreadyNegotiating);
      expect((o.error as AlreadyNegotiating).code).toBe('ERR_TELNET_ALREADY_NEGOTIATING');
      expect(f.cur).toEqual(pending);
    });
    it('in WANTYES/opposite: the queued disable is cancelled (NegotiationError), this waits with the enable', () => {
      const f = setUp(side, 'wantyes/opposite');
      const o = watch(side.enable(f.t, OPT));
      expect(stateOf(f, side)).toBe('wantyes/empty');
      expect(take(f.tr)).toEqual([]);
      expect(f.next!.error).toBeInstanceOf(NegotiationError);
      expect(f.next!.error).not.toBeInstanceOf(OptionRefused);
      recv(f, side.recvPos);
      expect(o).toEqual(ok);
      expect(f.cur).toEqual(ok);
    });
  });

  describe('asking to disable', () => {
    it('in NO: fails AlreadyDisabled', () => {
      const f = setUp(side, 'no');
      const o = watch(side.disable(f.t, OPT));
      expect(o.error).toBeInstanceOf(AlreadyDisabled);
      expect((o.error as AlreadyDisabled).code).toBe('ERR_TELNET_ALREADY_DISABLED');
      expect(take(f.tr)).toEqual([]);
    });
    it('in YES: WANTNO, the request sent', () => {
      const f = setUp(side, 'yes');
      const o = watch(side.disable(f.t, OPT));
      expect(stateOf(f, side)).toBe('wantno/empty');
      expect(take(f.tr)).toEqual([IAC, side.sendNeg, OPT]);
      expect(o).toEqual(pending);
    });
    it('in WANTNO/empty: fails AlreadyNegotiating', () => {
      const f = setUp(side, 'wantno/empty');
      expect(watch(side.disable(f.t, OPT)).error).toBeInstanceOf(AlreadyNegotiating);
    });
    it('in WANTNO/opposite: the queued enable is cancelled, this waits with the disable', () => {
      const f = setUp(side, 'wantno/opposite');
      const o = watch(side.disable(f.t, OPT));
      expect(stateOf(f, side)).toBe('wantno/empty');
      expect(f.next!.error).toBeInstanceOf(NegotiationError);
      recv(f, side.recvNeg);
      expect(o).toEqual(ok);
      expect(stateOf(f, side)).toBe('no');
      expect(take(f.tr)).toEqual([]);
    });
    it('in WANTYES/empty: queued (WANTYES/opposite)', () => {
      const f = setUp(side, 'wantyes/empty');
      const o = watch(side.disable(f.t, OPT));
      expect(stateOf(f, side)).toBe('wantyes/opposite');
      expect(take(f.tr)).toEqual([]);
      expect(o).toEqual(pending);
    });
    it('in WANTYES/opposite: fails AlreadyNegotiating', () => {
      const f = setUp(side, 'wantyes/opposite');
      expect(watch(side.disable(f.t, OPT)).error).toBeInstanceOf(AlreadyNegotiating);
    });
  });

  it('the connection lost fails the request in flight and the queued one with its reason', () => {
    const f = setUp(side, 'wantyes/opposite');
    const reason = new Failure(new ConnectionLost());
    f.t.connectionLost(reason);
    expect(f.cur!.error).toBeInstanceOf(ConnectionLost);
    expect(f.next!.error).toBeInstanceOf(ConnectionLost);
  });
});

describe('negotiation details', () => {
  it('the two sides of an option are independent', () => {
    const [t, tr] = connected();
    t.local.add(SGA);
    t.remote.add(SGA);
    const w = watch(t.will(SGA));
    const d = watch(t.do(SGA));
    expect(take(tr)).toEqual([IAC, WILL, SGA, IAC, DO, SGA]);
    t.dataReceived(Buffer.from([IAC, DO, SGA, IAC, WILL, SGA]));
    expect(w.value).toBe(true);
    expect(d.value).toBe(true);
    expect(take(tr)).toEqual([]);
    expect(t.isLocalEnabled(SGA)).toBe(true);
    expect(t.isRemoteEnabled(SGA)).toBe(true);
  });

  it('an enable hook that throws counts as a refusal and ends the connection, without a loop', () => {
    const [logged, stop] = captureDebug();
    const [t, tr] = connected();
    t.enableLocal = () => {
      throw new Error('boom');
    };
    t.dataReceived(Buffer.from([IAC, DO, SGA]));
    stop();
    expect(logged.some((e) => e.level === 'critical' && /enableLocal/.test(e.message))).toBe(true);
    expect(take(tr)).toEqual([IAC, WONT, SGA]);
    expect(tr.disconnected || tr.disconnecting).toBe(true);
  });

  it('an enable hook that returns something other than true refuses', () => {
    const [t, tr] = connected();
    (t as unknown as { enableRemote: () => unknown }).enableRemote = () => 1;
    t.dataReceived(Buffer.from([IAC, WILL, SGA]));
    expect(take(tr)).toEqual([IAC, DONT, SGA]);
  });

  it('optionStateChanged follows each change, before the Deferreds fire', () => {
    const [t] = connected();
    const seen: string[] = [];
    t.optionStateChanged = (o, s) => seen.push(`${o}:${s}:${t.getOptionState(o)[s].state}`);
    t.will(SGA).addCallback(() => void seen.push('fired'));
    t.dataReceived(Buffer.from([IAC, DO, SGA]));
    expect(seen).toEqual([`${SGA}:us:wantyes`, `${SGA}:us:yes`, 'fired']);
  });

  it('isNegotiating rejects a command that is not WILL/WONT/DO/DONT, and the option is checked', () => {
    const [t] = connected();
    expect(() => t.isNegotiating(SGA, SGA)).toThrow(RangeError);
    expect(() => t.will(256)).toThrow(RangeError);
    expect(() => t.do('x' as unknown as number)).toThrow(TypeError);
    expect(t.optionStates().size).toBe(0);
    t.will(SGA).addErrback(() => undefined);
    expect([...t.optionStates().keys()]).toEqual([SGA]);
  });

  it('will() before makeConnection throws RuntimeError', () => {
    const { Telnet } = jest.requireActual(
      '../../../src/telnet/conch/telnet',
    ) as typeof import('../../../src/telnet/conch/telnet');
    expect(() => new Telnet().will(SGA)).toThrow(/not connected/);
  });
});
