/**
 * conch's `Telnet`: the IAC state machine and RFC 1143 option negotiation.
 *
 * Receiving: {@link Telnet.dataReceived} scans each chunk with `indexOf`
 * for the two bytes that matter (IAC, and CR while the peer's BINARY is
 * off); the plain runs between them are `subarray`s of the chunk, gathered
 * and handed to {@link Telnet.applicationDataReceived} as one Buffer before
 * each command and at the end of the chunk, so data is never copied byte by
 * byte. The parser's state survives chunk boundaries: any split of a stream
 * gives the same application data and the same callbacks in the same order.
 *
 * Negotiating: each option has two sides, `us` (WILL/WONT: whether we use
 * it) and `him` (DO/DONT: whether the peer does), each an RFC 1143 Q-method
 * machine (`no`/`yes`/`wantno`/`wantyes` and a queue bit), so two peers can
 * never loop and no reply is redundant.
 * @module
 */
import { Deferred } from '../../defer/deferred';
import type { Failure } from '../../defer/failure';
import { fail } from '../../defer/helpers';
import { AlreadyDisabled, AlreadyEnabled, AlreadyNegotiating, NegotiationError, OptionRefused, RuntimeError } from '../../errors';
import { type GuardOwner, guardCall, transportOwner } from '../../guard';
import { Logger } from '../../logger';
import { Protocol } from '../../protocol/protocol';
import { ArgRangeError, checkBytes, checkCount, describe } from '../../validate';
import { BINARY, CR, DO, DONT, IAC, LF, NULL, SB, SE, WILL, WONT, checkByte, nameCommand } from './constants';

const log = new Logger('torsion.telnet');

/** One side of an option in RFC 1143's Q method. */
export type QState = 'no' | 'yes' | 'wantno' | 'wantyes';

/** RFC 1143's queue bit: `'opposite'` when the opposite request waits for the one in flight. */
export type QQueue = 'empty' | 'opposite';

/** A snapshot of one side (`us` or `him`) of an option. */
export interface OptionSide {
  /** The Q-method state. */
  readonly state: QState;
  /** The queue bit. */
  readonly queue: QQueue;
  /** True while a request is in flight (`wantno` or `wantyes`). */
  readonly negotiating: boolean;
}

/**
 * A snapshot of an option's negotiation: `us` is whether we use the option
 * (we send WILL/WONT), `him` whether the peer does (we send DO/DONT).
 */
export interface OptionState {
  /** Our side: WILL/WONT. */
  readonly us: OptionSide;
  /** The peer's side: DO/DONT. */
  readonly him: OptionSide;
}

/** Which side of an option changed: `'us'` (WILL/WONT) or `'him'` (DO/DONT). */
export type OptionSideName = 'us' | 'him';

/**
 * Where the parser is: `'data'` (plain data), `'escaped'` (after an IAC),
 * `'command'` (after IAC WILL/WONT/DO/DONT, waiting for the option),
 * `'newline'` (after a CR while the peer's BINARY is off),
 * `'subnegotiation'` (inside IAC SB ... IAC SE), `'subnegotiation-escaped'`
 * (after an IAC inside a subnegotiation).
 */
export type ParseState = 'data' | 'escaped' | 'command' | 'newline' | 'subnegotiation' | 'subnegotiation-escaped';

/** The live Q-method state of one side, and who waits for it. */
class Side {
  state: QState = 'no';
  queue: QQueue = 'empty';
  /** Waiting for the request in flight. */
  cur: Deferred<true>[] = [];
  /** Waiting for the queued (opposite) request. */
  next: Deferred<true>[] = [];

  snapshot(): OptionSide {
    return Object.freeze({
      state: this.state,
      queue: this.queue,
      negotiating: this.state === 'wantno' || this.state === 'wantyes',
    });
  }
}

class Option {
  readonly us = new Side();
  readonly him = new Side();
}

const IAC_BUF = Buffer.from([IAC]);
const CR_BUF = Buffer.from([CR]);
const CRLF_BUF = Buffer.from([CR, LF]);
const EMPTY = Buffer.alloc(0);

/**
 * `data` with every IAC (255) doubled, as telnet data must be sent
 * (telnetlib3's `escape_iac`). Returns `data` itself (as a Buffer view, not a
 * copy) when it holds no IAC.
 * @throws ArgTypeError unless `data` is a Buffer or Uint8Array.
 */
export function escapeIac(data: Buffer | Uint8Array): Buffer {
  checkBytes('data', data);
  const buf = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  let i = buf.indexOf(IAC);
  if (i < 0) return buf;
  let count = 0;
  for (let j = i; j >= 0; j = buf.indexOf(IAC, j + 1)) count++;
  const out = Buffer.allocUnsafe(buf.length + count);
  let start = 0;
  let w = 0;
  while (i >= 0) {
    // Copy the run up to and including the IAC, then the IAC once more.
    w += buf.copy(out, w, start, i + 1);
    out[w++] = IAC;
    start = i + 1;
    i = buf.indexOf(IAC, start);
  }
  buf.copy(out, w, start);
  return out;
}

/**
 * The telnet protocol engine (Twisted's `twisted.conch.telnet.Telnet`): it
 * parses IAC sequences out of the byte stream, negotiates options, and
 * hands the plain data to {@link Telnet.applicationDataReceived}. Subclass
 * it (as telnetlib3's clients and servers do), or use
 * {@link TelnetTransport} with a {@link TelnetProtocol} for conch's split.
 *
 * **Receiving.** `IAC IAC` is a data byte 255. `IAC WILL/WONT/DO/DONT opt`
 * and the two-byte commands (`IAC NOP`, `IAC GA`, `IAC AYT` ...) go to
 * {@link Telnet.commandReceived}, which looks them up in
 * {@link Telnet.commandMap} (WILL/WONT/DO/DONT are preset to the Q-method
 * handlers `telnet_WILL` ...) or calls {@link Telnet.unhandledCommand}.
 * `IAC SB opt ... IAC SE` is collected with doubled IACs undone and given to
 * `negotiationMap.get(opt)` or {@link Telnet.unhandledSubnegotiation}. Data
 * received before a command is delivered before the command's callback.
 * While the peer's BINARY is off, `CR NUL` is delivered as CR and `CR LF` as
 * CR LF (RFC 854). Bad input never ends the connection and never eats the
 * data around it: `IAC` followed by a byte that is no command, a
 * subnegotiation interrupted by `IAC <command>` (the subnegotiation is
 * dropped, the command is obeyed), an empty subnegotiation, and one longer
 * than {@link Telnet.maxSubnegotiationLength} (dropped up to its `IAC SE`)
 * are logged at debug and skipped.
 *
 * **Negotiating.** {@link Telnet.will}/{@link Telnet.wont}/{@link Telnet.do}/
 * {@link Telnet.dont} ask the peer and return a Deferred that fires `true`
 * once the option is in the asked state. A request from the peer to enable
 * an option asks {@link Telnet.enableLocal} (DO) or
 * {@link Telnet.enableRemote} (WILL): `true` agrees; the defaults refuse.
 * `enableLocal`/`enableRemote` are also called, as a notice whose result is
 * ignored, when the peer accepts our own request; `disableLocal`/
 * `disableRemote` are called whenever an enabled option ends up disabled. So
 * the enable/disable hooks bracket exactly the periods in which an option is
 * on. {@link Telnet.optionStateChanged} is called after every change of an
 * option's Q state.
 *
 * Every hook and handler is called through torsion's guard: a throw (or a
 * rejected Promise) is logged and ends the connection, and parsing of the
 * chunk goes on in a consistent state.
 *
 * @example
 * ```ts
 * import { Telnet, IAC, DO, NAWS } from 'torsion/telnet';
 * import { StringTransport } from 'torsion/testing';
 *
 * class Server extends Telnet {
 *   override enableRemote(option: number): boolean {
 *     return option === NAWS;
 *   }
 * }
 * const server = new Server();
 * const tr = new StringTransport();
 * server.makeConnection(tr);
 * server.do(NAWS).addCallback(() => console.log('NAWS is on'));
 * expect([...tr.value()]).toEqual([IAC, DO, NAWS]);
 * ```
 */
export class Telnet extends Protocol {
  /**
   * The handlers of the commands after IAC, by command byte, each given the
   * option byte (WILL/WONT/DO/DONT) or null (two-byte commands). WILL, WONT,
   * DO and DONT are preset to `telnet_WILL` ... (which subclasses may
   * override); add NOP, GA, AYT ... as needed.
   */
  readonly commandMap: Map<number, (argument: number | null) => void>;
  /** The handlers of subnegotiations by option byte, each given the payload after the option byte. */
  readonly negotiationMap = new Map<number, (data: Buffer) => void>();

  #maxSubnegotiationLength = 65536;
  #state: ParseState = 'data';
  #command = 0;
  #sbParts: Buffer[] = [];
  #sbLength = 0;
  #sbOverflow = false;
  readonly #options = new Map<number, Option>();
  // Looked up on every data run (the CR rule depends on it).
  readonly #binary: Option;
  readonly #owner: GuardOwner;

  constructor() {
    super();
    this.#binary = new Option();
    this.#options.set(BINARY, this.#binary);
    this.#owner = transportOwner(this);
    this.commandMap = new Map<number, (argument: number | null) => void>([
      [WILL, (option) => this.telnet_WILL(option as number)],
      [WONT, (option) => this.telnet_WONT(option as number)],
      [DO, (option) => this.telnet_DO(option as number)],
      [DONT, (option) => this.telnet_DONT(option as number)],
    ]);
  }

  /** Where the parser is (see {@link ParseState}). */
  get state(): ParseState {
    return this.#state;
  }

  /**
   * The longest subnegotiation payload (bytes after `IAC SB`, IACs undone)
   * that is collected; a longer one is logged at debug and skipped up to its
   * `IAC SE`. Default 65536.
   * @throws ArgTypeError / ArgRangeError unless a positive integer.
   */
  get maxSubnegotiationLength(): number {
    return this.#maxSubnegotiationLength;
  }
  set maxSubnegotiationLength(value: number) {
    checkCount('maxSubnegotiationLength', value, 1);
    this.#maxSubnegotiationLength = value;
  }

  // ---- option state -----------------------------------------------------------

  #option(option: number): Option {
    let o = this.#options.get(option);
    if (o === undefined) {
      o = new Option();
      this.#options.set(option, o);
    }
    return o;
  }

  /**
   * A snapshot of the negotiation state of `option` (both sides). Options
   * never negotiated are `no`/`empty` on both sides.
   * @throws ArgTypeError / ArgRangeError unless `option` is a byte.
   */
  getOptionState(option: number): OptionState {
    checkByte('option', option);
    const o = this.#options.get(option);
    if (o === undefined) return NO_STATE;
    return Object.freeze({ us: o.us.snapshot(), him: o.him.snapshot() });
  }

  /**
   * Whether we use `option` (our side is `yes`).
   * @throws ArgTypeError / ArgRangeError unless `option` is a byte.
   */
  isLocalEnabled(option: number): boolean {
    checkByte('option', option);
    return this.#options.get(option)?.us.state === 'yes';
  }

  /**
   * Whether the peer uses `option` (its side is `yes`).
   * @throws ArgTypeError / ArgRangeError unless `option` is a byte.
   */
  isRemoteEnabled(option: number): boolean {
    checkByte('option', option);
    return this.#options.get(option)?.him.state === 'yes';
  }

  /**
   * Whether we sent `IAC command option` and wait for the answer:
   * WILL → our side is `wantyes`, WONT → `wantno`, DO → the peer's side is
   * `wantyes`, DONT → `wantno` (telnetlib3's `pending_option[command + option]`).
   * A request queued behind the one in flight has not been sent, so it is
   * not counted; see {@link Telnet.getOptionState} for the queue bit.
   * @throws ArgRangeError unless `command` is WILL, WONT, DO or DONT.
   */
  isNegotiating(command: number, option: number): boolean {
    checkByte('command', command);
    checkByte('option', option);
    const o = this.#options.get(option);
    switch (command) {
      case WILL:
        return o?.us.state === 'wantyes';
      case WONT:
        return o?.us.state === 'wantno';
      case DO:
        return o?.him.state === 'wantyes';
      case DONT:
        return o?.him.state === 'wantno';
      default:
        throw new ArgRangeError(`command must be WILL, WONT, DO or DONT, got ${describe(command)}`);
    }
  }

  /** Every option with a state other than no/no, and its snapshot (for STATUS replies and debugging). */
  optionStates(): Map<number, OptionState> {
    const out = new Map<number, OptionState>();
    for (const [option, o] of this.#options) {
      if (o.us.state === 'no' && o.him.state === 'no' && o.us.queue === 'empty' && o.him.queue === 'empty') continue;
      out.set(option, Object.freeze({ us: o.us.snapshot(), him: o.him.snapshot() }));
    }
    return out;
  }

  // ---- writing ------------------------------------------------------------------

  /**
   * Write `data` to the transport as it is: no IAC doubling, no newline
   * translation (conch's `_write`). For pre-encoded IAC sequences.
   * @throws RuntimeError when not connected to a transport.
   */
  _write(data: Buffer | Uint8Array): void {
    const t = this.transport;
    if (t === null) throw new RuntimeError('This Telnet is not connected: call makeConnection() first');
    t.write(data);
  }

  /**
   * Send raw bytes (an IAC sequence already encoded) without escaping;
   * the same as {@link Telnet._write}.
   * @throws ArgTypeError unless `data` is a Buffer or Uint8Array.
   * @throws RuntimeError when not connected to a transport.
   */
  sendRaw(data: Buffer | Uint8Array): void {
    checkBytes('data', data);
    this._write(data);
  }

  /**
   * Send `IAC command` or `IAC command option` as it is, outside the Q
   * method (for GA, NOP, AYT ..., or a timing mark answer).
   * @throws ArgTypeError / ArgRangeError unless the bytes are bytes.
   */
  sendCommand(command: number, option?: number): void {
    checkByte('command', command);
    if (option === undefined) {
      this._write(Buffer.from([IAC, command]));
    } else {
      checkByte('option', option);
      this._write(Buffer.from([IAC, command, option]));
    }
  }

  #send(command: number, option: number): void {
    this._write(Buffer.from([IAC, command, option]));
  }

  /**
   * Send `IAC SB about data IAC SE`, with the IACs in `about` and `data`
   * doubled.
   * @throws ArgTypeError / ArgRangeError on a bad argument; RuntimeError when not connected.
   */
  requestNegotiation(about: number, data: Buffer | Uint8Array): void {
    checkByte('about', about);
    checkBytes('data', data);
    const body = escapeIac(data);
    const head = about === IAC ? Buffer.from([IAC, SB, IAC, IAC]) : Buffer.from([IAC, SB, about]);
    const out = Buffer.allocUnsafe(head.length + body.length + 2);
    head.copy(out, 0);
    body.copy(out, head.length);
    out[out.length - 2] = IAC;
    out[out.length - 1] = SE;
    this._write(out);
  }

  // ---- asking -----------------------------------------------------------------------

  /**
   * Offer to use `option` (send `IAC WILL option`). The Deferred fires
   * `true` once the peer agrees (DO), fails with OptionRefused if it refuses
   * (DONT), with AlreadyEnabled if we already use it, with AlreadyNegotiating
   * if the same request is in flight or queued. Asked while a WONT is in
   * flight, the request is queued (RFC 1143) and sent when the WONT is
   * answered. Asked while a queued WONT waits behind our WILL, the queued
   * WONT is cancelled (its Deferred fails with NegotiationError) and this
   * Deferred waits with the WILL. Pending Deferreds fail with the reason of
   * the connection's loss.
   * @throws ArgTypeError / ArgRangeError unless `option` is a byte.
   */
  will(option: number): Deferred<true> {
    checkByte('option', option);
    return this.#enable(option, 'us');
  }

  /**
   * Stop using `option` (send `IAC WONT option`); the Deferred fires `true`
   * once the peer acknowledges (DONT). Fails with AlreadyDisabled if we do
   * not use it, AlreadyNegotiating if the same request is in flight or
   * queued; queued behind a WILL in flight (RFC 1143). See {@link Telnet.will}.
   * @throws ArgTypeError / ArgRangeError unless `option` is a byte.
   */
  wont(option: number): Deferred<true> {
    checkByte('option', option);
    return this.#disable(option, 'us');
  }

  /**
   * Ask the peer to use `option` (send `IAC DO option`); fires `true` once it
   * agrees (WILL), fails with OptionRefused (WONT), AlreadyEnabled,
   * AlreadyNegotiating; queued behind a DONT in flight. See {@link Telnet.will}.
   * @throws ArgTypeError / ArgRangeError unless `option` is a byte.
   */
  do(option: number): Deferred<true> {
    checkByte('option', option);
    return this.#enable(option, 'him');
  }

  /**
   * Ask the peer to stop using `option` (send `IAC DONT option`); fires
   * `true` once it acknowledges (WONT), fails with AlreadyDisabled,
   * AlreadyNegotiating; queued behind a DO in flight. See {@link Telnet.will}.
   * @throws ArgTypeError / ArgRangeError unless `option` is a byte.
   */
  dont(option: number): Deferred<true> {
    checkByte('option', option);
    return this.#disable(option, 'him');
  }

  #enable(option: number, which: OptionSideName): Deferred<true> {
    const s = this.#option(option)[which];
    const positive = which === 'us' ? WILL : DO;
    switch (s.state) {
      case 'yes':
        return fail(new AlreadyEnabled(option, { message: `Option ${nameCommand(option)} is already enabled` }));
      case 'no': {
        const d = new Deferred<true>();
        s.state = 'wantyes';
        s.cur.push(d);
        this.#send(positive, option);
        this.#changed(option, which);
        return d;
      }
      case 'wantno': {
        if (s.queue === 'opposite') return fail(alreadyNegotiating(option, positive));
        const d = new Deferred<true>();
        s.queue = 'opposite';
        s.next.push(d);
        this.#changed(option, which);
        return d;
      }
      case 'wantyes': {
        if (s.queue === 'empty') return fail(alreadyNegotiating(option, positive));
        // RFC 1143: the queued disable is cancelled; this request joins the enable in flight.
        s.queue = 'empty';
        const cancelled = s.next;
        s.next = [];
        const d = new Deferred<true>();
        s.cur.push(d);
        this.#changed(option, which);
        rejectAll(cancelled, () => supersededError(option, which === 'us' ? WONT : DONT, positive));
        return d;
      }
    }
  }

  #disable(option: number, which: OptionSideName): Deferred<true> {
    const s = this.#option(option)[which];
    const negative = which === 'us' ? WONT : DONT;
    switch (s.state) {
      case 'no':
        return fail(new AlreadyDisabled(option, { message: `Option ${nameCommand(option)} is already disabled` }));
      case 'yes': {
        const d = new Deferred<true>();
        s.state = 'wantno';
        s.cur.push(d);
        this.#send(negative, option);
        this.#changed(option, which);
        return d;
      }
      case 'wantyes': {
        if (s.queue === 'opposite') return fail(alreadyNegotiating(option, negative));
        const d = new Deferred<true>();
        s.queue = 'opposite';
        s.next.push(d);
        this.#changed(option, which);
        return d;
      }
      case 'wantno': {
        if (s.queue === 'empty') return fail(alreadyNegotiating(option, negative));
        s.queue = 'empty';
        const cancelled = s.next;
        s.next = [];
        const d = new Deferred<true>();
        s.cur.push(d);
        this.#changed(option, which);
        rejectAll(cancelled, () => supersededError(option, which === 'us' ? WILL : DO, negative));
        return d;
      }
    }
  }

  // ---- answering (RFC 1143) -------------------------------------------------------

  /** The peer sent `IAC WILL option`: the Q method for the peer's side. Overridable. */
  telnet_WILL(option: number): void {
    this.#receivedPositive(option, 'him');
  }
  /** The peer sent `IAC WONT option`. Overridable. */
  telnet_WONT(option: number): void {
    this.#receivedNegative(option, 'him');
  }
  /** The peer sent `IAC DO option`: the Q method for our side. Overridable. */
  telnet_DO(option: number): void {
    this.#receivedPositive(option, 'us');
  }
  /** The peer sent `IAC DONT option`. Overridable. */
  telnet_DONT(option: number): void {
    this.#receivedNegative(option, 'us');
  }

  // WILL for `him`, DO for `us`.
  #receivedPositive(option: number, which: OptionSideName): void {
    const s = this.#option(option)[which];
    const positive = which === 'us' ? WILL : DO;
    const negative = which === 'us' ? WONT : DONT;
    switch (s.state) {
      case 'no': {
        // The peer offers (WILL) or asks (DO) on its own: ask the application.
        if (this.#askEnable(option, which)) {
          s.state = 'yes';
          this.#send(positive, option);
          this.#changed(option, which);
        } else {
          this.#send(negative, option);
        }
        return;
      }
      case 'yes':
        return;
      case 'wantno': {
        // RFC 1143: an error on the peer's part (our disable answered by an enable).
        log.debug(`Telnet: ${nameCommand(negative)} ${nameCommand(option)} answered by ${which === 'us' ? 'DO' : 'WILL'}`);
        if (s.queue === 'empty') {
          s.state = 'no';
          this.#changed(option, which);
          this.#notifyDisable(option, which);
          resolveAll(takeCur(s));
        } else {
          s.state = 'yes';
          s.queue = 'empty';
          const cur = takeCur(s);
          const next = takeNext(s);
          this.#changed(option, which);
          rejectAll(cur, () => refused(option, negative));
          resolveAll(next);
        }
        return;
      }
      case 'wantyes': {
        const cur = takeCur(s);
        if (s.queue === 'empty') {
          s.state = 'yes';
        } else {
          // Enabled, and the queued disable goes out at once.
          s.state = 'wantno';
          s.queue = 'empty';
          s.cur = takeNext(s);
          this.#send(negative, option);
        }
        this.#changed(option, which);
        this.#notifyEnable(option, which);
        resolveAll(cur);
        return;
      }
    }
  }

  // WONT for `him`, DONT for `us`.
  #receivedNegative(option: number, which: OptionSideName): void {
    const s = this.#option(option)[which];
    const positive = which === 'us' ? WILL : DO;
    const negative = which === 'us' ? WONT : DONT;
    switch (s.state) {
      case 'no':
        return;
      case 'yes': {
        // The peer stops (WONT) or tells us to stop (DONT): always obeyed.
        s.state = 'no';
        this.#send(negative, option);
        this.#changed(option, which);
        this.#notifyDisable(option, which);
        return;
      }
      case 'wantno': {
        const cur = takeCur(s);
        if (s.queue === 'empty') {
          s.state = 'no';
        } else {
          // Disabled, and the queued enable goes out at once.
          s.state = 'wantyes';
          s.queue = 'empty';
          s.cur = takeNext(s);
          this.#send(positive, option);
        }
        this.#changed(option, which);
        this.#notifyDisable(option, which);
        resolveAll(cur);
        return;
      }
      case 'wantyes': {
        // Our enable was refused; a queued disable is satisfied by that.
        const cur = takeCur(s);
        const next = takeNext(s);
        s.state = 'no';
        s.queue = 'empty';
        this.#changed(option, which);
        rejectAll(cur, () => refused(option, positive));
        resolveAll(next);
        return;
      }
    }
  }

  #askEnable(option: number, which: OptionSideName): boolean {
    const r =
      which === 'us'
        ? guardCall(this.#owner, 'enableLocal', this.enableLocal, this, option)
        : guardCall(this.#owner, 'enableRemote', this.enableRemote, this, option);
    return r === true;
  }

  #notifyEnable(option: number, which: OptionSideName): void {
    if (which === 'us') guardCall(this.#owner, 'enableLocal', this.enableLocal, this, option);
    else guardCall(this.#owner, 'enableRemote', this.enableRemote, this, option);
  }

  #notifyDisable(option: number, which: OptionSideName): void {
    if (which === 'us') guardCall(this.#owner, 'disableLocal', this.disableLocal, this, option);
    else guardCall(this.#owner, 'disableRemote', this.disableRemote, this, option);
  }

  #changed(option: number, which: OptionSideName): void {
    guardCall(this.#owner, 'optionStateChanged', this.optionStateChanged, this, option, which);
  }

  // ---- hooks ---------------------------------------------------------------------------

  /**
   * The peer asks us to use `option` (`IAC DO option`): return true to agree.
   * Also called (result ignored) when the peer accepts our own `will(option)`.
   * Default: false (refuse everything).
   */
  enableLocal(_option: number): boolean {
    return false;
  }
  /**
   * The peer offers to use `option` (`IAC WILL option`): return true to agree.
   * Also called (result ignored) when the peer accepts our own `do(option)`.
   * Default: false.
   */
  enableRemote(_option: number): boolean {
    return false;
  }
  /** We no longer use `option` (it was enabled). Default: nothing. */
  disableLocal(_option: number): void {}
  /** The peer no longer uses `option` (it was enabled). Default: nothing. */
  disableRemote(_option: number): void {}
  /**
   * The Q state of `side` of `option` changed (see {@link Telnet.getOptionState}).
   * Called after the change, before the Deferreds it settles fire. Default: nothing.
   */
  optionStateChanged(_option: number, _side: OptionSideName): void {}
  /** Telnet data arrived (IAC sequences removed); the Buffer is yours. Default: nothing. */
  applicationDataReceived(_data: Buffer): void {}
  /**
   * A command arrived: `argument` is the option byte after WILL/WONT/DO/DONT,
   * null for a two-byte command. Default: the handler in
   * {@link Telnet.commandMap}, else {@link Telnet.unhandledCommand}.
   */
  commandReceived(command: number, argument: number | null): void {
    const fn = this.commandMap.get(command);
    if (fn === undefined) {
      guardCall(this.#owner, 'unhandledCommand', this.unhandledCommand, this, command, argument);
    } else {
      guardCall(this.#owner, `commandMap handler of ${nameCommand(command)}`, fn, this, argument);
    }
  }
  /** A command without a handler in {@link Telnet.commandMap}. Default: nothing. */
  unhandledCommand(_command: number, _argument: number | null): void {}
  /** A subnegotiation without a handler in {@link Telnet.negotiationMap}. Default: nothing. */
  unhandledSubnegotiation(_command: number, _data: Buffer): void {}

  /** A whole subnegotiation arrived (`data` = option byte + payload): dispatch it. */
  negotiate(data: Buffer): void {
    const option = data[0]!;
    const payload = data.subarray(1);
    const fn = this.negotiationMap.get(option);
    if (fn === undefined) {
      guardCall(this.#owner, 'unhandledSubnegotiation', this.unhandledSubnegotiation, this, option, payload);
    } else {
      guardCall(this.#owner, `negotiationMap handler of ${nameCommand(option)}`, fn, this, payload);
    }
  }

  /** Pending negotiation Deferreds fail with `reason`. */
  override connectionLost(reason: Failure): void {
    for (const o of this.#options.values()) {
      for (const s of [o.us, o.him]) {
        const waiting = [...takeCur(s), ...takeNext(s)];
        for (const d of waiting) d.errback(reason);
      }
    }
  }

  // ---- parsing ---------------------------------------------------------------------------

  #peerBinary(): boolean {
    const st = this.#binary.him.state;
    return st === 'yes' || st === 'wantno';
  }

  #deliver(parts: Buffer[]): void {
    const data = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    parts.length = 0;
    guardCall(this.#owner, 'applicationDataReceived', this.applicationDataReceived, this, data);
  }

  #sbAppend(run: Buffer): void {
    if (run.length === 0) return;
    if (this.#sbOverflow) return;
    if (this.#sbLength + run.length > this.#maxSubnegotiationLength) {
      this.#sbOverflow = true;
      this.#sbParts = [];
      log.debug(
        `Telnet: subnegotiation longer than maxSubnegotiationLength (${this.#maxSubnegotiationLength} bytes): skipped up to its IAC SE`,
      );
      return;
    }
    this.#sbParts.push(run);
    this.#sbLength += run.length;
  }

  #sbReset(): void {
    this.#sbParts = [];
    this.#sbLength = 0;
    this.#sbOverflow = false;
  }

  /** Parse `data`: see the class comment. */
  override dataReceived(data: Buffer): void {
    const n = data.length;
    const parts: Buffer[] = [];
    let i = 0;
    // Cached positions of the next IAC / CR at or after i (-1: none left; -2: not looked up).
    let nextIac = -2;
    let nextCr = -2;
    while (i < n) {
      switch (this.#state) {
        case 'data': {
          if (nextIac !== -1 && nextIac < i) nextIac = data.indexOf(IAC, i);
          let end = nextIac;
          const crlf = !this.#peerBinary();
          if (crlf) {
            if (nextCr !== -1 && nextCr < i) nextCr = data.indexOf(CR, i);
            if (nextCr >= 0 && (end < 0 || nextCr < end)) end = nextCr;
          }
          if (end < 0) {
            parts.push(i === 0 ? data : data.subarray(i));
            i = n;
            break;
          }
          if (data[end] === IAC) {
            if (end + 1 < n && data[end + 1] === IAC) {
              // IAC IAC: one data 255, kept inside the run.
              parts.push(data.subarray(i, end + 1));
              i = end + 2;
            } else {
              if (end > i) parts.push(data.subarray(i, end));
              i = end + 1;
              this.#state = 'escaped';
            }
          } else if (end + 1 < n) {
            // CR and the byte after it.
            const after = data[end + 1];
            if (after === LF) {
              parts.push(data.subarray(i, end + 2));
              i = end + 2;
            } else if (after === NULL) {
              parts.push(data.subarray(i, end + 1));
              i = end + 2;
            } else {
              // CR alone: delivered, the next byte parsed as usual.
              parts.push(data.subarray(i, end + 1));
              i = end + 1;
            }
          } else {
            if (end > i) parts.push(data.subarray(i, end));
            i = n;
            this.#state = 'newline';
          }
          break;
        }
        case 'newline': {
          const b = data[i];
          this.#state = 'data';
          if (b === LF) {
            parts.push(CRLF_BUF);
            i++;
          } else if (b === NULL) {
            parts.push(CR_BUF);
            i++;
          } else {
            parts.push(CR_BUF);
          }
          break;
        }
        case 'escaped': {
          const b = data[i++]!;
          if (b === IAC) {
            parts.push(IAC_BUF);
            this.#state = 'data';
          } else if (b === SB) {
            this.#sbReset();
            this.#state = 'subnegotiation';
          } else if (b === WILL || b === WONT || b === DO || b === DONT) {
            this.#command = b;
            this.#state = 'command';
          } else if (b >= 236) {
            this.#state = 'data';
            if (parts.length > 0) this.#deliver(parts);
            guardCall(this.#owner, 'commandReceived', this.commandReceived, this, b, null);
          } else {
            this.#state = 'data';
            log.debug(`Telnet: IAC followed by ${nameCommand(b)}, which is no command: skipped`);
          }
          break;
        }
        case 'command': {
          const b = data[i++]!;
          this.#state = 'data';
          if (parts.length > 0) this.#deliver(parts);
          guardCall(this.#owner, 'commandReceived', this.commandReceived, this, this.#command, b);
          break;
        }
        case 'subnegotiation': {
          if (nextIac !== -1 && nextIac < i) nextIac = data.indexOf(IAC, i);
          if (nextIac < 0) {
            this.#sbAppend(i === 0 ? data : data.subarray(i));
            i = n;
          } else {
            this.#sbAppend(data.subarray(i, nextIac));
            i = nextIac + 1;
            this.#state = 'subnegotiation-escaped';
          }
          break;
        }
        case 'subnegotiation-escaped': {
          const b = data[i]!;
          if (b === SE) {
            i++;
            this.#state = 'data';
            this.#endSubnegotiation(parts);
          } else if (b === IAC) {
            i++;
            this.#sbAppend(IAC_BUF);
            this.#state = 'subnegotiation';
          } else {
            // IAC <command> inside SB: the SB is broken; drop it and obey the command.
            log.debug(`Telnet: subnegotiation interrupted by IAC ${nameCommand(b)}: skipped`);
            this.#sbReset();
            this.#state = 'escaped';
          }
          break;
        }
      }
    }
    if (parts.length > 0) this.#deliver(parts);
  }

  #endSubnegotiation(parts: Buffer[]): void {
    const overflow = this.#sbOverflow;
    const sb = this.#sbParts.length === 1 ? this.#sbParts[0]! : this.#sbParts.length === 0 ? EMPTY : Buffer.concat(this.#sbParts);
    this.#sbReset();
    if (overflow) return;
    if (sb.length === 0) {
      log.debug('Telnet: empty subnegotiation (IAC SB IAC SE): skipped');
      return;
    }
    if (parts.length > 0) this.#deliver(parts);
    guardCall(this.#owner, 'negotiate', this.negotiate, this, sb);
  }
}

const NO_SIDE: OptionSide = Object.freeze({ state: 'no', queue: 'empty', negotiating: false });
const NO_STATE: OptionState = Object.freeze({ us: NO_SIDE, him: NO_SIDE });

function takeCur(s: Side): Deferred<true>[] {
  const cur = s.cur;
  s.cur = [];
  return cur;
}

function takeNext(s: Side): Deferred<true>[] {
  const next = s.next;
  s.next = [];
  return next;
}

function resolveAll(ds: Deferred<true>[]): void {
  for (const d of ds) d.callback(true);
}

function rejectAll(ds: Deferred<true>[], err: () => Error): void {
  for (const d of ds) d.errback(err());
}

function refused(option: number, command: number): OptionRefused {
  return new OptionRefused(option, {
    message: `The peer refused ${nameCommand(command)} ${nameCommand(option)}`,
  });
}

function alreadyNegotiating(option: number, command: number): AlreadyNegotiating {
  return new AlreadyNegotiating(option, {
    message: `${nameCommand(command)} ${nameCommand(option)} is already being negotiated: wait for its Deferred`,
  });
}

function supersededError(option: number, queued: number, later: number): NegotiationError {
  return new NegotiationError(option, {
    message: `The queued ${nameCommand(queued)} ${nameCommand(option)} was cancelled by a later ${nameCommand(later)} ${nameCommand(option)}`,
  });
}
