/**
 * A line server on a UNIX socket: each line a client sends is answered with
 * `<n>: <line>` (n counts the lines of that connection). Listens through a
 * Twisted endpoint string, `unix:PATH:mode=600`, which also takes
 * `PATH.lock` (a lock file naming this process, as Twisted's `wantPID`):
 * a second server on the same path is refused while this one lives, and a
 * crashed server's leftover socket file is replaced by the next one.
 *
 * Run: `npx tsx examples/unix-server.ts /tmp/demo.sock`, then talk to it
 * with `socat - UNIX-CONNECT:/tmp/demo.sock` (or Python's socket module).
 * Ctrl-C stops the reactor; the socket file and the lock go away.
 */
import { Factory, reactor as globalReactor, type Reactor } from 'torsion';
import type { UNIXAddress } from 'torsion/address';
import { serverFromString, quoteStringArgument } from 'torsion/endpoints';
import type { IListeningPort } from 'torsion/interfaces';
import { LineReceiver } from 'torsion/protocols/basic';
import type { Deferred } from 'torsion/defer';

/** The protocol: number each line and send it back. */
export class Numbered extends LineReceiver {
  #count = 0;
  override lineReceived(line: Buffer): void {
    this.#count += 1;
    this.sendLine(Buffer.from(`${this.#count}: ${line.toString('utf8')}`));
  }
}

/** Options of {@link main}. */
export interface UnixServerOptions {
  /** Where the "listening on" line goes. Default console.log. */
  print?: (line: string) => void;
}

/**
 * Listen on the UNIX socket `path` on `reactor` and print where. The
 * Deferred fires with the port (stop it, or the reactor, to end) or fails
 * with CannotListenError (the path is in use, its directory is missing, it
 * is longer than 107 bytes...).
 */
export function main(reactor: Reactor, path: string, opts: UnixServerOptions = {}): Deferred<IListeningPort> {
  const print = opts.print ?? console.log;
  const endpoint = serverFromString(reactor, `unix:${quoteStringArgument(path)}:mode=600`);
  return endpoint.listen(Factory.forProtocol(Numbered)).addCallback((port: IListeningPort) => {
    print(`unix server listening on ${(port.getHost() as UNIXAddress).name}`);
    return port;
  });
}

if (require.main === module) {
  const path = process.argv[2] ?? '/tmp/torsion-demo.sock';
  main(globalReactor, path).addErrback((failure) => {
    console.error(failure.getErrorMessage());
    process.exitCode = 1;
    if (globalReactor.running) globalReactor.stop();
  });
  void globalReactor.run();
}
