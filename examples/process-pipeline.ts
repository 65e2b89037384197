/**
 * A pipeline of two child processes, `first | second`, wired by torsion
 * rather than by a shell: the first child's stdout is written to the
 * second's stdin, with flow control (the first process is registered as
 * the producer of the second, so a slow second child pauses the reading of
 * the first), and the first's end closes the second's stdin.
 *
 * Run: `npx tsx examples/process-pipeline.ts 'seq 1 100000' 'wc -l'`
 * (each stage runs under `/bin/sh -c`).
 *
 * Note that spawnProcess gives a child an EMPTY environment unless asked:
 * this example passes `env: null` to inherit this process's environment.
 */
import { type Failure, ProcessProtocol, type Reactor, reactor as globalReactor } from 'torsion';
import type { ProcessTerminated } from 'torsion/error';
import type { IProcessTransport } from 'torsion/interfaces';

/** What a finished pipeline reports. */
export interface PipelineResult {
  /** The second stage's stdout. */
  output: Buffer;
  /** Each stage's end: 0, or the exit code / signal it ended with. */
  ends: [string | number, string | number];
}

function endOf(reason: Failure): string | number {
  const v = reason.value as Partial<ProcessTerminated>;
  return v.signal ?? v.exitCode ?? 0;
}

/** The first stage: forwards its stdout to the second stage's stdin. */
class Upstream extends ProcessProtocol {
  constructor(
    readonly downstream: IProcessTransport,
    readonly done: (r: Failure) => void,
  ) {
    super();
  }
  override connectionMade(): void {
    // The second stage pauses us when its stdin buffer is full.
    this.downstream.registerProducer(this.transport!, true);
  }
  override outReceived(data: Buffer): void {
    this.downstream.write(data);
  }
  override errReceived(data: Buffer): void {
    process.stderr.write(data);
  }
  override outConnectionLost(): void {
    this.downstream.unregisterProducer();
    this.downstream.closeStdin();
  }
  override processEnded(reason: Failure): void {
    this.done(reason);
  }
}

/** The second stage: collects its stdout. */
class Downstream extends ProcessProtocol {
  readonly chunks: Buffer[] = [];
  constructor(readonly done: (r: Failure) => void) {
    super();
  }
  override outReceived(data: Buffer): void {
    this.chunks.push(data);
  }
  override errReceived(data: Buffer): void {
    process.stderr.write(data);
  }
  override processEnded(reason: Failure): void {
    this.done(reason);
  }
}

/** Run `first | second` (each a `/bin/sh -c` command line) on `reactor`. */
export function main(reactor: Reactor, first: string, second: string): Promise<PipelineResult> {
  return new Promise((resolve) => {
    const ends: (string | number | undefined)[] = [undefined, undefined];
    let down!: Downstream;
    const finish = (i: number) => (reason: Failure) => {
      ends[i] = endOf(reason);
      if (ends[0] !== undefined && ends[1] !== undefined) {
        resolve({ output: Buffer.concat(down.chunks), ends: ends as [string | number, string | number] });
      }
    };
    down = new Downstream(finish(1));
    const downT = reactor.spawnProcess(down, '/bin/sh', ['sh', '-c', second], { env: null });
    reactor.spawnProcess(new Upstream(downT, finish(0)), '/bin/sh', ['sh', '-c', first], { env: null });
  });
}

if (require.main === module) {
  const [first, second] = process.argv.slice(2);
  if (first === undefined || second === undefined) {
    console.error("usage: process-pipeline.ts '<first command>' '<second command>'");
    process.exit(2);
  }
  globalReactor.callWhenRunning(async () => {
    const result = await main(globalReactor, first, second);
    process.stdout.write(result.output);
    console.error(`stages ended with: ${result.ends.join(', ')}`);
    globalReactor.stop();
  });
  void globalReactor.run();
}
