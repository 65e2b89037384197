/**
 * The bodies of `Reactor.connectUNIX` / `listenUNIX` (and the datagram
 * calls, which need the native addon): argument checks, then a Connector
 * or Port. Any reactor providing {@link TCPReactor} can use them.
 * @module
 */
import type { ConnectUNIXOptions, ListenUNIXOptions } from '../interfaces/unix';
import type { IClientFactory, IProtocolFactory } from '../interfaces/protocol';
import { type TCPReactor, checkConnectTimeout, checkMethods } from '../tcp/types';
import { checkBacklog, checkBoolean, checkMode, checkOptions, checkUNIXAddress } from './checks';
import { Connector } from './connector';
import { Port } from './port';

const CLIENT_FACTORY_METHODS = [
  'doStart',
  'doStop',
  'buildProtocol',
  'startedConnecting',
  'clientConnectionFailed',
  'clientConnectionLost',
] as const;
const FACTORY_METHODS = ['doStart', 'doStop', 'buildProtocol'] as const;

/**
 * Connect to the UNIX socket `address` (Twisted's `connectUNIX`): validates
 * every argument, then creates a {@link Connector} and calls its connect()
 * (`factory.doStart()`, `factory.startedConnecting(connector)`,
 * synchronously). The attempt starts on the next reactor pass; a missing
 * socket file fails it with ConnectError, a socket nobody listens on with
 * ConnectionRefusedError, `checkPID` without a live lock holder with
 * BadFileError.
 * @throws TypeError/RangeError for a bad address (RangeError for a path
 * over 107 bytes), factory or option; NativeAddonUnavailableError for an
 * abstract name.
 */
export function connectUNIX(
  reactor: TCPReactor,
  address: string,
  factory: IClientFactory,
  options?: ConnectUNIXOptions,
): Connector {
  const tooLong = checkUNIXAddress('address', address);
  if (tooLong !== null) throw tooLong;
  checkMethods('factory', factory, CLIENT_FACTORY_METHODS);
  const opts = checkOptions(options);
  const timeout = checkConnectTimeout(opts.timeout);
  const checkPID = checkBoolean('checkPID', opts.checkPID, false);
  const connector = new Connector(address, factory, timeout, reactor, checkPID);
  connector.connect();
  return connector;
}

/**
 * Listen on the UNIX socket `address` (Twisted's `listenUNIX`): validates,
 * binds synchronously, chmods the file to `mode`, listens; the factory's
 * doStart runs once listening.
 * @throws TypeError/RangeError for a bad factory or option, or an address
 * that is not a non-empty string; CannotListenError when it cannot listen
 * (a path over 107 bytes, with the RangeError as `cause`; a missing
 * directory; an existing file; a lock held by a live process).
 */
export function listenUNIX(reactor: TCPReactor, address: string, factory: IProtocolFactory, options?: ListenUNIXOptions): Port {
  // (An over-long path is the port's CannotListenError, as the contract says.)
  checkUNIXAddress('address', address);
  checkMethods('factory', factory, FACTORY_METHODS);
  const opts = checkOptions(options);
  const backlog = checkBacklog(opts.backlog);
  const mode = checkMode(opts.mode);
  const wantPID = checkBoolean('wantPID', opts.wantPID, false);
  const port = new Port(address, factory, backlog, mode, wantPID, reactor);
  port.startListening();
  return port;
}
