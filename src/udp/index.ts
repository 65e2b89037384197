/**
 * UDP: listenUDP's {@link Port} and listenMulticast's {@link MulticastPort},
 * on Node's `dgram`. Applications reach them through `reactor.listenUDP` /
 * `reactor.listenMulticast` and `protocol.transport`; the protocol side is
 * `torsion/protocol`'s `DatagramProtocol`.
 * @module torsion/udp
 */
export { Port } from './port';
export type { UDPReactor } from './port';
export { MulticastPort } from './multicast';
export { listenUDP, listenMulticast } from './listen';
export type { ListenUDPOptions, ListenMulticastOptions, UDPAddress } from '../interfaces/udp';
export type { UDPListenConfig } from './check';
export { MAX_DATAGRAM_IPV4, MAX_DATAGRAM_IPV6, DEFAULT_MAX_PACKET_SIZE } from './check';
