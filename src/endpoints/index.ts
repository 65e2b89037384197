/**
 * Endpoints: where to connect or listen, as objects (Twisted's
 * `twisted.internet.endpoints`). Client endpoints answer `connect(factory)`
 * with a Deferred of the connected protocol, server endpoints answer
 * `listen(factory)` with a Deferred of the listening port; description
 * strings (`tcp:example.com:80`) build them from configuration.
 *
 * UNIX sockets: `UNIXClientEndpoint`, `UNIXServerEndpoint`, the `unix:` prefix.
 * @module torsion/endpoints
 */
export {
  TCP4ClientEndpoint,
  TCP6ClientEndpoint,
  TCP4ServerEndpoint,
  TCP6ServerEndpoint,
  type TCPClientEndpointOptions,
  type TCP6ClientEndpointOptions,
  type TCPServerEndpointOptions,
} from './tcp';
export { UNIXClientEndpoint, UNIXServerEndpoint } from './unix'; // unix
export {
  HostnameEndpoint,
  DEFAULT_ATTEMPT_DELAY,
  type HostnameEndpointOptions,
  type IHostnameEndpointReactor,
} from './hostname';
export { interleaveAddresses } from './happy-eyeballs';
export { defaultResolver, type HostResolver, type ResolvedAddress, type AddressFamily } from './resolver';
export { clientFromString, serverFromString, CLIENT_ENDPOINT_TYPES, SERVER_ENDPOINT_TYPES } from './from-string';
export { parseDescription, quoteStringArgument, type ParsedDescription } from './parser';
export { connectProtocol } from './connect-protocol';
// processes family
export { ProcessEndpoint, StandardIOEndpoint, type ProcessEndpointOptions } from './process';
// tls family
export { SSL4ClientEndpoint, SSL4ServerEndpoint, wrapClientTLS } from './ssl';
export {
  EndpointParseError,
  ConnectAttemptsFailedError,
  type EndpointParseErrorKind,
  type ConnectAttemptFailure,
} from './errors';
export type { IStreamClientEndpoint, IStreamServerEndpoint } from '../interfaces/endpoints';
