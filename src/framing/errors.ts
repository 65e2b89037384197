/**
 * The errors of the framing protocols (Twisted's `protocols/basic.py`
 * exceptions), as {@link TorsionError}s with stable codes.
 * @module
 */
import { TorsionError, type TorsionErrorOptions } from '../errors';

/**
 * `sendString` was asked to send more bytes than the length prefix can
 * express (`length >= 2 ** (8 * prefixLength)`). Nothing was written.
 * Twisted raises it as an `AssertionError` subclass.
 */
export class StringTooLongError extends TorsionError {
  override readonly code: string = 'ERR_STRING_TOO_LONG';
  constructor(
    message = 'The string is too long for its length prefix; use a receiver with a wider prefix',
    options?: TorsionErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * The peer sent something that is not a netstring: a length that is
 * missing, has leading zeros or is not a number, a length over
 * `MAX_LENGTH`, or a payload not followed by a comma.
 * {@link NetstringReceiver} catches it, loses the connection and sets
 * `brokenPeer`; it reaches application code only through the
 * receiver's `_handleParseError` hook.
 */
export class NetstringParseError extends TorsionError {
  override readonly code: string = 'ERR_NETSTRING_PARSE';
  constructor(message = 'The received data is not a valid netstring', options?: TorsionErrorOptions) {
    super(message, options);
  }
}
