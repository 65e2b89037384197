/**
 * What every ITCPTransport does on its own, recorder or real: run against
 * StringTransport, FakeTransport and a real TCP transport. Helper module,
 * not a spec.
 */
import { IPv4Address } from '../../src/address';
import { RuntimeError } from '../../src/errors';
import type { ITCPTransport } from '../../src/interfaces/transport';
import { StrictPushProducer } from '../testing/recorder';

/** Makes a connected transport; `close` releases whatever it needed. */
export type TransportMaker = () => Promise<{ transport: ITCPTransport; close(): Promise<void> }>;

/** Register the single-transport suite for one implementation. */
export function singleTransportConformance(name: string, make: TransportMaker): void {
  describe(`${name}: ITCPTransport contract`, () => {
    let transport: ITCPTransport;
    let close: () => Promise<void>;
    beforeEach(async () => {
      ({ transport, close } = await make());
    });
    afterEach(async () => {
      await close();
    });

    it('write(string) and writeSequence([string]) throw a TypeError that says to encode', () => {
      expect(() => transport.write('x' as unknown as Buffer)).toThrow(/encode/);
      expect(() => transport.writeSequence(['x' as unknown as Buffer])).toThrow(/encode/);
    });

    it('write of a number or null throws a TypeError', () => {
      expect(() => transport.write(1 as unknown as Buffer)).toThrow(TypeError);
      expect(() => transport.write(null as unknown as Buffer)).toThrow(TypeError);
    });

    it('accepts Buffer and plain Uint8Array', () => {
      expect(() => transport.write(Buffer.from('a'))).not.toThrow();
      expect(() => transport.write(new Uint8Array([1, 2]))).not.toThrow();
      expect(() => transport.writeSequence([Buffer.from('a'), new Uint8Array([3])])).not.toThrow();
    });

    it('registering a second producer throws RuntimeError', () => {
      transport.registerProducer(new StrictPushProducer(), true);
      expect(() => transport.registerProducer(new StrictPushProducer(), true)).toThrow(RuntimeError);
      transport.unregisterProducer();
    });

    it('getHost and getPeer return IPv4Address objects of type TCP', () => {
      for (const a of [transport.getHost(), transport.getPeer()]) {
        expect(a).toBeInstanceOf(IPv4Address);
        expect(a.type).toBe('TCP');
        expect(Number.isInteger((a as IPv4Address).port)).toBe(true);
      }
    });

    it('loseConnection sets disconnecting', () => {
      expect(transport.disconnecting).toBe(false);
      transport.loseConnection();
      expect(transport.disconnecting).toBe(true);
    });

    it('setTcpNoDelay/setTcpKeepAlive read back; setWriteBufferLimits refuses low > high with RangeError', () => {
      transport.setTcpNoDelay(true);
      transport.setTcpKeepAlive(true);
      expect(transport.getTcpNoDelay()).toBe(true);
      expect(transport.getTcpKeepAlive()).toBe(true);
      transport.setTcpNoDelay(false);
      expect(transport.getTcpNoDelay()).toBe(false);
      expect(() => transport.setWriteBufferLimits(10, 20)).toThrow(RangeError);
      expect(() => transport.setWriteBufferLimits(-1)).toThrow(RangeError);
    });
  });
}
