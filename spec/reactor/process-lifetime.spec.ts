import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

// Child processes: the only way to observe signal handling and whether the
// process stays alive or exits by itself. Assertions are on output, exit
// code and liveness, never on elapsed time.

const FIXTURES = join(__dirname, 'fixtures');

interface Child {
  proc: ChildProcess;
  lines: string[];
  /** Resolves when a line equal to `line` was printed. */
  waitFor(line: string): Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startChild(fixture: string): Child {
  const proc = spawn(process.execPath, ['--require', 'tsx/cjs', join(FIXTURES, fixture)], {
    cwd: join(__dirname, '..', '..'),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const waiters: { line: string; resolve: () => void }[] = [];
  let buffered = '';
  let stderr = '';
  proc.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      lines.push(line);
      for (const w of waiters.filter((x) => x.line === line)) w.resolve();
    }
  });
  proc.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    proc.on('exit', (code, signal) => resolve({ code, signal }));
  });
  // A child that hangs fails its test instead of hanging the suite.
  const guard = setTimeout(() => proc.kill('SIGKILL'), 15_000);
  void exited.then(() => {
    clearTimeout(guard);
    if (stderr.includes('Error')) lines.push(`stderr: ${stderr}`);
  });
  return {
    proc,
    lines,
    exited,
    waitFor: (line) =>
      lines.includes(line)
        ? Promise.resolve()
        : new Promise<void>((resolve, reject) => {
            waiters.push({ line, resolve });
            void exited.then(() => reject(new Error(`child exited before printing ${line}: ${lines.join(' | ')} ${stderr}`)));
          }),
  };
}

describe('the global reactor and signals', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)(
    '%s turns into a clean stop: shutdown triggers run and the process exits with 0',
    async (signal) => {
      const child = startChild('run-until-signal.ts');
      await child.waitFor('running');
      // Nothing is scheduled, yet the running reactor keeps the process alive:
      // a loop without work would have ended at once after 'running' (the child
      // reports it as 'loop empty', from 'beforeExit'), long before this signal.
      expect(child.lines).toEqual(['running']);
      child.proc.kill(signal);
      const { code, signal: killedBy } = await child.exited;
      expect({ code, killedBy }).toEqual({ code: 0, killedBy: null });
      expect(child.lines).toEqual([
        'running',
        'before shutdown',
        'during shutdown',
        'after shutdown',
        `run resolved (stopped by ${signal})`,
        'loop empty',
      ]);
    },
  );
});

describe('after stop()', () => {
  it('the process exits by itself: the stopped reactor holds no handle, even with calls pending', async () => {
    const child = startChild('stop-then-exit.ts');
    const { code, signal } = await child.exited;
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(child.lines).toEqual(['connection lost: ConnectionLost', 'run resolved; far call still pending: true']);
  });
});
