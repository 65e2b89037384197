/**
 * A pipe watched with `reactor.addReader`: a raw file descriptor (stdin
 * when it is a pipe, or a FIFO) read with `torsion/fdesc` in `doRead`, as
 * in Twisted. Needs torsion's native addon (`npm run build:native`).
 *
 * Run: `printf 'one\ntwo\n' | npx tsx examples/pipe-reader.ts`, or
 * `mkfifo /tmp/f; npx tsx examples/pipe-reader.ts /tmp/f` and write to
 * /tmp/f from another shell. Each line is printed numbered; at end of
 * file the totals are printed and the reactor stops.
 */
import * as fs from 'node:fs';
import { reactor as globalReactor, type Reactor } from 'torsion';
import type { Failure } from 'torsion/failure';
import { readFromFD, setNonBlocking } from 'torsion/fdesc';
import type { IReadDescriptor } from 'torsion/interfaces';

/** Options of {@link main}. */
export interface PipeReaderOptions {
  /** The file descriptor to read (a pipe, FIFO or socket). Default 0 (stdin). */
  fd?: number;
  /** Where lines go. Default console.log. */
  print?: (line: string) => void;
}

/** What {@link main} reports at the end. */
export interface PipeReaderResult {
  lines: number;
  bytes: number;
  /** The name of the reason the reader ended (ConnectionDone at end of file). */
  reason: string;
}

/** The descriptor: doRead reads what the pipe has, splits lines, prints them. */
export class PipeReader implements IReadDescriptor {
  lines = 0;
  bytes = 0;
  #partial = '';

  constructor(
    readonly fd: number,
    readonly print: (line: string) => void,
    readonly onEnd: (result: PipeReaderResult) => void,
  ) {
    setNonBlocking(fd); // doRead must never block the reactor
  }

  fileno(): number {
    return this.fd;
  }

  logPrefix(): string {
    return `PipeReader(fd ${this.fd})`;
  }

  doRead(): Error | undefined {
    return readFromFD(this.fd, (data) => this.#dataReceived(data));
  }

  connectionLost(reason: Failure): void {
    if (this.#partial !== '') this.#line(this.#partial);
    this.#partial = '';
    this.onEnd({ lines: this.lines, bytes: this.bytes, reason: (reason.value as Error).name });
  }

  #dataReceived(data: Buffer): void {
    this.bytes += data.length;
    const parts = (this.#partial + data.toString('utf8')).split('\n');
    this.#partial = parts.pop() ?? '';
    for (const line of parts) this.#line(line);
  }

  #line(line: string): void {
    this.lines += 1;
    this.print(`${this.lines}: ${line}`);
  }
}

/**
 * Watch `opts.fd` on `reactor` (running or run afterwards); resolves with
 * the totals when the reader is lost (end of file, error, or shutdown).
 */
export function main(reactor: Reactor, opts: PipeReaderOptions = {}): Promise<PipeReaderResult> {
  const print = opts.print ?? console.log;
  return new Promise((resolve) => {
    const reader = new PipeReader(opts.fd ?? 0, print, (result) => {
      print(`${result.lines} lines, ${result.bytes} bytes (${result.reason})`);
      resolve(result);
    });
    reactor.addReader(reader);
  });
}

if (require.main === module) {
  const file = process.argv[2];
  const fd = file === undefined ? 0 : fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  main(globalReactor, { fd }).then(
    () => globalReactor.stop(),
    () => undefined,
  );
  void globalReactor.run();
}
