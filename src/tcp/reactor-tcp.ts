/**
 * The bodies of `Reactor.connectTCP` / `listenTCP`: argument checks, then
 * a Connector or Port. Any reactor providing {@link TCPReactor} can use them.
 * @module
 */
import type { ConnectTCPOptions, ListenTCPOptions } from '../interfaces/tcp';
import type { IClientFactory, IProtocolFactory } from '../interfaces/protocol';
import { checkPort, describe, ArgTypeError } from '../validate';
import { Connector } from './connector';
import { Port } from './port';
import { type TCPReactor, checkBindAddress, checkConnectTimeout, checkHost, checkListenOptions, checkMethods } from './types';

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
 * Connect to `host:port` (Twisted's `connectTCP`): validates every
 * argument, then creates a {@link Connector} and calls its connect(), which
 * runs `factory.doStart()` and `factory.startedConnecting(connector)`
 * synchronously. The attempt itself starts on the next reactor pass.
 * @throws TypeError/RangeError for a bad host, port, factory or option.
 */
export function connectTCP(
  reactor: TCPReactor,
  host: string,
  port: number,
  factory: IClientFactory,
  options: ConnectTCPOptions = {},
): Connector {
  checkHost(host);
  checkPort('port', port);
  checkMethods('factory', factory, CLIENT_FACTORY_METHODS);
  if (options === null || typeof options !== 'object')
    throw new ArgTypeError(`options must be an object, got ${describe(options)}`);
  const timeout = checkConnectTimeout(options.timeout);
  const bindAddress = checkBindAddress(options.bindAddress);
  const connector = new Connector(host, port, factory, timeout, bindAddress, reactor);
  connector.connect();
  return connector;
}

/**
 * Listen on `port` (Twisted's `listenTCP`): validates, binds synchronously
 * and starts accepting; `factory.doStart()` runs once listening.
 * @throws TypeError/RangeError for bad arguments; CannotListenError when
 * the address cannot be bound.
 */
export function listenTCP(reactor: TCPReactor, port: number, factory: IProtocolFactory, options: ListenTCPOptions = {}): Port {
  checkPort('port', port);
  checkMethods('factory', factory, FACTORY_METHODS);
  if (options === null || typeof options !== 'object')
    throw new ArgTypeError(`options must be an object, got ${describe(options)}`);
  const [backlog, iface] = checkListenOptions(options.backlog, options.interface);
  const p = new Port(port, factory, backlog, iface, reactor);
  p.startListening();
  return p;
}
