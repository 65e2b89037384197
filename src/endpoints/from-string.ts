/**
 * `clientFromString` / `serverFromString`: build endpoints from
 * description strings such as `tcp:example.com:80:timeout=5` or
 * `tcp:8080:interface=127.0.0.1:backlog=50` (Twisted's strports syntax; see
 * {@link parseDescription}).
 * @module
 */
import type { IStreamClientEndpoint, IStreamServerEndpoint } from '../interfaces/endpoints';
import type { IReactorTCP } from '../interfaces/tcp';
import { EndpointParseError } from './errors';
import { type ParsedDescription, parseDescription } from './parser';
import type { IReactorFDSet } from '../interfaces/fdset';
import { StandardIOEndpoint } from './process';
import { TCP4ClientEndpoint, TCP4ServerEndpoint, TCP6ClientEndpoint, TCP6ServerEndpoint } from './tcp';
// ---- unix ----
import type { IReactorUNIX } from '../interfaces/unix';
import { UNIXClientEndpoint, UNIXServerEndpoint } from './unix';
// ---- end unix ----

// tls family
import { HostnameEndpoint, type IHostnameEndpointReactor } from './hostname';
import {
  SSL_CLIENT_FIELDS,
  SSL_SERVER_FIELDS,
  TLS_CLIENT_FIELDS,
  sslClientFromFields,
  sslServerFromFields,
  tlsClientFromFields,
} from './ssl';

/** The prefixes clientFromString understands. */
export const CLIENT_ENDPOINT_TYPES: readonly string[] = Object.freeze(['tcp', 'tcp6', 'unix', 'ssl', 'tls']);
/** The prefixes serverFromString understands. */
export const SERVER_ENDPOINT_TYPES: readonly string[] = Object.freeze(['tcp', 'tcp6', 'unix', 'stdio', 'ssl']);

// Twisted endpoint types torsion does not provide yet: named in the error
// so that a Twisted user learns it is missing, not misspelt.
const NOT_YET_CLIENT = new Set<string>([]);
const NOT_YET_SERVER = new Set(['systemd']);

/**
 * Build a client endpoint from a description (the prefix is
 * case-insensitive, field names are not):
 *
 * - `tcp:HOST:PORT`, or with keywords `tcp:host=HOST:port=PORT`, plus
 *   optional `timeout=SECONDS` and `bindAddress=IP` (bound as `[IP, 0]`):
 *   a {@link TCP4ClientEndpoint}. One positional field is the host, or the
 *   port when `host=` is given.
 * - `tcp6:` with the same fields: a {@link TCP6ClientEndpoint}.
 * - `unix:PATH`, or `unix:path=PATH`, plus optional `timeout=SECONDS` and
 *   `lockfile=0|1` (checkPID; default 0): a {@link UNIXClientEndpoint}.
 *   A leading `@` names an abstract socket (`unix:@app`; `./@app` is a file).
 *
 * @throws EndpointParseError for an unknown or not-yet-supported prefix,
 *   an unknown, missing, duplicate or extra field, a port that is not an
 *   integer in 0–65535, or a timeout that is not a number of seconds >= 0.
 * @example
 * ```ts
 * const ep = clientFromString(reactor, 'tcp:host=example.com:port=80:timeout=5');
 * ```
 */
export function clientFromString(reactor: IReactorTCP, description: string): IStreamClientEndpoint {
  const parsed = parseDescription(description);
  const type = endpointType(parsed, description, CLIENT_ENDPOINT_TYPES, NOT_YET_CLIENT, 'client');
  if (type === 'unix') return unixClientFromString(reactor, parsed, description);
  // tls family: ssl: and tls:
  if (type === 'ssl')
    return sslClientFromFields(reactor, description, parsed, new Fields(parsed, description, SSL_CLIENT_FIELDS));
  if (type === 'tls') {
    return tlsClientFromFields(
      description,
      parsed,
      new Fields(parsed, description, TLS_CLIENT_FIELDS),
      (host, port, options) => new HostnameEndpoint(reactor as IHostnameEndpointReactor, host, port, options),
      (inner) => clientFromString(reactor, inner),
    );
  }
  const fields = new Fields(parsed, description, ['host', 'port', 'timeout', 'bindAddress']);
  const positional = [...parsed.args];
  if (positional.length > 2) fields.tooMany('host and port');
  if (positional.length === 2) {
    fields.setPositional('host', positional[0]);
    fields.setPositional('port', positional[1]);
  } else if (positional.length === 1) {
    fields.setPositional(fields.has('host') ? 'port' : 'host', positional[0]);
  }
  const host = fields.required('host');
  if (host === '') throw new EndpointParseError('BAD_VALUE', 'The host is empty', description, 'host');
  const port = fields.port('port', fields.required('port'));
  const timeoutText = fields.optional('timeout');
  const bindText = fields.optional('bindAddress');
  const options = {
    timeout: timeoutText === undefined ? 30 : fields.seconds('timeout', timeoutText),
    bindAddress: bindText === undefined ? null : ([bindText, 0] as [string, number]),
  };
  return type === 'tcp6'
    ? new TCP6ClientEndpoint(reactor, host, port, options)
    : new TCP4ClientEndpoint(reactor, host, port, options);
}

/**
 * Build a server endpoint from a description (the prefix is
 * case-insensitive, field names are not):
 *
 * - `tcp:PORT`, plus optional `interface=IP` (default all IPv4) and
 *   `backlog=N` (default 50), also positionally as `tcp:PORT:IP:N`:
 *   a {@link TCP4ServerEndpoint}.
 * - `tcp6:` with the same fields, interface default `::`:
 *   a {@link TCP6ServerEndpoint}.
 * - `stdio:` (no fields): a {@link StandardIOEndpoint} on this process's
 *   stdin/stdout. Escape the colons of an IPv6 interface:
 *   `tcp6:8080:interface=\:\:1`.
 * - `unix:PATH`, plus optional `mode=OCTAL` (default 666), `backlog=N` and
 *   `lockfile=0|1` (wantPID; default 1, ignored for abstract names), also
 *   positionally as `unix:PATH:MODE:BACKLOG:LOCKFILE`: a
 *   {@link UNIXServerEndpoint}. A leading `@` names an abstract socket.
 *
 * @throws EndpointParseError as {@link clientFromString} does, and for a
 *   backlog that is not a non-negative integer.
 * @example
 * ```ts
 * const ep = serverFromString(reactor, 'tcp:8080:interface=127.0.0.1:backlog=50');
 * ```
 */
export function serverFromString(reactor: IReactorTCP, description: string): IStreamServerEndpoint {
  const parsed = parseDescription(description);
  const type = endpointType(parsed, description, SERVER_ENDPOINT_TYPES, NOT_YET_SERVER, 'server');
  if (type === 'unix') return unixServerFromString(reactor, parsed, description);
  // processes family: `stdio:` takes no fields.
  if (type === 'stdio') {
    new Fields(parsed, description, []);
    if (parsed.args.some((a) => a !== ''))
      throw new EndpointParseError('TOO_MANY_FIELDS', "'stdio:' takes no fields", description);
    return new StandardIOEndpoint(reactor as unknown as IReactorFDSet);
  }
  // tls family: ssl:
  if (type === 'ssl')
    return sslServerFromFields(reactor, description, parsed, new Fields(parsed, description, SSL_SERVER_FIELDS));
  const order = ['port', 'interface', 'backlog'];
  const fields = new Fields(parsed, description, order);
  if (parsed.args.length > order.length) fields.tooMany('port, interface and backlog');
  parsed.args.forEach((value, i) => fields.setPositional(order[i], value));
  const port = fields.port('port', fields.required('port'));
  const iface = fields.optional('interface');
  const backlogText = fields.optional('backlog');
  const backlog = backlogText === undefined ? 50 : fields.integer('backlog', backlogText);
  const options = { backlog, ...(iface === undefined ? {} : { interface: iface }) };
  return type === 'tcp6' ? new TCP6ServerEndpoint(reactor, port, options) : new TCP4ServerEndpoint(reactor, port, options);
}

// ---- unix: the `unix:` prefix (Twisted's _parseClientUNIX / _parseUNIX) ----

/** A path from a description: `@name` is the abstract name `\0name` (decision 19). */
function unixPath(fields: Fields, name: string, text: string): string {
  if (text === '') fields.bad(name, text, 'a non-empty path');
  return text.startsWith('@') ? `\0${text.slice(1)}` : text;
}

function unixClientFromString(reactor: unknown, parsed: ParsedDescription, description: string): IStreamClientEndpoint {
  const fields = new Fields(parsed, description, ['path', 'timeout', 'lockfile']);
  if (parsed.args.length > 1) fields.tooMany('the path');
  if (parsed.args.length === 1) fields.setPositional('path', parsed.args[0]);
  const path = unixPath(fields, 'path', fields.required('path'));
  const timeoutText = fields.optional('timeout');
  const lockText = fields.optional('lockfile');
  return new UNIXClientEndpoint(reactor as IReactorUNIX, path, {
    timeout: timeoutText === undefined ? 30 : fields.seconds('timeout', timeoutText),
    checkPID: lockText === undefined ? false : fields.flag('lockfile', lockText),
  });
}

function unixServerFromString(reactor: unknown, parsed: ParsedDescription, description: string): IStreamServerEndpoint {
  const order = ['address', 'mode', 'backlog', 'lockfile'];
  const fields = new Fields(parsed, description, order);
  if (parsed.args.length > order.length) fields.tooMany('address, mode, backlog and lockfile');
  parsed.args.forEach((value, i) => fields.setPositional(order[i], value));
  const address = unixPath(fields, 'address', fields.required('address'));
  const modeText = fields.optional('mode');
  if (modeText !== undefined && !/^[0-7]{1,4}$/.test(modeText)) fields.bad('mode', modeText, 'an octal file mode such as 660');
  const backlogText = fields.optional('backlog');
  const lockText = fields.optional('lockfile');
  const lockfile = lockText === undefined ? true : fields.flag('lockfile', lockText);
  return new UNIXServerEndpoint(reactor as IReactorUNIX, address, {
    mode: modeText === undefined ? 0o666 : Number.parseInt(modeText, 8),
    backlog: backlogText === undefined ? 50 : fields.integer('backlog', backlogText),
    // An abstract name has no file to guard.
    wantPID: lockfile && !address.startsWith('\0'),
  });
}
// ---- end unix ----

function endpointType(
  parsed: ParsedDescription,
  description: string,
  supported: readonly string[],
  notYet: ReadonlySet<string>,
  side: string,
): string {
  const type = parsed.prefix.toLowerCase();
  if (supported.includes(type)) return type;
  const list = supported.map((t) => `'${t}:'`).join(', ');
  if (notYet.has(type)) {
    throw new EndpointParseError(
      'UNSUPPORTED_TYPE',
      `The '${type}:' ${side} endpoint type is not supported by torsion yet; supported types: ${list}`,
      description,
    );
  }
  throw new EndpointParseError(
    'UNKNOWN_TYPE',
    `Unknown endpoint type: '${parsed.prefix}'; supported ${side} types: ${list}`,
    description,
  );
}

/** The keyword fields of one description, checked against the names a type accepts. */
class Fields {
  readonly #values = new Map<string, string>();
  readonly #description: string;

  constructor(parsed: ParsedDescription, description: string, accepted: readonly string[]) {
    this.#description = description;
    for (const [key, value] of parsed.kwargs) {
      if (!accepted.includes(key)) {
        const near = accepted.find((a) => a.toLowerCase() === key.toLowerCase());
        const hint = near ? `; did you mean '${near}'?` : `; accepted fields: ${accepted.join(', ')}`;
        throw new EndpointParseError('UNKNOWN_FIELD', `Unknown field '${key}'${hint}`, description, key);
      }
      this.#values.set(key, value);
    }
  }

  has(name: string): boolean {
    return this.#values.has(name);
  }

  setPositional(name: string, value: string): void {
    if (this.#values.has(name)) {
      throw new EndpointParseError(
        'DUPLICATE_FIELD',
        `The field '${name}' is given both by position and as '${name}='; keep one`,
        this.#description,
        name,
      );
    }
    this.#values.set(name, value);
  }

  tooMany(expected: string): never {
    throw new EndpointParseError(
      'TOO_MANY_FIELDS',
      `Too many positional fields; expected at most ${expected}`,
      this.#description,
    );
  }

  required(name: string): string {
    const value = this.#values.get(name);
    if (value === undefined) {
      throw new EndpointParseError('MISSING_FIELD', `The field '${name}' is missing`, this.#description, name);
    }
    return value;
  }

  optional(name: string): string | undefined {
    return this.#values.get(name);
  }

  integer(name: string, text: string): number {
    if (!/^[0-9]+$/.test(text)) this.#bad(name, text, 'a non-negative integer');
    return Number(text);
  }

  port(name: string, text: string): number {
    const n = /^[0-9]+$/.test(text) ? Number(text) : NaN;
    if (!(n <= 65535)) this.#bad(name, text, 'an integer in 0-65535');
    return n;
  }

  seconds(name: string, text: string): number {
    if (!/^[0-9]+(\.[0-9]+)?$/.test(text)) this.#bad(name, text, 'a number of seconds >= 0');
    return Number(text);
  }

  /** A 0/1 flag (Twisted's `bool(int(...))`; any integer, 0 is false). */
  flag(name: string, text: string): boolean {
    if (!/^[0-9]+$/.test(text)) this.#bad(name, text, '0 or 1');
    return Number(text) !== 0;
  }

  /** Refuse a field's value (unix). */
  bad(name: string, text: string, expected: string): never {
    this.#bad(name, text, expected);
  }

  #bad(name: string, text: string, expected: string): never {
    throw new EndpointParseError(
      'BAD_VALUE',
      `The field '${name}' must be ${expected}, got ${JSON.stringify(text)}`,
      this.#description,
      name,
    );
  }
}
