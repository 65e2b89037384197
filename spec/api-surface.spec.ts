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
// raw-fd family
import * as fdesc from '../src/fdesc';
import * as unix from '../src/unix'; // unix
// processes family
import * as processSubpath from '../src/process';
import * as stdio from '../src/stdio';
// udp
import * as udp from '../src/udp';
// tls family
import * as ssl from '../src/ssl';
import * as tlsProtocols from '../src/protocols/tls';
// the neighbouring ecosystems' clients
import * as streams from '../src/streams';
import * as struct from '../src/struct';
import * as packets from '../src/packets';
import * as packetsSync from '../src/packets/sync';
import * as telnet from '../src/telnet';

const RUNTIME: Array<[string, Record<string, unknown>, string[]]> = [
  [
    'torsion',
    root,
    [
      'reactor',
      'Reactor',
      'Deferred',
      'Failure',
      'succeed',
      'fail',
      'gatherResults',
      'Protocol',
      'Factory',
      'ClientFactory',
      'ServerFactory',
      'ReconnectingClientFactory',
      'DatagramProtocol',
      'ProcessProtocol',
      'LoopingCall',
      'deferLater',
      'react',
      'LineReceiver',
      'IPv4Address',
      'IPv6Address',
      'error',
    ],
  ],
  [
    'torsion/defer',
    defer,
    [
      'Deferred',
      'DeferredList',
      'gatherResults',
      'race',
      'succeed',
      'fail',
      'maybeDeferred',
      'ensureDeferred',
      'setDebugging',
      'DeferredLock',
      'DeferredSemaphore',
      'DeferredQueue',
      'CancelledError',
      'AlreadyCalledError',
      'TimeoutError',
      'FirstError',
      'QueueOverflow',
      'QueueUnderflow',
    ],
  ],
  ['torsion/failure', failure, ['Failure']],
  [
    'torsion/error',
    errors,
    [
      'ConnectError',
      'ConnectionRefusedError',
      'DNSLookupError',
      'TimeoutError',
      'UserError',
      'NotConnectingError',
      'NotListeningError',
      'ConnectionDone',
      'ConnectionLost',
      'ConnectionAborted',
      'CannotListenError',
      'ConnectBindError',
      'ServiceNameUnknownError',
      'NoProtocol',
      'ConnectingCancelledError',
      'ReactorNotRunning',
      'ReactorAlreadyRunning',
      'ReactorNotRestartable',
      'AlreadyCalled',
      'AlreadyCancelled',
      'ProcessDone',
      'ProcessTerminated',
    ],
  ],
  [
    'torsion/protocol',
    protocol,
    [
      'Protocol',
      'BufferedProtocol',
      'Factory',
      'ClientFactory',
      'ServerFactory',
      'ReconnectingClientFactory',
      'DatagramProtocol',
      'ProcessProtocol',
    ],
  ],
  ['torsion/address', address, ['IPv4Address', 'IPv6Address', 'UNIXAddress']],
  ['torsion/tcp', tcp, ['BaseBaseClient', 'BaseClient', 'Client', 'Connector', 'Connection', 'Server', 'Port']],
  ['torsion/task', task, ['LoopingCall', 'deferLater', 'Clock', 'react', 'cooperate', 'coiterate']],
  [
    'torsion/endpoints',
    endpoints,
    [
      'TCP4ClientEndpoint',
      'TCP6ClientEndpoint',
      'HostnameEndpoint',
      'TCP4ServerEndpoint',
      'clientFromString',
      'serverFromString',
      'connectProtocol',
    ],
  ],
  [
    'torsion/protocols/basic',
    basic,
    [
      'LineReceiver',
      'LineOnlyReceiver',
      'Int8StringReceiver',
      'Int16StringReceiver',
      'Int32StringReceiver',
      'NetstringReceiver',
      'StringTooLongError',
      'NetstringParseError',
    ],
  ],
  [
    'torsion/testing',
    testing,
    ['Clock', 'MemoryReactor', 'MemoryReactorClock', 'StringTransport', 'StringTransportWithDisconnection', 'loopbackAsync'],
  ],
  ['torsion/logger', logger, ['Logger', 'globalLogPublisher']],
  ['torsion/protocols/portforward', portforward, ['Proxy', 'ProxyClient', 'ProxyClientFactory', 'ProxyServer', 'ProxyFactory']],
  ['torsion/protocols/wire', wire, ['Echo', 'Discard']],
  // raw-fd family
  ['torsion/fdesc', fdesc, ['setNonBlocking', 'setBlocking', 'readFromFD', 'writeToFD', 'nativeAddonStatus']],
  // unix
  [
    'torsion/unix',
    unix,
    [
      'Connector',
      'Client',
      'Server',
      'Port',
      'DatagramPort',
      'ConnectedDatagramPort',
      'connectUNIX',
      'listenUNIX',
      'FilesystemLock',
      'isLocked',
    ],
  ],
  // processes family
  ['torsion/process', processSubpath, ['Process', 'PTYProcess', 'spawnProcess', 'SubprocessProtocol', 'subprocessExec']],
  ['torsion/stdio', stdio, ['StandardIO']],
  ['torsion (processes)', root, ['SubprocessProtocol']],
  ['torsion/endpoints (processes)', endpoints, ['ProcessEndpoint', 'StandardIOEndpoint']],
  ['torsion/address (processes)', address, ['ProcessAddress']],
  ['torsion/testing (processes)', testing, ['FakeProcessTransport']],
  // udp
  ['torsion/udp', udp, ['Port', 'MulticastPort', 'listenUDP', 'listenMulticast']],
  ['torsion/testing (udp)', testing, ['FakeDatagramTransport']],
  // tls family
  [
    'torsion/ssl',
    ssl,
    [
      'optionsForClientTLS',
      'ClientTLSOptions',
      'CertificateOptions',
      'Certificate',
      'PrivateCertificate',
      'KeyPair',
      'platformTrust',
      'trustRootFromCertificates',
      'TLSVersion',
    ],
  ],
  ['torsion/protocols/tls', tlsProtocols, ['TLSMemoryBIOFactory', 'TLSMemoryBIOProtocol']],
  ['torsion (tls)', root, ['optionsForClientTLS', 'CertificateOptions']],
  ['torsion/endpoints (tls)', endpoints, ['SSL4ClientEndpoint', 'SSL4ServerEndpoint', 'wrapClientTLS']],
  // the neighbouring ecosystems' clients
  [
    'torsion/streams',
    streams,
    [
      'StreamReader',
      'StreamWriter',
      'StreamReaderProtocol',
      'StreamServer',
      'openConnection',
      'openUnixConnection',
      'startServer',
      'startUnixServer',
      'BaseClientOrServer',
      'Client',
      'OneClientServer',
      'OneClientReadLoopServer',
      'DEFAULT_ENCODING',
      'DEFAULT_TERMINATOR',
      'DEFAULT_MONITOR_CONNECTION_INTERVAL',
      'HEARTBEAT',
      'LOCALHOST_IPV4',
      'LOCALHOST_IPV6',
      'KEEPALIVE_TIME',
      'KEEPALIVE_INTERVAL',
      'KEEPALIVE_PROBES',
    ],
  ],
  ['torsion/struct', struct, ['defineStruct', 'structFormat']],
  [
    'torsion/packets',
    packets,
    [
      'AsyncTCPNetworkClient',
      'AsyncUDPNetworkClient',
      'StreamProtocol',
      'BufferedStreamProtocol',
      'DatagramProtocol',
      'StringLineSerializer',
      'JSONSerializer',
      'LengthPrefixedSerializer',
      'StructSerializer',
      'AutoSeparatedPacketSerializer',
      'FixedSizePacketSerializer',
      'Base64EncoderSerializer',
      'ZlibCompressorSerializer',
      'DeserializeError',
      'IncrementalDeserializeError',
      'LimitOverrunError',
      'PacketConversionError',
      'StreamProtocolParseError',
      'DatagramProtocolParseError',
      'ClientClosedError',
    ],
  ],
  ['torsion/packets/sync', packetsSync, ['TCPNetworkClient', 'UDPNetworkClient']],
  [
    'torsion/telnet',
    telnet,
    [
      'Telnet',
      'TelnetTransport',
      'TelnetProtocol',
      'BaseClient',
      'TelnetClient',
      'BaseServer',
      'TelnetServer',
      'TelnetReader',
      'TelnetReaderUnicode',
      'TelnetWriter',
      'TelnetWriterUnicode',
      'openTelnetConnection',
      'createTelnetServer',
      'IAC',
      'WILL',
      'WONT',
      'DO',
      'DONT',
      'SB',
      'SE',
      'BINARY',
      'ECHO',
      'SGA',
      'TTYPE',
      'NAWS',
      'NEW_ENVIRON',
      'CHARSET',
      'EOR',
      'CMD_EOR',
      'nameCommand',
      'nameCommands',
      'TelnetError',
      'NegotiationError',
      'OptionRefused',
      'AlreadyEnabled',
      'AlreadyDisabled',
      'AlreadyNegotiating',
    ],
  ],
];

describe('the public names of API.md', () => {
  it('the root torsion re-exports none of the peer names that clash (decision 1)', () => {
    expect((root as Record<string, unknown>).StreamReader).toBeUndefined();
    expect(root.DatagramProtocol).not.toBe(packets.DatagramProtocol);
    expect((root as Record<string, unknown>).TelnetClient).toBeUndefined();
  });

  it.each(RUNTIME)('%s exports every name API.md lists for it', (_subpath, mod, names) => {
    const missing = names.filter((n) => mod[n] === undefined);
    expect(missing).toEqual([]);
  });

  it('every error class is a real Error subclass with a name and a stable code, also under the root error namespace', () => {
    for (const name of RUNTIME[3][2]) {
      const Cls = (errors as Record<string, unknown>)[name] as new (...a: unknown[]) => Error & { code: string };
      const e =
        name === 'CannotListenError' ? new Cls('127.0.0.1', 80) : name === 'ConnectingCancelledError' ? new Cls('x') : new Cls();
      expect(e).toBeInstanceOf(Error);
      expect(e.name).toBe(name);
      expect(e.code).toMatch(/^ERR_[A-Z_]+$/);
      expect((root.error as Record<string, unknown>)[name]).toBe(Cls);
    }
  });

  it('the Clock of torsion/testing is the Clock of torsion/task', () => {
    expect(testing.Clock).toBe(task.Clock);
  });

  it('torsion/endpoints exports the UNIX endpoints, now that UNIX sockets exist (unix)', () => {
    expect(typeof (endpoints as Record<string, unknown>).UNIXClientEndpoint).toBe('function');
    expect(typeof (endpoints as Record<string, unknown>).UNIXServerEndpoint).toBe('function');
  });

  it('torsion/interfaces holds types only (no runtime code)', () => {
    expect(Object.keys(interfaces)).toEqual([]);
  });
});
