import type { Failure } from '../defer/failure';
import { thrownIn } from '../guard';
import type { IProcessProtocol, IProcessTransport } from '../interfaces/process';
import type { IPv4Address, IPv6Address } from '../address';
import { RuntimeError } from '../errors';
import type { IDatagramProtocol, IUDPTransport } from '../interfaces/udp';
import { Logger } from '../logger';
import type { IProtocol } from '../interfaces/protocol';
import type { ITCPTransport, ITransport } from '../interfaces/transport';
import type { Factory } from './factory';

const datagramLog = new Logger('torsion.udp');

/**
 * The base class of stream protocols: subclass it and override the
 * callbacks you need. See {@link IProtocol} for the call grammar.
 *
 * @typeParam T - the transport type handed to this protocol.
 * @example
 * class Echo extends Protocol {
 *   override dataReceived(data: Buffer): void {
 *     this.transport!.write(data);
 *   }
 * }
 */
export class Protocol<T extends ITransport = ITCPTransport> implements IProtocol {
  /** The factory that built this protocol, if any. */
  factory: Factory | null = null;
  /** The transport, set by makeConnection. */
  transport: T | null = null;
  /**
   * Set to true by makeConnection. As in Twisted, nothing clears it when the
   * connection is lost: to know that, override connectionLost (or look at
   * the transport's `disconnecting`).
   */
  connected = false;

  /**
   * Attach the transport and call connectionMade(). Returns what
   * connectionMade returned, so that the transport's guard can watch the
   * Promise of an `async connectionMade()`.
   */
  makeConnection(transport: T): void {
    this.connected = true;
    this.transport = transport;
    try {
      return this.connectionMade();
    } catch (err) {
      thrownIn(err, 'connectionMade');
      throw err;
    }
  }
  /**
   * The connection is up. Default: nothing. May be `async`: a rejected
   * Promise is logged and ends the connection, as a throw does.
   */
  connectionMade(): void {}
  /**
   * Bytes arrived; the Buffer is yours to keep. Default: nothing. May be
   * `async` (a rejection ends the connection, as a throw does), but the
   * transport does not wait for it: the next bytes may arrive first.
   */
  dataReceived(_data: Buffer): void {}
  /** The connection is gone. Default: nothing. */
  connectionLost(_reason: Failure): void {}
  /** A short name for log lines. */
  logPrefix(): string {
    return this.constructor.name;
  }
}

/**
 * The zero-copy receive path (asyncio's BufferedProtocol). The transport
 * reads into the buffer you return from getBuffer() and then calls
 * bufferUpdated(n). The bytes are yours only until you hand out the buffer
 * again. dataReceived is not called for such a protocol.
 */
export abstract class BufferedProtocol<T extends ITransport = ITCPTransport> extends Protocol<T> {
  /** Return a buffer to read into; `sizeHint` is a suggestion (may be -1). Must not be empty. */
  abstract getBuffer(sizeHint: number): Uint8Array;
  /** `nbytes` bytes were written at the start of the last buffer. */
  abstract bufferUpdated(nbytes: number): void;
}

/** Whether `p` uses the buffer-lending receive path. */
export function isBufferedProtocol(p: IProtocol): p is BufferedProtocol {
  const q = p as Partial<BufferedProtocol>;
  return typeof q.getBuffer === 'function' && typeof q.bufferUpdated === 'function';
}

/**
 * A UDP protocol (Twisted's `DatagramProtocol`): hand it to
 * `reactor.listenUDP` / `listenMulticast`. See {@link IDatagramProtocol} for
 * the grammar: `startProtocol` runs when the first port starts it,
 * `stopProtocol` when the last one stops (counted in `numPorts`, as a
 * factory's doStart/doStop).
 *
 * @typeParam T - the transport type (`IMulticastTransport` for listenMulticast).
 * @example
 * class Echo extends DatagramProtocol {
 *   override datagramReceived(data: Buffer, addr: IPv4Address | IPv6Address): void {
 *     this.transport!.write(data, addr);
 *   }
 * }
 */
export class DatagramProtocol<T extends IUDPTransport = IUDPTransport> implements IDatagramProtocol {
  /** The UDP port, set by makeConnection, cleared by doStop. */
  transport: T | null = null;
  /** How many ports this protocol is attached to. */
  numPorts = 0;

  /**
   * Attach the port and run doStart(); called by the reactor.
   * @throws RuntimeError if already attached to a transport.
   */
  makeConnection(transport: T): void {
    if (this.transport !== null) {
      throw new RuntimeError('This DatagramProtocol is already attached to a transport: use one instance per port');
    }
    this.transport = transport;
    // (Returned so that the port's guard watches an async startProtocol.)
    return this.doStart();
  }
  /** Counted start; calls startProtocol on the first. */
  doStart(): void {
    if (this.numPorts === 0) {
      this.numPorts += 1;
      try {
        return this.startProtocol();
      } catch (err) {
        thrownIn(err, 'startProtocol');
        throw err;
      }
    }
    this.numPorts += 1;
  }
  /** Counted stop; calls stopProtocol on the last and detaches. */
  doStop(): void {
    if (this.numPorts === 0) return;
    this.numPorts -= 1;
    this.transport = null;
    if (this.numPorts === 0) return this.stopProtocol();
  }
  /** The first port started. Default: nothing. May be `async` (a rejection is logged). */
  startProtocol(): void {}
  /** The last port stopped. Default: nothing. */
  stopProtocol(): void {}
  /**
   * A datagram arrived from `addr` (an IPv4Address/IPv6Address of type
   * 'UDP'); the Buffer is yours. Default: nothing. A throw is logged and the
   * port keeps reading.
   */
  datagramReceived(_data: Buffer, _addr: IPv4Address | IPv6Address): void {}
  /** A datagram sent on a connected port was refused (ICMP port unreachable). Default: nothing. */
  connectionRefused(): void {}
  /**
   * An OS error while sending or receiving (asyncio's error_received);
   * `reason.value` is the Node error. Default: logged at warn.
   */
  errorReceived(reason: Failure): void {
    datagramLog.warn(`${this.constructor.name}: ${String((reason.value as Error)?.message ?? reason.value)}`);
  }
}

/**
 * A child process protocol (Twisted's `ProcessProtocol`): subclass it and
 * override the callbacks you need. The call grammar is written on
 * {@link IProcessProtocol}; `connectionMade` runs from makeConnection.
 *
 * @example
 * class Collect extends ProcessProtocol {
 *   out: Buffer[] = [];
 *   override outReceived(data: Buffer): void { this.out.push(data); }
 *   override processEnded(reason: Failure): void { console.log(reason.value); }
 * }
 */
export class ProcessProtocol implements IProcessProtocol {
  /** The process transport, set by makeConnection. */
  transport: IProcessTransport | null = null;
  /** Attach the transport and call connectionMade(). */
  makeConnection(transport: IProcessTransport): void {
    this.transport = transport;
    try {
      return this.connectionMade();
    } catch (err) {
      thrownIn(err, 'connectionMade');
      throw err;
    }
  }
  /** The child started (or failed to start: then processEnded follows). Default: nothing. */
  connectionMade(): void {}
  /** Routes fd 1 to outReceived and fd 2 to errReceived; other fds are ignored. */
  childDataReceived(childFD: number, data: Buffer): void {
    if (childFD === 1) return this.outReceived(data);
    if (childFD === 2) return this.errReceived(data);
  }
  /** The child wrote `data` to its stdout. Default: nothing. */
  outReceived(_data: Buffer): void {}
  /** The child wrote `data` to its stderr. Default: nothing. */
  errReceived(_data: Buffer): void {}
  /** Routes fd 0/1/2 to in/out/errConnectionLost; other fds are ignored. */
  childConnectionLost(childFD: number): void {
    if (childFD === 0) return this.inConnectionLost();
    if (childFD === 1) return this.outConnectionLost();
    if (childFD === 2) return this.errConnectionLost();
  }
  /** The child's stdin is closed. Default: nothing. */
  inConnectionLost(): void {}
  /** The child's stdout is closed. Default: nothing. */
  outConnectionLost(): void {}
  /** The child's stderr is closed. Default: nothing. */
  errConnectionLost(): void {}
  /** The process exited (reason.value: ProcessDone or ProcessTerminated). Default: nothing. */
  processExited(_reason: Failure): void {}
  /** The process exited and all its pipes are closed: the last call. Default: nothing. */
  processEnded(_reason: Failure): void {}
}
