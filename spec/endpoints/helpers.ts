/**
 * Shared helpers of the endpoint specs: Twisted's successResultOf /
 * failureResultOf / assertNoResult, and small recording protocols and
 * factories.
 */
import type { Deferred } from '../../src/defer/deferred';
import type { Failure } from '../../src/defer/failure';
import type { IAddress } from '../../src/interfaces/address';
import type { ITCPTransport } from '../../src/interfaces/transport';
import { Protocol } from '../../src/protocol/protocol';
import { ClientFactory, Factory } from '../../src/protocol/factory';

type Outcome<T> = { state: 'pending' } | { state: 'success'; value: T } | { state: 'failure'; failure: Failure };

function outcome<T>(d: Deferred<T>): Outcome<T> {
  let seen: Outcome<T> = { state: 'pending' };
  d.addCallbacks(
    (value: T) => {
      seen = { state: 'success', value };
      return value;
    },
    (failure: Failure) => {
      // Consumed: the test asserts on it, so it is not an unhandled error.
      seen = { state: 'failure', failure };
      return null;
    },
  );
  return seen;
}

/** The result `d` has already fired with. Fails the test otherwise. */
export function successResultOf<T>(d: Deferred<T>): T {
  const o = outcome(d);
  if (o.state === 'failure') throw new Error(`expected a result, got a failure: ${o.failure.getTraceback()}`);
  if (o.state !== 'success') throw new Error('expected a result, but the Deferred has not fired');
  return o.value;
}

/** The Failure `d` has already fired with (now handled). Fails the test otherwise. */
export function failureResultOf<T>(d: Deferred<T>): Failure {
  const o = outcome(d);
  if (o.state !== 'failure') throw new Error(`expected a failure, got ${o.state}`);
  return o.failure;
}

/** Assert `d` has not fired, without adding to its chain. */
export function assertNoResult<T>(d: Deferred<T>): void {
  if (d.called) throw new Error('expected no result, but the Deferred has fired');
}

/** A protocol that records its lifecycle into `events`. */
export class RecordingProtocol extends Protocol {
  readonly events: string[] = [];
  readonly data: Buffer[] = [];
  readonly lost: Failure[] = [];
  override makeConnection(transport: ITCPTransport): void {
    this.events.push('makeConnection');
    super.makeConnection(transport);
  }
  override connectionMade(): void {
    this.events.push('connectionMade');
  }
  override dataReceived(data: Buffer): void {
    this.data.push(data);
  }
  override connectionLost(reason: Failure): void {
    this.events.push('connectionLost');
    this.lost.push(reason);
  }
}

/** A client factory building RecordingProtocols and remembering the addresses it was asked for. */
export class RecordingFactory extends ClientFactory<RecordingProtocol> {
  readonly built: RecordingProtocol[] = [];
  readonly addresses: IAddress[] = [];
  constructor() {
    super();
    this.protocol = RecordingProtocol;
  }
  override buildProtocol(addr: IAddress): RecordingProtocol | null {
    this.addresses.push(addr);
    const p = super.buildProtocol(addr);
    if (p) this.built.push(p);
    return p;
  }
}

/** A factory whose buildProtocol returns null. */
export class NoneFactory extends Factory {
  override buildProtocol(_addr: IAddress): null {
    return null;
  }
}
