/**
 * connectTCP / listenTCP argument checks: a wrong argument throws at once,
 * naming it; nothing is coerced.
 */
import { ClientFactory, Factory, Protocol } from '../../src/protocol';
import { connectTCP, listenTCP } from '../../src/tcp';
import { FakeTCPReactor } from './harness';

const clientFactory = (): ClientFactory => {
  const f = new ClientFactory();
  f.protocol = Protocol;
  return f;
};

describe('connectTCP arguments', () => {
  const reactor = new FakeTCPReactor();

  it.each([
    ['an empty host', '', 80, TypeError],
    ['a non-string host', 42, 80, TypeError],
    ['a string port', '127.0.0.1', '80', TypeError],
    ['a fractional port', '127.0.0.1', 1.5, RangeError],
    ['a port over 65535', '127.0.0.1', 65536, RangeError],
    ['a null port', '127.0.0.1', null, TypeError],
  ])('rejects %s', (_what, host, port, type) => {
    expect(() => connectTCP(reactor, host as string, port as number, clientFactory())).toThrow(type);
  });

  it('rejects a factory without the client callbacks, naming the missing one', () => {
    expect(() => connectTCP(reactor, '127.0.0.1', 80, Factory.forProtocol(Protocol) as unknown as ClientFactory)).toThrow(
      /factory\.startedConnecting/,
    );
  });

  it.each([
    [{ timeout: -1 }, RangeError, /timeout/],
    [{ timeout: '5' }, TypeError, /timeout/],
    [{ timeout: Infinity }, RangeError, /timeout/],
    [{ bindAddress: ['127.0.0.1', '0'] }, TypeError, /bindAddress\[1\]/],
    [{ bindAddress: [1, 0] }, TypeError, /bindAddress\[0\]/],
    [{ bindAddress: 7 }, TypeError, /bindAddress/],
  ])('rejects the options %p', (options, type, message) => {
    expect(() => connectTCP(reactor, '127.0.0.1', 80, clientFactory(), options as never)).toThrow(type);
    expect(() => connectTCP(reactor, '127.0.0.1', 80, clientFactory(), options as never)).toThrow(message);
  });

  it('does not start the factory when an argument is wrong', () => {
    const f = clientFactory();
    expect(() => connectTCP(reactor, '127.0.0.1', -1, f)).toThrow(RangeError);
    expect(f.numPorts).toBe(0);
  });

  it('normalises bindAddress: a host string means port 0', () => {
    const c = connectTCP(reactor, '127.0.0.1', 80, clientFactory(), { bindAddress: '127.0.0.1' });
    expect(c.bindAddress).toEqual(['127.0.0.1', 0]);
    c.stopConnecting();
  });
});

describe('listenTCP arguments', () => {
  const reactor = new FakeTCPReactor();

  it.each([
    ['a string port', '0', {}, TypeError],
    ['a negative port', -1, {}, RangeError],
    ['a fractional backlog', 0, { backlog: 1.5 }, RangeError],
    ['a string backlog', 0, { backlog: '50' }, TypeError],
    ['a non-string interface', 0, { interface: 127 }, TypeError],
  ])('rejects %s', (_what, port, options, type) => {
    const f = Factory.forProtocol(Protocol);
    expect(() => listenTCP(reactor, port as number, f, options as never)).toThrow(type);
    expect(f.numPorts).toBe(0);
  });

  it('rejects a factory without buildProtocol', () => {
    expect(() => listenTCP(reactor, 0, {} as Factory)).toThrow(/factory/);
  });
});
