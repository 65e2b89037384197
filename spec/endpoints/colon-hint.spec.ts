/**
 * `interface=::1` in an endpoint string: the unescaped colons split the
 * value into fields, so the error names a symptom (a duplicate field, too
 * many fields); it must also say how to write it.
 */
import { EndpointParseError, serverFromString } from '../../src/endpoints';
import { MemoryReactor } from '../../src/testing';

function parseError(description: string): EndpointParseError {
  try {
    serverFromString(new MemoryReactor(), description);
  } catch (e) {
    return e as EndpointParseError;
  }
  throw new Error(`${description} parsed`);
}

describe('an IPv6 address with unescaped colons in an endpoint string', () => {
  it.each([
    ['tcp:80:interface=::1', 'interface=\\:\\:1'],
    ['tcp:80:interface=fe80::1:2', 'interface=fe80\\:\\:1\\:2'],
    ['tcp:port=80:interface=2001:db8::1', 'interface=2001\\:db8\\:\\:1'],
  ])('%s: the error suggests %s', (description, escaped) => {
    const e = parseError(description);
    expect(e).toBeInstanceOf(EndpointParseError);
    expect(e.message).toContain(`colons in a value must be escaped with a backslash, e.g. ${escaped}`);
  });

  it('the escaped form parses, and errors without such a value carry no hint', () => {
    expect(() => serverFromString(new MemoryReactor(), 'tcp:80:interface=\\:\\:1')).not.toThrow();
    expect(parseError('tcp:80:bogus=1').message).not.toContain('escaped');
  });
});
