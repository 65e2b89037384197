/**
 * The bodies of `Reactor.connectSSL` / `listenSSL`: connectTCP/listenTCP
 * with every connection wrapped in a {@link TLSMemoryBIOProtocol}, on the
 * same Connector and Port lifecycles.
 * @module
 */
import type { ConnectTCPOptions, ListenTCPOptions } from '../interfaces/tcp';
import type { IClientFactory, IProtocolFactory } from '../interfaces/protocol';
import type { IOpenSSLClientConnectionCreator, IOpenSSLServerConnectionCreator } from '../interfaces/tls';
import { TLSMemoryBIOFactory } from '../protocols/tls';
import type { Connector } from '../tcp/connector';
import type { Port } from '../tcp/port';
import { connectTCP, listenTCP } from '../tcp/reactor-tcp';
import { type TCPReactor, checkHost, checkMethods } from '../tcp/types';
import { checkPort } from '../validate';
import { checkClientCreator, checkServerCreator } from './options';

const CLIENT_FACTORY_METHODS = [
  'doStart',
  'doStop',
  'buildProtocol',
  'startedConnecting',
  'clientConnectionFailed',
  'clientConnectionLost',
];

/**
 * Connect to `host:port` over TLS (Twisted's `connectSSL`).
 * @throws TypeError/RangeError for bad arguments, and TypeError for a CertificateOptions without `verify`.
 */
export function connectSSL(
  reactor: TCPReactor,
  host: string,
  port: number,
  factory: IClientFactory,
  contextFactory: IOpenSSLClientConnectionCreator,
  options?: ConnectTCPOptions,
): Connector {
  checkHost(host);
  checkPort('port', port);
  checkMethods('factory', factory, CLIENT_FACTORY_METHODS);
  checkClientCreator('contextFactory', contextFactory);
  return connectTCP(reactor, host, port, new TLSMemoryBIOFactory(contextFactory, true, factory), options);
}

/**
 * Listen on `port` with TLS on every accepted connection (Twisted's `listenSSL`); binds synchronously.
 * @throws TypeError for server options without a key or certificate; CannotListenError.
 */
export function listenSSL(
  reactor: TCPReactor,
  port: number,
  factory: IProtocolFactory,
  contextFactory: IOpenSSLServerConnectionCreator,
  options?: ListenTCPOptions,
): Port {
  checkPort('port', port);
  checkMethods('factory', factory, ['doStart', 'doStop', 'buildProtocol']);
  checkServerCreator('contextFactory', contextFactory);
  return listenTCP(reactor, port, new TLSMemoryBIOFactory(contextFactory, false, factory), options);
}
