/**
 * The TLS contracts (Twisted's `IOpenSSLClientConnectionCreator`,
 * `ISSLTransport`, `IReactorSSL` ...). Types only; `torsion/ssl` and
 * `torsion/protocols/tls` implement them.
 * @module
 */
import type { ConnectionOptions, SecureContext, TlsOptions } from 'node:tls';
import type { Certificate } from '../ssl/certificate';
import type { TLSVersion } from '../ssl/version';
import type { IConnector, IListeningPort } from './connector';
import type { IClientFactory, IProtocolFactory } from './protocol';
import type { ConnectTCPOptions, ListenTCPOptions } from './tcp';
import type { ITCPTransport, ITransport } from './transport';

/** Where the CA certificates that verify a peer come from. */
export interface IOpenSSLTrustRoot {
  /** The CA certificates as PEM strings, or null for the platform store (Node's bundled roots plus `NODE_EXTRA_CA_CERTS`). */
  caCertificates(): string[] | null;
}

/** Makes the client side of a TLS connection (Twisted's creator interface). */
export interface IOpenSSLClientConnectionCreator {
  /** Seconds the handshake may take from the moment TLS starts, or null for no limit. */
  readonly handshakeTimeout: number | null;
  /**
   * The `node:tls` connect options for one connection over `transport`.
   * @throws TypeError when the options cannot make a client (a `CertificateOptions` without `verify`).
   */
  clientConnectionForTLS(transport: ITransport): ConnectionOptions;
}

/** Makes the server side of a TLS connection. */
export interface IOpenSSLServerConnectionCreator {
  /** Seconds the handshake may take from the moment TLS starts, or null for no limit. */
  readonly handshakeTimeout: number | null;
  /**
   * The `node:tls` server options for one connection accepted on `transport`.
   * @throws TypeError when the options cannot make a server (no key or certificate).
   */
  serverConnectionForTLS(transport: ITransport): TlsOptions;
}

/** Something that hands out one `node:tls` secure context. */
export interface IOpenSSLContextFactory {
  /** The secure context (made once, then shared by every connection). */
  getContext(): SecureContext;
}

/** A factory that names the ALPN protocols its protocols speak (server side). */
export interface IProtocolNegotiationFactory extends IProtocolFactory {
  /** ALPN protocol names, in preference order. */
  acceptableProtocols(): string[];
}

/** The optional protocol hook run once the TLS handshake has completed. */
export interface IHandshakeListener {
  /** The handshake finished: the peer certificate, cipher and ALPN protocol are known now. */
  handshakeCompleted(): void;
}

/** A TCP transport that can switch to TLS in place. */
export interface ITLSTransport extends ITCPTransport {
  /** True once startTLS() ran. */
  readonly TLS: boolean;
  /**
   * Start TLS on this live connection: bytes written before leave in
   * plaintext, then the handshake starts (as the client for a connectTCP
   * connection, as the server for an accepted one). The protocol and
   * transport objects keep their identity.
   * @throws RuntimeError when called twice or after loseConnection().
   * @throws TypeError for options that cannot make this side.
   */
  startTLS(contextFactory: IOpenSSLClientConnectionCreator | IOpenSSLServerConnectionCreator): void;
}

/** A transport over TLS: what the handshake established. */
export interface ISSLTransport extends ITCPTransport {
  /** The peer's certificate as seen at the handshake, or null (before it, or when the peer sent none). */
  getPeerCertificate(): Certificate | null;
  /** This side's certificate, or null. */
  getHostCertificate(): Certificate | null;
  /** The negotiated cipher, or null before the handshake. */
  getCipher(): { name: string; standardName: string; version: string } | null;
  /** The negotiated protocol version, or null before the handshake. */
  getProtocolVersion(): TLSVersion | null;
}

/** A TLS transport that negotiated an application protocol (ALPN). */
export interface INegotiated extends ISSLTransport {
  /** The ALPN protocol both sides agreed on, or null (none, or before the handshake). */
  readonly negotiatedProtocol: string | null;
}

/** TLS over TCP (Twisted's `IReactorSSL`). */
export interface IReactorSSL {
  /**
   * connectTCP plus TLS on the same Connector lifecycle; `opts.timeout`
   * covers the TCP connect only (the handshake has its own timeout).
   * @throws TypeError/RangeError for bad arguments (a `CertificateOptions` without `verify`).
   */
  connectSSL(
    host: string,
    port: number,
    factory: IClientFactory,
    contextFactory: IOpenSSLClientConnectionCreator,
    opts?: ConnectTCPOptions,
  ): IConnector;
  /**
   * listenTCP plus TLS on every accepted connection; binds synchronously.
   * @throws TypeError for server options without a key or certificate; CannotListenError.
   */
  listenSSL(
    port: number,
    factory: IProtocolFactory,
    contextFactory: IOpenSSLServerConnectionCreator,
    opts?: ListenTCPOptions,
  ): IListeningPort;
}
