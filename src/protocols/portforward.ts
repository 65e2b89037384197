/**
 * A TCP port forwarder: Twisted's `twisted.protocols.portforward`, with the
 * same classes and wiring. Each accepted connection opens one to
 * `factory.host:factory.port`; bytes flow both ways with flow control (each
 * transport is registered as the other's streaming producer), and when
 * either side closes, the other is closed once what it still has to send
 * is out.
 *
 * @example
 * ```ts
 * import { reactor } from 'torsion';
 * import { ProxyFactory } from 'torsion/protocols/portforward';
 *
 * // Forward 127.0.0.1:8080 to example.org:80.
 * reactor.listenTCP(8080, new ProxyFactory('example.org', 80), { interface: '127.0.0.1' });
 * ```
 * @module torsion/protocols/portforward
 */
import type { Failure } from '../defer/failure';
import type { IConnector } from '../interfaces/connector';
import type { IReactorTCP } from '../interfaces/tcp';
import { Logger } from '../logger';
import { Protocol } from '../protocol/protocol';
import { ClientFactory, Factory } from '../protocol/factory';
import { reactor as globalReactor } from '../reactor';
import { checkPort, checkString } from '../validate';

const log = new Logger('torsion.protocols.portforward');

/**
 * One side of a forwarded connection: what arrives is written to the peer's
 * transport; when this side is lost, the peer's transport is closed.
 */
export class Proxy extends Protocol {
  /** Log when the far side could not be reached. */
  noisy = true;
  /** The other side, once both exist. */
  peer: Proxy | null = null;

  /** Pair this side with `peer`. */
  setPeer(peer: Proxy | null): void {
    this.peer = peer;
  }

  /** Close the peer (after it has sent what it holds), or log that there was none. */
  override connectionLost(reason: Failure): void {
    const peer = this.peer;
    if (peer !== null) {
      this.peer = null;
      peer.transport?.loseConnection();
    } else if (this.noisy) {
      log.info(`Unable to connect to peer: ${reason.getErrorMessage()}`);
    }
  }

  /** Forward to the peer. */
  override dataReceived(data: Buffer): void {
    this.peer?.transport?.write(data);
  }
}

/** The outgoing side (towards the destination). */
export class ProxyClient extends Proxy {
  /** Wire both transports as each other's producer, then let the server side read. */
  override connectionMade(): void {
    const peer = this.peer as Proxy;
    const transport = this.transport!;
    const peerTransport = peer.transport!;
    peer.setPeer(this);
    // Flow control both ways: a side whose buffer fills pauses the other's reading.
    transport.registerProducer(peerTransport, true);
    peerTransport.registerProducer(transport, true);
    // Connected: the server side may read to its heart's content.
    peerTransport.resumeProducing();
  }
}

/** Builds the one {@link ProxyClient} of a {@link ProxyServer}. */
export class ProxyClientFactory extends ClientFactory<ProxyClient> {
  override protocol = ProxyClient;
  /** The accepted side this factory connects for. */
  server: ProxyServer | null = null;

  /** Set the accepted side. */
  setServer(server: ProxyServer): void {
    this.server = server;
  }

  /** Build the ProxyClient and pair it with the server side. */
  override buildProtocol(addr: Parameters<ClientFactory['buildProtocol']>[0]): ProxyClient | null {
    const p = super.buildProtocol(addr);
    if (p !== null) p.setPeer(this.server);
    return p;
  }

  /** The destination is unreachable: close the accepted connection. */
  override clientConnectionFailed(_connector: IConnector, _reason: Failure): void {
    this.server?.transport?.loseConnection();
  }
}

/** The accepted side: connects to the destination, reading nothing until it is reached. */
export class ProxyServer extends Proxy {
  /** The factory class of the outgoing side. */
  clientProtocolFactory: new () => ProxyClientFactory = ProxyClientFactory;
  /** The reactor to connect with (default: the global reactor). */
  reactor: IReactorTCP | null = null;
  /** Set by the ProxyFactory. */
  declare factory: ProxyFactory;

  /** Pause reading and connect to `factory.host:factory.port`. */
  override connectionMade(): void {
    // Don't read anything from the connecting client until there is
    // somewhere to send it.
    this.transport!.pauseProducing();
    const client = new this.clientProtocolFactory();
    client.setServer(this);
    const reactor = this.reactor ?? this.factory.reactor ?? globalReactor;
    reactor.connectTCP(this.factory.host, this.factory.port, client);
  }
}

/** Accepts connections and forwards each to `host:port`. */
export class ProxyFactory extends Factory<ProxyServer> {
  override protocol = ProxyServer;
  /** The destination host. */
  readonly host: string;
  /** The destination port. */
  readonly port: number;
  /** The reactor the outgoing connections use (default: the global reactor). */
  reactor: IReactorTCP | null;

  /**
   * @param host - the destination host name or address.
   * @param port - the destination port.
   * @param reactor - the reactor for the outgoing connections (default: the global one).
   * @throws TypeError / RangeError for a bad host or port.
   */
  constructor(host: string, port: number, reactor: IReactorTCP | null = null) {
    super();
    checkString('host', host);
    checkPort('port', port);
    this.host = host;
    this.port = port;
    this.reactor = reactor;
  }
}
