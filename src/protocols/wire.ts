/**
 * The simplest protocols, as Twisted's `twisted.protocols.wire`: handy for
 * tests, examples and as the far end of a port forwarder.
 *
 * @example
 * ```ts
 * import { reactor, Factory } from 'torsion';
 * import { Echo } from 'torsion/protocols/wire';
 *
 * reactor.listenTCP(8007, Factory.forProtocol(Echo), { interface: '127.0.0.1' });
 * ```
 * @module torsion/protocols/wire
 */
import { Protocol } from '../protocol/protocol';

/** Writes back everything it receives (RFC 862). */
export class Echo extends Protocol {
  /** Echo `data` back. */
  override dataReceived(data: Buffer): void {
    this.transport!.write(data);
  }
}

/** Throws away everything it receives (RFC 863). */
export class Discard extends Protocol {
  /** Drop `data`. */
  override dataReceived(_data: Buffer): void {}
}
