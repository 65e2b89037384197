import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { Deferred } from '../../src/defer/deferred';
import { getDebugging, setDebugging } from '../../src/defer/debug';
import { AlreadyCalledError } from '../../src/defer/errors';
import { Failure } from '../../src/defer/failure';

interface LoggedEvent {
  level: string;
  namespace: string;
  message: string;
  failureType?: string;
  failureMessage?: string;
}

describe('Unhandled error in Deferred (real garbage collection, child process)', () => {
  let logged: Record<string, LoggedEvent[]>;

  beforeAll(() => {
    // jest cannot force a collection in its own process reliably, so the
    // scenarios run under `node --expose-gc` with tsx compiling TypeScript.
    const child = spawnSync(
      process.execPath,
      ['--expose-gc', '--require', require.resolve('tsx/cjs'), join(__dirname, 'fixtures', 'unhandled-gc.ts')],
      { encoding: 'utf8', timeout: 60_000 },
    );
    if (child.status !== 0) throw new Error(`fixture failed (${child.status}): ${child.stderr}`);
    logged = JSON.parse(child.stdout) as Record<string, LoggedEvent[]>;
  });

  // Every scenario also drops a Deferred failing with SentinelError: seeing
  // it proves a collection ran, so "nothing else was logged" means something.
  const others = (name: string): LoggedEvent[] => {
    expect(logged[name].some((e) => e.failureType === 'SentinelError')).toBe(true);
    return logged[name].filter((e) => e.failureType !== 'SentinelError');
  };

  it('a collected Deferred whose chain ends in a failure is logged once, at critical level, with the failure', () => {
    const events = others('unhandled');
    expect(events).toHaveLength(1);
    expect(events[0]).toEqual({
      level: 'critical',
      namespace: 'torsion.defer',
      message: 'Unhandled error in Deferred:',
      failureType: 'ZeroDivisionError',
      failureMessage: 'division by zero',
    });
  });

  it('a non-Error failure is reported too', () => {
    expect(others('unhandledNonError').map((e) => [e.failureType, e.failureMessage])).toEqual([['String', 'a plain string']]);
  });

  it('a handled failure is not reported', () => {
    expect(others('handled')).toEqual([]);
  });

  it('a failure after a recovery is reported', () => {
    expect(others('recoveredThenFailedAgain').map((e) => e.failureMessage)).toEqual(['second']);
  });

  it('a failed Deferred returned from a callback is not reported: its failure moved on and was handled', () => {
    expect(others('chainedErrorCleanup')).toEqual([]);
  });

  it('a failure cleared by an errback that chains to another Deferred is not reported', () => {
    expect(others('errorClearedByChaining')).toEqual([]);
  });

  it('a failure handed from an inner Deferred to the outer one is reported once (for the outer)', () => {
    expect(others('innerFailsLater').map((e) => e.failureMessage)).toEqual(['inner failed']);
  });

  it('a failure observed with then() counts as handled', () => {
    expect(others('observedByThen')).toEqual([]);
  });

  it('with debugging on, the message carries where the Deferred was created and first fired', () => {
    const events = others('debugging');
    expect(events).toHaveLength(1);
    const lines = events[0].message.split('\n');
    expect(lines[0]).toBe('Unhandled error in Deferred:');
    expect(lines[1]).toBe('(debug:  C: Deferred was created:');
    expect(lines.some((l) => l.startsWith(' C:') && l.includes('createdHere'))).toBe(true);
    expect(lines).toContain(' I: First Invoker was:');
    expect(lines.some((l) => l.startsWith(' I:') && l.includes('createdHere'))).toBe(true);
  });
});

describe('setDebugging', () => {
  let was: boolean;
  beforeEach(() => {
    was = getDebugging();
    setDebugging(true);
  });
  afterEach(() => setDebugging(was));

  function call1(d: Deferred<string>): void {
    d.callback('hello');
  }
  function call2(d: Deferred<string>): void {
    d.callback('twice');
  }
  function err1(d: Deferred<string>): void {
    d.errback(new Failure(new Error('one')));
  }
  function err2(d: Deferred<string>): void {
    d.errback(new Failure(new Error('two')));
  }
  function count(lines: string[], kind: 'C' | 'I', fn: string): number {
    return lines.filter((l) => l.startsWith(` ${kind}:`) && new RegExp(`\\bat ${fn} `).test(l)).length;
  }

  const cases: [string, (d: Deferred<string>) => void, string, (d: Deferred<string>) => void, string][] = [
    ['CC', call1, 'call1', call2, 'call2'],
    ['CE', call1, 'call1', err2, 'err2'],
    ['EC', err1, 'err1', call2, 'call2'],
    ['EE', err1, 'err1', err2, 'err2'],
  ];
  for (const [name, first, firstName, second, secondName] of cases) {
    it(`AlreadyCalledError (${name}) names the creator and the first invoker, not the second`, () => {
      const d = createHere();
      d.addCallbacks(
        () => undefined,
        () => undefined,
      );
      first(d);
      let err: unknown;
      try {
        second(d);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(AlreadyCalledError);
      const lines = (err as Error).message.split('\n');
      expect(count(lines, 'C', 'createHere')).toBe(1);
      for (const fn of ['call1', 'call2', 'err1', 'err2']) expect(count(lines, 'C', fn)).toBe(0);
      expect(count(lines, 'I', firstName)).toBe(1);
      expect(count(lines, 'I', secondName)).toBe(0);
    });
  }

  function createHere(): Deferred<string> {
    return new Deferred<string>();
  }

  it('without debugging AlreadyCalledError carries no stacks', () => {
    setDebugging(false);
    const d = new Deferred<string>();
    call1(d);
    expect(() => call2(d)).toThrow(new AlreadyCalledError().message);
  });

  it('Deferreds survive debugging being switched on and off around them', () => {
    setDebugging(false);
    const d = new Deferred<null>();
    d.addBoth(() => null);
    setDebugging(true);
    d.callback(null);
    setDebugging(false);
    const e = new Deferred<null>();
    e.callback(null);
    setDebugging(true);
    const seen: unknown[] = [];
    e.addBoth((r) => seen.push(r));
    expect(seen).toEqual([null]);
  });

  it('getDebugging reflects setDebugging', () => {
    setDebugging(false);
    expect(getDebugging()).toBe(false);
    setDebugging(true);
    expect(getDebugging()).toBe(true);
  });
});

describe('setDebugging and chainDeferred', () => {
  afterEach(() => setDebugging(false));

  it('a Deferred fired through chainDeferred records where the chain fired', () => {
    setDebugging(true);
    const a = new Deferred<string>();
    const b = new Deferred<string>();
    a.chainDeferred(b);
    (function fireTheSource(): void {
      a.callback('x');
    })();
    let err: unknown;
    try {
      b.callback('again');
    } catch (e) {
      err = e;
    }
    const lines = (err as Error).message.split('\n');
    expect(lines.some((l) => l.startsWith(' I:') && /\bat fireTheSource\b/.test(l))).toBe(true);
  });
});
