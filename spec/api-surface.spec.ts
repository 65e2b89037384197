/**
 * The public names API.md fixes, subpath by subpath: users and outside
 * acceptance tests import them, so a rename or a lost export fails here.
 */
import * as root from '../src/index';
import * as interfaces from '../src/interfaces';
import * as defer from '../src/defer';
import * as failure from '../src/defer/failure';
import * as errors from '../src/errors';
import * as protocol from '../src/protocol';
import * as address from '../src/address';
import * as tcp from '../src/tcp';
import * as task from '../src/task';
import * as endpoints from '../src/endpoints';
import * as basic from '../src/framing';
import * as testing from '../src/testing';
import * as logger from '../src/logger';
import * as portforward from '../src/protocols/portforward';
import * as wire from '../src/protocols/wire';
// tls family
import * as ssl from '../src/ssl';
import * as tlsProtocols from '../src/protocols/tls';

const RUNTIME: Array<[string, Record<string, unknown>, string[]]> = [
  ['torsion', root, ['reactor', 'Reactor', 'Deferred', 'Failure', 'succeed', 'fail', 'gatherResults', 'Protocol', 'Factory',
    'ClientFactory', 'ServerFactory', 'ReconnectingClientFactory', 'DatagramProtocol', 'ProcessProtocol', 'LoopingCall',
    'deferLater', 'react', 'LineReceiver', 'IPv4Address', 'IPv6Address', 'error']],
  ['torsion/defer', defer, ['Deferred', 'DeferredList', 'gatherResults', 'race', 'succeed', 'fail', 'maybeDeferred',
    'ensureDeferred', 'setDebugging', 'DeferredLock', 'DeferredSemaphore', 'DeferredQueue', 'CancelledError',
    'AlreadyCalledError', 'TimeoutError', 'FirstError', 'QueueOverflow', 'QueueUnderflow']],
  ['torsion/failure', failure, ['Failure']],
  ['torsion/error', errors, ['ConnectError', 'ConnectionRefusedError', 'DNSLookupError', 'TimeoutError', 'UserError',
    'NotConnectingError', 'NotListeningError', 'ConnectionDone', 'ConnectionLost', 'ConnectionAborted', 'CannotListenError',
    'ConnectBindError', 'ServiceNameUnknownError', 'NoProtocol', 'ConnectingCancelledError', 'ReactorNotRunning',
    'ReactorAlreadyRunning', 'ReactorNotRestartable', 'AlreadyCalled', 'AlreadyCancelled', 'ProcessDone', 'ProcessTerminated']],
  ['torsion/protocol', protocol, ['Protocol', 'BufferedProtocol', 'Factory', 'ClientFactory', 'ServerFactory',
    'ReconnectingClientFactory', 'DatagramProtocol', 'ProcessProtocol']],
  ['torsion/address', address, ['IPv4Address', 'IPv6Address', 'UNIXAddress']],
  ['torsion/tcp', tcp, ['BaseBaseClient', 'BaseClient', 'Client', 'Connector', 'Connection', 'Server', 'Port']],
  ['torsion/task', task, ['LoopingCall', 'deferLater', 'Clock', 'react', 'cooperate', 'coiterate']],
  ['torsion/endpoints', endpoints, ['TCP4ClientEndpoint', 'TCP6ClientEndpoint', 'HostnameEndpoint', 'TCP4ServerEndpoint',
    'clientFromString', 'serverFromString', 'connectProtocol']],
  ['torsion/protocols/basic', basic, ['LineReceiver', 'LineOnlyReceiver', 'Int8StringReceiver', 'Int16StringReceiver',
    'Int32StringReceiver', 'NetstringReceiver', 'StringTooLongError', 'NetstringParseError']],
  ['torsion/testing', testing, ['Clock', 'MemoryReactor', 'MemoryReactorClock', 'StringTransport',
    'StringTransportWithDisconnection', 'loopbackAsync']],
  ['torsion/logger', logger, ['Logger', 'globalLogPublisher']],
  ['torsion/protocols/portforward', portforward, ['Proxy', 'ProxyClient', 'ProxyClientFactory', 'ProxyServer', 'ProxyFactory']],
  ['torsion/protocols/wire', wire, ['Echo', 'Discard']],
  // tls family
  ['torsion/ssl', ssl, ['optionsForClientTLS', 'ClientTLSOptions', 'CertificateOptions', 'Certificate', 'PrivateCertificate',
    'KeyPair', 'platformTrust', 'trustRootFromCertificates', 'TLSVersion']],
  ['torsion/protocols/tls', tlsProtocols, ['TLSMemoryBIOFactory', 'TLSMemoryBIOProtocol']],
  ['torsion (tls)', root, ['optionsForClientTLS', 'CertificateOptions']],
  ['torsion/endpoints (tls)', endpoints, ['SSL4ClientEndpoint', 'SSL4ServerEndpoint', 'wrapClientTLS']],
];

describe('the public names of API.md', () => {
  it.each(RUNTIME)('%s exports every name API.md lists for it', (_subpath, mod, names) => {
    const missing = names.filter((n) => mod[n] === undefined);
    expect(missing).toEqual([]);
  });

  it('every error class is a real Error subclass with a name and a stable code, also under the root error namespace', () => {
    for (const name of RUNTIME[3][2]) {
      const Cls = (errors as Record<string, unknown>)[name] as new (...a: unknown[]) => Error & { code: string };
      const e = name === 'CannotListenError' ? new Cls('127.0.0.1', 80) : name === 'ConnectingCancelledError' ? new Cls('x') : new Cls();
      expect(e).toBeInstanceOf(Error);
      expect(e.name).toBe(name);
      expect(e.code).toMatch(/^ERR_[A-Z_]+$/);
      expect((root.error as Record<string, unknown>)[name]).toBe(Cls);
    }
  });

  it('the Clock of torsion/testing is the Clock of torsion/task', () => {
    expect(testing.Clock).toBe(task.Clock);
  });

  it('UNIX endpoints are not exported until UNIX sockets exist (no fakes)', () => {
    // API.md lists UNIXClientEndpoint/UNIXServerEndpoint; they arrive with IReactorUNIX.
    expect((endpoints as Record<string, unknown>).UNIXClientEndpoint).toBeUndefined();
    expect((endpoints as Record<string, unknown>).UNIXServerEndpoint).toBeUndefined();
  });

  it('torsion/interfaces holds types only (no runtime code)', () => {
    expect(Object.keys(interfaces)).toEqual([]);
  });
});
