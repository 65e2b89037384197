/**
 * TelnetWriter / TelnetWriterUnicode: telnetlib3's writer, on torsion's
 * `Telnet` engine. The engine (conch's state machine) parses and negotiates;
 * the writer holds telnetlib3's view of it (option tables, pending
 * requests), writes data with IACs doubled, sends the requests of the
 * telnetlib3 options, answers their subnegotiations through the callbacks
 * set with `setExtCallback`/`setExtSendCallback`, and ends with the
 * connection.
 * @module
 */
import { type UnicodeErrors, checkErrors, encodeText } from '../../codec';
import type { Deferred } from '../../defer/deferred';
import type { Failure } from '../../defer/failure';
import { ConnectionDone, OptionRefused } from '../../errors';
import type { ITransport } from '../../interfaces/transport';
import type { Logger } from '../../logger';
import { ArgTypeError, checkBytes, checkFunction } from '../../validate';
import { escapeIac } from '../conch/telnet';
import { OptionTableImpl, type OptionTable, PendingOptionsImpl, type PendingOptions } from './options';
import {
  DEFAULT_SLC_TABLE,
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
  encodeSend,
  encodeSlc,
  encodeStatusIs,
  encodeTspeed,
  parseTspeed,
} from './payloads';
import {
  BINARY,
  CHARSET,
  CMD_EOR,
  DO,
  DONT,
  ECHO,
  EOR,
  GA,
  IAC,
  LINEMODE,
  LINEMODE_FORWARDMASK,
  LINEMODE_MODE,
  LINEMODE_SLC,
  MODE_ACK,
  NAWS,
  NEW_ENVIRON,
  SB,
  SEND,
  SGA,
  SLC_ACK,
  SLC_LEVELBITS,
  STATUS,
  TSPEED,
  TTABLE_IS,
  TTABLE_REJECTED,
  TTYPE,
  WILL,
  WONT,
  XDISPLOC,
} from './telopt';
import { handled } from '../../streams/asyncio/options';

/** Bytes as the transports take them. */
export type Bytes = Buffer | Uint8Array;

/** The engine members the writer drives (conch's `Telnet`). */
export interface WriterHost {
  readonly transport: ITransport | null;
  getOptionState(option: number): { readonly us: { readonly state: string }; readonly him: { readonly state: string } };
  will(option: number): Deferred<true>;
  wont(option: number): Deferred<true>;
  do(option: number): Deferred<true>;
  dont(option: number): Deferred<true>;
  requestNegotiation(about: number, data: Bytes): void;
  readonly commandMap: Map<number, (argument: number | null) => void>;
  getExtraInfo(name: string, defaultValue?: unknown): unknown;
  encoding(direction: { outgoing?: boolean; incoming?: boolean }): string;
  /** Run a user callback through torsion's guard. */
  _guarded<R>(where: string, fn: () => R): R | undefined;
}

/** Options of the writers (built by the protocols). */
export interface TelnetWriterOptions {
  transport: ITransport;
  protocol: WriterHost;
  server: boolean;
  log: Logger;
  encodingErrors?: UnicodeErrors;
}

type ExtCallback = (...args: never[]) => void;
type ExtSendCallback = (...args: never[]) => unknown;

interface WaitForEntry {
  remote: Array<[number, boolean]>;
  local: Array<[number, boolean]>;
  pending: Array<[number, boolean]>;
  resolve: (v: true) => void;
  reject: (e: unknown) => void;
}

function conditions(label: string, rec: Record<number, boolean> | undefined): Array<[number, boolean]> {
  if (rec === undefined) return [];
  if (typeof rec !== 'object' || rec === null) throw new ArgTypeError(`${label} must be an object of option: boolean`);
  return Object.entries(rec).map(([k, v]) => {
    const opt = Number(k);
    if (!Number.isInteger(opt) || opt < 0 || opt > 255) throw new ArgTypeError(`${label}: ${k} is not an option byte`);
    if (typeof v !== 'boolean') throw new ArgTypeError(`${label}[${k}] must be a boolean`);
    return [opt, v];
  });
}

/**
 * telnetlib3's byte writer: writes telnet data (IACs doubled) and drives
 * option negotiation. Built by {@link BaseClient}/{@link BaseServer} at
 * `connectionMade`; the shell receives it.
 */
export class TelnetWriter {
  /** The protocol (a BaseClient or BaseServer). */
  readonly protocol: WriterHost;
  /** The transport. */
  readonly transport: ITransport;
  /** The options we do (agreed with WILL), by option byte. */
  readonly localOption: OptionTable;
  /** The options the peer does (agreed with DO), by option byte. */
  readonly remoteOption: OptionTable;
  /** Our requests awaiting an answer. */
  readonly pendingOption: PendingOptions;
  /** Whether this is the server end. */
  readonly server: boolean;
  /** @hidden */
  protected readonly _log: Logger;
  /** @hidden */
  protected readonly _encodingErrors: UnicodeErrors;
  readonly #local = new OptionTableImpl();
  readonly #remote = new OptionTableImpl();
  readonly #touched = new Set<number>();
  readonly #sbPending = new Set<number>();
  readonly #ext = new Map<number, ExtCallback>();
  readonly #extSend = new Map<number, ExtSendCallback>();
  #waitFor: WaitForEntry[] = [];
  #closing = false;
  #closed = false;
  #closeReason: Error | null = null;
  #paused = false;
  #drainWaiters: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];
  #closedWaiters: Array<() => void> = [];
  #linemodeMode = 0;

  constructor(opts: TelnetWriterOptions) {
    this.transport = opts.transport;
    this.protocol = opts.protocol;
    this.server = opts.server;
    this._log = opts.log;
    const errors = opts.encodingErrors ?? 'strict';
    checkErrors(errors, 'encodingErrors');
    this._encodingErrors = errors;
    this.localOption = this.#local;
    this.remoteOption = this.#remote;
    this.pendingOption = new PendingOptionsImpl(() => this.#pendingList());
  }

  #pendingList(): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    for (const opt of this.#touched) {
      const s = this.protocol.getOptionState(opt);
      if (s.us.state === 'wantyes') out.push([WILL, opt]);
      else if (s.us.state === 'wantno') out.push([WONT, opt]);
      if (s.him.state === 'wantyes') out.push([DO, opt]);
      else if (s.him.state === 'wantno') out.push([DONT, opt]);
    }
    for (const opt of this.#sbPending) out.push([SB, opt]);
    return out;
  }

  // ---- state ---------------------------------------------------------------

  /** Whether the peer sends us 8-bit data (its BINARY is on). */
  get inbinary(): boolean {
    return this.#remote.enabled(BINARY);
  }
  /** Whether we send 8-bit data (our BINARY is on). */
  get outbinary(): boolean {
    return this.#local.enabled(BINARY);
  }
  /**
   * Whether the server end echoes: on a server, that it agreed to `WILL
   * ECHO`; on a client, that the server did.
   */
  get willEcho(): boolean {
    return this.server ? this.#local.enabled(ECHO) : this.#remote.enabled(ECHO);
  }
  /**
   * `'kludge'` when the server echoes and suppresses go-ahead (character at a
   * time), `'remote'` when LINEMODE is on, `'local'` otherwise.
   */
  get mode(): 'local' | 'remote' | 'kludge' {
    const echoSide = this.server ? this.#local : this.#remote;
    if (echoSide.enabled(ECHO) && echoSide.enabled(SGA)) return 'kludge';
    const lmSide = this.server ? this.#remote : this.#local;
    if (lmSide.enabled(LINEMODE)) return 'remote';
    return 'local';
  }

  /** Whether close() was called or the connection ended. */
  isClosing(): boolean {
    return this.#closing || this.#closed;
  }

  // ---- data ----------------------------------------------------------------

  #writeRaw(data: Buffer, what: string): boolean {
    if (this.#closing || this.#closed) {
      this._log.debug(`${what} after close ignored`, { bytes: data.length });
      return false;
    }
    this.transport.write(data);
    return true;
  }

  /**
   * Write telnet data; IAC bytes are doubled. After close, a logged no-op.
   * @throws TypeError unless `data` is bytes (encode strings, or use TelnetWriterUnicode).
   */
  write(data: Bytes): void {
    checkBytes('data', data);
    this.#writeRaw(escapeIac(data), 'write');
  }

  /** write() each element. */
  writelines(lines: Iterable<Bytes>): void {
    for (const line of lines) this.write(line);
  }

  /**
   * Resolves once the transport's buffer drained below its low-water mark
   * (at once when not paused). Rejects once the connection is closed.
   */
  drain(): Promise<void> {
    if (this.#closed) return handled(Promise.reject(this.#closeReason ?? new ConnectionDone()));
    if (!this.#paused) return Promise.resolve();
    return handled(new Promise<void>((resolve, reject) => this.#drainWaiters.push({ resolve, reject })));
  }

  /** Write `data` only when we echo (a server that agreed to WILL ECHO). */
  echo(data: Bytes): void {
    checkBytes('data', data);
    if (this.willEcho) this.write(data);
  }

  /** Write `data` as it is: telnet commands, not escaped. */
  sendIac(data: Bytes): void {
    checkBytes('data', data);
    this.#writeRaw(Buffer.from(data), 'sendIac');
  }

  /**
   * Send `IAC command [option]`. For WILL/WONT/DO/DONT, negotiates through
   * the engine (RFC 1143) and returns false when redundant: already in that
   * state, or the same request pending. Other commands are sent as they are.
   */
  iac(command: number, option?: number): boolean {
    if (this.#closing || this.#closed) return false;
    if (command === WILL || command === WONT || command === DO || command === DONT) {
      if (option === undefined || !Number.isInteger(option) || option < 0 || option > 255) {
        throw new ArgTypeError(`option must be an option byte for ${command}`);
      }
      this.#touched.add(option);
      const s = this.protocol.getOptionState(option);
      const side = command === WILL || command === WONT ? s.us : s.him;
      const on = command === WILL || command === DO;
      if (on ? side.state === 'yes' || side.state === 'wantyes' : side.state === 'no' || side.state === 'wantno') {
        return false;
      }
      const table = command === WILL || command === WONT ? this.#local : this.#remote;
      const d =
        command === WILL
          ? this.protocol.will(option)
          : command === WONT
            ? this.protocol.wont(option)
            : command === DO
              ? this.protocol.do(option)
              : this.protocol.dont(option);
      d.addCallbacks(
        () => {
          table.set(option, on);
          this._optionsChanged();
        },
        (f: Failure) => {
          if (f.value instanceof OptionRefused) table.set(option, false);
          this._log.debug('negotiation request ended', { command, option, error: String(f.value) });
          this._optionsChanged();
        },
      );
      this._optionsChanged();
      return true;
    }
    if (!Number.isInteger(command) || command < 0 || command > 255) throw new ArgTypeError('command must be a byte');
    return this.#writeRaw(Buffer.from(option === undefined ? [IAC, command] : [IAC, command, option]), 'iac');
  }

  /** `IAC GA`, unless go-ahead is suppressed (our SGA on): then false. */
  sendGa(): boolean {
    if (this.#local.enabled(SGA)) return false;
    return this.#writeRaw(Buffer.from([IAC, GA]), 'sendGa');
  }

  /** `IAC EOR` when our EOR is on; false otherwise. */
  sendEor(): boolean {
    if (!this.#local.enabled(EOR)) return false;
    return this.#writeRaw(Buffer.from([IAC, CMD_EOR]), 'sendEor');
  }

  #sb(option: number, payload: Buffer): boolean {
    if (this.#closing || this.#closed) return false;
    this.protocol.requestNegotiation(option, payload);
    return true;
  }

  #request(option: number, payload: () => Buffer | null, needRemote = true): boolean {
    if (needRemote && !this.#remote.enabled(option)) return false;
    if (this.#sbPending.has(option)) return false;
    const data = payload();
    if (data === null) return false;
    if (!this.#sb(option, data)) return false;
    this.#sbPending.add(option);
    this._optionsChanged();
    return true;
  }

  /** `SB STATUS SEND` (RFC 859), when the peer agreed to STATUS. */
  requestStatus(): boolean {
    if (!this.#remote.enabled(STATUS)) return false;
    return this.#sb(STATUS, Buffer.from([SEND]));
  }
  /** `SB TSPEED SEND` when the peer agreed to TSPEED. */
  requestTspeed(): boolean {
    return this.#request(TSPEED, encodeSend);
  }
  /** `SB TTYPE SEND` when the peer agreed to TTYPE (one at a time). */
  requestTtype(): boolean {
    return this.#request(TTYPE, encodeSend);
  }
  /** `SB XDISPLOC SEND` when the peer agreed to XDISPLOC. */
  requestXdisploc(): boolean {
    return this.#request(XDISPLOC, encodeSend);
  }
  /**
   * `SB NEW_ENVIRON SEND` with the variables the NEW_ENVIRON send callback
   * returns (a server's `onRequestEnviron`); false when it returns none.
   */
  requestEnviron(): boolean {
    return this.#request(NEW_ENVIRON, () => {
      const fn = this.#extSend.get(NEW_ENVIRON);
      const list = fn === undefined ? [] : this.protocol._guarded('onRequestEnviron', () => fn());
      if (!Array.isArray(list) || list.length === 0) return null;
      return encodeEnvironSend(list as Array<string | number>);
    });
  }
  /**
   * `SB CHARSET REQUEST` offering what the CHARSET send callback returns (a
   * server's `onRequestCharset`), when CHARSET is on either way.
   */
  requestCharset(): boolean {
    if (!this.#remote.enabled(CHARSET) && !this.#local.enabled(CHARSET)) return false;
    return this.#request(
      CHARSET,
      () => {
        const fn = this.#extSend.get(CHARSET);
        const offers = fn === undefined ? [] : this.protocol._guarded('onRequestCharset', () => fn());
        if (!Array.isArray(offers) || offers.length === 0) return null;
        return encodeCharsetRequest(offers.map(String));
      },
      false,
    );
  }
  /**
   * `SB LINEMODE DO FORWARDMASK` with a mask of the control characters,
   * when the peer agreed to LINEMODE (a server's request).
   */
  requestForwardmask(): boolean {
    if (!this.#remote.enabled(LINEMODE)) return false;
    const mask = Buffer.alloc(16);
    for (let c = 0; c < 32; c++) mask[c >> 3]! |= 0x80 >> (c & 7);
    mask[0x7f >> 3]! |= 0x80 >> (0x7f & 7);
    return this.#sb(LINEMODE, Buffer.concat([Buffer.from([DO, LINEMODE_FORWARDMASK]), mask]));
  }
  /** `SB LINEMODE MODE mode` (default the current mode); logged and skipped when LINEMODE is off. */
  sendLinemode(mode?: number): void {
    if (!this.#remote.enabled(LINEMODE) && !this.#local.enabled(LINEMODE)) {
      this._log.debug('sendLinemode: LINEMODE is not on');
      return;
    }
    const m = mode ?? this.#linemodeMode;
    if (!Number.isInteger(m) || m < 0 || m > 255) throw new ArgTypeError('mode must be a byte');
    this.#linemodeMode = m;
    this.#sb(LINEMODE, Buffer.from([LINEMODE_MODE, m]));
  }
  /** The LINEMODE MODE last sent or agreed. */
  get linemodeMode(): number {
    return this.#linemodeMode;
  }

  // ---- callbacks -------------------------------------------------------------

  /** Call `fn(command)` when `IAC command` arrives (AYT, AO, IP, BRK, GA, NOP, EOR ...). */
  setIacCallback(command: number, fn: (command: number) => void): void {
    checkFunction('fn', fn);
    this.protocol.commandMap.set(command, () => {
      this.protocol._guarded(`iac callback ${command}`, () => fn(command));
    });
  }

  /**
   * The callback for what the peer tells about `option`: NAWS `(rows,
   * cols)`, TTYPE `(ttype)`, TSPEED `(rx, tx)`, XDISPLOC `(xdisploc)`,
   * NEW_ENVIRON `(mapping)`, CHARSET `(charset)`, STATUS `(pairs)`, TM
   * `(command)`.
   */
  setExtCallback(option: number, fn: (...args: never[]) => void): void {
    checkFunction('fn', fn);
    this.#ext.set(option, fn);
  }

  /**
   * The callback that answers the peer's requests about `option`: TTYPE
   * `() => string`, TSPEED `() => [rx, tx]`, XDISPLOC `() => string`,
   * NEW_ENVIRON `(keys) => mapping` (on a server, `() => request list`),
   * NAWS `() => [rows, cols]`, CHARSET `(offered) => choice` (on a server,
   * `() => offers`).
   */
  setExtSendCallback(option: number, fn: (...args: never[]) => unknown): void {
    checkFunction('fn', fn);
    this.#extSend.set(option, fn);
  }

  /** Whether a send callback is set for `option`. @internal */
  _hasExtSend(option: number): boolean {
    return this.#extSend.has(option);
  }

  #callExt(option: number, where: string, ...args: unknown[]): void {
    const fn = this.#ext.get(option);
    if (fn === undefined) {
      this._log.debug(`${where}: no callback`, { option, args });
      return;
    }
    this.protocol._guarded(where, () => (fn as (...a: unknown[]) => unknown)(...args));
  }

  #callExtSend(option: number, where: string, ...args: unknown[]): unknown {
    const fn = this.#extSend.get(option);
    if (fn === undefined) return undefined;
    return this.protocol._guarded(where, () => (fn as (...a: unknown[]) => unknown)(...args));
  }

  /**
   * Resolves once every condition holds: `remote[opt]` / `local[opt]` is
   * whether that option is on, `pending[opt]` whether any request about it
   * awaits an answer. Rejects when the connection closes first.
   * @throws TypeError for a malformed condition.
   */
  waitFor(opts: {
    remote?: Record<number, boolean>;
    local?: Record<number, boolean>;
    pending?: Record<number, boolean>;
  }): Promise<true> {
    if (typeof opts !== 'object' || opts === null) throw new ArgTypeError('opts must be an object');
    const entry = {
      remote: conditions('remote', opts.remote),
      local: conditions('local', opts.local),
      pending: conditions('pending', opts.pending),
    };
    for (const [opt] of [...entry.remote, ...entry.local, ...entry.pending]) this.#touched.add(opt);
    if (this.#closed) return handled(Promise.reject(this.#closeReason ?? new ConnectionDone()));
    return handled(
      new Promise<true>((resolve, reject) => {
        const e = { ...entry, resolve, reject };
        if (this.#satisfied(e)) resolve(true);
        else this.#waitFor.push(e);
      }),
    );
  }

  #satisfied(e: Omit<WaitForEntry, 'resolve' | 'reject'>): boolean {
    const pending = this.#pendingList();
    return (
      e.remote.every(([o, v]) => this.#remote.enabled(o) === v) &&
      e.local.every(([o, v]) => this.#local.enabled(o) === v) &&
      e.pending.every(([o, v]) => pending.some(([, po]) => po === o) === v)
    );
  }

  /** Extra information: the protocol's table, then the transport's. */
  getExtraInfo(name: string, defaultValue?: unknown): unknown {
    return this.protocol.getExtraInfo(name, defaultValue);
  }

  /** Close the connection (after what was written). */
  close(): void {
    if (this.#closing || this.#closed) return;
    this.#closing = true;
    this.transport.loseConnection();
  }

  /** Resolves once the connection is gone. */
  waitClosed(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    return new Promise<void>((resolve) => this.#closedWaiters.push(resolve));
  }

  // ---- called by the protocol -------------------------------------------------

  /**
   * The engine handled `IAC command option`: record the settled state in
   * the tables, and wake waitFor(). @internal
   */
  _noteCommand(command: number, option: number): void {
    this.#touched.add(option);
    const s = this.protocol.getOptionState(option);
    if (command === WILL || command === WONT) {
      if (s.him.state === 'yes') this.#remote.set(option, true);
      else if (s.him.state === 'no') this.#remote.set(option, false);
    } else {
      if (s.us.state === 'yes') this.#local.set(option, true);
      else if (s.us.state === 'no') this.#local.set(option, false);
    }
    this._optionsChanged();
  }

  /** Wake waitFor() promises whose conditions now hold. @internal */
  _optionsChanged(): void {
    if (this.#waitFor.length === 0) return;
    const still: WaitForEntry[] = [];
    for (const e of this.#waitFor) {
      if (this.#satisfied(e)) e.resolve(true);
      else still.push(e);
    }
    this.#waitFor = still;
  }

  /** The transport's buffer went over its high-water mark. @internal */
  _pauseWriting(): void {
    this.#paused = true;
  }

  /** The transport's buffer drained. @internal */
  _resumeWriting(): void {
    this.#paused = false;
    for (const w of this.#drainWaiters.splice(0)) w.resolve();
  }

  /** The connection is gone. @internal */
  _connectionLost(reason: Error): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#closeReason = reason;
    for (const w of this.#drainWaiters.splice(0)) w.reject(reason);
    for (const e of this.#waitFor.splice(0)) e.reject(reason);
    for (const fn of this.#closedWaiters.splice(0)) fn();
  }

  /** Send NAWS with what the NAWS send callback returns, when our NAWS is on. @internal */
  _sendNaws(): boolean {
    if (!this.#local.enabled(NAWS)) return false;
    const size = this.#callExtSend(NAWS, 'sendNaws');
    if (!Array.isArray(size) || size.length !== 2) return false;
    return this.#sb(NAWS, encodeNaws(Number(size[0]), Number(size[1])));
  }

  /** A timing mark arrived (`command` is DO, DONT, WILL or WONT). @internal */
  _timingMark(command: number): void {
    this.#callExt(6, 'timing mark', command);
  }

  /** A subnegotiation arrived for `option`. @internal */
  _handleSubnegotiation(option: number, data: Buffer): void {
    switch (option) {
      case TTYPE:
      case TSPEED:
      case XDISPLOC:
        this.#onIsSend(option, data);
        return;
      case NAWS:
        this.#onNaws(data);
        return;
      case NEW_ENVIRON:
        this.#onEnviron(data);
        return;
      case CHARSET:
        this.#onCharset(data);
        return;
      case STATUS:
        this.#onStatus(data);
        return;
      case LINEMODE:
        this.#onLinemode(data);
        return;
      default:
        this._log.debug('subnegotiation for an option nobody handles', { option, bytes: data.length });
    }
  }

  #malformed(option: number, data: Buffer): void {
    this._log.debug('malformed subnegotiation skipped', { option, data: data.toString('hex') });
  }

  #onIsSend(option: number, data: Buffer): void {
    const msg = decodeIsSend(data);
    if (msg === null) {
      this.#malformed(option, data);
      return;
    }
    const [kind, text] = msg;
    if (kind === 'send') {
      if (!this.#local.enabled(option)) {
        this._log.debug('SEND for an option we did not agree to', { option });
        return;
      }
      const where = option === TTYPE ? 'sendTtype' : option === TSPEED ? 'sendTspeed' : 'sendXdisploc';
      const value = this.#callExtSend(option, where);
      if (option === TSPEED) {
        if (!Array.isArray(value) || value.length !== 2) return;
        this.#sb(option, encodeTspeed(Number(value[0]), Number(value[1])));
      } else {
        if (typeof value !== 'string') return;
        this.#sb(option, encodeIs(value));
      }
      return;
    }
    if (!this.#remote.enabled(option)) {
      this._log.debug('IS for an option the peer did not agree to', { option });
      return;
    }
    this.#sbPending.delete(option);
    if (option === TSPEED) {
      const speeds = parseTspeed(text);
      if (speeds === null) this.#malformed(option, data);
      else this.#callExt(option, 'onTspeed', speeds[0], speeds[1]);
    } else {
      this.#callExt(option, option === TTYPE ? 'onTtype' : 'onXdisploc', text);
    }
    this._optionsChanged();
  }

  #onNaws(data: Buffer): void {
    if (!this.server) {
      this._log.debug('NAWS subnegotiation on a client skipped');
      return;
    }
    const size = decodeNaws(data);
    if (size === null) {
      this.#malformed(NAWS, data);
      return;
    }
    this.#callExt(NAWS, 'onNaws', size[0], size[1]);
  }

  #onEnviron(data: Buffer): void {
    const msg = decodeEnviron(data);
    if (msg === null) {
      this.#malformed(NEW_ENVIRON, data);
      return;
    }
    if (msg.command === 'send') {
      if (!this.#local.enabled(NEW_ENVIRON)) {
        this._log.debug('NEW_ENVIRON SEND before we agreed');
        return;
      }
      const keys = msg.entries.filter((e) => e.name !== '').map((e) => e.name);
      const env = this.#callExtSend(NEW_ENVIRON, 'sendEnv', keys);
      if (typeof env !== 'object' || env === null) return;
      const out: Record<string, string | null> = {};
      for (const [k, v] of Object.entries(env as Record<string, unknown>))
        out[k] = v === null || v === undefined ? null : String(v);
      this.#sb(NEW_ENVIRON, encodeEnvironIs(out));
      return;
    }
    this.#sbPending.delete(NEW_ENVIRON);
    const mapping: Record<string, string> = {};
    for (const e of msg.entries) if (e.name !== '') mapping[e.name] = e.value ?? '';
    this.#callExt(NEW_ENVIRON, 'onEnviron', mapping);
    this._optionsChanged();
  }

  #onCharset(data: Buffer): void {
    const msg = decodeCharset(data);
    if (msg === null) {
      this.#malformed(CHARSET, data);
      return;
    }
    switch (msg.command) {
      case 'request': {
        const choice = this.#extSend.has(CHARSET) && !this.server ? this.#callExtSend(CHARSET, 'sendCharset', msg.offers) : '';
        if (typeof choice === 'string' && choice !== '') this.#sb(CHARSET, encodeCharsetAccepted(choice));
        else this.#sb(CHARSET, encodeCharsetRejected());
        return;
      }
      case 'accepted':
        this.#sbPending.delete(CHARSET);
        this.#callExt(CHARSET, 'onCharset', msg.charset);
        break;
      case 'rejected':
        this.#sbPending.delete(CHARSET);
        this._log.debug('the peer rejected every charset offered');
        break;
      default:
        if (msg.code === TTABLE_IS) this.#sb(CHARSET, Buffer.from([TTABLE_REJECTED]));
        else this.#malformed(CHARSET, data);
    }
    this._optionsChanged();
  }

  #onStatus(data: Buffer): void {
    if (data.length === 1 && data[0] === SEND) {
      if (!this.#local.enabled(STATUS)) {
        this._log.debug('STATUS SEND before we agreed');
        return;
      }
      this.#sb(STATUS, encodeStatusIs(this.#local.entries(), this.#remote.entries()));
      return;
    }
    const pairs = decodeStatusIs(data);
    if (pairs === null) {
      this.#malformed(STATUS, data);
      return;
    }
    this.#callExt(STATUS, 'onStatus', pairs);
  }

  #onLinemode(data: Buffer): void {
    if (data.length === 0) {
      this.#malformed(LINEMODE, data);
      return;
    }
    const on = this.#local.enabled(LINEMODE) || this.#remote.enabled(LINEMODE);
    if (!on) {
      this._log.debug('LINEMODE subnegotiation while LINEMODE is off skipped');
      return;
    }
    const kind = data[0]!;
    if (kind === LINEMODE_MODE) {
      if (data.length !== 2) {
        this.#malformed(LINEMODE, data);
        return;
      }
      const mask = data[1]!;
      if (mask & MODE_ACK) {
        this.#linemodeMode = mask & ~MODE_ACK;
        return;
      }
      if (!this.server && mask !== this.#linemodeMode) {
        this.#linemodeMode = mask;
        this.#sb(LINEMODE, Buffer.from([LINEMODE_MODE, mask | MODE_ACK]));
      }
      return;
    }
    if (kind === LINEMODE_SLC) {
      const triplets = decodeSlc(data.subarray(1));
      if (triplets === null) {
        this.#malformed(LINEMODE, data);
        return;
      }
      if (this.server) return;
      const reply: Array<[number, number, number]> = [];
      for (const [func, flags, value] of triplets) {
        if (func === 0) {
          for (const [f, [level, v]] of DEFAULT_SLC_TABLE) reply.push([f, level, v]);
          continue;
        }
        if (flags & SLC_ACK) continue;
        const ours = DEFAULT_SLC_TABLE.get(func);
        if (ours === undefined) reply.push([func, 0, 0]);
        else if (ours[1] !== value || ours[0] !== (flags & SLC_LEVELBITS))
          reply.push([func, (flags & SLC_LEVELBITS) | SLC_ACK, value]);
      }
      if (reply.length > 0) this.#sb(LINEMODE, encodeSlc(reply));
      return;
    }
    if ((kind === DO || kind === DONT || kind === WILL || kind === WONT) && data[1] === LINEMODE_FORWARDMASK) {
      if (kind === DO && !this.server) this.#sb(LINEMODE, Buffer.from([WONT, LINEMODE_FORWARDMASK]));
      return;
    }
    this.#malformed(LINEMODE, data);
  }

  /** A short description for log lines. */
  toString(): string {
    return `<TelnetWriter ${this.server ? 'server' : 'client'} mode:${this.mode} +lineflow -xon_any +slc_sim>`;
  }
}

/**
 * The text writer of telnetlib3: `write(text)` encodes with the protocol's
 * outgoing encoding (`encoding({ outgoing: true })`: the negotiated
 * CHARSET once BINARY is on that way, else US-ASCII) under
 * `encodingErrors`. Bytes are written as they are.
 */
export class TelnetWriterUnicode extends TelnetWriter {
  /**
   * Encode `data` and write it (IACs doubled).
   * @throws UnicodeEncodeError under 'strict' when a character has no byte in the encoding.
   */
  override write(data: string | Bytes): void {
    if (typeof data !== 'string') {
      super.write(data);
      return;
    }
    const enc = this.protocol.encoding({ outgoing: true });
    super.write(encodeText(data, enc, this._encodingErrors));
  }

  /** write() each element. */
  override writelines(lines: Iterable<string | Bytes>): void {
    for (const line of lines) this.write(line);
  }

  /** echo() a string, encoded as write() does. */
  override echo(data: string | Bytes): void {
    if (!this.willEcho) return;
    this.write(data);
  }
}
