import { Failure } from '../../src/defer/failure';
import { ConnectionDone, ConnectionLost, ConnectionClosed } from '../../src/errors';
import { GenericError } from './support';

function thrower(): never {
  throw new GenericError('from thrower');
}

describe('Failure', () => {
  it('keeps the thrown value itself and its constructor as type', () => {
    const err = new RangeError('too big');
    const f = new Failure(err);
    expect(f.value).toBe(err);
    expect(f.type).toBe(RangeError);
  });

  it('wraps non-Error values as they are', () => {
    expect(new Failure('boom').value).toBe('boom');
    expect(new Failure('boom').type).toBe(String);
    expect(new Failure(42).type).toBe(Number);
    const obj = { code: 7 };
    expect(new Failure(obj).value).toBe(obj);
    expect(new Failure(obj).type).toBe(Object);
    expect(new Failure(null).value).toBeNull();
    expect(new Failure(undefined).type).toBe(Object);
    expect(new Failure(Object.create(null)).type).toBe(Object);
  });

  it('from() returns a Failure unchanged and wraps anything else', () => {
    const f = new Failure(new Error('x'));
    expect(Failure.from(f)).toBe(f);
    const g = Failure.from('y');
    expect(g).toBeInstanceOf(Failure);
    expect(g.value).toBe('y');
  });

  it('wrapping a Failure copies its value and type', () => {
    const inner = new Failure(new TypeError('t'));
    const outer = new Failure(inner);
    expect(outer.value).toBe(inner.value);
    expect(outer.type).toBe(TypeError);
  });

  describe('check', () => {
    it('returns the first matching type, following subclassing', () => {
      const f = new Failure(new ConnectionDone());
      expect(f.check(ConnectionLost, ConnectionClosed)).toBe(ConnectionClosed);
      expect(f.check(ConnectionDone)).toBe(ConnectionDone);
      expect(f.check(Error)).toBe(Error);
    });

    it('returns null when nothing matches', () => {
      expect(new Failure(new RangeError('r')).check(TypeError, GenericError)).toBeNull();
      expect(new Failure(new RangeError('r')).check()).toBeNull();
    });

    it('matches class names given as strings anywhere in the prototype chain', () => {
      const f = new Failure(new ConnectionDone());
      expect(f.check('ConnectionClosed')).toBe('ConnectionClosed');
      expect(f.check('TypeError')).toBeNull();
    });

    it('matches primitives against their wrapper types', () => {
      expect(new Failure('s').check(Number, String)).toBe(String);
      expect(new Failure(3).check(Error)).toBeNull();
    });

    it('ignores non-class functions instead of throwing', () => {
      const arrow = (() => undefined) as unknown as typeof Error;
      expect(new Failure(new Error('e')).check(arrow)).toBeNull();
    });
  });

  describe('trap', () => {
    it('returns the matching type', () => {
      expect(new Failure(new TypeError('t')).trap(RangeError, TypeError)).toBe(TypeError);
    });

    it('rethrows the original value when nothing matches', () => {
      const err = new GenericError('original');
      const f = new Failure(err);
      let caught: unknown;
      try {
        f.trap(TypeError);
      } catch (e) {
        caught = e;
      }
      expect(caught).toBe(err);
    });

    it('rethrows non-Error values as they are', () => {
      const value = { weird: true };
      let caught: unknown;
      try {
        new Failure(value).trap(Error);
      } catch (e) {
        caught = e;
      }
      expect(caught).toBe(value);
    });
  });

  describe('getErrorMessage', () => {
    it("is an Error's message", () => {
      expect(new Failure(new Error('the message')).getErrorMessage()).toBe('the message');
    });

    it('is the value as a string for anything else', () => {
      expect(new Failure('plain').getErrorMessage()).toBe('plain');
      expect(new Failure(12).getErrorMessage()).toBe('12');
      expect(new Failure(null).getErrorMessage()).toBe('null');
      expect(new Failure({ a: 1 }).getErrorMessage()).toBe('{ a: 1 }');
    });

    it('survives values whose toString throws', () => {
      const nasty = {
        toString(): string {
          throw new Error('no');
        },
      };
      expect(typeof new Failure(nasty).getErrorMessage()).toBe('string');
    });
  });

  it('raiseException throws the original value', () => {
    const err = new GenericError('again');
    expect(() => new Failure(err).raiseException()).toThrow(err);
  });

  describe('getTraceback', () => {
    it('keeps the original stack of an Error (where it was thrown, not where it was wrapped)', () => {
      let err: unknown;
      try {
        thrower();
      } catch (e) {
        err = e;
      }
      const tb = new Failure(err).getTraceback();
      expect(tb).toContain('GenericError: from thrower');
      expect(tb).toContain('thrower');
      expect(tb).toBe((err as Error).stack);
    });

    it('shows the cause chain', () => {
      const cause = new Error('ECONNREFUSED');
      const tb = new Failure(new ConnectionLost('lost', { cause })).getTraceback();
      expect(tb).toContain('lost');
      expect(tb).toContain('Caused by: Error: ECONNREFUSED');
    });

    it('records where a non-Error value was wrapped', () => {
      function wrapsHere(): Failure {
        return new Failure('text');
      }
      const tb = wrapsHere().getTraceback();
      expect(tb.split('\n')[0]).toBe('String: text');
      expect(tb).toContain('wrapsHere');
    });
  });

  it('toString names the type and message', () => {
    expect(String(new Failure(new RangeError('r')))).toBe('[Failure instance: RangeError: r]');
  });
});
