/**
 * The shapes of the protocol objects the blocking clients use: the
 * methods of `torsion/packets`' `StreamProtocol` and `DatagramProtocol`
 * they call, checked when a client is built.
 * @internal
 * @module
 */
import { ArgTypeError, describe } from '../../validate';

/** What a blocking TCP client needs of a `StreamProtocol`. */
export interface StreamProtocolLike<S, R> {
  generateChunks(packet: S): Iterable<Buffer>;
  buildPacketFromChunks(): Generator<void, [R, Buffer], Buffer>;
}

/** What a blocking UDP client needs of a `DatagramProtocol`. */
export interface DatagramProtocolLike<S, R> {
  makeDatagram(packet: S): Buffer;
  buildPacketFromDatagram(datagram: Buffer): R;
}

/** Throw an ArgTypeError naming `protocol` unless it has `methods`. */
export function checkProtocol(kind: string, protocol: unknown, methods: readonly string[]): void {
  const ok =
    protocol !== null &&
    typeof protocol === 'object' &&
    methods.every((m) => typeof (protocol as Record<string, unknown>)[m] === 'function');
  if (!ok) throw new ArgTypeError(`protocol must be a ${kind}, got ${describe(protocol)}`);
}
