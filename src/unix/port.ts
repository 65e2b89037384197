/**
 * `Port`: what listenUNIX returns (Twisted's `unix.Port`): TCP's accepting
 * machinery ({@link BasePort}) over a pipe handle bound to a path.
 * @module
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UNIXAddress } from '../address';
import { CannotListenError } from '../errors';
import type { IProtocolFactory } from '../interfaces/protocol';
import { guardMakeConnection } from '../guard';
import { Logger } from '../logger';
import { NativeStream, nativeStreamsEnabled } from '../tcp/native-stream';
import { BasePort, type ListeningHandle } from '../tcp/port';
import { type NativeTCPClientHandle, type TransportSocket, listenPipeHandle, socketFromHandle } from '../tcp/socket';
import type { TCPReactor } from '../tcp/types';
import { checkUNIXAddress } from './checks';
import { FilesystemLock } from './lock';
import { UNNAMED } from './client';
import { Server } from './server';

const log = new Logger('torsion.unix');

function describeError(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Whether `file` is a UNIX socket (false when it does not exist). */
function isSocketFile(file: string): boolean {
  try {
    return fs.lstatSync(file).isSocket();
  } catch {
    return false;
  }
}

/**
 * A listening UNIX socket. `startListening()` binds synchronously, chmods
 * the socket file to `mode` and listens, or throws CannotListenError;
 * listenUNIX calls it. Each accepted connection goes to
 * `factory.buildProtocol(UNIXAddress(null))` and becomes a {@link Server}.
 * Closing removes the socket file and releases the `wantPID` lock.
 *
 * @example
 * const port = reactor.listenUNIX('/tmp/app.sock', factory, { mode: 0o600 });
 * port.getHost(); // UNIXAddress('/tmp/app.sock')
 * await port.stopListening(); // the file is gone
 */
export class Port extends BasePort<UNIXAddress> {
  /** The socket file. */
  readonly address: string;
  /** Its permissions. */
  readonly mode: number;
  /** Whether to take `address + '.lock'` first. */
  readonly wantPID: boolean;
  /** The lock held while listening (wantPID), else null. */
  lockFile: FilesystemLock | null = null;
  readonly #host: UNIXAddress;

  /**
   * Prefer `reactor.listenUNIX`, which validates and calls startListening().
   * @param address - the socket file.
   * @param factory - the protocol factory.
   * @param backlog - listen backlog.
   * @param mode - permissions of the socket file.
   * @param wantPID - take a lock file first.
   * @param reactor - the reactor.
   */
  constructor(address: string, factory: IProtocolFactory, backlog: number, mode: number, wantPID: boolean, reactor: TCPReactor) {
    super(factory, backlog, reactor);
    this.address = address;
    this.mode = mode;
    this.wantPID = wantPID;
    this.#host = new UNIXAddress(address);
  }

  /**
   * Take the lock (wantPID), bind, chmod, listen, then start the factory
   * and accepting.
   * @throws CannotListenError: the path is too long (cause: RangeError),
   * its directory is missing (ENOENT), the file exists (EADDRINUSE), the
   * lock is held ("Cannot acquire lock")...
   */
  startListening(): void {
    if (this.connected) return;
    const address = this.address;
    const tooLong = checkUNIXAddress('address', address);
    if (tooLong !== null) throw this.#cannotListen(tooLong);
    // libuv reports a missing directory as EACCES (Windows compatibility): say what it is.
    const dir = path.dirname(path.resolve(address));
    if (!fs.existsSync(dir)) {
      const cause = Object.assign(new Error(`ENOENT: no such directory ${dir}`), { code: 'ENOENT', path: dir });
      throw this.#cannotListen(cause, `Couldn't listen on ${address}: the directory ${dir} does not exist`);
    }
    if (this.wantPID) this.#lock();
    let handle: ListeningHandle;
    try {
      handle = listenPipeHandle(address, this.backlog, this.mode) as unknown as ListeningHandle;
    } catch (err) {
      this.#unlock();
      throw this.#cannotListen(err);
    }
    log.debug(`${this.logPrefix()} starting on ${JSON.stringify(address)}`);
    try {
      this._startAccepting(handle);
    } catch (err) {
      this.#unlock();
      throw err;
    }
  }

  /** `UNIXAddress(address)`. */
  getHost(): UNIXAddress {
    return this.#host;
  }

  /** A short description for debugging. */
  override toString(): string {
    return this.connected
      ? `<UNIX Port of ${this.logPrefix()} on ${this.address}>`
      : `<UNIX Port of ${this.logPrefix()} (not listening)>`;
  }

  /** libuv removed the socket file when it closed the handle; release the lock. @internal */
  protected _closed(): void {
    this.#unlock();
    log.debug(`(UNIX Port ${this.address} Closed)`);
  }

  /** @internal */
  protected _accept(client: NativeTCPClientHandle): void {
    const protocol = this._build(UNNAMED);
    if (protocol === null) {
      client.close();
      return;
    }
    const socket: TransportSocket = nativeStreamsEnabled() ? new NativeStream(client) : socketFromHandle(client);
    const transport = new Server(socket, protocol, this, this.sessionno++, this.reactor);
    guardMakeConnection(transport, protocol, transport);
  }

  #cannotListen(cause: unknown, message?: string): CannotListenError {
    return new CannotListenError(this.address, 0, {
      cause,
      message: message ?? `Couldn't listen on ${this.address}: ${describeError(cause)}`,
    });
  }

  /** Take `address.lock`; after a stale one, remove the dead server's socket file (as Twisted). */
  #lock(): void {
    const lock = new FilesystemLock(`${this.address}.lock`);
    let taken: boolean;
    try {
      taken = lock.lock();
    } catch (err) {
      throw this.#cannotListen(
        err,
        `Couldn't listen on ${this.address}: cannot take the lock ${lock.name} (${describeError(err)})`,
      );
    }
    if (!taken) {
      throw this.#cannotListen(
        null,
        `Couldn't listen on ${this.address}: Cannot acquire lock ${lock.name} (another live process holds it)`,
      );
    }
    this.lockFile = lock;
    if (!lock.clean && isSocketFile(this.address)) {
      try {
        fs.unlinkSync(this.address);
      } catch {
        // Best effort: bind() then reports what is wrong.
      }
    }
  }

  #unlock(): void {
    const lock = this.lockFile;
    this.lockFile = null;
    if (lock === null || !lock.locked) return;
    try {
      lock.unlock();
    } catch (err) {
      log.warn(`Could not release ${lock.name}: ${describeError(err)}`);
    }
  }
}
