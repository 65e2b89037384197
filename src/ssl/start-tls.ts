/**
 * `startTLS` on a live TCP connection (Twisted's `ITLSTransport`): the
 * connection keeps its identity; a {@link TLSMemoryBIOProtocol} becomes
 * the protocol the socket delivers to, and the user's protocol (whose
 * `transport` is still the connection) reads and writes plaintext through it.
 * @module
 */
import { RuntimeError } from '../errors';
import type { IAddress } from '../interfaces/address';
import type { IOpenSSLClientConnectionCreator, IOpenSSLServerConnectionCreator } from '../interfaces/tls';
import type { IProtocol } from '../interfaces/protocol';
import { type LowerTransport, TLSMemoryBIOFactory, TLSMemoryBIOProtocol } from '../protocols/tls';
import type { Connection } from '../tcp/connection';

const layers = new WeakMap<object, TLSMemoryBIOProtocol>();

/** The TLS layer startTLS put on `conn`, or null. @internal */
export function tlsLayerOf(conn: object): TLSMemoryBIOProtocol | null {
  return layers.get(conn) ?? null;
}

/**
 * Start TLS on `conn` (see ITLSTransport.startTLS); returns the TLS layer,
 * which the connection then delivers its bytes to.
 * @throws RuntimeError when TLS already started or the connection is closing/closed; TypeError for unusable options.
 * @internal
 */
export function startTLS(
  conn: Connection,
  proto: typeof Connection.prototype,
  contextFactory: IOpenSSLClientConnectionCreator | IOpenSSLServerConnectionCreator,
): TLSMemoryBIOProtocol {
  if (layers.has(conn)) throw new RuntimeError('startTLS() was already called on this connection');
  if (!conn.connected || conn.disconnecting) {
    throw new RuntimeError('startTLS() needs a live connection (it was lost, or loseConnection() was called)');
  }
  const user = conn.protocol as IProtocol;
  // connectTCP's transports carry their connector; accepted ones do not.
  const isClient = 'connector' in conn;
  const factory = new TLSMemoryBIOFactory(
    contextFactory,
    isClient,
    { doStart() {}, doStop() {}, buildProtocol: () => user },
    conn.reactor,
  );
  const layer = new TLSMemoryBIOProtocol(factory, user);
  const addr = (conn as { addr?: readonly [string, number] }).addr;
  const lower: LowerTransport & { addr?: readonly [string, number] } = {
    reactor: conn.reactor,
    addr,
    get disconnecting(): boolean {
      return conn.disconnecting;
    },
    write: (d) => proto.write.call(conn, d),
    writeSequence: (d) => proto.writeSequence.call(conn, d),
    loseConnection: () => proto.loseConnection.call(conn),
    loseWriteConnection: () => proto.loseWriteConnection.call(conn),
    abortConnection: () => proto.abortConnection.call(conn),
    getPeer: (): IAddress => conn.getPeer(),
    getHost: (): IAddress => conn.getHost(),
    pauseProducing: () => conn.pauseProducing(),
    resumeProducing: () => conn.resumeProducing(),
    registerProducer: (p, s) => conn.registerProducer(p, s),
    unregisterProducer: () => conn.unregisterProducer(),
    getWriteBufferSize: () => proto.getWriteBufferSize.call(conn),
    setWriteBufferLimits: (hi, lo) => conn.setWriteBufferLimits(hi, lo),
    setTcpNoDelay: (on) => conn.setTcpNoDelay(on),
    getTcpNoDelay: () => conn.getTcpNoDelay(),
    setTcpKeepAlive: (on) => conn.setTcpKeepAlive(on),
    getTcpKeepAlive: () => conn.getTcpKeepAlive(),
  };
  layers.set(conn, layer);
  // The connection's own write/close methods now go through TLS (an own
  // property on this one object; every other connection keeps the prototype's).
  const c = conn as unknown as Record<string, unknown>;
  c.write = (d: Buffer | Uint8Array) => layer.write(d);
  c.writeSequence = (d: ReadonlyArray<Buffer | Uint8Array>) => layer.writeSequence(d);
  c.loseConnection = () => layer.loseConnection();
  c.loseWriteConnection = () => layer.loseWriteConnection();
  c.abortConnection = () => layer.abortConnection();
  c.getWriteBufferSize = () => layer.getWriteBufferSize();
  layer._start(lower, conn, true);
  return layer;
}
