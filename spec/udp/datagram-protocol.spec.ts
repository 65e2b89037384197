import { IPv4Address } from '../../src/address';
import { Failure } from '../../src/defer/failure';
import { RuntimeError } from '../../src/errors';
import { captureLogEvents } from '../../src/logger';
import { DatagramProtocol } from '../../src/protocol';
import { MemoryReactor } from '../../src/testing';
import { DatagramRecorder, startReactor } from './helpers';

describe('DatagramProtocol', () => {
  it('counts ports: startProtocol on the first doStart, stopProtocol on the last doStop, transport cleared', () => {
    const p = new DatagramRecorder();
    p.doStart();
    p.doStart();
    expect(p.events).toEqual(['startProtocol']);
    expect(p.numPorts).toBe(2);
    p.doStop();
    expect(p.events).toEqual(['startProtocol']);
    p.doStop();
    expect(p.events).toEqual(['startProtocol', 'stopProtocol']);
    p.doStop();
    expect(p.numPorts).toBe(0);
    expect(p.events).toEqual(['startProtocol', 'stopProtocol']);
  });

  it('makeConnection on a protocol that has a transport throws RuntimeError', () => {
    const reactor = new MemoryReactor();
    const p = new DatagramProtocol();
    const t = reactor.listenUDP(0, p);
    expect(p.transport).toBe(t);
    expect(() => p.makeConnection(t)).toThrow(RuntimeError);
  });

  it('the default errorReceived logs at warn', () => {
    const [events, stop] = captureLogEvents();
    try {
      new DatagramProtocol().errorReceived(new Failure(Object.assign(new Error('send EMSGSIZE'), { code: 'EMSGSIZE' })));
    } finally {
      stop();
    }
    expect(events.some((e) => e.level === 'warn' && /EMSGSIZE/.test(e.message))).toBe(true);
  });

  it('the default callbacks do nothing and datagramReceived accepts an address object', () => {
    const p = new DatagramProtocol();
    expect(p.datagramReceived(Buffer.from('x'), new IPv4Address('UDP', '1.2.3.4', 5))).toBeUndefined();
    expect(p.connectionRefused()).toBeUndefined();
  });

  it('an async startProtocol that rejects is logged, not an unhandled rejection', async () => {
    const env = startReactor();
    class Late extends DatagramProtocol {
      override async startProtocol(): Promise<void> {
        throw new Error('late failure');
      }
    }
    const [events, stop] = captureLogEvents();
    try {
      const port = env.reactor.listenUDP(0, new Late(), { interface: '127.0.0.1' });
      await new Promise((r) => setImmediate(r));
      expect(events.some((e) => e.failure !== undefined && /late failure/.test(e.failure.getErrorMessage()))).toBe(true);
      await port.stopListening();
    } finally {
      stop();
      await env.stop();
    }
  });

  it('a startProtocol that throws during listenUDP is logged; the port still listens and stops normally', async () => {
    const env = startReactor();
    class Bad extends DatagramProtocol {
      stopped = 0;
      override startProtocol(): void {
        throw new Error('cannot start');
      }
      override stopProtocol(): void {
        this.stopped++;
      }
    }
    const p = new Bad();
    const [events, stop] = captureLogEvents();
    let port: ReturnType<typeof env.reactor.listenUDP>;
    try {
      port = env.reactor.listenUDP(0, p, { interface: '127.0.0.1' });
    } finally {
      stop();
    }
    expect(events.some((e) => e.failure !== undefined && /startProtocol/.test(e.message))).toBe(true);
    expect(port.connected).toBe(true);
    await port.stopListening();
    expect(p.stopped).toBe(1);
    await env.stop();
  });
});
