/**
 * `MulticastPort`: what listenMulticast returns (Twisted's `udp.MulticastPort`).
 * @module
 */
import { Deferred } from '../defer/deferred';
import type { Failure } from '../defer/failure';
import { succeed } from '../defer/helpers';
import { MulticastJoinError } from '../errors';
import type { IMulticastTransport } from '../interfaces/udp';
import { checkString } from '../validate';
import { checkBoolean, checkTTL } from './check';
import { Port } from './port';

/**
 * A UDP port that joins multicast groups (see {@link IMulticastTransport}).
 * `listenMultiple` (SO_REUSEADDR) lets several sockets on one host share the
 * group port. Node cannot read the multicast socket options back, so the
 * getters report the last value set (or the kernel's default).
 *
 * @example
 * const port = reactor.listenMulticast(0, chat, { listenMultiple: true });
 * await port.joinGroup('228.0.0.5');
 * port.write(Buffer.from('hello'), ['228.0.0.5', port.getHost().port]);
 */
export class MulticastPort extends Port implements IMulticastTransport {
  #ttl = 1;
  #loopback = true;
  #outgoing = '';

  /** {@inheritDoc torsion/interfaces!IMulticastTransport.joinGroup} */
  joinGroup(addr: string, iface = ''): Deferred<void> {
    return this.#membership(true, addr, iface);
  }

  /** {@inheritDoc torsion/interfaces!IMulticastTransport.leaveGroup} */
  leaveGroup(addr: string, iface = ''): Deferred<void> {
    return this.#membership(false, addr, iface);
  }

  #membership(join: boolean, addr: string, iface: string): Deferred<void> {
    checkString('addr', addr);
    checkString('iface', iface);
    const out = new Deferred<void>();
    const fail = (cause: unknown): void => {
      const message = join
        ? undefined
        : `Couldn't leave multicast group ${addr} on ${iface || 'the default interface'}: ${String((cause as Error)?.message ?? cause)}`;
      out.errback(new MulticastJoinError(addr, iface, { cause, message }));
    };
    const failed = (f: Failure): void => fail(f.value);
    this.reactor.resolve(addr).addCallbacks((group: string) => {
      const ifaceD = iface === '' ? succeed('') : this.reactor.resolve(iface);
      ifaceD.addCallbacks((ifaceIp: string) => {
        try {
          const sock = this._liveSocket();
          if (join) sock.addMembership(group, ifaceIp === '' ? undefined : ifaceIp);
          else sock.dropMembership(group, ifaceIp === '' ? undefined : ifaceIp);
        } catch (err) {
          fail(err);
          return;
        }
        out.callback(undefined);
      }, failed);
    }, failed);
    return out;
  }

  /** {@inheritDoc torsion/interfaces!IMulticastTransport.setTTL} */
  setTTL(ttl: number): void {
    checkTTL(ttl);
    this._liveSocket().setMulticastTTL(ttl);
    this.#ttl = ttl;
  }

  /** {@inheritDoc torsion/interfaces!IMulticastTransport.getTTL} */
  getTTL(): number {
    return this.#ttl;
  }

  /** {@inheritDoc torsion/interfaces!IMulticastTransport.setLoopbackMode} */
  setLoopbackMode(mode: boolean): void {
    checkBoolean('mode', mode);
    this._liveSocket().setMulticastLoopback(mode);
    this.#loopback = mode;
  }

  /** {@inheritDoc torsion/interfaces!IMulticastTransport.getLoopbackMode} */
  getLoopbackMode(): boolean {
    return this.#loopback;
  }

  /** {@inheritDoc torsion/interfaces!IMulticastTransport.setOutgoingInterface} */
  setOutgoingInterface(addr: string): Deferred<void> {
    checkString('addr', addr);
    return this.reactor.resolve(addr).addCallback((ip: string) => {
      this._liveSocket().setMulticastInterface(ip);
      this.#outgoing = ip;
    });
  }

  /** {@inheritDoc torsion/interfaces!IMulticastTransport.getOutgoingInterface} */
  getOutgoingInterface(): string {
    return this.#outgoing;
  }
}
