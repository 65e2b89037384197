import { ArgTypeError } from '../validate';
import { guardResult, loggingOwner } from '../guard';
import type { Failure } from '../defer/failure';
import type { IAddress } from '../interfaces/address';
import type { IConnector } from '../interfaces/connector';
import type { IClientFactory, IProtocol, IProtocolFactory } from '../interfaces/protocol';
import { Logger } from '../logger';

const log = new Logger('torsion.protocol');
/** Logs the rejections of async start/stopFactory (guard.ts). */
const FACTORY_GUARD = loggingOwner(log);

/** A constructor of protocols taking no arguments. */
export type ProtocolClass<P extends IProtocol = IProtocol> = new () => P;

/**
 * Builds protocols for connections. Set `protocol` (or override
 * buildProtocol). doStart/doStop are counted across ports and connectors:
 * startFactory runs on the first start, stopFactory on the last stop.
 */
export class Factory<P extends IProtocol = IProtocol> implements IProtocolFactory {
  /** The protocol class buildProtocol instantiates. */
  protocol: ProtocolClass<P> | null = null;
  /** How many ports/connectors currently use this factory. */
  numPorts = 0;
  /** Log "Starting factory"/"Stopping factory" at info level. */
  noisy = false;

  /** A factory whose buildProtocol makes `new P()`. */
  static forProtocol<F extends Factory<P>, P extends IProtocol>(this: new () => F, protocol: ProtocolClass<P>): F {
    const f = new this();
    f.protocol = protocol;
    return f;
  }

  /** {@inheritDoc torsion/interfaces!IProtocolFactory.doStart} */
  doStart(): void {
    if (this.numPorts === 0) {
      if (this.noisy) log.info(`Starting factory ${this.constructor.name}`);
      const r: unknown = this.startFactory();
      if (r !== undefined) guardResult(FACTORY_GUARD, `startFactory of ${this.constructor.name}`, r);
    }
    this.numPorts += 1;
  }
  /** {@inheritDoc torsion/interfaces!IProtocolFactory.doStop} */
  doStop(): void {
    if (this.numPorts === 0) return;
    this.numPorts -= 1;
    if (this.numPorts === 0) {
      if (this.noisy) log.info(`Stopping factory ${this.constructor.name}`);
      const r: unknown = this.stopFactory();
      if (r !== undefined) guardResult(FACTORY_GUARD, `stopFactory of ${this.constructor.name}`, r);
    }
  }
  /** First start. Default: nothing. */
  startFactory(): void {}
  /** Last stop. Default: nothing. */
  stopFactory(): void {}

  /** Make a protocol for `addr`, with `factory` set; null refuses the connection. */
  buildProtocol(_addr: IAddress): P | null {
    if (this.protocol === null) {
      throw new ArgTypeError(`${this.constructor.name}.protocol is not set; set it or override buildProtocol`);
    }
    const p = new this.protocol();
    (p as { factory?: unknown }).factory = this;
    return p;
  }
  /** A short name for log lines. */
  logPrefix(): string {
    return this.constructor.name;
  }
}

/** A factory for servers (accepted connections). */
export class ServerFactory<P extends IProtocol = IProtocol> extends Factory<P> {
  /** A ServerFactory (or subclass) whose buildProtocol makes `new P()`. */
  static override forProtocol<P extends IProtocol>(this: typeof ServerFactory, protocol: ProtocolClass<P>): ServerFactory<P>;
  static override forProtocol<F extends Factory<P>, P extends IProtocol>(this: new () => F, protocol: ProtocolClass<P>): F;
  static override forProtocol(this: new () => Factory, protocol: ProtocolClass): Factory {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the subclass being built, as in Factory.forProtocol
    return Factory.forProtocol.call(this, protocol);
  }
}

/** A factory for clients, with the connection-attempt hooks. */
export class ClientFactory<P extends IProtocol = IProtocol> extends Factory<P> implements IClientFactory {
  /** A ClientFactory (or subclass) whose buildProtocol makes `new P()`. */
  static override forProtocol<P extends IProtocol>(this: typeof ClientFactory, protocol: ProtocolClass<P>): ClientFactory<P>;
  static override forProtocol<F extends Factory<P>, P extends IProtocol>(this: new () => F, protocol: ProtocolClass<P>): F;
  static override forProtocol(this: new () => Factory, protocol: ProtocolClass): Factory {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the subclass being built, as in Factory.forProtocol
    return Factory.forProtocol.call(this, protocol);
  }
  /** The attempt started (synchronously inside connect()). Default: nothing. */
  startedConnecting(_connector: IConnector): void {}
  /** The attempt failed; calling connector.connect() here retries. Default: nothing. */
  clientConnectionFailed(_connector: IConnector, _reason: Failure): void {}
  /** An established connection ended; calling connector.connect() here reconnects. Default: nothing. */
  clientConnectionLost(_connector: IConnector, _reason: Failure): void {}
}
