/**
 * The protocol-object checks of the blocking clients.
 * @internal
 * @module
 */
import { ArgTypeError, describe } from '../../validate';
import { DatagramProtocol, StreamProtocol } from '../protocol';

/** Throw an ArgTypeError naming `protocol` unless it is a `torsion/packets` StreamProtocol. */
export function checkStreamProtocol(protocol: unknown): void {
  if (!(protocol instanceof StreamProtocol))
    throw new ArgTypeError(`protocol must be a StreamProtocol of torsion/packets, got ${describe(protocol)}`);
}

/** Throw an ArgTypeError naming `protocol` unless it is a `torsion/packets` DatagramProtocol. */
export function checkDatagramProtocol(protocol: unknown): void {
  if (!(protocol instanceof DatagramProtocol))
    throw new ArgTypeError(`protocol must be a DatagramProtocol of torsion/packets, got ${describe(protocol)}`);
}
