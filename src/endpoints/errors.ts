/**
 * Errors raised by endpoints and the endpoint string parser.
 *
 * They live here rather than in `src/errors.ts` because only this folder
 * raises them; both still extend Twisted's families (`TorsionError`,
 * `ConnectError`) and carry a stable `code`.
 * @module
 */
import type { HostnameAddress, IPv4Address, IPv6Address } from '../address';
import type { Failure } from '../defer/failure';
import { ConnectError, TorsionError } from '../errors';

/** Why an endpoint description string was refused (the suffix of {@link EndpointParseError.code}). */
export type EndpointParseErrorKind =
  | 'SYNTAX'
  | 'UNKNOWN_TYPE'
  | 'UNSUPPORTED_TYPE'
  | 'UNKNOWN_FIELD'
  | 'MISSING_FIELD'
  | 'DUPLICATE_FIELD'
  | 'TOO_MANY_FIELDS'
  | 'BAD_VALUE';

/**
 * An endpoint description (`clientFromString` / `serverFromString`) could
 * not be turned into an endpoint. Twisted raises `ValueError` for all of
 * these; torsion says which case it was in `code`:
 * `ERR_ENDPOINT_SYNTAX`, `ERR_ENDPOINT_UNKNOWN_TYPE`,
 * `ERR_ENDPOINT_UNSUPPORTED_TYPE`, `ERR_ENDPOINT_UNKNOWN_FIELD`,
 * `ERR_ENDPOINT_MISSING_FIELD`, `ERR_ENDPOINT_DUPLICATE_FIELD`,
 * `ERR_ENDPOINT_TOO_MANY_FIELDS`, `ERR_ENDPOINT_BAD_VALUE`.
 */
export class EndpointParseError extends TorsionError {
  override readonly code: string;
  /** Which rule the description broke. */
  readonly kind: EndpointParseErrorKind;
  /** The description string that was refused. */
  readonly description: string;
  /** The field at fault, when one is (e.g. `'port'`). */
  readonly field: string | null;

  constructor(kind: EndpointParseErrorKind, message: string, description: string, field: string | null = null) {
    super(`${message} (in endpoint description ${JSON.stringify(description)})${colonHint(description)}`);
    this.kind = kind;
    this.code = `ERR_ENDPOINT_${kind}`;
    this.description = description;
    this.field = field;
  }
}

/**
 * A keyword value that looks like an IPv6 address with unescaped colons
 * (`interface=::1`): the colons split it into fields, and the error that
 * results says nothing about why. Suggest the escaped form.
 */
function colonHint(description: string): string {
  const m = /(?:^|:)([A-Za-z_][\w-]*)=((?:[0-9A-Fa-f]{0,4}(?<!\\):){2,}[0-9A-Fa-f.]*)/.exec(description);
  if (m === null || m[2].includes('\\')) return '';
  const [, key, value] = m;
  return `; colons in a value must be escaped with a backslash, e.g. ${key}=${value.replace(/:/g, '\\:')}`;
}

/** One failed attempt of a {@link HostnameEndpoint}: where it went and why it failed. */
export interface ConnectAttemptFailure {
  /** The resolved address this attempt connected to. */
  readonly address: IPv4Address | IPv6Address;
  /** Why it failed. */
  readonly failure: Failure;
}

/**
 * Every connection attempt of a `HostnameEndpoint` failed.
 *
 * Twisted errbacks with the last attempt's failure only; torsion keeps all
 * of them, in the order the attempts were started, so that "::1 refused,
 * 127.0.0.1 timed out" is visible. `cause` is the value of the failure that
 * came last in time (what Twisted would have reported) and `errors` lists
 * every value, as `AggregateError` does.
 */
export class ConnectAttemptsFailedError extends ConnectError {
  override readonly code: string = 'ERR_CONNECT_ATTEMPTS_FAILED';
  /** The name and port that were resolved. */
  readonly address: HostnameAddress;
  /** Each attempt, in the order it was started. */
  readonly attempts: readonly ConnectAttemptFailure[];

  /**
   * @param address - the name and port that were resolved.
   * @param attempts - each attempt, in the order it was started.
   * @param lastFailure - the failure that came last in time (the `cause`);
   *   default: the last attempt's.
   */
  constructor(address: HostnameAddress, attempts: readonly ConnectAttemptFailure[], lastFailure?: Failure) {
    const last = (lastFailure ?? attempts[attempts.length - 1]?.failure)?.value;
    const detail = attempts.map((a) => `${formatHostPort(a.address.host, a.address.port)}: ${a.failure.getErrorMessage()}`);
    super(
      `All ${attempts.length} connection attempt${attempts.length === 1 ? '' : 's'} to ` +
        `${formatHostPort(address.hostname, address.port)} failed: ${detail.join('; ')}`,
      { cause: last },
    );
    this.address = address;
    this.attempts = Object.freeze(attempts.slice());
  }

  /** Each attempt's Failure, in the order the attempts were started. */
  get failures(): Failure[] {
    return this.attempts.map((a) => a.failure);
  }

  /** Each attempt's error value, in order (as `AggregateError.errors`). */
  get errors(): unknown[] {
    return this.attempts.map((a) => a.failure.value);
  }
}

/** `host:port`, with an IPv6 literal in brackets. @internal */
export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
