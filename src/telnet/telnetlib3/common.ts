/**
 * What BaseClient and BaseServer share: option validation, the streams
 * they build, the engine wiring (telnetlib3's option policy on conch's
 * hooks), the negotiation timer and the shell lifecycle.
 * @module
 */
import { type UnicodeErrors, checkErrors, findCodec, lookupCodec } from '../../codec';
import type { Failure } from '../../defer/failure';
import { ConnectionDone } from '../../errors';
import { FAILED, guardCall } from '../../guard';

/** Told when a guarded callback of the session fails (the guard's owner). */
export interface CallbackOwner {
  /** A callback failed (threw, or its thenable rejected). */
  _callbackFailed(err: unknown, where: string): void;
}
import type { IDelayedCall, IReactorTime } from '../../interfaces/time';
import type { ITransport } from '../../interfaces/transport';
import { Logger } from '../../logger';
import { getGlobalReactor } from '../../task/default-reactor';
import { ArgTypeError, checkFinite } from '../../validate';
import { TelnetReader } from './reader';
import { TelnetReaderUnicode } from './reader-unicode';
import { DO, DONT, IAC, TM, WILL, WONT } from './telopt';
import { TelnetWriter, TelnetWriterUnicode, type WriterHost } from './writer';

/** The shell: runs once negotiation settled, with the connection's reader and writer. */
export type ShellCallback<R, W> = (reader: R, writer: W) => void | Promise<void>;

/** The validated options both ends share. */
export interface CommonSettings {
  shell: ShellCallback<never, never> | null;
  log: Logger;
  reactor: IReactorTime | null;
  encoding: string | false;
  encodingErrors: UnicodeErrors;
  forceBinary: boolean;
  connectMaxwait: number;
  limit: number;
  alwaysWill: number[];
  alwaysDo: number[];
}

function optionList(name: string, v: Iterable<number> | undefined): number[] {
  if (v === undefined || v === null) return [];
  if (typeof (v as Iterable<number>)[Symbol.iterator] !== 'function')
    throw new ArgTypeError(`${name} must be an iterable of option bytes`);
  const out = [...v];
  for (const o of out)
    if (!Number.isInteger(o) || o < 0 || o > 255) throw new ArgTypeError(`${name}: ${String(o)} is not an option byte`);
  return out;
}

/** Validate the options of BaseClient/BaseServer. */
export function commonSettings(
  opts: {
    shell?: ShellCallback<never, never> | null;
    log?: Logger;
    reactor?: IReactorTime;
    encoding?: string | false;
    encodingErrors?: UnicodeErrors;
    forceBinary?: boolean;
    connectMaxwait?: number;
    limit?: number | null;
    alwaysWill?: Iterable<number>;
    alwaysDo?: Iterable<number>;
  },
  defaultLog: string,
): CommonSettings {
  if (typeof opts !== 'object' || opts === null) throw new ArgTypeError('opts must be an object');
  const shell = opts.shell ?? null;
  if (shell !== null && typeof shell !== 'function') throw new ArgTypeError('shell must be a function (reader, writer)');
  const encoding = opts.encoding ?? 'utf8';
  if (encoding !== false) lookupCodec(encoding, 'encoding');
  const encodingErrors = opts.encodingErrors ?? 'strict';
  checkErrors(encodingErrors, 'encodingErrors');
  const connectMaxwait = opts.connectMaxwait ?? 4.0;
  checkSeconds('connectMaxwait', connectMaxwait);
  const limit = opts.limit ?? 65536;
  if (!Number.isInteger(limit) || limit < 1) throw new ArgTypeError(`limit must be an integer >= 1, got ${String(limit)}`);
  return {
    shell,
    log: opts.log ?? new Logger(defaultLog),
    reactor: opts.reactor ?? null,
    encoding,
    encodingErrors,
    forceBinary: Boolean(opts.forceBinary),
    connectMaxwait,
    limit,
    alwaysWill: optionList('alwaysWill', opts.alwaysWill),
    alwaysDo: optionList('alwaysDo', opts.alwaysDo),
  };
}

/** Throw unless `v` is a finite number of seconds >= 0. */
export function checkSeconds(name: string, v: unknown): asserts v is number {
  checkFinite(name, v);
  if ((v as number) < 0) throw new RangeError(`${name} must be >= 0, got ${String(v)}`);
}

/** The host protocol, as the session helper sees it. */
export interface SessionHost extends WriterHost, CallbackOwner {
  readonly transport: ITransport | null;
  readonly negotiationMap: Map<number, (data: Buffer) => void>;
  checkNegotiation(final?: boolean): boolean;
  beginShell(): void;
  /** An option went on (`local`: ours). */
  _optionEnabled(option: number, local: boolean): void;
}

/**
 * The per-connection state both ends share: clock, times, streams, the
 * negotiation timer, the waiters, the shell.
 */
export class Session {
  readonly settings: CommonSettings;
  reader: TelnetReader | TelnetReaderUnicode | null = null;
  writer: TelnetWriter | TelnetWriterUnicode | null = null;
  whenConnected = 0;
  lastReceived = 0;
  connectedDone = false;
  closed = false;
  readonly waiterConnected: Promise<unknown>;
  readonly waiterClosed: Promise<unknown>;
  #resolveConnected!: (v: unknown) => void;
  #resolveClosed!: (v: unknown) => void;
  #closedDone = false;
  #timer: IDelayedCall | null = null;
  #begin: IDelayedCall | null = null;
  #shellRunning = false;
  #tmExpected = false;
  readonly #host: SessionHost;
  readonly #server: boolean;

  constructor(host: SessionHost, settings: CommonSettings, server: boolean) {
    this.#host = host;
    this.settings = settings;
    this.#server = server;
    this.waiterConnected = new Promise((r) => {
      this.#resolveConnected = r;
    });
    this.waiterClosed = new Promise((r) => {
      this.#resolveClosed = r;
    });
  }

  get clock(): IReactorTime {
    return this.settings.reactor ?? getGlobalReactor();
  }

  get duration(): number {
    return this.whenConnected === 0 && !this.#started ? 0 : this.clock.seconds() - this.whenConnected;
  }

  get idle(): number {
    return this.#started ? this.clock.seconds() - this.lastReceived : 0;
  }

  #started = false;

  /** connectionMade: times, streams, engine wiring, and beginNegotiation at callLater(0). */
  connectionMade(encodingFn: (d: { outgoing?: boolean; incoming?: boolean }) => string, beginNegotiation: () => void): void {
    const host = this.#host;
    const transport = host.transport!;
    this.#started = true;
    this.whenConnected = this.clock.seconds();
    this.lastReceived = this.whenConnected;
    const s = this.settings;
    if (s.encoding !== false) {
      this.reader = new TelnetReaderUnicode({
        fnEncoding: () => encodingFn({ incoming: true }),
        encodingErrors: s.encodingErrors,
        limit: s.limit,
        reactor: s.reactor ?? undefined,
      });
      this.writer = new TelnetWriterUnicode({
        transport,
        protocol: host,
        server: this.#server,
        log: s.log,
        encodingErrors: s.encodingErrors,
      });
    } else {
      this.reader = new TelnetReader({ limit: s.limit, reactor: s.reactor ?? undefined });
      this.writer = new TelnetWriter({ transport, protocol: host, server: this.#server, log: s.log });
    }
    const producer = transport as unknown as { pauseProducing?: () => void; resumeProducing?: () => void };
    if (typeof producer.pauseProducing === 'function' && typeof producer.resumeProducing === 'function') {
      this.reader.setTransport(producer as { pauseProducing(): void; resumeProducing(): void; stopProducing(): void });
    }
    this.#wireEngine();
    this.#begin = this.clock.callLater(0, () => {
      this.#begin = null;
      if (this.closed) return;
      beginNegotiation();
    });
  }

  #wireEngine(): void {
    const host = this.#host;
    const writer = this.writer!;
    for (const cmd of [WILL, WONT, DO, DONT]) {
      const orig = host.commandMap.get(cmd);
      if (orig === undefined) continue;
      host.commandMap.set(cmd, (arg: number | null) => {
        if (arg === null) return orig.call(host, arg);
        if (arg === TM) return this.#timingMark(cmd);
        const side = (): string =>
          cmd === WILL || cmd === WONT ? host.getOptionState(arg).him.state : host.getOptionState(arg).us.state;
        const before = side();
        orig.call(host, arg);
        writer._noteCommand(cmd, arg);
        if (before !== 'yes' && side() === 'yes') host._optionEnabled(arg, cmd === DO || cmd === DONT);
      });
    }
  }

  #timingMark(cmd: number): void {
    const writer = this.writer!;
    // RFC 860: a timing mark is no state; DO TM is always answered.
    if (cmd === DO) writer.sendIac(Buffer.from([IAC, WILL, TM]));
    else if (cmd === WILL && !this.#tmExpected) writer.sendIac(Buffer.from([IAC, DONT, TM]));
    if (cmd === WILL || cmd === WONT) this.#tmExpected = false;
    writer._timingMark(cmd);
  }

  /** Send `DO TM` (RFC 860); its answer reaches the TM ext callback. */
  requestTimingMark(): void {
    this.#tmExpected = true;
    this.writer!.sendIac(Buffer.from([IAC, DO, TM]));
  }

  /** Register the SB handlers of `options` on the engine's negotiationMap. */
  handleSubnegotiations(options: readonly number[]): void {
    for (const opt of options) {
      this.#host.negotiationMap.set(opt, (data: Buffer) => this.writer!._handleSubnegotiation(opt, data));
    }
  }

  /** dataReceived's bookkeeping; returns whether the chunk held an IAC. */
  noteReceived(data: Buffer): boolean {
    this.lastReceived = this.clock.seconds();
    return data.includes(IAC);
  }

  /** After a chunk with an IAC: re-check negotiation. */
  afterCommandChunk(): void {
    if (!this.connectedDone && !this.closed) this.checkTimer();
  }

  /**
   * The negotiation timer (telnetlib3's `_check_negotiation_timer`): ask
   * checkNegotiation(final), finish when it says so or at `final`, else
   * re-arm for the next of `minwait` and `connectMaxwait`.
   */
  checkTimer(minwait: number | null = null): void {
    if (this.#timer !== null) {
      if (this.#timer.active()) this.#timer.cancel();
      this.#timer = null;
    }
    if (this.connectedDone || this.closed) return;
    const maxwait = this.settings.connectMaxwait;
    const duration = this.duration;
    const final = duration >= maxwait;
    let ok = false;
    const r = guardCall(this.#host, 'checkNegotiation', this.#host.checkNegotiation, this.#host, final);
    if (r !== FAILED) ok = Boolean(r);
    if (ok) {
      this.settings.log.debug(`negotiation complete after ${duration.toFixed(2)}s`);
      this.finishNegotiation();
    } else if (final) {
      this.settings.log.debug(`negotiation failed after ${duration.toFixed(2)}s`);
      this.finishNegotiation();
    } else {
      const next = minwait !== null && duration < minwait ? minwait : maxwait;
      this.#timer = this.clock.callLater(Math.max(0, next - duration), () => {
        this.#timer = null;
        this.checkTimer(minwait);
      });
    }
  }

  /** Resolve waiterConnected (once) and begin the shell. */
  finishNegotiation(): void {
    if (this.connectedDone) return;
    this.connectedDone = true;
    if (this.#timer !== null && this.#timer.active()) this.#timer.cancel();
    this.#timer = null;
    this.#resolveConnected(this.#host);
    if (!this.closed) this.#host.beginShell();
  }

  /** Start the shell once (beginShell's body). */
  runShell(): void {
    const shell = this.settings.shell;
    if (shell === null || this.#shellRunning) return;
    this.#shellRunning = true;
    const result = guardCall(
      this.#host,
      'shell',
      shell as (r: unknown, w: unknown) => unknown,
      undefined,
      this.reader,
      this.writer,
    );
    if (result === FAILED) {
      this.#shellSettled();
      return;
    }
    if (result !== null && typeof result === 'object' && typeof (result as Promise<unknown>).then === 'function') {
      (result as Promise<unknown>).then(
        () => this.#shellSettled(),
        () => this.#shellSettled(),
      );
    } else {
      this.#shellRunning = false;
      if (this.closed) this.#closeWaiter();
    }
  }

  #shellSettled(): void {
    this.#shellRunning = false;
    this.#closeWaiter();
  }

  #closeWaiter(): void {
    if (this.#closedDone) return;
    this.#closedDone = true;
    this.#resolveClosed(this.#host);
  }

  /** connectionLost: streams end, timers stop, waiters settle. */
  connectionLost(reason: Failure): void {
    if (this.closed) return;
    this.closed = true;
    if (this.#timer !== null && this.#timer.active()) this.#timer.cancel();
    this.#timer = null;
    if (this.#begin !== null && this.#begin.active()) this.#begin.cancel();
    this.#begin = null;
    const err = reason.value instanceof Error ? reason.value : new ConnectionDone(String(reason.value));
    const reader = this.reader;
    if (reader !== null && !reader.atEof()) {
      if (err instanceof ConnectionDone) {
        if (!(reader as { eof?: boolean }).eof) feedEofOnce(reader);
      } else {
        reader.setException(err);
      }
    }
    this.writer?._connectionLost(err);
    if (!this.connectedDone) {
      this.connectedDone = true;
      this.#resolveConnected(this.#host);
    }
    if (!this.#shellRunning) this.#closeWaiter();
  }

  /** Feed EOF to the reader (the peer's FIN), once. */
  feedEof(): void {
    if (this.reader !== null) feedEofOnce(this.reader);
  }

  /** getExtraInfo: the protocol's table, then the transport's, then the default. */
  getExtraInfo(extra: Record<string, unknown>, name: string, defaultValue: unknown): unknown {
    if (Object.hasOwn(extra, name)) return extra[name];
    const t = this.#host.transport as unknown as Record<string, unknown> | null;
    if (t !== null) {
      const addr = (a: unknown): unknown => {
        const x = a as { host?: unknown; port?: unknown } | null;
        return x !== null && typeof x === 'object' && 'host' in x && 'port' in x ? [x.host, x.port] : a;
      };
      try {
        if (name === 'peername' && typeof t.getPeer === 'function') return addr((t.getPeer as () => unknown)());
        if (name === 'sockname' && typeof t.getHost === 'function') return addr((t.getHost as () => unknown)());
        if (name === 'peercert' && typeof t.getPeerCertificate === 'function')
          return (t.getPeerCertificate as () => unknown)() ?? defaultValue;
        if (name === 'cipher' && typeof t.getCipher === 'function') return (t.getCipher as () => unknown)() ?? defaultValue;
      } catch {
        return defaultValue;
      }
    }
    return defaultValue;
  }
}

const eofFed = new WeakSet<object>();

function feedEofOnce(reader: TelnetReader | TelnetReaderUnicode): void {
  if (eofFed.has(reader)) return;
  eofFed.add(reader);
  reader.feedEof();
}

/** The `encoding({ outgoing, incoming })` check shared by both ends. */
export function checkDirection(direction: { outgoing?: boolean; incoming?: boolean }): { outgoing: boolean; incoming: boolean } {
  if (typeof direction !== 'object' || direction === null || !(direction.outgoing || direction.incoming)) {
    throw new ArgTypeError("encoding: 'outgoing' and 'incoming' are required: set at least one true");
  }
  return { outgoing: Boolean(direction.outgoing), incoming: Boolean(direction.incoming) };
}

/** The encoding part of a LANG value (`en_US.UTF-8@euro` gives `UTF-8`), when torsion knows it. */
export function encodingFromLang(lang: string): string | null {
  let enc = lang;
  const dot = enc.indexOf('.');
  if (dot >= 0) enc = enc.slice(dot + 1);
  const at = enc.indexOf('@');
  if (at >= 0) enc = enc.slice(0, at);
  return findCodec(enc) !== null ? enc : null;
}

/** guardCall for a thunk: undefined when it threw (the owner logs it); a rejected Promise goes to the owner too. */
export function guardedCall<R>(owner: CallbackOwner, where: string, fn: () => R): R | undefined {
  const r = guardCall(owner, where, fn as () => R, undefined);
  return r === FAILED ? undefined : r;
}
