/**
 * TelnetServer: telnetlib3's server that negotiates a character-at-a-time
 * session (WILL SGA, WILL ECHO), BINARY both ways, the terminal type (TTYPE
 * cycled until it repeats), window size, environment, CHARSET, and closes
 * idle connections.
 * @module
 */
import type { IDelayedCall } from '../../interfaces/time';
import { ArgTypeError, checkString } from '../../validate';
import { type BaseServerOptions, BaseServer } from './server-base';
import { checkSeconds } from './common';
import { BINARY, CHARSET, DO, ECHO, NAWS, NEW_ENVIRON, SGA, TSPEED, TTYPE, USERVAR, VAR, WILL, XDISPLOC } from './telopt';

/** Options of {@link TelnetServer}. */
export interface TelnetServerOptions extends BaseServerOptions {
  /** The terminal type assumed until the client tells. Default `'unknown'`. */
  term?: string;
  /** Window width assumed until NAWS. Default 80. */
  cols?: number;
  /** Window height assumed until NAWS. Default 25. */
  rows?: number;
  /** Seconds of idleness before the connection is closed; 0 = never. Default 300. */
  timeout?: number;
}

/**
 * telnetlib3's `TelnetServer`. beginNegotiation asks `DO TTYPE`; once the
 * client agreed to anything, beginAdvancedNegotiation asks `WILL SGA`,
 * `WILL ECHO`, `WILL BINARY`, `DO NEW_ENVIRON`, `DO NAWS` and (with an
 * encoding) `DO CHARSET`; `DO BINARY` follows once our WILL BINARY was
 * accepted. The answers land in `getExtraInfo`: `'TERM'`/`'term'` and
 * `'ttype1'`…, `'rows'`/`'cols'`, `'tspeed'`, `'xdisploc'`, `'charset'`,
 * and every NEW_ENVIRON variable upper-cased.
 *
 * @example
 * const server = new TelnetServer({ reactor: clock, shell: async (reader, writer) => { writer.write('hi\r\n'); writer.close(); } });
 */
export class TelnetServer extends BaseServer {
  /** The most TTYPE requests of one cycle (telnetlib3's TTYPE_LOOPMAX). */
  static readonly TTYPE_LOOPMAX = 8;
  /** Resolves once BINARY is on both ways (or that failed). */
  readonly waiterEncoding: Promise<this>;
  #resolveEncoding!: (v: this) => void;
  #encodingDone = false;
  #ttypeCount = 1;
  #timer: IDelayedCall | null = null;

  constructor(opts: TelnetServerOptions = {}) {
    super(opts);
    const term = opts.term ?? 'unknown';
    checkString('term', term);
    const cols = opts.cols ?? 80;
    const rows = opts.rows ?? 25;
    for (const [k, v] of [
      ['cols', cols],
      ['rows', rows],
    ] as const) {
      if (!Number.isInteger(v) || v < 0) throw new ArgTypeError(`${k} must be an integer >= 0, got ${String(v)}`);
    }
    const timeout = opts.timeout ?? 300;
    checkSeconds('timeout', timeout);
    this.waiterEncoding = new Promise<this>((r) => {
      this.#resolveEncoding = r;
    });
    Object.assign(this._extra, { term, charset: opts.encoding || '', cols, rows, timeout });
  }

  /** Starts the idle timer and wires the on* callbacks. */
  override connectionMade(): void {
    super.connectionMade();
    this.setTimeout();
    const w = this.writer!;
    w.setExtCallback(NAWS, (rows: number, cols: number) => this.onNaws(rows, cols));
    w.setExtCallback(NEW_ENVIRON, (m: Record<string, string>) => this.onEnviron(m));
    w.setExtCallback(TSPEED, (rx: number, tx: number) => this.onTspeed(rx, tx));
    w.setExtCallback(TTYPE, (t: string) => this.onTtype(t));
    w.setExtCallback(XDISPLOC, (x: string) => this.onXdisploc(x));
    w.setExtCallback(CHARSET, (c: string) => this.onCharset(c));
    w.setExtSendCallback(NEW_ENVIRON, () => this.onRequestEnviron());
    w.setExtSendCallback(CHARSET, () => this.onRequestCharset());
  }

  /** Restarts the idle timer, then processes the bytes. */
  override dataReceived(data: Buffer): void {
    this.setTimeout();
    super.dataReceived(data);
  }

  /** Asks `DO TTYPE`. */
  override beginNegotiation(): void {
    super.beginNegotiation();
    this.writer!.iac(DO, TTYPE);
  }

  /** Asks WILL SGA, WILL ECHO, WILL BINARY, DO NEW_ENVIRON, DO NAWS, and DO CHARSET when there is an encoding. */
  override beginAdvancedNegotiation(): void {
    super.beginAdvancedNegotiation();
    const w = this.writer!;
    w.iac(WILL, SGA);
    w.iac(WILL, ECHO);
    w.iac(WILL, BINARY);
    w.iac(DO, NEW_ENVIRON);
    w.iac(DO, NAWS);
    if (this.defaultEncoding) w.iac(DO, CHARSET);
  }

  /**
   * BaseServer's check and BINARY both ways (asking `DO BINARY` once our
   * WILL BINARY was accepted); resolves waiterEncoding when BINARY is on
   * both ways, when the client refused TTYPE, or at `final`.
   */
  override checkNegotiation(final = false): boolean {
    const parent = super.checkNegotiation(final);
    const result = this.#checkEncoding();
    const w = this.writer!;
    if (!this.#encodingDone && result) {
      this.#finishEncoding();
    } else if (!this.#encodingDone && w.remoteOption.get(TTYPE) === false) {
      this._log.debug(`encoding failed after ${this.duration.toFixed(2)}s: ${this.encoding({ outgoing: true, incoming: true })}`);
      this.#finishEncoding();
      return parent;
    } else if (!this.#encodingDone && final) {
      this._log.debug(`encoding failed after ${this.duration.toFixed(2)}s: ${this.encoding({ outgoing: true, incoming: true })}`);
      this.#finishEncoding();
      return parent;
    }
    return parent && result;
  }

  #finishEncoding(): void {
    this.#encodingDone = true;
    this.#resolveEncoding(this);
  }

  #checkEncoding(): boolean {
    const w = this.writer!;
    if (w.outbinary && !w.inbinary && !w.pendingOption.has(DO, BINARY)) {
      this._log.debug('BINARY in: direction request');
      w.iac(DO, BINARY);
      return false;
    }
    return w.outbinary && w.inbinary;
  }

  /** Stops the idle timer. */
  override connectionLost(reason: Parameters<BaseServer['connectionLost']>[0]): void {
    if (this.#timer !== null && this.#timer.active()) this.#timer.cancel();
    this.#timer = null;
    if (!this.#encodingDone) this.#finishEncoding();
    super.connectionLost(reason);
  }

  /**
   * Restart (or, with 0, stop) the idle timer: onTimeout() after `duration`
   * seconds; -1 (the default) uses the `timeout` option.
   */
  setTimeout(duration = -1): void {
    let d = duration;
    if (d === -1) d = Number(this.getExtraInfo('timeout', 0));
    else checkSeconds('duration', d);
    if (this.#timer !== null && this.#timer.active()) this.#timer.cancel();
    this.#timer = null;
    if (d > 0 && !this._session.closed) {
      this.#timer = this._session.clock.callLater(d, () => {
        this.#timer = null;
        this._guarded('onTimeout', () => this.onTimeout());
      });
    }
    this._extra.timeout = d;
  }

  /** The connection was idle too long: writes "Timeout." and closes. */
  onTimeout(): void {
    this._log.debug(`Timeout after ${this.idle.toFixed(2)}s`);
    const w = this.writer!;
    if (this.defaultEncoding) (w as { write(s: string): void }).write('\r\nTimeout.\r\n');
    else w.write(Buffer.from('\r\nTimeout.\r\n'));
    this._session.feedEof();
    w.close();
  }

  /** NAWS (RFC 1073) arrived. */
  onNaws(rows: number, cols: number): void {
    this._extra.rows = rows;
    this._extra.cols = cols;
  }

  /**
   * The variables asked for by NEW_ENVIRON SEND (RFC 1572): names, and the
   * numbers VAR / USERVAR for "every other variable of that kind".
   */
  onRequestEnviron(): Array<string | number> {
    return ['LANG', 'TERM', 'COLUMNS', 'LINES', 'DISPLAY', 'COLORTERM', VAR, USERVAR];
  }

  /**
   * NEW_ENVIRON values arrived: the variables with a value are stored
   * upper-cased (so a client cannot set `'peername'`), empty ones dropped.
   */
  onEnviron(mapping: Record<string, string>): void {
    const upper: Record<string, string> = {};
    for (const [k, v] of Object.entries(mapping)) if (v !== '') upper[k.toUpperCase()] = v;
    this._log.debug('onEnviron received', { env: upper });
    Object.assign(this._extra, upper);
  }

  /** The encodings offered by CHARSET REQUEST (RFC 2066), preferred first. */
  onRequestCharset(): string[] {
    const cps = [
      154, 437, 500, 737, 775, 850, 852, 855, 856, 857, 860, 861, 862, 863, 864, 865, 866, 869, 874, 875, 932, 949, 950, 1006,
      1026, 1140, 1250, 1251, 1252, 1253, 1254, 1255, 1257, 1258, 1361,
    ];
    return [
      'UTF-8',
      'UTF-16',
      'LATIN1',
      'US-ASCII',
      'BIG5',
      'GBK',
      'SHIFTJIS',
      'GB18030',
      'KOI8-R',
      'KOI8-U',
      ...Array.from({ length: 15 }, (_, i) => i + 1)
        .filter((i) => i !== 12)
        .map((i) => `ISO8859-${i}`),
      ...cps.map((cp) => `CP${cp}`),
    ];
  }

  /** CHARSET ACCEPTED arrived. */
  onCharset(charset: string): void {
    this._extra.charset = charset;
  }

  /** TSPEED arrived. */
  onTspeed(rx: number, tx: number): void {
    this._extra.tspeed = `${rx},${tx}`;
  }

  /**
   * TTYPE IS arrived: stored as `'ttype<n>'`, and as `'TERM'`/`'term'`;
   * requests the next one until a type repeats, the list loops back to the
   * first, an empty answer, or TTYPE_LOOPMAX requests (MTTS's third answer
   * keeps the second as the terminal type).
   */
  onTtype(ttype: string): void {
    const key = `ttype${this.#ttypeCount}`;
    this._extra[key] = ttype;
    if (ttype) {
      this._extra.TERM = ttype;
      this._extra.term = ttype;
    }
    const last = this.getExtraInfo(`ttype${this.#ttypeCount - 1}`, null);
    if (key !== 'ttype1' && ttype === this.getExtraInfo('ttype1', null)) {
      this._log.debug(`ttype cycle stop at ${key}: ${ttype}, looped`);
    } else if (!ttype || this.#ttypeCount > TelnetServer.TTYPE_LOOPMAX) {
      this._log.warn(`ttype cycle stop at ${key}: ${ttype}`);
    } else if (this.#ttypeCount === 3 && ttype.toUpperCase().startsWith('MTTS ')) {
      const val = this.getExtraInfo('ttype2');
      this._log.debug(`ttype cycle stop at ${key}: ${ttype}, using ${String(val)} from ttype2`);
      this._extra.TERM = val;
      this._extra.term = val;
    } else if (ttype === last) {
      this._log.debug(`ttype cycle stop at ${key}: ${ttype}, repeated`);
    } else {
      this._log.debug(`ttype cycle cont at ${key}: ${ttype}`);
      this.#ttypeCount += 1;
      this.writer!.requestTtype();
    }
  }

  /** XDISPLOC arrived. */
  onXdisploc(xdisploc: string): void {
    this._extra.xdisploc = xdisploc;
  }
}
