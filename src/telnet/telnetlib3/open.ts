/**
 * openTelnetConnection / createTelnetServer: telnetlib3's `open_connection`
 * and `create_server` on torsion's endpoints and listenTCP.
 * @module
 */
import { Failure } from '../../defer/failure';
import { ConnectAttemptsFailedError } from '../../endpoints/errors';
import { HostnameEndpoint } from '../../endpoints/hostname';
import { wrapClientTLS } from '../../endpoints/ssl';
import type { IListeningPort } from '../../interfaces/connector';
import type { IReactor } from '../../interfaces/index';
import type { IOpenSSLClientConnectionCreator, IOpenSSLServerConnectionCreator } from '../../interfaces/tls';
import type { IProtocol } from '../../interfaces/protocol';
import type { IAddress } from '../../interfaces/address';
import { Factory } from '../../protocol/factory';
import { optionsForClientTLS } from '../../ssl/options';
import { getGlobalReactor } from '../../task/default-reactor';
import { ArgTypeError, checkPort, checkString } from '../../validate';
import type { BaseClient } from './client-base';
import { TelnetClient, type TelnetClientOptions } from './client';
import type { TelnetReader } from './reader';
import type { TelnetReaderUnicode } from './reader-unicode';
import type { BaseServer } from './server-base';
import { TelnetServer, type TelnetServerOptions } from './server';
import type { TelnetWriter, TelnetWriterUnicode } from './writer';

/** Options of {@link openTelnetConnection}. */
export interface OpenTelnetConnectionOptions extends TelnetClientOptions {
  /** Builds the client protocol. Default: `new TelnetClient(opts)`. */
  clientFactory?: (opts: TelnetClientOptions) => BaseClient;
  /** Default the global reactor. */
  reactor?: IReactor;
  /** Seconds the TCP (and TLS) connect may take; null (default): no limit. */
  connectTimeout?: number | null;
  /** TLS: true = `optionsForClientTLS(serverHostname ?? host)`, or the connection creator. */
  ssl?: boolean | IOpenSSLClientConnectionCreator | null;
  /** The name TLS verifies (default `host`). */
  serverHostname?: string | null;
  /** `[host, port]` to bind before connecting. */
  localAddress?: readonly [string, number] | null;
}

class OneClientFactory extends Factory {
  constructor(private readonly proto: IProtocol) {
    super();
  }
  override buildProtocol(_addr: IAddress): IProtocol {
    return this.proto;
  }
}

/**
 * Connect to a telnet server and resolve with `[reader, writer]` once
 * negotiation settled (`waiterConnected`). Defaults as telnetlib3's
 * `open_connection`: `connectMaxwait` 3.0, `encodingErrors` `'replace'`.
 * The reactor must run (use `react()`).
 * @throws TypeError/RangeError for bad arguments; rejects with the connect
 *   errors (ConnectionRefusedError, TimeoutError, DNSLookupError, SSLError).
 * @example
 * const [reader, writer] = await openTelnetConnection('127.0.0.1', port, { connectMinwait: 0 });
 * writer.write('hello\r\n');
 * console.log(await reader.readline());
 */
export function openTelnetConnection(
  host: string,
  port?: number,
  opts?: OpenTelnetConnectionOptions & { encoding?: string },
): Promise<[TelnetReaderUnicode, TelnetWriterUnicode]>;
export function openTelnetConnection(
  host: string,
  port: number,
  opts: OpenTelnetConnectionOptions & { encoding: false },
): Promise<[TelnetReader, TelnetWriter]>;
export async function openTelnetConnection(
  host: string,
  port = 23,
  opts: OpenTelnetConnectionOptions = {},
): Promise<[TelnetReader | TelnetReaderUnicode, TelnetWriter | TelnetWriterUnicode]> {
  checkString('host', host);
  checkPort('port', port);
  if (typeof opts !== 'object' || opts === null) throw new ArgTypeError('opts must be an object');
  const reactor = opts.reactor ?? (getGlobalReactor() as unknown as IReactor);
  const { clientFactory, connectTimeout, ssl, serverHostname, localAddress, ...rest } = opts;
  const clientOpts: TelnetClientOptions = {
    connectMaxwait: 3.0,
    encodingErrors: 'replace',
    ...rest,
    reactor,
  };
  if (clientFactory !== undefined && typeof clientFactory !== 'function')
    throw new ArgTypeError('clientFactory must be a function');
  const client = clientFactory !== undefined ? clientFactory(clientOpts) : new TelnetClient(clientOpts);
  let endpoint = new HostnameEndpoint(reactor as never, host, port, {
    timeout: connectTimeout ?? null,
    bindAddress: localAddress ? [localAddress[0], localAddress[1]] : null,
  });
  if (ssl) {
    const creator = ssl === true ? optionsForClientTLS(serverHostname ?? host) : ssl;
    endpoint = wrapClientTLS(creator, endpoint) as never;
  }
  try {
    await endpoint.connect(new OneClientFactory(client)).asPromise();
  } catch (err) {
    if (err instanceof ConnectAttemptsFailedError && err.attempts.length === 1) {
      const only = err.attempts[0]!.failure;
      throw only instanceof Failure ? only.value : only;
    }
    throw err;
  }
  await client.waiterConnected;
  return [client.reader!, client.writer!];
}

/** Options of {@link createTelnetServer}. */
export interface CreateTelnetServerOptions extends TelnetServerOptions {
  /** Interface to listen on; `''` all IPv4 interfaces. Default `''`. */
  host?: string;
  /** Port; 0 picks one. Default 23. */
  port?: number;
  /** Builds each connection's protocol. Default `new TelnetServer(opts)`. */
  protocolFactory?: (opts: TelnetServerOptions) => BaseServer;
  /** Default the global reactor. */
  reactor?: IReactor;
  /** TLS on every connection. */
  ssl?: IOpenSSLServerConnectionCreator | null;
  /** Listen backlog. */
  backlog?: number;
}

/**
 * Listen for telnet clients; each connection gets `protocolFactory(opts)`
 * (default {@link TelnetServer}), whose `shell(reader, writer)` runs once
 * negotiation settled. Resolves with the listening port.
 * @throws TypeError/RangeError for bad arguments; rejects with CannotListenError.
 * @example
 * const port = await createTelnetServer({ host: '127.0.0.1', port: 0, shell: async (reader, writer) => {
 *   writer.write('hello\r\n');
 *   writer.close();
 * } });
 */
export async function createTelnetServer(opts: CreateTelnetServerOptions = {}): Promise<IListeningPort> {
  if (typeof opts !== 'object' || opts === null) throw new ArgTypeError('opts must be an object');
  const { host = '', port = 23, protocolFactory, reactor: r, ssl, backlog, ...serverOpts } = opts;
  checkString('host', host);
  checkPort('port', port);
  if (protocolFactory !== undefined && typeof protocolFactory !== 'function')
    throw new ArgTypeError('protocolFactory must be a function');
  const reactor = r ?? (getGlobalReactor() as unknown as IReactor);
  const perConnection: TelnetServerOptions = { ...serverOpts, reactor };
  // Validate the options once, at listen time, rather than at each connection.
  void new TelnetServer(perConnection);
  const factory = new (class extends Factory {
    override buildProtocol(_addr: IAddress): IProtocol {
      return protocolFactory !== undefined ? protocolFactory(perConnection) : new TelnetServer(perConnection);
    }
  })();
  const listenOpts = { interface: host, ...(backlog !== undefined ? { backlog } : {}) };
  if (ssl) return reactor.listenSSL(port, factory, ssl, listenOpts);
  return reactor.listenTCP(port, factory, listenOpts);
}
