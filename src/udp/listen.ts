/**
 * The bodies of `Reactor.listenUDP` / `listenMulticast`: argument checks,
 * then a bound {@link Port} / {@link MulticastPort}. Any reactor providing
 * {@link UDPReactor} can use them.
 * @module
 */
import type { IDatagramProtocol, ListenMulticastOptions, ListenUDPOptions } from '../interfaces/udp';
import { checkDatagramProtocol, checkListenUDP } from './check';
import { MulticastPort } from './multicast';
import { Port, type UDPReactor } from './port';

/**
 * Bind `port` on `opts.interface` and start `protocol` on it (Twisted's
 * `listenUDP`); see {@link torsion/interfaces!IReactorUDP.listenUDP}.
 * @throws CannotListenError, InvalidAddressError, RuntimeError,
 * FeatureUnavailableError, TypeError/RangeError.
 */
export function listenUDP(reactor: UDPReactor, port: number, protocol: IDatagramProtocol, opts: ListenUDPOptions = {}): Port {
  const config = checkListenUDP(port, opts, false);
  checkDatagramProtocol(protocol);
  const p = new Port(port, protocol, config, reactor);
  p.startListening();
  return p;
}

/**
 * listenUDP with the multicast methods and `listenMultiple` (Twisted's
 * `listenMulticast`); see {@link torsion/interfaces!IReactorMulticast.listenMulticast}.
 * @throws as {@link listenUDP}.
 */
export function listenMulticast(
  reactor: UDPReactor,
  port: number,
  protocol: IDatagramProtocol,
  opts: ListenMulticastOptions = {},
): MulticastPort {
  const config = checkListenUDP(port, opts, true);
  checkDatagramProtocol(protocol);
  const p = new MulticastPort(port, protocol, config, reactor);
  p.startListening();
  return p;
}
