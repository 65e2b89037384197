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
    super(
      options?.message ?? `Couldn't listen on ${iface || 'any'}:${port}: ${describeCause(options?.cause)}`,
      options,
    );
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

/** The connection was closed, cleanly or not. */
export class ConnectionClosed extends TorsionError {
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
  constructor(
    readonly exitCode: number | null = null,
    readonly signal: string | null = null,
    options?: TorsionErrorOptions,
  ) {
    super(
      `A process has ended with a probable error condition: ${
        signal !== null ? `process ended by signal ${signal}` : `process ended with exit code ${exitCode}`
      }`,
      options,
    );
  }
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
        return new ConnectionRefusedError(`Connection to ${host}:${address[1]} was refused by the other side; is the server listening?`, {
          cause: err,
        });
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

