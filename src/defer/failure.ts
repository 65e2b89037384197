/**
 * `Failure`: a thrown value travelling through a Deferred's errback chain,
 * as Twisted's `twisted.python.failure.Failure`.
 *
 * JavaScript can throw anything, so a Failure wraps any value, not only
 * `Error`s. For an `Error` the original `stack` is kept as it was where the
 * error was created; for any other value the Failure records the stack of
 * the place that wrapped it, which is the closest thing JavaScript offers.
 * @module torsion/failure
 */
import { inspect } from 'node:util';

/** Anything `check`/`trap` accept: a class (matched with `instanceof`) or a class name. */
export type FailureType = Function | string;

/**
 * A thrown value and where it came from.
 *
 * `new Failure(value)` wraps any value; `Failure.from(x)` returns `x` itself
 * when it already is a Failure. Failures travel down errback chains
 * (`d.addErrback((f) => { f.trap(ConnectionLost); ... })`).
 *
 * @example
 * ```ts
 * import { Failure } from 'torsion/failure';
 * const f = new Failure(new RangeError('too big'));
 * f.check(TypeError, RangeError); // RangeError
 * f.getErrorMessage();            // 'too big'
 * ```
 */
export class Failure {
  /** The thrown value, exactly as thrown (an `Error` or anything else). */
  readonly value: unknown;
  /**
   * The value's constructor: the class of an object or `Error`, the wrapper
   * constructor of a primitive (`String`, `Number`, ...), `Object` for
   * `null`/`undefined` and prototype-less objects.
   */
  readonly type: Function;
  // Where a non-Error value was wrapped (an Error carries its own stack).
  #wrapStack: string | undefined;

  /**
   * Wrap `value`. Wrapping a Failure copies it (same value, same traceback).
   * @param value - the thrown value.
   */
  constructor(value: unknown) {
    if (value instanceof Failure) {
      this.value = value.value;
      this.type = value.type;
      this.#wrapStack = value.#wrapStack;
      return;
    }
    this.value = value;
    this.type = typeOf(value);
    if (!(value instanceof Error)) {
      // Capturing a stack is costly but only happens on the failure path, and
      // for a non-Error value it is the only location information there is.
      const holder: { stack?: string } = {};
      Error.captureStackTrace(holder, Failure);
      this.#wrapStack = holder.stack;
    }
  }

  /**
   * The Failure for `x`: `x` itself when it already is a Failure, otherwise
   * `new Failure(x)`.
   */
  static from(x: unknown): Failure {
    return x instanceof Failure ? x : new Failure(x);
  }

  /**
   * Return the first of `types` that the value is an instance of (a class
   * name string matches any class of that name in the value's prototype
   * chain), or `null` when none matches.
   */
  check(...types: FailureType[]): FailureType | null {
    for (const t of types) {
      if (typeof t === 'string') {
        if (this.#parentNames().includes(t)) return t;
      } else if (t === this.type || isInstance(this.value, t)) {
        return t;
      }
    }
    return null;
  }

  /**
   * Like {@link Failure.check}, but when nothing matches throw the original
   * value again, so an errback can say "I handle only these".
   * @throws the wrapped value when it matches none of `types`.
   */
  trap(...types: FailureType[]): FailureType {
    const found = this.check(...types);
    if (found === null) this.raiseException();
    return found;
  }

  /** The error message: an Error's `message`, otherwise the value as a string. */
  getErrorMessage(): string {
    const v = this.value;
    if (v instanceof Error) return v.message;
    return safeString(v);
  }

  /**
   * Throw the wrapped value (the original object, so `catch (e)` sees what
   * was thrown in the first place, with its stack).
   */
  raiseException(): never {
    throw this.value;
  }

  /**
   * A printable traceback: the original `stack` of an Error (followed by its
   * `cause` chain), or for a non-Error value its type, message and the stack
   * where it was wrapped.
   */
  getTraceback(): string {
    const v = this.value;
    if (v instanceof Error) return errorTraceback(v, 0);
    const head = `${this.type.name || 'Object'}: ${this.getErrorMessage()}`;
    const frames = this.#wrapStack?.split('\n').slice(1).join('\n');
    return frames ? `${head}\n    (the thrown value is not an Error; the stack shows where it was wrapped)\n${frames}` : head;
  }

  /**
   * Drop references the Failure holds only for its traceback (Twisted's
   * `cleanFailure`). V8 keeps an Error's raw stack frames, and with them
   * every `this` on that stack, until `stack` is first read; reading it turns
   * them into text, so a stored Failure cannot keep those objects (such as
   * the Deferred it failed in) alive.
   */
  cleanFailure(): void {
    let v: unknown = this.value;
    for (let depth = 0; depth < 8 && v instanceof Error; depth++) {
      void v.stack;
      v = v.cause;
    }
  }

  /** A one-line summary, as Twisted's `[Failure instance: ...]`. */
  toString(): string {
    return `[Failure instance: ${this.type.name || 'Object'}: ${this.getErrorMessage()}]`;
  }

  #parentNames(): string[] {
    const names: string[] = [];
    let proto: unknown =
      this.value === null || this.value === undefined ? Object.prototype : Object.getPrototypeOf(Object(this.value));
    while (proto !== null && proto !== undefined) {
      const ctor = (proto as { constructor?: { name?: string } }).constructor;
      if (ctor && typeof ctor.name === 'string') names.push(ctor.name);
      proto = Object.getPrototypeOf(proto);
    }
    return names;
  }
}

function typeOf(value: unknown): Function {
  if (value === null || value === undefined) return Object;
  const ctor = (Object(value) as { constructor?: unknown }).constructor;
  return typeof ctor === 'function' ? (ctor as Function) : Object;
}

function isInstance(value: unknown, t: Function): boolean {
  // instanceof throws for functions without a prototype (arrows): not a class, no match.
  if (typeof t !== 'function' || (typeof t.prototype !== 'object' && !(Symbol.hasInstance in t))) return false;
  try {
    return Object(value) instanceof t;
  } catch {
    return false;
  }
}

function safeString(v: unknown): string {
  if (typeof v === 'string') return v;
  try {
    const s = String(v);
    return s === '[object Object]' ? inspect(v, { depth: 2, breakLength: Infinity }) : s;
  } catch {
    try {
      return inspect(v, { depth: 2, breakLength: Infinity });
    } catch {
      return `<unprintable ${typeOf(v).name || 'Object'} object>`;
    }
  }
}

function errorTraceback(e: Error, depth: number): string {
  let text = typeof e.stack === 'string' && e.stack.length > 0 ? e.stack : `${e.name}: ${e.message}`;
  // The cause chain is where Node system errors live (ECONNREFUSED...); show it, bounded.
  if (depth < 8 && e.cause !== undefined) {
    const cause = e.cause;
    text += '\nCaused by: ' + (cause instanceof Error ? errorTraceback(cause, depth + 1) : safeString(cause));
  }
  return text;
}
