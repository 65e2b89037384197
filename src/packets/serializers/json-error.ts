/**
 * Where a JSON document goes wrong, in the words and positions of Python's
 * `json.JSONDecodeError` (EasyNetwork's JSONSerializer reports those):
 * V8's `JSON.parse` messages carry no reliable position.
 * @module
 */

/** A JSON syntax error as Python's json module reports it. @internal */
export interface JSONErrorLocation {
  /** Python's message without the position: `'Expecting value'`, `'Extra data'` ... */
  msg: string;
  /** Index in the document (UTF-16 code units). */
  position: number;
  /** 1-based line. */
  lineno: number;
  /** 1-based column. */
  colno: number;
}

class Stop {
  constructor(
    readonly msg: string,
    readonly pos: number,
  ) {}
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?/y;
const WS = /[ \t\n\r]*/y;

function skipWs(s: string, i: number): number {
  WS.lastIndex = i;
  WS.test(s);
  return WS.lastIndex;
}

function scanString(s: string, start: number): number {
  // s[start] is the opening quote; returns the index after the closing one.
  let i = start + 1;
  for (;;) {
    if (i >= s.length) throw new Stop('Unterminated string starting at', start);
    const c = s.charCodeAt(i);
    if (c === 0x22) return i + 1;
    if (c < 0x20) throw new Stop('Invalid control character at', i);
    if (c === 0x5c) {
      const e = s[i + 1];
      if (e === undefined) throw new Stop('Unterminated string starting at', start);
      if (e === 'u') {
        if (!/^[0-9a-fA-F]{4}$/.test(s.slice(i + 2, i + 6))) throw new Stop('Invalid \\uXXXX escape', i + 1);
        i += 6;
        continue;
      }
      if (!'"\\/bfnrt'.includes(e)) throw new Stop('Invalid \\escape', i);
      i += 2;
      continue;
    }
    i += 1;
  }
}

function scanValue(s: string, i: number, depth: number): number {
  const c = s[i];
  if (c === '"') return scanString(s, i);
  if (c === '{') return scanObject(s, i, depth + 1);
  if (c === '[') return scanArray(s, i, depth + 1);
  for (const lit of ['null', 'true', 'false']) if (s.startsWith(lit, i)) return i + lit.length;
  NUMBER.lastIndex = i;
  if (NUMBER.test(s)) return NUMBER.lastIndex;
  throw new Stop('Expecting value', i);
}

function scanObject(s: string, start: number, depth: number): number {
  let i = skipWs(s, start + 1);
  if (s[i] === '}') return i + 1;
  for (;;) {
    if (s[i] !== '"') throw new Stop('Expecting property name enclosed in double quotes', i);
    i = skipWs(s, scanString(s, i));
    if (s[i] !== ':') throw new Stop("Expecting ':' delimiter", i);
    i = skipWs(s, scanValue(s, skipWs(s, i + 1), depth));
    if (s[i] === '}') return i + 1;
    if (s[i] !== ',') throw new Stop("Expecting ',' delimiter", i);
    const comma = i;
    i = skipWs(s, i + 1);
    if (s[i] === '}') throw new Stop('Illegal trailing comma before end of object', comma);
  }
}

function scanArray(s: string, start: number, depth: number): number {
  let i = skipWs(s, start + 1);
  if (s[i] === ']') return i + 1;
  for (;;) {
    i = skipWs(s, scanValue(s, i, depth));
    if (s[i] === ']') return i + 1;
    if (s[i] !== ',') throw new Stop("Expecting ',' delimiter", i);
    const comma = i;
    i = skipWs(s, i + 1);
    if (s[i] === ']') throw new Stop('Illegal trailing comma before end of array', comma);
  }
}

/**
 * Python's account of why `doc` is not JSON, or `null` when this scanner
 * finds nothing wrong (then the caller falls back to V8's message).
 * @internal
 */
export function locateJSONError(doc: string): JSONErrorLocation | null {
  let stop: Stop | null = null;
  try {
    const end = skipWs(doc, scanValue(doc, skipWs(doc, 0), 0));
    if (end !== doc.length) stop = new Stop('Extra data', end);
  } catch (err) {
    if (!(err instanceof Stop)) return null; // e.g. too deep a nesting for the stack
    stop = err;
  }
  if (stop === null) return null;
  const pos = stop.pos;
  const lineno = countNewlines(doc, pos) + 1;
  const colno = pos - doc.lastIndexOf('\n', pos - 1);
  return { msg: stop.msg, position: pos, lineno, colno: pos === 0 ? 1 : colno };
}

function countNewlines(s: string, end: number): number {
  let n = 0;
  for (let i = s.indexOf('\n'); i !== -1 && i < end; i = s.indexOf('\n', i + 1)) n += 1;
  return n;
}

/** Python's `str(JSONDecodeError)`: `"Expecting value: line 1 column 1 (char 0)"`. @internal */
export function formatJSONError(loc: JSONErrorLocation): string {
  return `${loc.msg}: line ${loc.lineno} column ${loc.colno} (char ${loc.position})`;
}
