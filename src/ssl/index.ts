/**
 * TLS options and certificates (Twisted's `twisted.internet.ssl`):
 * {@link optionsForClientTLS} for clients (always verifying the chain and
 * the host name), {@link CertificateOptions} for servers, certificates,
 * keys and trust roots.
 *
 * @example
 * ```ts
 * import { reactor, ClientFactory } from 'torsion';
 * import { optionsForClientTLS, CertificateOptions, PrivateCertificate } from 'torsion/ssl';
 *
 * reactor.connectSSL('example.com', 443, new ClientFactory(), optionsForClientTLS('example.com'));
 * const server = PrivateCertificate.loadPEM(pemWithKeyAndCert);
 * reactor.listenSSL(8443, myFactory, server.options());
 * ```
 * @module torsion/ssl
 */
export { TLSVersion } from './version';
export { Certificate, KeyPair, PrivateCertificate } from './certificate';
export type { DistinguishedName, PEM } from './certificate';
export { platformTrust, trustRootFromCertificates } from './trust';
export { ClientTLSOptions, CertificateOptions, optionsForClientTLS } from './options';
export type { ClientTLSOptionsInit, CertificateOptionsInit } from './options';
