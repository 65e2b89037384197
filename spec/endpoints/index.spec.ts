import * as endpoints from '../../src/endpoints';

describe('torsion/endpoints', () => {
  it.each([
    'TCP4ClientEndpoint',
    'TCP6ClientEndpoint',
    'HostnameEndpoint',
    'TCP4ServerEndpoint',
    'TCP6ServerEndpoint',
    'clientFromString',
    'serverFromString',
    'connectProtocol',
    'quoteStringArgument',
    'EndpointParseError',
    'ConnectAttemptsFailedError',
    'defaultResolver',
    'interleaveAddresses',
  ])('exports %s', (name) => {
    expect(typeof (endpoints as Record<string, unknown>)[name]).toBe('function');
  });

  it('has the UNIX endpoints, now that UNIX sockets exist (unix)', () => {
    expect(typeof endpoints.UNIXClientEndpoint).toBe('function');
    expect(typeof endpoints.UNIXServerEndpoint).toBe('function');
  });

  it('lists the supported description types', () => {
    expect(endpoints.CLIENT_ENDPOINT_TYPES).toEqual(['tcp', 'tcp6', 'unix', 'ssl', 'tls']);
    expect(endpoints.SERVER_ENDPOINT_TYPES).toEqual(['tcp', 'tcp6', 'unix', 'stdio', 'ssl']);
  });
});
