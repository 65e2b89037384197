/**
 * The whole error hierarchy, in Twisted's families. Every class sets
 * `name`, a stable `code`, and keeps the Node system error as `cause`.
 * @module torsion/error
 */

/** Options common to every torsion error. */
export interface TorsionErrorOptions {
  /** The underlying (often Node system) error. */
  cause?: unknown;
}

/** Base of every torsion error. */
export class TorsionError extends Error {
  /** A stable machine-readable code, e.g. `ERR_CONNECTION_REFUSED`. */
  readonly code: string = 'ERR_TORSION';
  constructor(message?: string, options?: TorsionErrorOptions) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = new.target.name;
  }
}

// ---- Reactor misuse -------------------------------------------------------

/** Raised by Twisted's "can't do that in this state" checks (Python's RuntimeError). */
export class RuntimeError extends TorsionError {
  override readonly code: string = 'ERR_RUNTIME';
}
/** stop() on a reactor that is not running. */
export class ReactorNotRunning extends RuntimeError {
  override readonly code: string = 'ERR_REACTOR_NOT_RUNNING';
  constructor(message = "Can't stop a reactor that isn't running", options?: TorsionErrorOptions) {
    super(message, options);
  }
}
/** run() on a reactor that is already running. */
export class ReactorAlreadyRunning extends RuntimeError {
  override readonly code: string = 'ERR_REACTOR_ALREADY_RUNNING';
  constructor(message = 'The reactor is already running; call run() once', options?: TorsionErrorOptions) {
    super(message, options);
  }
}
/** run() on a reactor that already ran and stopped. */
export class ReactorNotRestartable extends RuntimeError {
  override readonly code: string = 'ERR_REACTOR_NOT_RESTARTABLE';
  constructor(message = 'The reactor cannot be restarted; create a new Reactor', options?: TorsionErrorOptions) {
    super(message, options);
  }
}
/** A delayed call was cancelled/reset/delayed after it had run. */
export class AlreadyCalled extends TorsionError {
  override readonly code: string = 'ERR_ALREADY_CALLED';
  constructor(message = 'The delayed call has already run', options?: TorsionErrorOptions) {
    super(message, options);
  }
}
/** A delayed call was cancelled/reset/delayed after it had been cancelled. */
export class AlreadyCancelled extends TorsionError {
  override readonly code: string = 'ERR_ALREADY_CANCELLED';
  constructor(message = 'The delayed call has already been cancelled', options?: TorsionErrorOptions) {
    super(message, options);
  }
}

// ---- Connecting -------------------------------------------------------------

/** A connection attempt failed. */
export class ConnectError extends TorsionError {
  override readonly code: string = 'ERR_CONNECT';
  constructor(message = 'An error occurred while connecting', options?: TorsionErrorOptions) {
    super(message, options);
  }
}
/** The local address could not be bound before connecting. */
export class ConnectBindError extends ConnectError {
  override readonly code: string = 'ERR_CONNECT_BIND';
  constructor(message = "Couldn't bind the local address; choose another bindAddress", options?: TorsionErrorOptions) {
    super(message, options);
  }
}
/** getaddrinfo failed while connecting. */
export class UnknownHostError extends ConnectError {
  override readonly code: string = 'ERR_UNKNOWN_HOST';
  constructor(message = 'Hostname could not be looked up', options?: TorsionErrorOptions) {
    super(message, options);
  }
}
/** ENETUNREACH / EHOSTUNREACH. */
export class NoRouteError extends ConnectError {
  override readonly code: string = 'ERR_NO_ROUTE';
  constructor(message = 'No route to host', options?: TorsionErrorOptions) {
    super(message, options);
  }
}
/** ECONNREFUSED. */
export class ConnectionRefusedError extends ConnectError {
  override readonly code: string = 'ERR_CONNECTION_REFUSED';
  constructor(message = 'Connection was refused by the other side; is the server listening?', options?: TorsionErrorOptions) {
    super(message, options);
  }
}
/** ETIMEDOUT from the kernel. */
export class TCPTimedOutError extends ConnectError {
  override readonly code: string = 'ERR_TCP_TIMED_OUT';
  constructor(message = 'TCP connection timed out', options?: TorsionErrorOptions) {
    super(message, options);
  }
}
/** A service name (e.g. 'http') could not be mapped to a port. */
export class ServiceNameUnknownError extends ConnectError {
  override readonly code: string = 'ERR_SERVICE_NAME_UNKNOWN';
  constructor(message = 'Service name given as port is unknown; pass a port number', options?: TorsionErrorOptions) {
    super(message, options);
  }
}
/** The user stopped the attempt (stopConnecting). */
export class UserError extends ConnectError {
  override readonly code: string = 'ERR_USER';
  constructor(message = 'The connection attempt was stopped by the user', options?: TorsionErrorOptions) {
    super(message, options);
  }
}
/** The connection attempt timed out (connectTCP's `timeout`). */
export class TimeoutError extends UserError {
  override readonly code: string = 'ERR_CONNECT_TIMEOUT';
  constructor(message = 'User timeout caused connection failure', options?: TorsionErrorOptions) {
    super(message, options);
  }
}
/** Any other connect-time OS error. */
export class ConnectionFdescWentAway extends ConnectError {
  override readonly code: string = 'ERR_CONNECTION_FDESC_WENT_AWAY';
}
/** Name resolution failed (an IOError in Twisted, not a ConnectError). */
export class DNSLookupError extends TorsionError {
  override readonly code: string = 'ERR_DNS_LOOKUP';
  constructor(message = 'DNS lookup failed; check the host name', options?: TorsionErrorOptions) {
    super(message, options);
  }
}
/** stopConnecting() when the connector is not connecting. */
export class NotConnectingError extends RuntimeError {
  override readonly code: string = 'ERR_NOT_CONNECTING';
  constructor(message = 'The connector is not connecting; nothing to stop', options?: TorsionErrorOptions) {
    super(message, options);
  }
}
/** stopListening() on a port that is not listening. */
export class NotListeningError extends RuntimeError {
  override readonly code: string = 'ERR_NOT_LISTENING';
  constructor(message = 'The port is not listening', options?: TorsionErrorOptions) {
    super(message, options);
  }
}
/** listen failed; `interface` and `port` say where. */
export class CannotListenError extends TorsionError {
  override readonly code: string = 'ERR_CANNOT_LISTEN';
  /** The interface that could not be bound ('' for all). */
  readonly interface: string;
  /** The port that could not be bound. */
  readonly port: number;
  constructor(iface: string, port: number, options?: TorsionErrorOptions & { message?: string }) {
    super(options?.message ?? `Couldn't listen on ${iface || 'any'}:${port}: ${describeCause(options?.cause)}`, options);
    this.interface = iface;
    this.port = port;
  }
}
/** An endpoint's factory returned null from buildProtocol. */
export class NoProtocol extends TorsionError {
  override readonly code: string = 'ERR_NO_PROTOCOL';
  constructor(message = 'The factory returned no protocol (buildProtocol gave null)', options?: TorsionErrorOptions) {
    super(message, options);
  }
}
/** A connection attempt through an endpoint was cancelled. */
export class ConnectingCancelledError extends TorsionError {
  override readonly code: string = 'ERR_CONNECTING_CANCELLED';
  constructor(
    readonly address: unknown,
    options?: TorsionErrorOptions & { message?: string },
  ) {
    super(options?.message ?? `Connecting to ${String(address)} was cancelled`, options);
  }
}

// ---- Connection closed ------------------------------------------------------

/**
 * Base of every "the connection is gone" error, as Python's
 * `ConnectionError` is for asyncio and EasyNetwork users.
 */
export class ConnectionError extends TorsionError {
  override readonly code: string = 'ERR_CONNECTION';
  constructor(message = 'Connection error', options?: TorsionErrorOptions) {
    super(message, options);
  }
}
/** The client was closed by its owner and cannot be used any more. */
export class ClientClosedError extends ConnectionError {
  override readonly code: string = 'ERR_CLIENT_CLOSED';
  constructor(message = 'The client is closed', options?: TorsionErrorOptions) {
    super(message, options);
  }
}
/** The connection was closed, cleanly or not. */
export class ConnectionClosed extends ConnectionError {
  override readonly code: string = 'ERR_CONNECTION_CLOSED';
  constructor(message = 'Connection was closed', options?: TorsionErrorOptions) {
    super(message, options);
  }
}
/** The connection was closed cleanly. */
export class ConnectionDone extends ConnectionClosed {
  override readonly code: string = 'ERR_CONNECTION_DONE';
  constructor(message = 'Connection was closed cleanly', options?: TorsionErrorOptions) {
    super(message, options);
  }
}
/** The connection was lost in a non-clean fashion. */
export class ConnectionLost extends ConnectionClosed {
  override readonly code: string = 'ERR_CONNECTION_LOST';
  constructor(message = 'Connection to the other side was lost in a non-clean fashion', options?: TorsionErrorOptions) {
    super(message, options);
  }
}
/** The connection was aborted locally (abortConnection). */
export class ConnectionAborted extends ConnectionLost {
  override readonly code: string = 'ERR_CONNECTION_ABORTED';
  constructor(message = 'Connection was aborted locally using abortConnection()', options?: TorsionErrorOptions) {
    super(message, options);
  }
}

// ---- Processes -------------------------------------------------------------

/** A process ended with exit code 0. */
export class ProcessDone extends ConnectionDone {
  override readonly code: string = 'ERR_PROCESS_DONE';
  readonly exitCode = 0;
  readonly signal: string | null = null;
  constructor(message = 'A process has ended without apparent errors', options?: TorsionErrorOptions) {
    super(message, options);
  }
}
/** A process ended with a non-zero exit code or a signal. */
export class ProcessTerminated extends ConnectionLost {
  override readonly code: string = 'ERR_PROCESS_TERMINATED';
  /** The POSIX wait status, where known (`exitCode << 8`, or the signal number). */
  readonly status: number | null;
  constructor(
    readonly exitCode: number | null = null,
    readonly signal: string | null = null,
    options?: TorsionErrorOptions & { status?: number | null },
  ) {
    super(
      `A process has ended with a probable error condition: ${
        signal !== null ? `process ended by signal ${signal}` : `process ended with exit code ${exitCode}`
      }`,
      options,
    );
    this.status = options?.status ?? null;
  }
}
/** signalProcess() or a write on a process that has already exited. */
export class ProcessExitedAlready extends TorsionError {
  override readonly code: string = 'ERR_PROCESS_EXITED_ALREADY';
  constructor(message = 'The process has already exited', options?: TorsionErrorOptions) {
    super(message, options);
  }
}

// ---- Streams, packets, text ---------------------------------------------------

/** A read ended (EOF) before the expected number of bytes or the separator. */
export class IncompleteReadError extends TorsionError {
  override readonly code: string = 'ERR_INCOMPLETE_READ';
  constructor(
    /** What was read before the end. */
    readonly partial: Buffer,
    /** How many bytes were expected (null: a separator was). */
    readonly expected: number | null,
    options?: TorsionErrorOptions & { message?: string },
  ) {
    super(
      options?.message ??
        `${partial.length} bytes read on a total of ${expected === null ? 'undefined' : expected} expected bytes`,
      options,
    );
  }
}
/** A serializer could not turn bytes into a packet. */
export class DeserializeError extends TorsionError {
  override readonly code: string = 'ERR_DESERIALIZE';
  /** Serializer-specific detail. */
  readonly errorInfo: unknown;
  constructor(message = 'Could not deserialize the data', options?: TorsionErrorOptions & { errorInfo?: unknown }) {
    super(message, options);
    this.errorInfo = options?.errorInfo ?? null;
  }
}
/** An incremental (stream) serializer failed; `remainingData` is what follows the bad packet. */
export class IncrementalDeserializeError extends DeserializeError {
  override readonly code: string = 'ERR_INCREMENTAL_DESERIALIZE';
  constructor(
    message: string,
    /** The bytes after the bad packet, kept for the next one. */
    readonly remainingData: Buffer,
    options?: TorsionErrorOptions & { errorInfo?: unknown },
  ) {
    super(message, options);
  }
}
/** A separator was not found within the limit. */
export class LimitOverrunError extends IncrementalDeserializeError {
  override readonly code: string = 'ERR_LIMIT_OVERRUN';
  constructor(
    message: string,
    /** How many bytes may be consumed to get past the overrun. */
    readonly consumed: number,
    remainingData: Buffer = Buffer.alloc(0),
    options?: TorsionErrorOptions & { errorInfo?: unknown },
  ) {
    super(message, remainingData, options);
  }
}
/** A converter could not turn a decoded value into a packet. */
export class PacketConversionError extends TorsionError {
  override readonly code: string = 'ERR_PACKET_CONVERSION';
  /** Converter-specific detail. */
  readonly errorInfo: unknown;
  constructor(message = 'Could not convert the packet', options?: TorsionErrorOptions & { errorInfo?: unknown }) {
    super(message, options);
    this.errorInfo = options?.errorInfo ?? null;
  }
}
/** A packet protocol failed to parse what it received. */
export class BaseProtocolParseError extends TorsionError {
  override readonly code: string = 'ERR_PROTOCOL_PARSE';
  constructor(
    /** The serializer's or converter's error. */
    readonly error: DeserializeError | PacketConversionError,
    options?: TorsionErrorOptions & { message?: string },
  ) {
    super(options?.message ?? `Parse error: ${error.message}`, { cause: options?.cause ?? error });
  }
}
/** A stream packet protocol failed to parse; `remainingData` stays buffered. */
export class StreamProtocolParseError extends BaseProtocolParseError {
  override readonly code: string = 'ERR_STREAM_PROTOCOL_PARSE';
  constructor(
    /** The bytes after the bad packet. */
    readonly remainingData: Buffer,
    error: IncrementalDeserializeError | PacketConversionError,
    options?: TorsionErrorOptions & { message?: string },
  ) {
    super(error, options);
  }
}
/** A datagram packet protocol failed to parse a datagram from `senderAddress`. */
export class DatagramProtocolParseError extends BaseProtocolParseError {
  override readonly code: string = 'ERR_DATAGRAM_PROTOCOL_PARSE';
  constructor(
    error: DeserializeError | PacketConversionError,
    /** Who sent the datagram. */
    readonly senderAddress: unknown,
    options?: TorsionErrorOptions & { message?: string },
  ) {
    super(error, options);
  }
}
/** Bytes could not be decoded with `encoding` under the 'strict' policy. */
export class UnicodeDecodeError extends TorsionError {
  override readonly code: string = 'ERR_UNICODE_DECODE';
  constructor(
    readonly encoding: string,
    readonly data: Buffer,
    options?: TorsionErrorOptions & { message?: string },
  ) {
    super(options?.message ?? `'${encoding}' codec can't decode ${data.length} byte(s)`, options);
  }
}
/** Text could not be encoded with `encoding` under the 'strict' policy. */
export class UnicodeEncodeError extends TorsionError {
  override readonly code: string = 'ERR_UNICODE_ENCODE';
  constructor(
    readonly encoding: string,
    readonly text: string,
    options?: TorsionErrorOptions & { message?: string },
  ) {
    super(options?.message ?? `'${encoding}' codec can't encode ${JSON.stringify(text.slice(0, 40))}`, options);
  }
}

// ---- Datagrams, addresses ---------------------------------------------------

/** A datagram is larger than the transport can send (EMSGSIZE, or above `limit`). */
export class MessageLengthError extends TorsionError {
  override readonly code: string = 'ERR_MESSAGE_LENGTH';
  constructor(
    readonly size: number,
    readonly limit: number,
    options?: TorsionErrorOptions & { message?: string },
  ) {
    super(options?.message ?? `Datagram of ${size} bytes is larger than the limit of ${limit} bytes`, options);
  }
}
/** Joining (or leaving) a multicast group failed. */
export class MulticastJoinError extends TorsionError {
  override readonly code: string = 'ERR_MULTICAST_JOIN';
  /** The interface it was tried on ('' for the default). */
  readonly interface: string;
  constructor(
    readonly group: string,
    iface: string,
    options?: TorsionErrorOptions & { message?: string },
  ) {
    super(
      options?.message ??
        `Couldn't join multicast group ${group} on ${iface || 'the default interface'}: ${describeCause(options?.cause)}`,
      options,
    );
    this.interface = iface;
  }
}
/** An address that is not a literal IP address (or is of the wrong family) where one is required. */
export class InvalidAddressError extends TorsionError {
  override readonly code: string = 'ERR_INVALID_ADDRESS';
  constructor(
    readonly address: string,
    options?: TorsionErrorOptions & { message?: string },
  ) {
    super(options?.message ?? `${JSON.stringify(address)} is not a valid address here`, options);
  }
}
/** A UNIX socket path that does not exist, is not a socket, or cannot be used. */
export class BadFileError extends ConnectError {
  override readonly code: string = 'ERR_BAD_FILE';
  constructor(
    readonly address: string,
    options?: TorsionErrorOptions & { message?: string },
  ) {
    super(options?.message ?? `Bad file ${JSON.stringify(address)}: ${describeCause(options?.cause)}`, options);
  }
}

// ---- TLS ---------------------------------------------------------------------

/** Why a TLS connection failed. */
export type SSLErrorReason = 'handshake' | 'verify' | 'hostname' | 'timeout' | 'alpn' | 'shutdown';
/** A TLS handshake or shutdown failed. */
export class SSLError extends ConnectError {
  override readonly code: string = 'ERR_SSL';
  /** OpenSSL's verification code, e.g. `'CERT_HAS_EXPIRED'`, or null. */
  readonly verifyError: string | null;
  constructor(
    readonly reason: SSLErrorReason,
    options?: TorsionErrorOptions & { message?: string; verifyError?: string | null },
  ) {
    super(options?.message ?? `TLS ${reason} failed: ${describeCause(options?.cause)}`, options);
    this.verifyError = options?.verifyError ?? null;
  }
}
/** A certificate or key could not be loaded or does not match. */
export class CertificateError extends TorsionError {
  override readonly code: string = 'ERR_CERTIFICATE';
  constructor(message = 'Invalid certificate', options?: TorsionErrorOptions) {
    super(message, options);
  }
}

// ---- Features ----------------------------------------------------------------

/** A feature this Node or this machine cannot provide; `hint` says what to do. */
export class FeatureUnavailableError extends TorsionError {
  override readonly code: string = 'ERR_FEATURE_UNAVAILABLE';
  constructor(
    readonly feature: string,
    readonly hint: string,
    options?: TorsionErrorOptions & { message?: string },
  ) {
    super(options?.message ?? `${feature} is not available: ${hint}`, options);
  }
}
/** A feature of the native addon was used, but the addon did not load. */
export class NativeAddonUnavailableError extends FeatureUnavailableError {
  override readonly code: string = 'ERR_NATIVE_ADDON_UNAVAILABLE';
  constructor(
    feature: string,
    /** Why the addon did not load. */
    readonly reason: string,
    options?: TorsionErrorOptions & { hint?: string },
  ) {
    const hint =
      options?.hint ??
      'build it with `npm run build:native` (needs a C++ compiler, python3 and the Node headers); TORSION_NO_NATIVE=1 also disables it';
    super(feature, hint, {
      ...options,
      message: `${feature} needs torsion's native addon, which is unavailable (${reason}); ${hint}`,
    });
  }
}

// ---- Telnet ------------------------------------------------------------------

/** Base of the telnet errors. */
export class TelnetError extends TorsionError {
  override readonly code: string = 'ERR_TELNET';
  constructor(message = 'Telnet protocol error', options?: TorsionErrorOptions) {
    super(message, options);
  }
}
/** A telnet option negotiation failed. */
export class NegotiationError extends TelnetError {
  override readonly code: string = 'ERR_TELNET_NEGOTIATION';
  constructor(
    readonly option: number,
    options?: TorsionErrorOptions & { message?: string },
  ) {
    super(options?.message ?? `Telnet negotiation of option ${option} failed`, options);
  }
}
/** The peer refused the option. */
export class OptionRefused extends NegotiationError {
  override readonly code: string = 'ERR_TELNET_OPTION_REFUSED';
}
/** The option is already enabled. */
export class AlreadyEnabled extends NegotiationError {
  override readonly code: string = 'ERR_TELNET_ALREADY_ENABLED';
}
/** The option is already disabled. */
export class AlreadyDisabled extends NegotiationError {
  override readonly code: string = 'ERR_TELNET_ALREADY_DISABLED';
}
/** A negotiation of the option is already in progress. */
export class AlreadyNegotiating extends NegotiationError {
  override readonly code: string = 'ERR_TELNET_ALREADY_NEGOTIATING';
}

function describeCause(cause: unknown): string {
  if (cause instanceof Error) return cause.message;
  return cause === undefined ? 'unknown error' : String(cause);
}

/**
 * Map a Node system error raised while connecting to Twisted's class,
 * keeping the original as `cause`. `address` (host, port) is named in the
 * message of a refused connection.
 */
export function connectErrorFromErrno(err: unknown, address?: readonly [string, number] | null): ConnectError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const msg = err instanceof Error ? err.message : String(err);
  switch (code) {
    case 'ECONNREFUSED':
      if (address) {
        const host = address[0].includes(':') ? `[${address[0]}]` : address[0];
        return new ConnectionRefusedError(
          `Connection to ${host}:${address[1]} was refused by the other side; is the server listening?`,
          {
            cause: err,
          },
        );
      }
      return new ConnectionRefusedError(undefined, { cause: err });
    case 'ETIMEDOUT':
      return new TCPTimedOutError(`TCP connection timed out: ${msg}`, { cause: err });
    case 'ENETUNREACH':
    case 'EHOSTUNREACH':
      return new NoRouteError(`No route to host: ${msg}`, { cause: err });
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_FAIL':
    case 'EAI_NONAME':
      return new UnknownHostError(`Hostname could not be looked up: ${msg}`, { cause: err });
    case 'EADDRINUSE':
    case 'EADDRNOTAVAIL':
      return new ConnectBindError(`Couldn't bind: ${msg}`, { cause: err });
    default:
      return new ConnectError(`An error occurred while connecting: ${msg}`, { cause: err });
  }
}
