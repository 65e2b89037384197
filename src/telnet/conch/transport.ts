/**
 * conch's split of telnet: {@link TelnetTransport} is the {@link Telnet}
 * engine acting as the transport of an application {@link TelnetProtocol},
 * which sees only data and the negotiation hooks.
 * @module
 */
import type { Deferred } from '../../defer/deferred';
import type { Failure } from '../../defer/failure';
import { guardCall, guardMakeConnection, transportOwner, type GuardOwner } from '../../guard';
import type { IAddress } from '../../interfaces/address';
import type { ITransport } from '../../interfaces/transport';
import { Protocol } from '../../protocol/protocol';
import { RuntimeError } from '../../errors';
import { ArgTypeError, checkBytes, checkFunction, describe } from '../../validate';
import { BINARY, CR, LF } from './constants';
import { Telnet, escapeIac } from './telnet';

/**
 * The transport a {@link TelnetProtocol} is given: an {@link ITransport}
 * whose `write` doubles IACs, plus option negotiation (conch's
 * `ITelnetTransport`).
 */
export interface ITelnetTransport extends ITransport {
  /** Offer to use `option`; see {@link Telnet.will}. */
  will(option: number): Deferred<true>;
  /** Stop using `option`; see {@link Telnet.wont}. */
  wont(option: number): Deferred<true>;
  /** Ask the peer to use `option`; see {@link Telnet.do}. */
  do(option: number): Deferred<true>;
  /** Ask the peer to stop using `option`; see {@link Telnet.dont}. */
  dont(option: number): Deferred<true>;
  /** Send `IAC SB about data IAC SE` (IACs doubled); see {@link Telnet.requestNegotiation}. */
  requestNegotiation(about: number, data: Buffer | Uint8Array): void;
}

/**
 * The application side of conch's telnet split: give a factory of these to
 * {@link TelnetTransport}. `dataReceived` gets telnet data only (IAC
 * sequences removed); `transport` is the {@link TelnetTransport}, so
 * `this.transport.write()` doubles IACs and `this.transport.will(SGA)`
 * negotiates.
 *
 * @example
 * ```ts
 * import { TelnetProtocol, TelnetTransport, SGA } from 'torsion/telnet';
 * import { Factory } from 'torsion/protocol';
 *
 * class Echo extends TelnetProtocol {
 *   override connectionMade(): void {
 *     this.transport!.will(SGA).addErrback(() => undefined);
 *   }
 *   override enableLocal(option: number): boolean {
 *     return option === SGA;
 *   }
 *   override dataReceived(data: Buffer): void {
 *     this.transport!.write(data);
 *   }
 * }
 * class EchoFactory extends Factory {
 *   override buildProtocol(): TelnetTransport {
 *     const t = new TelnetTransport(() => new Echo());
 *     t.factory = this;
 *     return t;
 *   }
 * }
 * ```
 */
export class TelnetProtocol extends Protocol<ITelnetTransport> {
  /** A command without a handler in the transport's `commandMap` (NOP, GA, AYT ...). Default: nothing. */
  unhandledCommand(_command: number, _argument: number | null): void {}
  /** A subnegotiation without a handler in the transport's `negotiationMap`. Default: nothing. */
  unhandledSubnegotiation(_command: number, _data: Buffer): void {}
  /** The peer asks us to use `option` (DO): true agrees; also a notice once our WILL is accepted. Default: false. */
  enableLocal(_option: number): boolean {
    return false;
  }
  /** The peer offers to use `option` (WILL): true agrees; also a notice once our DO is accepted. Default: false. */
  enableRemote(_option: number): boolean {
    return false;
  }
  /** We no longer use `option`. Default: nothing. */
  disableLocal(_option: number): void {}
  /** The peer no longer uses `option`. Default: nothing. */
  disableRemote(_option: number): void {}
}

/**
 * The {@link Telnet} engine as the transport of a {@link TelnetProtocol}
 * (Twisted's `twisted.conch.telnet.TelnetTransport`). At `connectionMade`
 * it builds `protocol` with `protocolFactory`, gives it this transport's
 * `factory`, and connects it to itself; telnet data goes to the protocol's
 * `dataReceived`, and the enable/disable/unhandled hooks are forwarded to
 * it. Every call into the protocol goes through torsion's guard: a throw
 * ends the connection.
 *
 * `write()` doubles IACs, and while our BINARY option is off it sends each
 * LF as CR LF (the NVT newline; conch does this always, which would corrupt
 * binary data).
 *
 * @example
 * ```ts
 * import { TelnetTransport, TelnetProtocol } from 'torsion/telnet';
 * import { StringTransport } from 'torsion/testing';
 *
 * const t = new TelnetTransport(() => new TelnetProtocol());
 * const tr = new StringTransport();
 * t.makeConnection(tr);
 * t.write(Buffer.from([1, 255, 2]));
 * expect([...tr.value()]).toEqual([1, 255, 255, 2]);
 * ```
 */
export class TelnetTransport extends Telnet implements ITelnetTransport {
  /** The application protocol, built at connectionMade; null before and after the connection. */
  protocol: TelnetProtocol | null = null;
  /** What builds `protocol` at connectionMade; null: no protocol. */
  protocolFactory: (() => TelnetProtocol) | null;
  readonly #owner: GuardOwner;

  /**
   * @param protocolFactory - called once per connection, at connectionMade.
   * @throws ArgTypeError unless a function, null or undefined.
   */
  constructor(protocolFactory?: (() => TelnetProtocol) | null) {
    super();
    if (protocolFactory !== undefined && protocolFactory !== null) checkFunction('protocolFactory', protocolFactory);
    this.protocolFactory = protocolFactory ?? null;
    this.#owner = transportOwner(this);
  }

  /** Build the protocol and connect it (conch's order: the protocol's connectionMade runs inside ours). */
  override connectionMade(): void {
    const pf = this.protocolFactory;
    if (pf === null) return;
    const p = guardCall(this.#owner, 'protocolFactory', pf, null);
    if (typeof p !== 'object' || p === null || typeof (p as Partial<TelnetProtocol>).makeConnection !== 'function') {
      if (typeof p !== 'symbol') {
        this.#owner._callbackFailed(
          new ArgTypeError(`protocolFactory must return a TelnetProtocol, got ${describe(p)}`),
          'protocolFactory',
        );
      }
      return;
    }
    const protocol = p;
    this.protocol = protocol;
    protocol.factory = this.factory;
    guardMakeConnection(this.#owner, protocol, this);
  }

  /** Fail the pending negotiations, then tell the protocol. */
  override connectionLost(reason: Failure): void {
    super.connectionLost(reason);
    const p = this.protocol;
    if (p === null) return;
    this.protocol = null;
    guardCall(this.#owner, 'connectionLost', p.connectionLost, p, reason);
  }

  /** Forwarded to the protocol's `enableLocal` (false without one). */
  override enableLocal(option: number): boolean {
    const p = this.protocol;
    return p !== null && guardCall(this.#owner, 'enableLocal', p.enableLocal, p, option) === true;
  }
  /** Forwarded to the protocol's `enableRemote` (false without one). */
  override enableRemote(option: number): boolean {
    const p = this.protocol;
    return p !== null && guardCall(this.#owner, 'enableRemote', p.enableRemote, p, option) === true;
  }
  /** Forwarded to the protocol's `disableLocal`. */
  override disableLocal(option: number): void {
    const p = this.protocol;
    if (p !== null) guardCall(this.#owner, 'disableLocal', p.disableLocal, p, option);
  }
  /** Forwarded to the protocol's `disableRemote`. */
  override disableRemote(option: number): void {
    const p = this.protocol;
    if (p !== null) guardCall(this.#owner, 'disableRemote', p.disableRemote, p, option);
  }
  /** Forwarded to the protocol's `unhandledCommand`. */
  override unhandledCommand(command: number, argument: number | null): void {
    const p = this.protocol;
    if (p !== null) guardCall(this.#owner, 'unhandledCommand', p.unhandledCommand, p, command, argument);
  }
  /** Forwarded to the protocol's `unhandledSubnegotiation`. */
  override unhandledSubnegotiation(command: number, data: Buffer): void {
    const p = this.protocol;
    if (p !== null) guardCall(this.#owner, 'unhandledSubnegotiation', p.unhandledSubnegotiation, p, command, data);
  }
  /** Telnet data goes to the protocol's `dataReceived`. */
  override applicationDataReceived(data: Buffer): void {
    const p = this.protocol;
    if (p !== null) guardCall(this.#owner, 'dataReceived', p.dataReceived, p, data);
  }

  // ---- ITransport ----------------------------------------------------------------

  #lower(): ITransport {
    const t = this.transport;
    if (t === null) throw new RuntimeError('This TelnetTransport is not connected: call makeConnection() first');
    return t;
  }

  /** {@inheritDoc torsion/interfaces!ITransport.disconnecting} */
  get disconnecting(): boolean {
    return this.transport?.disconnecting ?? false;
  }

  /**
   * Send telnet data: IACs doubled, and while our BINARY is off each LF sent
   * as CR LF. An empty `data` does nothing.
   * @throws ArgTypeError unless `data` is a Buffer or Uint8Array.
   */
  write(data: Buffer | Uint8Array): void {
    checkBytes('data', data);
    if (data.length === 0) return;
    let out = escapeIac(data);
    if (!this.isLocalEnabled(BINARY)) out = lfToCrlf(out);
    this.#lower().write(out);
  }

  /** {@inheritDoc torsion/interfaces!ITransport.writeSequence} */
  writeSequence(data: ReadonlyArray<Buffer | Uint8Array>): void {
    if (!Array.isArray(data)) throw new ArgTypeError(`data must be an array of Buffers, got ${describe(data)}`);
    data.forEach((d, i) => checkBytes(`data[${i}]`, d));
    for (const d of data) this.write(d);
  }

  /** {@inheritDoc torsion/interfaces!ITransport.loseConnection} */
  loseConnection(): void {
    this.#lower().loseConnection();
  }

  /** Drop the connection at once, when the lower transport can; else loseConnection(). */
  abortConnection(): void {
    const t = this.#lower() as ITransport & { abortConnection?: () => void };
    if (typeof t.abortConnection === 'function') t.abortConnection();
    else t.loseConnection();
  }

  /** {@inheritDoc torsion/interfaces!ITransport.getPeer} */
  getPeer(): IAddress {
    return this.#lower().getPeer();
  }

  /** {@inheritDoc torsion/interfaces!ITransport.getHost} */
  getHost(): IAddress {
    return this.#lower().getHost();
  }

  /**
   * A protocol callback failed: handed to the lower transport (which logs it
   * and ends the connection), as if the failing callback were ours.
   * @hidden
   */
  _callbackFailed(err: unknown, where: string): void {
    transportOwner(this)._callbackFailed(err, where);
  }
}

/** `data` with each LF preceded by CR (the NVT newline); `data` itself when it has no LF. */
function lfToCrlf(data: Buffer): Buffer {
  let i = data.indexOf(LF);
  if (i < 0) return data;
  let count = 0;
  for (let j = i; j >= 0; j = data.indexOf(LF, j + 1)) count++;
  const out = Buffer.allocUnsafe(data.length + count);
  let start = 0;
  let w = 0;
  while (i >= 0) {
    w += data.copy(out, w, start, i);
    out[w++] = CR;
    out[w++] = LF;
    start = i + 1;
    i = data.indexOf(LF, start);
  }
  data.copy(out, w, start);
  return out;
}
