// The README's "testing a protocol with Clock + StringTransport in jest"
// guide, kept here so that it is proven to work, with the README's imports
// (jest.config.js maps 'torsion/...' to the sources).
import type { Failure } from 'torsion/failure';
import type { IDelayedCall, IReactorTime } from 'torsion/interfaces';
import { Protocol } from 'torsion/protocol';
import { Clock, StringTransport } from 'torsion/testing';

/** Greets, echoes, and hangs up after 30 s without data. */
class Echo extends Protocol {
  #idle: IDelayedCall | null = null;
  constructor(private readonly clock: IReactorTime) {
    super();
  }
  override connectionMade(): void {
    this.transport!.write(Buffer.from('hello\r\n'));
    this.#idle = this.clock.callLater(30, () => this.transport!.loseConnection());
  }
  override dataReceived(data: Buffer): void {
    this.#idle!.reset(30);
    this.transport!.write(data);
  }
  override connectionLost(_reason: Failure): void {
    if (this.#idle?.active()) this.#idle.cancel();
  }
}

describe('Echo', () => {
  let clock: Clock;
  let transport: StringTransport;
  let proto: Echo;

  beforeEach(() => {
    clock = new Clock();
    transport = new StringTransport();
    proto = new Echo(clock);
    proto.makeConnection(transport);
  });

  it('greets, then echoes what it receives', () => {
    expect(transport.value().toString()).toBe('hello\r\n');
    transport.clear();
    proto.dataReceived(Buffer.from('ping'));
    expect(transport.value().toString()).toBe('ping');
  });

  it('hangs up after 30 s of silence; data resets the timer', () => {
    clock.advance(29);
    proto.dataReceived(Buffer.from('x'));
    clock.advance(29);
    expect(transport.disconnecting).toBe(false);
    clock.advance(1);
    expect(transport.disconnecting).toBe(true);
  });
});
