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

  it('does not pretend to have UNIX endpoints before UNIX sockets exist', () => {
    expect('UNIXClientEndpoint' in endpoints).toBe(false);
    expect('UNIXServerEndpoint' in endpoints).toBe(false);
  });

  it('lists the supported description types', () => {
    expect(endpoints.CLIENT_ENDPOINT_TYPES).toEqual(['tcp', 'tcp6', 'ssl', 'tls']);
    expect(endpoints.SERVER_ENDPOINT_TYPES).toEqual(['tcp', 'tcp6', 'ssl']);
  });
});
