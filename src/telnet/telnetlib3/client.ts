/**
 * TelnetClient: telnetlib3's client that answers every common option
 * (TTYPE, TSPEED, XDISPLOC, NEW_ENVIRON, NAWS, CHARSET, and LINEMODE
 * partially when asked), for automation: it looks like a terminal of
 * `term`, `cols` x `rows` to the server without needing one.
 * @module
 */
import { ArgTypeError, checkString } from '../../validate';
import { type BaseClientOptions, BaseClient } from './client-base';
import { selectCharset } from './charset';
import { CHARSET, LINEMODE, NAWS, NEW_ENVIRON, TSPEED, TTYPE, XDISPLOC } from './telopt';

/** Options of {@link TelnetClient}. */
export interface TelnetClientOptions extends BaseClientOptions {
  /** The terminal type sent for TTYPE and as TERM. Default `'unknown'`. */
  term?: string;
  /** Window width sent by NAWS and as COLUMNS. Default 80. */
  cols?: number;
  /** Window height sent by NAWS and as LINES. Default 25. */
  rows?: number;
  /** `[rx, tx]` line speeds sent for TSPEED. Default `[38400, 38400]`. */
  tspeed?: readonly [rx: number, tx: number];
  /** The X display sent for XDISPLOC. Default `''`. */
  xdisploc?: string;
  /** The only variables NEW_ENVIRON may reveal. Default `['TERM', 'LANG', 'COLUMNS', 'LINES', 'COLORTERM']`. */
  sendEnviron?: readonly string[];
  /** Agree to LINEMODE (partially: MODE acknowledged, SLC answered, FORWARDMASK refused). Default false. */
  linemode?: boolean;
}

function checkSize(name: string, v: unknown): asserts v is number {
  if (!Number.isInteger(v) || (v as number) < 0 || (v as number) > 0xffff) {
    throw new ArgTypeError(`${name} must be an integer in 0..65535, got ${String(v)}`);
  }
}

/**
 * telnetlib3's `TelnetClient`. Answers TTYPE with `term` (the same each
 * time, so a server's TTYPE cycle ends at the second answer), TSPEED,
 * XDISPLOC, NAWS (`rows`/`cols`, re-sent by {@link TelnetClient.setWindowSize}),
 * NEW_ENVIRON with only the `sendEnviron` variables, and CHARSET with
 * {@link TelnetClient.sendCharset}'s policy.
 *
 * @example
 * const client = new TelnetClient({ reactor: clock, term: 'xterm', cols: 132, rows: 43 });
 */
export class TelnetClient extends BaseClient {
  /** The locale LANG is built from (`en_US.<encoding>`), as telnetlib3's DEFAULT_LOCALE. */
  static readonly DEFAULT_LOCALE = 'en_US';
  readonly #sendEnviron: readonly string[];
  readonly #linemodeOn: boolean;

  constructor(opts: TelnetClientOptions = {}) {
    super(opts);
    const term = opts.term ?? 'unknown';
    checkString('term', term);
    const cols = opts.cols ?? 80;
    const rows = opts.rows ?? 25;
    checkSize('cols', cols);
    checkSize('rows', rows);
    const tspeed = opts.tspeed ?? [38400, 38400];
    if (!Array.isArray(tspeed) || tspeed.length !== 2 || !tspeed.every((n) => Number.isInteger(n) && n >= 0)) {
      throw new ArgTypeError('tspeed must be [rx, tx], two integers >= 0');
    }
    const xdisploc = opts.xdisploc ?? '';
    checkString('xdisploc', xdisploc);
    const sendEnviron = opts.sendEnviron ?? ['TERM', 'LANG', 'COLUMNS', 'LINES', 'COLORTERM'];
    if (!Array.isArray(sendEnviron) || !sendEnviron.every((k) => typeof k === 'string')) {
      throw new ArgTypeError('sendEnviron must be an array of variable names');
    }
    this.#sendEnviron = [...sendEnviron];
    this.#linemodeOn = Boolean(opts.linemode);
    const enc = this.defaultEncoding;
    Object.assign(this._extra, {
      charset: enc || '',
      lang: enc ? `${TelnetClient.DEFAULT_LOCALE}.${enc}` : 'C',
      cols,
      rows,
      term,
      tspeed: `${tspeed[0]},${tspeed[1]}`,
      xdisploc,
    });
  }

  /** Wires the send callbacks of TTYPE, TSPEED, XDISPLOC, NEW_ENVIRON, NAWS and CHARSET. */
  override connectionMade(): void {
    super.connectionMade();
    const w = this.writer!;
    w.setExtSendCallback(TTYPE, () => this.sendTtype());
    w.setExtSendCallback(TSPEED, () => this.sendTspeed());
    w.setExtSendCallback(XDISPLOC, () => this.sendXdisploc());
    w.setExtSendCallback(NEW_ENVIRON, (keys: string[]) => this.sendEnv(keys));
    w.setExtSendCallback(NAWS, () => this.sendNaws());
    w.setExtSendCallback(CHARSET, (offered: string[]) => this.sendCharset(offered));
  }

  /** The answer to TTYPE SEND: `term`. */
  sendTtype(): string {
    return String(this._extra.term);
  }

  /** The answer to TSPEED SEND: `[rx, tx]`. */
  sendTspeed(): [number, number] {
    const [rx, tx] = String(this._extra.tspeed).split(',').map(Number);
    return [rx!, tx!];
  }

  /** The answer to XDISPLOC SEND. */
  sendXdisploc(): string {
    return String(this._extra.xdisploc);
  }

  /**
   * The answer to NEW_ENVIRON SEND: the requested variables among
   * `sendEnviron` (all of them when `keys` is empty or null); a requested
   * variable we do not reveal is answered empty, as telnetlib3 does.
   */
  sendEnv(keys: readonly string[] | null): Record<string, string> {
    const all: Record<string, string> = {
      LANG: String(this._extra.lang),
      TERM: String(this._extra.term),
      LINES: String(this._extra.rows),
      COLUMNS: String(this._extra.cols),
      COLORTERM: process.env.COLORTERM ?? '',
    };
    const env: Record<string, string> = {};
    for (const k of this.#sendEnviron) if (Object.hasOwn(all, k) && all[k] !== '') env[k] = all[k]!;
    if (keys === null || keys.length === 0) return env;
    const out: Record<string, string> = {};
    for (const k of keys) out[k] = Object.hasOwn(env, k) ? env[k]! : '';
    return out;
  }

  /**
   * The answer to a CHARSET REQUEST: the offer naming our encoding; else,
   * when ours is Latin-1 (a weak preference) or we have none, the first offer
   * torsion can encode; else `''` (reject: `IAC SB CHARSET REJECTED IAC SE`).
   * Odd spellings (`iso-8859-02`, `cp-1250`) are normalised. A choice
   * becomes the `'charset'` (and LANG) of this connection.
   */
  sendCharset(offered: readonly string[]): string {
    const choice = selectCharset(this.defaultEncoding, offered);
    if (choice === null) {
      this._log.debug('declining the offered charsets', { offered, prefer: this.defaultEncoding });
      return '';
    }
    this._extra.charset = choice.canonical;
    this._extra.lang = `${TelnetClient.DEFAULT_LOCALE}.${choice.canonical}`;
    this._log.debug(`encoding negotiated: ${choice.offer}`);
    return choice.offer;
  }

  /** The answer to NAWS: `[rows, cols]`. */
  sendNaws(): [rows: number, cols: number] {
    return [Number(this._extra.rows), Number(this._extra.cols)];
  }

  /** Change the window size; re-sends NAWS when NAWS is on. */
  setWindowSize(rows: number, cols: number): void {
    checkSize('rows', rows);
    checkSize('cols', cols);
    this._extra.rows = rows;
    this._extra.cols = cols;
    this.writer?._sendNaws();
  }

  /** @hidden */
  protected override _linemode(): boolean {
    return this.#linemodeOn;
  }

  /** @hidden */
  override enableLocal(option: number): boolean {
    if (option === LINEMODE) return this.#linemodeOn;
    return super.enableLocal(option);
  }
}
