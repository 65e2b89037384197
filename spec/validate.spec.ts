/**
 * Argument errors carry Node's stable codes: a wrong type is a TypeError
 * with code ERR_INVALID_ARG_TYPE, a value out of range a RangeError with
 * ERR_OUT_OF_RANGE, at every public entry point, and the message names
 * the argument.
 */
import { Reactor } from '../src/reactor';
import { Factory } from '../src/protocol/factory';
import { Protocol } from '../src/protocol/protocol';
import { Clock } from '../src/task';
import { ArgRangeError, ArgTypeError, checkPort } from '../src/validate';

function thrown(fn: () => unknown): Error & { code?: string } {
  try {
    fn();
  } catch (e) {
    return e as Error & { code?: string };
  }
  throw new Error('did not throw');
}

describe('argument errors', () => {
  it('are TypeError / RangeError (instanceof and name) with Node codes', () => {
    const t = thrown(() => checkPort('port', 'eighty'));
    expect(t).toBeInstanceOf(TypeError);
    expect(t).toBeInstanceOf(ArgTypeError);
    expect(t.name).toBe('TypeError');
    expect(t.code).toBe('ERR_INVALID_ARG_TYPE');
    expect(t.message).toMatch(/^port /);
    const r = thrown(() => checkPort('port', 70000));
    expect(r).toBeInstanceOf(RangeError);
    expect(r).toBeInstanceOf(ArgRangeError);
    expect(r.name).toBe('RangeError');
    expect(r.code).toBe('ERR_OUT_OF_RANGE');
    expect(String(r)).toMatch(/^RangeError: port /);
  });

  it('at the public entry points: callLater, listenTCP, connectTCP, Clock', () => {
    const reactor = new Reactor();
    const f = Factory.forProtocol(Protocol);
    expect(thrown(() => reactor.callLater(-1, () => {})).code).toBe('ERR_OUT_OF_RANGE');
    expect(thrown(() => reactor.callLater(1, 'nope' as never)).code).toBe('ERR_INVALID_ARG_TYPE');
    expect(thrown(() => reactor.listenTCP(-1, f)).code).toBe('ERR_OUT_OF_RANGE');
    expect(thrown(() => reactor.connectTCP('127.0.0.1', '80' as never, f as never)).code).toBe('ERR_INVALID_ARG_TYPE');
    expect(thrown(() => new Clock().advance(Number.NaN)).code).toBe('ERR_OUT_OF_RANGE');
  });
});
