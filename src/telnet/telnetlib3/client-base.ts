/**
 * BaseClient: telnetlib3's base telnet client protocol on torsion's
 * `Telnet` engine (conch's state machine): the lifecycle
 * (`connectionMade` → `beginNegotiation` at `callLater(0)` →
 * `checkNegotiation(final)` on each chunk with an IAC and on the
 * minwait/maxwait timer → `waiterConnected` → `beginShell` →
 * `waiterClosed`), the reader/writer streams, and the client's side of the
 * options table.
 * @module
 */
import type { UnicodeErrors } from '../../codec';
import type { Failure } from '../../defer/failure';
import { Failure as FailureClass } from '../../defer/failure';
import type { IWriteFlowControlled } from '../../interfaces/protocol';
import type { IReactorTime } from '../../interfaces/time';
import type { Logger } from '../../logger';
import { Telnet } from '../conch';
import { type ShellCallback, Session, checkDirection, checkSeconds, commonSettings, guardedCall } from './common';
import type { TelnetReader } from './reader';
import type { TelnetReaderUnicode } from './reader-unicode';
import { BINARY, CHARSET, ECHO, EOR, LINEMODE, NAWS, NEW_ENVIRON, SGA, STATUS, TSPEED, TTYPE, XDISPLOC } from './telopt';
import type { TelnetWriter, TelnetWriterUnicode } from './writer';

export type { ShellCallback } from './common';

/** Options of {@link BaseClient}. */
export interface BaseClientOptions<R = TelnetReaderUnicode, W = TelnetWriterUnicode> {
  /** Runs once negotiation settled, with the reader and writer. */
  shell?: ShellCallback<R, W> | null;
  /** Where to log. Default `torsion.telnet.client`. */
  log?: Logger;
  /** The clock of the negotiation timers, `duration`, `idle` and read timeouts. Default the global reactor. */
  reactor?: IReactorTime;
  /** The default encoding (`'utf8'`); false = byte streams (TelnetReader/TelnetWriter). */
  encoding?: string | false;
  /** Error policy of decoding and encoding. Default `'strict'`. */
  encodingErrors?: UnicodeErrors;
  /** Use the encoding even while BINARY is off. Default false. */
  forceBinary?: boolean;
  /** Seconds to let the server lead before the shell starts. Default 1.0. */
  connectMinwait?: number;
  /** Seconds after which negotiation is final whatever is pending. Default 4.0. */
  connectMaxwait?: number;
  /** The reader's limit. Default 65536. */
  limit?: number | null;
  /** Options to offer (`WILL`) in beginNegotiation. Default none. */
  alwaysWill?: Iterable<number>;
  /** Options to ask for (`DO`) in beginNegotiation. Default none. */
  alwaysDo?: Iterable<number>;
}

/**
 * telnetlib3's `BaseClient`: a torsion Protocol (on conch's `Telnet`
 * engine) that builds a reader and writer at `connectionMade`, answers the
 * server's negotiation, and runs `shell(reader, writer)` once negotiation
 * settled. The server leads; the client answers. See the module comment for
 * the lifecycle.
 *
 * The client agrees to the server's WILL BINARY/ECHO/SGA/EOR/STATUS/CHARSET,
 * to DO BINARY/SGA/EOR/STATUS, and to DO TTYPE/NAWS/TSPEED/XDISPLOC/
 * NEW_ENVIRON/CHARSET when a send callback for that option is set (as
 * {@link TelnetClient} does); it refuses DO ECHO and everything else.
 *
 * @example
 * const client = new BaseClient({ reactor: clock, encoding: false });
 * client.makeConnection(new StringTransport());
 * client.dataReceived(Buffer.from([IAC, WILL, ECHO]));   // answers IAC DO ECHO
 */
export class BaseClient extends Telnet implements IWriteFlowControlled {
  /** The encoding given (`'utf8'`), or false for byte streams. */
  readonly defaultEncoding: string | false;
  /** Use the encoding even while BINARY is off. */
  forceBinary: boolean;
  /** Seconds to let the server lead before the shell starts. */
  connectMinwait: number;
  /** Seconds after which negotiation is final. */
  connectMaxwait: number;
  /** The protocol's extra information (telnetlib3's `_extra`). @hidden */
  protected readonly _extra: Record<string, unknown> = {};
  /** @hidden */
  protected readonly _session: Session;
  /** @hidden */
  protected readonly _log: Logger;

  constructor(opts: BaseClientOptions<never, never> = {}) {
    super();
    const settings = commonSettings(opts, 'torsion.telnet.client');
    const minwait = opts.connectMinwait ?? 1.0;
    checkSeconds('connectMinwait', minwait);
    this.defaultEncoding = settings.encoding;
    this.forceBinary = settings.forceBinary;
    this.connectMinwait = minwait;
    this.connectMaxwait = settings.connectMaxwait;
    this._log = settings.log;
    this._session = new Session(this, settings, false);
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

  // ---- lifecycle ---------------------------------------------------------------

  /**
   * Records the connect time, builds the reader and writer, wires the
   * option handlers and schedules beginNegotiation() with callLater(0).
   * Subclasses call `super.connectionMade()` first.
   */
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
    if (reader === null || this._session.closed) return;
    if (this._eofSeen) return;
    reader.feedData(data);
  }

  /** @hidden */
  protected _eofSeen = false;

  /**
   * Begin on-connect negotiation: the client sends only `alwaysWill` /
   * `alwaysDo` (the server leads), and arms the negotiation timer.
   * Subclasses call `super.beginNegotiation()`.
   */
  beginNegotiation(): void {
    const w = this._session.writer!;
    for (const o of this._session.settings.alwaysWill) w.iac(251, o);
    for (const o of this._session.settings.alwaysDo) w.iac(253, o);
    this._session.checkTimer(this.connectMinwait);
  }

  /**
   * Whether negotiation is over, from the client's view: false while any
   * request is pending; true at once when TTYPE is on locally and
   * NEW_ENVIRON is on locally or CHARSET both ways; otherwise true once
   * `duration >= connectMinwait`. Subclasses combine `super`'s result.
   * @param final - true on the last call (`duration >= connectMaxwait`).
   */
  checkNegotiation(final = false): boolean {
    void final;
    const w = this._session.writer;
    if (w === null) return false;
    if (w.pendingOption.size > 0) return false;
    if (w.localOption.enabled(TTYPE)) {
      if (w.localOption.enabled(NEW_ENVIRON)) return true;
      if (w.localOption.enabled(CHARSET) && w.remoteOption.enabled(CHARSET)) return true;
    }
    return this.duration >= this.connectMinwait;
  }

  /** Start `shell(reader, writer)` (called once waiterConnected resolved). */
  beginShell(): void {
    this._session.runShell();
  }

  /** The peer's FIN: telnet has no half-open state, so the whole connection closes. */
  readConnectionLost(): void {
    this._eofSeen = true;
    this._session.feedEof();
    this.transport?.loseConnection();
  }

  /**
   * The connection is gone: ConnectionDone feeds EOF to the reader, any
   * other reason makes reads reject with it; timers stop; waiterConnected
   * resolves if it had not; pending waitFor() reject.
   */
  override connectionLost(reason: Failure): void {
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

  // ---- information ----------------------------------------------------------------

  /**
   * The encoding for the direction asked: the negotiated CHARSET (or
   * `defaultEncoding`) when BINARY is on that way (both ways, when both are
   * asked) or `forceBinary`; otherwise `'US-ASCII'`.
   * @throws TypeError unless `outgoing` or `incoming` is true.
   */
  encoding(direction: { outgoing?: boolean; incoming?: boolean }): string {
    const { outgoing, incoming } = checkDirection(direction);
    const w = this._session.writer;
    const may = w !== null && (outgoing && incoming ? w.outbinary && w.inbinary : outgoing ? w.outbinary : w.inbinary);
    if (this.forceBinary || may) {
      const cs = this._extra.charset;
      if (typeof cs === 'string' && cs !== '') return cs;
      if (this.defaultEncoding) return this.defaultEncoding;
    }
    return 'US-ASCII';
  }

  /** The protocol's table (`'term'`, `'charset'`, `'cols'`, ...), then the transport's (`'peername'`, `'sockname'`, `'peercert'`, `'cipher'`), then `defaultValue`. */
  getExtraInfo(name: string, defaultValue: unknown = null): unknown {
    return this._session.getExtraInfo(this._extra, name, defaultValue);
  }

  // ---- option policy (conch's hooks) --------------------------------------------------

  /** Whether to agree to the server's `DO option`. */
  override enableLocal(option: number): boolean {
    switch (option) {
      case BINARY:
      case SGA:
      case EOR:
      case STATUS:
        return true;
      case ECHO:
        return false;
      case TTYPE:
      case NAWS:
      case TSPEED:
      case XDISPLOC:
      case NEW_ENVIRON:
      case CHARSET:
        return this._session.writer?._hasExtSend(option) ?? false;
      case LINEMODE:
        return this._linemode();
      default:
        return this._session.settings.alwaysWill.includes(option);
    }
  }

  /** Whether to agree to the server's `WILL option`. */
  override enableRemote(option: number): boolean {
    switch (option) {
      case BINARY:
      case ECHO:
      case SGA:
      case EOR:
      case STATUS:
      case CHARSET:
        return true;
      default:
        return this._session.settings.alwaysDo.includes(option);
    }
  }

  /** Whether LINEMODE is taken (TelnetClient's `linemode` option). @hidden */
  protected _linemode(): boolean {
    return false;
  }

  /** An option went on; the client sends NAWS at once when its NAWS goes on. @hidden */
  _optionEnabled(option: number, local: boolean): void {
    if (local && option === NAWS) this._session.writer?._sendNaws();
  }

  /** Run a user callback through torsion's guard. @hidden */
  _guarded<R>(where: string, fn: () => R): R | undefined {
    return guardedCall(this, where, fn);
  }

  /** A user callback failed: log it. @hidden */
  _callbackFailed(err: unknown, where: string): void {
    this._log.failure(`Unhandled error in ${where}`, FailureClass.from(err));
  }

  /** Send `IAC DO TM` (RFC 860); the answer reaches `writer.setExtCallback(TM, fn)`. */
  requestTimingMark(): void {
    this._session.requestTimingMark();
  }
}
