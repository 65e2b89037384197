import { EndpointParseError } from '../../src/endpoints/errors';
import { clientFromString, serverFromString } from '../../src/endpoints/from-string';
import { quoteStringArgument } from '../../src/endpoints/parser';
import { TCP4ClientEndpoint, TCP4ServerEndpoint, TCP6ClientEndpoint, TCP6ServerEndpoint } from '../../src/endpoints/tcp';
import type { IReactorTCP } from '../../src/interfaces/tcp';
import { MemoryReactor } from '../../src/testing/memory-reactor';
import { RecordingFactory, successResultOf } from './helpers';

// Building an endpoint does not touch the reactor, as in Twisted's tests.
const reactor = {} as IReactorTCP;

function refused(f: () => unknown): EndpointParseError {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(EndpointParseError);
    return err as EndpointParseError;
  }
  throw new Error('expected an EndpointParseError');
}

describe('clientFromString', () => {
  it('builds a TCP4ClientEndpoint from keyword fields', () => {
    const client = clientFromString(reactor, 'tcp:host=example.com:port=1234:timeout=7:bindAddress=10.0.0.2');
    expect(client).toBeInstanceOf(TCP4ClientEndpoint);
    expect(client).toMatchObject({ reactor, host: 'example.com', port: 1234, timeout: 7, bindAddress: ['10.0.0.2', 0] });
  });

  it('takes host and port positionally', () => {
    const client = clientFromString(reactor, 'tcp:example.com:1234:timeout=7:bindAddress=10.0.0.2');
    expect(client).toMatchObject({ host: 'example.com', port: 1234, timeout: 7, bindAddress: ['10.0.0.2', 0] });
  });

  it('takes the host positionally and the port as a keyword', () => {
    expect(clientFromString(reactor, 'tcp:example.com:port=1234')).toMatchObject({ host: 'example.com', port: 1234 });
  });

  it('takes the port positionally when the host is a keyword', () => {
    expect(clientFromString(reactor, 'tcp:host=example.com:1234')).toMatchObject({ host: 'example.com', port: 1234 });
  });

  it('uses the defaults for a missing timeout and bindAddress', () => {
    expect(clientFromString(reactor, 'tcp:host=example.com:port=1234')).toMatchObject({ timeout: 30, bindAddress: null });
  });

  it('reads the prefix case-insensitively', () => {
    expect(clientFromString(reactor, 'TCP:example.com:80')).toBeInstanceOf(TCP4ClientEndpoint);
    expect(clientFromString(reactor, 'Tcp6:\\:\\:1:80')).toBeInstanceOf(TCP6ClientEndpoint);
  });

  it('builds a TCP6ClientEndpoint for tcp6:, with an escaped IPv6 host', () => {
    const client = clientFromString(reactor, 'tcp6:\\:\\:1:8080:timeout=2');
    expect(client).toBeInstanceOf(TCP6ClientEndpoint);
    expect(client).toMatchObject({ host: '::1', port: 8080, timeout: 2 });
  });

  it('accepts a fractional timeout in seconds', () => {
    expect(clientFromString(reactor, 'tcp:h:1:timeout=2.5')).toMatchObject({ timeout: 2.5 });
  });

  it('accepts an interpolated host quoted with quoteStringArgument', () => {
    expect(clientFromString(reactor, `tcp6:${quoteStringArgument('fe80::1')}:80`)).toMatchObject({ host: 'fe80::1' });
  });

  it('builds an endpoint that connects through the given reactor', () => {
    const memory = new MemoryReactor();
    clientFromString(memory, 'tcp:127.0.0.1:9:timeout=3').connect(new RecordingFactory());
    expect(memory.tcpClients[0]).toMatchObject({ host: '127.0.0.1', port: 9, timeout: 3, bindAddress: null });
  });

  it.each([
    [
      'an unknown type',
      'ftl:andromeda/carcosa/hali/2387',
      'ERR_ENDPOINT_UNKNOWN_TYPE',
      /Unknown endpoint type: 'ftl'.*'tcp:', 'tcp6:'/,
    ],
    ['an empty description', '', 'ERR_ENDPOINT_UNKNOWN_TYPE', /Unknown endpoint type/],
    ['a missing port', 'tcp:example.com', 'ERR_ENDPOINT_MISSING_FIELD', /'port' is missing/],
    ['a missing host', 'tcp:port=80', 'ERR_ENDPOINT_MISSING_FIELD', /'host' is missing/],
    ['an empty host', 'tcp::80', 'ERR_ENDPOINT_BAD_VALUE', /host is empty/],
    ['a port with letters', 'tcp:example.com:80x', 'ERR_ENDPOINT_BAD_VALUE', /'port' must be an integer in 0-65535, got "80x"/],
    ['a port out of range', 'tcp:example.com:65536', 'ERR_ENDPOINT_BAD_VALUE', /'port'/],
    ['a negative port', 'tcp:example.com:-1', 'ERR_ENDPOINT_BAD_VALUE', /'port'/],
    ['a port with spaces', 'tcp:example.com: 80', 'ERR_ENDPOINT_BAD_VALUE', /'port'/],
    ['a timeout that is not a number', 'tcp:example.com:80:timeout=soon', 'ERR_ENDPOINT_BAD_VALUE', /'timeout'/],
    ['a negative timeout', 'tcp:example.com:80:timeout=-1', 'ERR_ENDPOINT_BAD_VALUE', /'timeout'/],
    [
      'an unknown field',
      'tcp:example.com:80:colour=blue',
      'ERR_ENDPOINT_UNKNOWN_FIELD',
      /Unknown field 'colour'; accepted fields: host, port, timeout, bindAddress/,
    ],
    [
      'a field in the wrong case',
      'tcp:example.com:80:bindaddress=1.2.3.4',
      'ERR_ENDPOINT_UNKNOWN_FIELD',
      /did you mean 'bindAddress'/,
    ],
    ['too many positional fields', 'tcp:example.com:80:90', 'ERR_ENDPOINT_TOO_MANY_FIELDS', /positional/],
    ['a host given twice', 'tcp:a.example:80:host=b.example', 'ERR_ENDPOINT_DUPLICATE_FIELD', /'host'/],
    ['a keyword given twice', 'tcp:h:80:timeout=1:timeout=2', 'ERR_ENDPOINT_DUPLICATE_FIELD', /'timeout'/],
  ])('refuses %s with a clear EndpointParseError', (_name, description, code, message) => {
    const err = refused(() => clientFromString(reactor, description));
    expect(err.code).toBe(code);
    expect(err.message).toMatch(message);
    expect(err.description).toBe(description);
  });

  it('says which field is at fault', () => {
    expect(refused(() => clientFromString(reactor, 'tcp:h:80x')).field).toBe('port');
  });
});

describe('serverFromString', () => {
  it('builds a TCP4ServerEndpoint with the values from the string', () => {
    const server = serverFromString(reactor, 'tcp:1234:backlog=12:interface=10.0.0.1');
    expect(server).toBeInstanceOf(TCP4ServerEndpoint);
    expect(server).toMatchObject({ reactor, port: 1234, backlog: 12, interface: '10.0.0.1' });
  });

  it('uses backlog 50 and every IPv4 interface by default', () => {
    expect(serverFromString(reactor, 'tcp:80')).toMatchObject({ port: 80, backlog: 50, interface: '' });
  });

  it('takes interface and backlog positionally, in that order', () => {
    expect(serverFromString(reactor, 'tcp:80:127.0.0.1:6')).toMatchObject({ port: 80, interface: '127.0.0.1', backlog: 6 });
  });

  it('takes the port as a keyword too', () => {
    expect(serverFromString(reactor, 'tcp:port=8080')).toMatchObject({ port: 8080 });
  });

  it('builds a TCP6ServerEndpoint for tcp6:, with an escaped interface', () => {
    const server = serverFromString(new MemoryReactor(), 'tcp6:8080:backlog=12:interface=\\:\\:1');
    expect(server).toBeInstanceOf(TCP6ServerEndpoint);
    expect(server).toMatchObject({ port: 8080, backlog: 12, interface: '::1' });
  });

  it('listens on every IPv6 interface by default for tcp6:', () => {
    expect(serverFromString(reactor, 'tcp6:8080')).toMatchObject({ interface: '::' });
  });

  it('reads the prefix case-insensitively', () => {
    expect(serverFromString(reactor, 'TcP:80')).toBeInstanceOf(TCP4ServerEndpoint);
  });

  it('builds an endpoint that listens through the given reactor', () => {
    const memory = new MemoryReactor();
    const factory = new RecordingFactory();
    const port = successResultOf(serverFromString(memory, 'tcp:8080:interface=127.0.0.1:backlog=50').listen(factory));
    expect(memory.tcpServers).toEqual([{ port: 8080, factory, backlog: 50, interface: '127.0.0.1' }]);
    expect(port).toBeDefined();
  });

  it.each([
    ['an unknown type', 'ftl:andromeda/carcosa/hali/2387', 'ERR_ENDPOINT_UNKNOWN_TYPE', /Unknown endpoint type: 'ftl'/],
    ['a missing port', 'tcp:interface=127.0.0.1', 'ERR_ENDPOINT_MISSING_FIELD', /'port' is missing/],
    ['a bad port', 'tcp:80x', 'ERR_ENDPOINT_BAD_VALUE', /'port' must be an integer in 0-65535, got "80x"/],
    ['a fractional port', 'tcp:80.5', 'ERR_ENDPOINT_BAD_VALUE', /'port'/],
    ['a bad backlog', 'tcp:80:backlog=many', 'ERR_ENDPOINT_BAD_VALUE', /'backlog' must be a non-negative integer/],
    ['an unknown field', 'tcp:80:host=x', 'ERR_ENDPOINT_UNKNOWN_FIELD', /accepted fields: port, interface, backlog/],
    ['too many positional fields', 'tcp:80:127.0.0.1:5:extra', 'ERR_ENDPOINT_TOO_MANY_FIELDS', /positional/],
    ['an interface given twice', 'tcp:80:127.0.0.1:interface=\\:\\:', 'ERR_ENDPOINT_DUPLICATE_FIELD', /'interface'/],
    ['an unescaped trailing backslash', 'tcp:80\\', 'ERR_ENDPOINT_SYNTAX', /backslash/],
  ])('refuses %s with a clear EndpointParseError', (_name, description, code, message) => {
    const err = refused(() => serverFromString(reactor, description));
    expect(err.code).toBe(code);
    expect(err.message).toMatch(message);
  });

  it.each(['systemd:domain=INET:index=0'])('names %s as not supported yet', (description) => {
    const err = refused(() => serverFromString(reactor, description));
    expect(err.code).toBe('ERR_ENDPOINT_UNSUPPORTED_TYPE');
    expect(err.message).toContain(`'${description.split(':')[0]}:'`);
  });

  it('is an Error with name EndpointParseError', () => {
    const err = refused(() => serverFromString(reactor, 'bogus-type:nothing'));
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('EndpointParseError');
    expect(err.kind).toBe('UNKNOWN_TYPE');
  });
});
