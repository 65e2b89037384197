/**
 * BaseServer: telnetlib3's base telnet server protocol on torsion's
 * `Telnet` engine. It leads: beginNegotiation asks `DO TTYPE`; once the
 * client agrees to anything, beginAdvancedNegotiation (subclasses) asks
 * for more. Negotiation is over when nothing is pending, or at
 * `connectMaxwait`.
 * @module
 */
import { findCodec } from '../../codec';
import type { Failure } from '../../defer/failure';
import { Failure as FailureClass } from '../../defer/failure';
import type { IWriteFlowControlled } from '../../interfaces/protocol';
import type { IDelayedCall } from '../../interfaces/time';
import type { Logger } from '../../logger';
import { Telnet } from '../conch';
import type { BaseClientOptions } from './client-base';
import { Session, checkDirection, commonSettings, encodingFromLang, guardedCall } from './common';
import type { TelnetReader } from './reader';
import type { TelnetReaderUnicode } from './reader-unicode';
import {
  BINARY,
  CHARSET,
  DO,
  ECHO,
  EOR,
  LINEMODE,
  NAWS,
  NEW_ENVIRON,
  SGA,
  STATUS,
  TSPEED,
  TTYPE,
  WILL,
  XDISPLOC,
} from './telopt';
import type { TelnetWriter, TelnetWriterUnicode } from './writer';

/** Options of {@link BaseServer}: those of BaseClient but `connectMinwait`. */
export interface BaseServerOptions extends Omit<BaseClientOptions, 'connectMinwait'> {}

/**
 * telnetlib3's `BaseServer`, server side of {@link BaseClient}'s members:
 * `reader`/`writer`, `waiterConnected`/`waiterClosed`, `duration`/`idle`,
 * `beginNegotiation` (arms the negotiation check; subclasses ask for
 * options), `beginAdvancedNegotiation` (once the client agreed to
 * something), `checkNegotiation` (true when nothing is pending),
 * `encoding`, `getExtraInfo`, flow control.
 *
 * It agrees to the client's WILL BINARY/SGA/TTYPE/NAWS/TSPEED/XDISPLOC/
 * NEW_ENVIRON/CHARSET/EOR and DO BINARY/SGA/ECHO/STATUS/CHARSET/EOR, and
 * refuses everything else (LINEMODE included, unless asked with `alwaysDo`).
 */
export class BaseServer extends Telnet implements IWriteFlowControlled {
  /** The encoding given (`'utf8'`), or false for byte streams. */
  readonly defaultEncoding: string | false;
  /** Use the encoding even while BINARY is off. */
  forceBinary: boolean;
  /** Seconds after which negotiation is final. */
  connectMaxwait: number;
  /** @hidden */
  protected readonly _extra: Record<string, unknown> = {};
  /** @hidden */
  protected readonly _session: Session;
  /** @hidden */
  protected readonly _log: Logger;
  /** @hidden */
  protected _advanced = false;
  /** @hidden */
  protected _eofSeen = false;
  #advanceCall: IDelayedCall | null = null;

  constructor(opts: BaseServerOptions = {}) {
    super();
    const settings = commonSettings(opts, 'torsion.telnet.server');
    this.defaultEncoding = settings.encoding;
    this.forceBinary = settings.forceBinary;
    this.connectMaxwait = settings.connectMaxwait;
    this._log = settings.log;
    this._session = new Session(this, settings, true);
  }

  /** The reader (set at connectionMade). */
  get reader(): TelnetReader | TelnetReaderUnicode | null {
    return this._session.reader;
  }
  /** The writer (set at connectionMade). */
  get writer(): TelnetWriter | TelnetWriterUnicode | null {
    return this._session.writer;
  }
  /** Resolves (with this protocol) once negotiation settled, or when the connection ended before. */
  get waiterConnected(): Promise<this> {
    return this._session.waiterConnected as Promise<this>;
  }
  /** Resolves once the shell's promise settled, or (no shell running) at connectionLost. */
  get waiterClosed(): Promise<this> {
    return this._session.waiterClosed as Promise<this>;
  }
  /** Seconds since connectionMade, on the reactor's clock. */
  get duration(): number {
    return this._session.duration;
  }
  /** Seconds since the last received byte, on the reactor's clock. */
  get idle(): number {
    return this._session.idle;
  }

  /** Builds the reader and writer and schedules beginNegotiation() with callLater(0). Subclasses call super first. */
  override connectionMade(): void {
    super.connectionMade();
    this._session.connectionMade(
      (d) => this.encoding(d),
      () => this.beginNegotiation(),
    );
    this._session.handleSubnegotiations([TTYPE, TSPEED, XDISPLOC, NEW_ENVIRON, NAWS, CHARSET, STATUS, LINEMODE]);
  }

  /** Process the received bytes; a chunk with command bytes re-checks negotiation. */
  override dataReceived(data: Buffer): void {
    // A chunk that holds a command byte (an IAC, or the rest of a command
    // split from its IAC) re-checks negotiation, as telnetlib3 does per byte.
    const inCommand = this._session.noteReceived(data) || this.state !== 'data';
    super.dataReceived(data);
    if (inCommand) this._session.afterCommandChunk();
  }

  /** Telnet data (commands stripped) goes to the reader. */
  override applicationDataReceived(data: Buffer): void {
    const reader = this._session.reader;
    if (reader === null || this._session.closed || this._eofSeen) return;
    reader.feedData(data);
  }

  /** Sends `alwaysWill`/`alwaysDo` and arms the negotiation check. Subclasses call super. */
  beginNegotiation(): void {
    const w = this._session.writer!;
    for (const o of this._session.settings.alwaysWill) w.iac(WILL, o);
    for (const o of this._session.settings.alwaysDo) w.iac(DO, o);
    this._session.checkTimer(null);
  }

  /** Ask for the advanced options (subclasses); called once the client agreed to something. */
  beginAdvancedNegotiation(): void {}

  /** Whether the client agreed to any option (a real telnet client, not a bare TCP one). */
  negotiationShouldAdvance(): boolean {
    const w = this._session.writer;
    if (w === null) return false;
    for (let o = 0; o < 256; o++) if (w.remoteOption.enabled(o) || w.localOption.enabled(o)) return true;
    return false;
  }

  /**
   * Whether negotiation is over, from the server's view: starts advanced
   * negotiation (callLater(0)) the first time the client agreed to
   * something; true when no request is pending. Subclasses combine super's.
   */
  checkNegotiation(final = false): boolean {
    void final;
    const w = this._session.writer;
    if (w === null) return false;
    if (!this._advanced && this.negotiationShouldAdvance()) {
      this._advanced = true;
      this._log.debug('begin advanced negotiation');
      this.#advanceCall = this._session.clock.callLater(0, () => {
        this.#advanceCall = null;
        if (this._session.closed) return;
        this.beginAdvancedNegotiation();
        this._session.afterCommandChunk();
      });
    }
    return w.pendingOption.size === 0;
  }

  /** Start `shell(reader, writer)`. */
  beginShell(): void {
    this._session.runShell();
  }

  /** The peer's FIN closes the whole connection. */
  readConnectionLost(): void {
    this._eofSeen = true;
    this._session.feedEof();
    this.transport?.loseConnection();
  }

  /** Ends the streams, stops the timers, settles the waiters. */
  override connectionLost(reason: Failure): void {
    if (this.#advanceCall !== null && this.#advanceCall.active()) this.#advanceCall.cancel();
    this.#advanceCall = null;
    try {
      super.connectionLost(reason);
    } finally {
      this._session.connectionLost(reason ?? FailureClass.from(new Error('connection lost')));
    }
  }

  /** {@inheritDoc torsion/interfaces!IWriteFlowControlled.pauseWriting} */
  pauseWriting(): void {
    this._session.writer?._pauseWriting();
  }

  /** {@inheritDoc torsion/interfaces!IWriteFlowControlled.resumeWriting} */
  resumeWriting(): void {
    this._session.writer?._resumeWriting();
  }

  /**
   * The encoding for the direction asked, when BINARY is on that way (both,
   * when both are asked) or `forceBinary`: the client's LANG (its encoding
   * part), else the negotiated CHARSET, else `defaultEncoding`; otherwise
   * `'US-ASCII'`.
   * @throws TypeError unless `outgoing` or `incoming` is true.
   */
  encoding(direction: { outgoing?: boolean; incoming?: boolean }): string {
    const { outgoing, incoming } = checkDirection(direction);
    const w = this._session.writer;
    const may = w !== null && (outgoing && incoming ? w.outbinary && w.inbinary : outgoing ? w.outbinary : w.inbinary);
    if (this.forceBinary || may) {
      const lang = this._extra.LANG;
      if (typeof lang === 'string' && lang !== '' && lang !== 'C') {
        const fromLang = encodingFromLang(lang);
        if (fromLang !== null) return fromLang;
      }
      const cs = this._extra.charset;
      if (typeof cs === 'string' && cs !== '' && findCodec(cs) !== null) return cs;
      if (this.defaultEncoding) return this.defaultEncoding;
    }
    return 'US-ASCII';
  }

  /** The protocol's table, then the transport's, then `defaultValue`. */
  getExtraInfo(name: string, defaultValue: unknown = null): unknown {
    return this._session.getExtraInfo(this._extra, name, defaultValue);
  }

  /** Whether to agree to the client's `WILL option`. */
  override enableRemote(option: number): boolean {
    switch (option) {
      case BINARY:
      case SGA:
      case TTYPE:
      case NAWS:
      case TSPEED:
      case XDISPLOC:
      case NEW_ENVIRON:
      case CHARSET:
      case EOR:
      case STATUS:
        return true;
      case ECHO:
        return false;
      default:
        return this._session.settings.alwaysDo.includes(option);
    }
  }

  /** Whether to agree to the client's `DO option`. */
  override enableLocal(option: number): boolean {
    switch (option) {
      case BINARY:
      case SGA:
      case ECHO:
      case STATUS:
      case CHARSET:
      case EOR:
        return true;
      case LINEMODE:
        return false;
      default:
        return this._session.settings.alwaysWill.includes(option);
    }
  }

  /** An option went on: the server sends the request of the options it asks about. @hidden */
  _optionEnabled(option: number, local: boolean): void {
    const w = this._session.writer;
    if (w === null) return;
    if (local) {
      if (option === CHARSET) w.requestCharset();
      return;
    }
    switch (option) {
      case TTYPE:
        w.requestTtype();
        break;
      case NEW_ENVIRON:
        w.requestEnviron();
        break;
      case TSPEED:
        w.requestTspeed();
        break;
      case XDISPLOC:
        w.requestXdisploc();
        break;
      case CHARSET:
        w.requestCharset();
        break;
    }
  }

  /** Send `IAC DO TM` (RFC 860); the answer reaches `writer.setExtCallback(TM, fn)`. */
  requestTimingMark(): void {
    this._session.requestTimingMark();
  }

  /** Run a user callback through torsion's guard. @hidden */
  _guarded<R>(where: string, fn: () => R): R | undefined {
    return guardedCall(this, where, fn);
  }

  /** A user callback failed: log it. @hidden */
  _callbackFailed(err: unknown, where: string): void {
    this._log.failure(`Unhandled error in ${where}`, FailureClass.from(err));
  }
}
