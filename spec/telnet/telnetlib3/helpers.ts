import { Clock, StringTransport } from 'torsion/testing';

export const IAC = 255,
  DONT = 254,
  DO = 253,
  WONT = 252,
  WILL = 251,
  SB = 250,
  SE = 240;
export const BINARY = 0,
  ECHO = 1,
  SGA = 3,
  STATUS = 5,
  TM = 6,
  TTYPE = 24,
  EOR = 25,
  NAWS = 31,
  TSPEED = 32,
  LFLOW = 33,
  LINEMODE = 34,
  XDISPLOC = 35,
  NEW_ENVIRON = 39,
  CHARSET = 42,
  GMCP = 201;

/** Bytes from numbers and latin-1 strings. */
export const b = (...xs: Array<number | string | Buffer>): Buffer =>
  Buffer.concat(xs.map((x) => (typeof x === 'number' ? Buffer.from([x]) : typeof x === 'string' ? Buffer.from(x, 'latin1') : x)));

/** IAC SB option ...payload IAC SE */
export const sb = (option: number, ...payload: Array<number | string | Buffer>): Buffer =>
  b(IAC, SB, option, ...payload, IAC, SE);

/** Whether `p` has settled, after letting pending microtasks and immediates run. */
export async function isSettled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  p.then(
    () => {
      done = true;
    },
    () => {
      done = true;
    },
  );
  await new Promise((r) => setImmediate(r));
  return done;
}

/** A protocol connected to a fresh StringTransport with its callLater(0) run. */
export function connectTo<P extends { makeConnection(t: StringTransport): void }>(proto: P, clock: Clock): StringTransport {
  const t = new StringTransport();
  proto.makeConnection(t);
  clock.advance(0);
  return t;
}

/** Take (and clear) what was written. */
export function take(t: StringTransport): Buffer {
  const v = Buffer.from(t.value());
  t.clear();
  return v;
}

/** Whether `hay` contains `needle`. */
export const has = (hay: Buffer, needle: Buffer): boolean => hay.indexOf(needle) >= 0;
