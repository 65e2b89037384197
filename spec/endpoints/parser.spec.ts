import { EndpointParseError } from '../../src/endpoints/errors';
import { parseDescription, quoteStringArgument } from '../../src/endpoints/parser';

function parse(description: string): [string, string[], Record<string, string>] {
  const p = parseDescription(description);
  return [p.prefix, [...p.args], Object.fromEntries(p.kwargs)];
}

function parseError(description: string): EndpointParseError {
  try {
    parseDescription(description);
  } catch (err) {
    expect(err).toBeInstanceOf(EndpointParseError);
    return err as EndpointParseError;
  }
  throw new Error(`expected ${JSON.stringify(description)} to be refused`);
}

describe('parseDescription', () => {
  it('splits the prefix and one positional field', () => {
    expect(parse('tcp:80')).toEqual(['tcp', ['80'], {}]);
  });

  it('separates positional fields from keyword fields, keeping positional order', () => {
    expect(parse('a:b:d=1:c')).toEqual(['a', ['b', 'c'], { d: '1' }]);
  });

  it('reads keyword values as strings', () => {
    expect(parse('tcp:80:interface=127.0.0.1:backlog=6')).toEqual(['tcp', ['80'], { interface: '127.0.0.1', backlog: '6' }]);
  });

  it('lets a backslash escape colons, equals signs and backslashes', () => {
    expect(parse('unix:foo\\:bar\\=baz\\:qux\\\\')).toEqual(['unix', ['foo:bar=baz:qux\\'], {}]);
  });

  it('escapes the colons of an IPv6 interface', () => {
    expect(parse('tcp6:8080:interface=\\:\\:1')).toEqual(['tcp6', ['8080'], { interface: '::1' }]);
  });

  it("treats an '=' after the first one as part of the value (implied escape)", () => {
    expect(parse('unix:address=foo=bar')).toEqual(['unix', [], { address: 'foo=bar' }]);
  });

  it('escapes any character, not only the special ones', () => {
    expect(parse('x:\\a\\b')).toEqual(['x', ['ab'], {}]);
  });

  it('keeps empty fields and empty values', () => {
    expect(parse('tcp::80:interface=')).toEqual(['tcp', ['', '80'], { interface: '' }]);
  });

  it('keeps the case of the prefix and of keyword names as written', () => {
    expect(parse('TCP:host=x:bindAddress=1.2.3.4')).toEqual(['TCP', [], { host: 'x', bindAddress: '1.2.3.4' }]);
  });

  it('gives an empty prefix for an empty description', () => {
    expect(parse('')).toEqual(['', [], {}]);
  });

  it('refuses a description ending in a lone backslash', () => {
    const err = parseError('tcp:80\\');
    expect(err.code).toBe('ERR_ENDPOINT_SYNTAX');
    expect(err.message).toMatch(/backslash/);
  });

  it('refuses a keyword given twice, naming it', () => {
    const err = parseError('tcp:80:backlog=1:backlog=2');
    expect(err.code).toBe('ERR_ENDPOINT_DUPLICATE_FIELD');
    expect(err.field).toBe('backlog');
  });

  it('refuses a keyword field with an empty name', () => {
    expect(parseError('tcp:80:=5').code).toBe('ERR_ENDPOINT_SYNTAX');
  });

  it('refuses a description that starts with a keyword instead of the type', () => {
    const err = parseError('host=example.com:80');
    expect(err.code).toBe('ERR_ENDPOINT_SYNTAX');
    expect(err.message).toMatch(/endpoint type/);
  });

  it('quotes the description into its message and keeps it on the error', () => {
    const err = parseError('tcp:80\\');
    expect(err.description).toBe('tcp:80\\');
    expect(err.message).toContain(JSON.stringify('tcp:80\\'));
  });

  it('throws TypeError for a non-string description', () => {
    expect(() => parseDescription(80 as unknown as string)).toThrow(TypeError);
  });
});

describe('quoteStringArgument', () => {
  it('escapes backslashes and colons', () => {
    expect(quoteStringArgument('some : stuff \\')).toBe('some \\: stuff \\\\');
  });

  it('round-trips any value through the parser', () => {
    for (const value of ['C:\\key.pem', '::1', 'a=b:c\\d', '', '\\\\:']) {
      expect(parse(`x:${quoteStringArgument(value)}:k=${quoteStringArgument(value)}`)).toEqual(['x', [value], { k: value }]);
    }
  });
});
