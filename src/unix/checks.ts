/**
 * Argument checks shared by connectUNIX, listenUNIX, the endpoints and the
 * datagram calls: what a UNIX socket address may be, and the options.
 * @internal
 * @module
 */
import { NativeAddonUnavailableError } from '../errors';
import { nativeAddonStatus } from '../native';
import { ArgRangeError, ArgTypeError, checkCount, checkString, describe } from '../validate';

/** sun_path holds 108 bytes, the terminating NUL included. */
export const MAX_PATH_BYTES = 107;

/** Whether `address` names an abstract socket (Linux: a leading NUL). */
export function isAbstract(address: string): boolean {
  return address.charCodeAt(0) === 0;
}

/**
 * What a feature of the native addon throws in this build: the addon
 * (another part of torsion) is not loaded here, or TORSION_NO_NATIVE asks
 * to behave as if it were absent.
 */
export function addonUnavailable(feature: string): NativeAddonUnavailableError {
  const off = process.env.TORSION_NO_NATIVE;
  const reason =
    off !== undefined && off !== '' && off !== '0'
      ? `TORSION_NO_NATIVE=${off}`
      : (nativeAddonStatus().reason ?? 'this feature does not use it yet');
  return new NativeAddonUnavailableError(feature, reason);
}

/**
 * Why abstract names cannot be used: they need the native addon (Node's
 * own sockets pad them to 108 bytes, so other programs cannot reach them).
 */
export function abstractUnavailable(): NativeAddonUnavailableError {
  return addonUnavailable('Abstract UNIX socket names');
}

/**
 * Check a UNIX socket address: a non-empty string without NUL bytes
 * except a leading one (abstract, Linux only), at most 107 bytes.
 * @returns a RangeError for an over-long path (listenUNIX wraps it in
 * CannotListenError, connectUNIX throws it), else null.
 * @throws ArgTypeError for a non-string; ArgRangeError for an empty
 * address, an inner NUL, an abstract name off Linux;
 * NativeAddonUnavailableError for an abstract name on Linux.
 */
export function checkUNIXAddress(name: string, address: unknown, allowAbstract = false): RangeError | null {
  checkString(name, address);
  if (address.length === 0) throw new ArgRangeError(`${name} must be a non-empty path to a UNIX socket`);
  if (address.indexOf('\0', 1) !== -1)
    throw new ArgRangeError(
      `${name} must not contain NUL bytes (except a leading one, for an abstract name), got ${JSON.stringify(address)}`,
    );
  if (isAbstract(address)) {
    if (process.platform !== 'linux')
      throw new ArgRangeError(`${name}: abstract UNIX socket names (a leading '\\0') exist only on Linux`);
    if (!allowAbstract) throw abstractUnavailable();
  }
  const bytes = Buffer.byteLength(address);
  if (bytes > MAX_PATH_BYTES) {
    return new ArgRangeError(
      `${name} is ${bytes} bytes long; a UNIX socket path holds at most ${MAX_PATH_BYTES} (use a shorter path, e.g. a relative one or a link to the directory)`,
    );
  }
  return null;
}

/** Check a boolean option. */
export function checkBoolean(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new ArgTypeError(`${name} must be a boolean, got ${describe(value)}`);
  return value;
}

/** Check an options argument (an object, or undefined). */
export function checkOptions(value: unknown): Record<string, unknown> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object') throw new ArgTypeError(`options must be an object, got ${describe(value)}`);
  return value as Record<string, unknown>;
}

/** Check a file mode (an integer 0..0o7777; default 0o666). */
export function checkMode(value: unknown): number {
  if (value === undefined) return 0o666;
  if (typeof value !== 'number' || !Number.isInteger(value))
    throw new ArgTypeError(`mode must be an integer file mode such as 0o660, got ${describe(value)}`);
  if (value < 0 || value > 0o7777) throw new ArgRangeError(`mode must be between 0 and 0o7777, got 0o${value.toString(8)}`);
  return value;
}

/** Check listenUNIX's backlog (default 50). */
export function checkBacklog(value: unknown): number {
  const b = value === undefined ? 50 : value;
  checkCount('backlog', b);
  return b;
}
