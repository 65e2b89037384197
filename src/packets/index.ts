/**
 * Packet clients: EasyNetwork's serializers, protocol objects and its
 * asynchronous TCP and UDP clients, on the reactor. The blocking clients are
 * in `torsion/packets/sync`.
 * @module torsion/packets
 */
export * from './serializers';
export * from './clients';
