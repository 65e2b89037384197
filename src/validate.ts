/**
 * Argument checks shared by every public entry point: a wrong argument
 * throws at once, naming the argument; nothing is coerced.
 * @module
 */

/** A wrong argument type: a TypeError with Node's stable code `ERR_INVALID_ARG_TYPE`. */
export class ArgTypeError extends TypeError {
  /** Node's code for a wrong argument type. */
  readonly code = 'ERR_INVALID_ARG_TYPE';
  override get name(): string {
    return 'TypeError';
  }
}

/** An argument out of its range: a RangeError with Node's stable code `ERR_OUT_OF_RANGE`. */
export class ArgRangeError extends RangeError {
  /** Node's code for an argument out of range. */
  readonly code = 'ERR_OUT_OF_RANGE';
  override get name(): string {
    return 'RangeError';
  }
}

/** Throw TypeError unless `value` is a function. */
export function checkFunction(name: string, value: unknown): asserts value is (...args: never[]) => unknown {
  if (typeof value !== 'function') {
    throw new ArgTypeError(`${name} must be a function, got ${describe(value)}`);
  }
}

/** Throw unless `value` is an integer port in 0–65535. */
export function checkPort(name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number') throw new ArgTypeError(`${name} must be an integer in 0-65535, got ${describe(value)}`);
  if (!Number.isInteger(value) || value < 0 || value > 65535) {
    throw new ArgRangeError(`${name} must be an integer in 0-65535, got ${value}`);
  }
}

/** Throw unless `value` is a finite number >= 0 (seconds). */
export function checkDelay(name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number') throw new ArgTypeError(`${name} must be a number of seconds, got ${describe(value)}`);
  if (!Number.isFinite(value) || value < 0) {
    throw new ArgRangeError(`${name} must be a finite number of seconds >= 0, got ${value}`);
  }
}

/** Throw unless `value` is a finite number (may be negative). */
export function checkFinite(name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number') throw new ArgTypeError(`${name} must be a number, got ${describe(value)}`);
  if (!Number.isFinite(value)) throw new ArgRangeError(`${name} must be a finite number, got ${value}`);
}

/** Throw unless `value` is a non-negative integer. */
export function checkCount(name: string, value: unknown, min = 0): asserts value is number {
  if (typeof value !== 'number') throw new ArgTypeError(`${name} must be an integer, got ${describe(value)}`);
  if (!Number.isInteger(value) || value < min) throw new ArgRangeError(`${name} must be an integer >= ${min}, got ${value}`);
}

/** Throw unless `value` is a string. */
export function checkString(name: string, value: unknown): asserts value is string {
  if (typeof value !== 'string') throw new ArgTypeError(`${name} must be a string, got ${describe(value)}`);
}

/** Throw a TypeError unless `data` is a Buffer or Uint8Array (strings must be encoded first). */
export function checkBytes(name: string, data: unknown): asserts data is Buffer | Uint8Array {
  if (data instanceof Uint8Array) return;
  if (typeof data === 'string') {
    throw new ArgTypeError(
      `${name} must be a Buffer or Uint8Array, not a string: encode it first, e.g. Buffer.from(text, 'utf8')`,
    );
  }
  throw new ArgTypeError(`${name} must be a Buffer or Uint8Array, got ${describe(data)}`);
}

/** A short description of a value for error messages. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return `string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value)}`;
  if (typeof value === 'number') return `number ${value}`;
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? `an object (${value.constructor?.name ?? 'Object'})` : typeof value;
}
