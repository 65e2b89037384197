/**
 * The subnegotiation payloads of the options telnetlib3 negotiates, as pure
 * functions: what goes between `IAC SB option` and `IAC SE` (the engine's
 * `requestNegotiation` adds the framing and doubles IACs; its parser undoes
 * the doubling before a handler sees the payload).
 *
 * TTYPE (RFC 1091), TSPEED (RFC 1079), XDISPLOC (RFC 1096): `SEND` asks,
 * `IS text` answers. NAWS (RFC 1073): width then height, 16 bits each, big
 * endian. NEW_ENVIRON (RFC 1572): `SEND [VAR name | USERVAR name | VAR |
 * USERVAR]...` asks, `IS|INFO [VAR|USERVAR name [VALUE value]]...` answers,
 * with `ESC` quoting the four control bytes inside names and values.
 * CHARSET (RFC 2066): `REQUEST [TTABLE] sep name sep name ...`, `ACCEPTED
 * name`, `REJECTED`. STATUS (RFC 859): `IS (WILL|WONT|DO|DONT opt)...`, an
 * SE byte doubled.
 * @module
 */
import {
  ACCEPTED,
  DO,
  DONT,
  ESC,
  INFO,
  IS,
  LINEMODE_SLC,
  REJECTED,
  REQUEST,
  SE,
  SEND,
  SLC_CANTCHANGE,
  SLC_NOSUPPORT,
  SLC_VARIABLE,
  USERVAR,
  VALUE,
  VAR,
  WILL,
  WONT,
} from './telopt';

const latin1 = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');

/** `SEND`: the request of TTYPE, TSPEED, XDISPLOC. */
export function encodeSend(): Buffer {
  return Buffer.from([SEND]);
}

/** `IS text` (TTYPE, TSPEED, XDISPLOC); the text is sent as ASCII/Latin-1. */
export function encodeIs(text: string): Buffer {
  return Buffer.concat([Buffer.from([IS]), Buffer.from(text, 'latin1')]);
}

/**
 * Decode an `IS`/`SEND` payload of TTYPE, TSPEED or XDISPLOC.
 * @returns `['send', '']`, `['is', text]`, or null when malformed.
 */
export function decodeIsSend(data: Uint8Array): ['send' | 'is', string] | null {
  if (data.length === 0) return null;
  if (data[0] === SEND) return data.length === 1 ? ['send', ''] : null;
  if (data[0] === IS) return ['is', latin1(data.subarray(1))];
  return null;
}

/** TSPEED's `IS rx,tx`. */
export function encodeTspeed(rx: number, tx: number): Buffer {
  return encodeIs(`${rx},${tx}`);
}

/** Parse TSPEED's `rx,tx` text: null unless two non-negative integers. */
export function parseTspeed(text: string): [number, number] | null {
  const m = /^\s*(\d{1,10})\s*,\s*(\d{1,10})\s*$/.exec(text);
  return m === null ? null : [Number(m[1]), Number(m[2])];
}

/** NAWS: width (cols) then height (rows), 16 bits big endian, each clamped to 0..65535. */
export function encodeNaws(rows: number, cols: number): Buffer {
  const clamp = (n: number): number => Math.max(0, Math.min(0xffff, Math.trunc(n)));
  const b = Buffer.alloc(4);
  b.writeUInt16BE(clamp(cols), 0);
  b.writeUInt16BE(clamp(rows), 2);
  return b;
}

/** NAWS payload to `[rows, cols]`, or null unless exactly 4 bytes. */
export function decodeNaws(data: Uint8Array): [rows: number, cols: number] | null {
  if (data.length !== 4) return null;
  const b = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return [b.readUInt16BE(2), b.readUInt16BE(0)];
}

// ---- NEW_ENVIRON ---------------------------------------------------------------

function escapeEnviron(text: string): number[] {
  const out: number[] = [];
  for (const byte of Buffer.from(text, 'latin1')) {
    if (byte === VAR || byte === VALUE || byte === ESC || byte === USERVAR) out.push(ESC);
    out.push(byte);
  }
  return out;
}

/**
 * NEW_ENVIRON `SEND`: each string asks for that variable (as `VAR name`);
 * the numbers `VAR` (0) and `USERVAR` (3) alone ask for every variable of
 * that kind. An empty list asks for everything (`SEND` alone).
 */
export function encodeEnvironSend(request: ReadonlyArray<string | number>): Buffer {
  const out: number[] = [SEND];
  for (const item of request) {
    if (typeof item === 'number') {
      if (item === VAR || item === USERVAR) out.push(item);
    } else {
      out.push(VAR, ...escapeEnviron(item));
    }
  }
  return Buffer.from(out);
}

/**
 * NEW_ENVIRON `IS` (or `INFO`) with each variable as `VAR name VALUE value`;
 * a `null` value is sent as `VAR name` alone, RFC 1572's "undefined".
 */
export function encodeEnvironIs(env: Readonly<Record<string, string | null>>, command: number = IS): Buffer {
  const out: number[] = [command];
  for (const [key, value] of Object.entries(env)) {
    out.push(VAR, ...escapeEnviron(key));
    if (value !== null) out.push(VALUE, ...escapeEnviron(value));
  }
  return Buffer.from(out);
}

/** One parsed NEW_ENVIRON entry. */
export interface EnvironEntry {
  kind: 'var' | 'uservar';
  name: string;
  /** null: RFC 1572's undefined (no VALUE given). */
  value: string | null;
}

/**
 * Parse a NEW_ENVIRON payload. `command` is `'send'`, `'is'` or `'info'`;
 * for `'send'` the entries have no value, and an entry with an empty name
 * stands for "every variable of that kind". Null when malformed.
 */
export function decodeEnviron(data: Uint8Array): { command: 'send' | 'is' | 'info'; entries: EnvironEntry[] } | null {
  if (data.length === 0) return null;
  const command = data[0] === SEND ? 'send' : data[0] === IS ? 'is' : data[0] === INFO ? 'info' : null;
  if (command === null) return null;
  const entries: EnvironEntry[] = [];
  let cur: { kind: 'var' | 'uservar'; name: number[]; value: number[] | null } | null = null;
  let target: 'name' | 'value' = 'name';
  const flush = (): void => {
    if (cur !== null) {
      entries.push({
        kind: cur.kind,
        name: latin1(Uint8Array.from(cur.name)),
        value: cur.value === null ? null : latin1(Uint8Array.from(cur.value)),
      });
    }
  };
  for (let i = 1; i < data.length; i++) {
    let byte = data[i]!;
    if (byte === VAR || byte === USERVAR) {
      flush();
      cur = { kind: byte === VAR ? 'var' : 'uservar', name: [], value: null };
      target = 'name';
      continue;
    }
    if (cur === null) return null; // data before the first VAR/USERVAR
    if (byte === VALUE) {
      if (target === 'value') return null;
      target = 'value';
      cur.value = [];
      continue;
    }
    if (byte === ESC) {
      i++;
      if (i >= data.length) return null;
      byte = data[i]!;
    }
    if (target === 'name') cur.name.push(byte);
    else cur.value!.push(byte);
  }
  flush();
  return { command, entries };
}

// ---- CHARSET -----------------------------------------------------------------

/** CHARSET `REQUEST sep name sep name ...` (telnetlib3 uses a space). */
export function encodeCharsetRequest(offers: readonly string[], sep = ' '): Buffer {
  return Buffer.concat([Buffer.from([REQUEST]), Buffer.from(sep + offers.join(sep), 'latin1')]);
}

/** CHARSET `ACCEPTED name`. */
export function encodeCharsetAccepted(name: string): Buffer {
  return Buffer.concat([Buffer.from([ACCEPTED]), Buffer.from(name, 'latin1')]);
}

/** CHARSET `REJECTED`. */
export function encodeCharsetRejected(): Buffer {
  return Buffer.from([REJECTED]);
}

/** A parsed CHARSET payload. */
export type CharsetMessage =
  | { command: 'request'; ttable: boolean; offers: string[] }
  | { command: 'accepted'; charset: string }
  | { command: 'rejected' }
  | { command: 'other'; code: number };

/**
 * Parse a CHARSET payload; null when malformed (an empty payload, a REQUEST
 * without a separator). The separator of a REQUEST is its first byte after
 * the optional `[TTABLE] version` prefix; empty names are dropped.
 */
export function decodeCharset(data: Uint8Array): CharsetMessage | null {
  if (data.length === 0) return null;
  const code = data[0]!;
  if (code === REQUEST) {
    let rest = Buffer.from(data.buffer, data.byteOffset + 1, data.byteLength - 1);
    let ttable = false;
    if (rest.subarray(0, 8).toString('latin1') === '[TTABLE]') {
      ttable = true;
      rest = rest.subarray(9); // "[TTABLE]" and its version byte
    }
    if (rest.length < 1) return null;
    const sep = rest.subarray(0, 1).toString('latin1');
    const offers = rest
      .subarray(1)
      .toString('latin1')
      .split(sep)
      .filter((s) => s.length > 0);
    return { command: 'request', ttable, offers };
  }
  if (code === ACCEPTED) return { command: 'accepted', charset: latin1(data.subarray(1)) };
  if (code === REJECTED) return { command: 'rejected' };
  return { command: 'other', code };
}

// ---- STATUS ------------------------------------------------------------------

/**
 * STATUS `IS`: `WILL opt`/`WONT opt` for each option on our side, `DO opt`/
 * `DONT opt` for each on the peer's, an option byte equal to SE doubled.
 */
export function encodeStatusIs(local: Iterable<[number, boolean]>, remote: Iterable<[number, boolean]>): Buffer {
  const out: number[] = [IS];
  const add = (cmd: number, opt: number): void => {
    out.push(cmd, opt);
    if (opt === SE) out.push(SE);
  };
  for (const [opt, on] of local) add(on ? WILL : WONT, opt);
  for (const [opt, on] of remote) add(on ? DO : DONT, opt);
  return Buffer.from(out);
}

/** Parse STATUS `IS` into `[command, option]` pairs; null when malformed. */
export function decodeStatusIs(data: Uint8Array): Array<[number, number]> | null {
  if (data.length === 0 || data[0] !== IS) return null;
  const out: Array<[number, number]> = [];
  let i = 1;
  while (i < data.length) {
    const cmd = data[i]!;
    if (cmd !== WILL && cmd !== WONT && cmd !== DO && cmd !== DONT) return null;
    if (i + 1 >= data.length) return null;
    const opt = data[i + 1]!;
    i += 2;
    if (opt === SE && data[i] === SE) i++;
    out.push([cmd, opt]);
  }
  return out;
}

// ---- LINEMODE SLC (RFC 1184) ---------------------------------------------------

/** RFC 1184's default SLC table (BSD telnet's values): function → [level, value]. */
export const DEFAULT_SLC_TABLE: ReadonlyMap<number, readonly [level: number, value: number]> = new Map<
  number,
  readonly [number, number]
>([
  [1, [SLC_NOSUPPORT, 0]], // SYNCH
  [2, [SLC_NOSUPPORT, 0]], // BRK
  [3, [SLC_VARIABLE, 0x03]], // IP ^C
  [4, [SLC_VARIABLE, 0x0f]], // AO ^O
  [5, [SLC_VARIABLE, 0x14]], // AYT ^T
  [6, [SLC_NOSUPPORT, 0]], // EOR
  [7, [SLC_VARIABLE, 0x1c]], // ABORT ^\
  [8, [SLC_VARIABLE, 0x04]], // EOF ^D
  [9, [SLC_VARIABLE, 0x1a]], // SUSP ^Z
  [10, [SLC_VARIABLE, 0x7f]], // EC ^?
  [11, [SLC_VARIABLE, 0x15]], // EL ^U
  [12, [SLC_VARIABLE, 0x17]], // EW ^W
  [13, [SLC_VARIABLE, 0x12]], // RP ^R
  [14, [SLC_VARIABLE, 0x16]], // LNEXT ^V
  [15, [SLC_CANTCHANGE, 0x11]], // XON ^Q
  [16, [SLC_CANTCHANGE, 0x13]], // XOFF ^S
  [17, [SLC_NOSUPPORT, 0]], // FORW1
  [18, [SLC_NOSUPPORT, 0]], // FORW2
]);

/** `SLC` followed by triplets. */
export function encodeSlc(triplets: Iterable<readonly [func: number, flags: number, value: number]>): Buffer {
  const out: number[] = [LINEMODE_SLC];
  for (const [f, fl, v] of triplets) out.push(f, fl, v);
  return Buffer.from(out);
}

/** Triplets of an SLC payload (after the SLC byte); null unless a multiple of 3. */
export function decodeSlc(data: Uint8Array): Array<[number, number, number]> | null {
  if (data.length % 3 !== 0) return null;
  const out: Array<[number, number, number]> = [];
  for (let i = 0; i < data.length; i += 3) out.push([data[i]!, data[i + 1]!, data[i + 2]!]);
  return out;
}
