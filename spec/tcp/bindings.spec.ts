/**
 * The private bindings' loader: feature detection and the self-test on
 * first use turn the whole fast path off when the binding misbehaves.
 * Fed through `_reloadBindings(binder)`, a stand-in for process.binding
 * wrapping the real tcp_wrap (so the self-test really binds and listens).
 */
import { _reloadBindings, bindings } from '../../src/tcp/bindings';
import { nativeClientsEnabled } from '../../src/tcp/native-client';
import { nativeStreamsEnabled } from '../../src/tcp/native-stream';
import { nativeListenAvailable } from '../../src/tcp/socket';
import { BINDINGS_OFF } from './harness';

type Handle = Record<string, (...args: unknown[]) => unknown>;
type Binding = { TCP: new (type: number) => Handle; constants: { SERVER: number; SOCKET: number } } & Record<string, unknown>;

/** The real bindings, or null where this run keeps them off. */
function realBinder(): ((name: string) => unknown) | null {
  if (BINDINGS_OFF || typeof (process as unknown as { binding?: unknown }).binding !== 'function') return null;
  return (name) => (process as unknown as { binding(n: string): unknown }).binding(name);
}

/** tcp_wrap with its TCP class replaced by a subclass that overrides `method`. */
function tcpWrapWith(
  real: (name: string) => unknown,
  method: string,
  impl: (this: Handle, orig: (...a: unknown[]) => unknown, ...args: unknown[]) => unknown,
) {
  const tcp = real('tcp_wrap') as Binding;
  class Patched extends tcp.TCP {}
  const orig = tcp.TCP.prototype[method] as (...a: unknown[]) => unknown;
  (Patched.prototype as unknown as Handle)[method] = function (this: Handle, ...args: unknown[]) {
    return impl.call(this, orig.bind(this), ...args);
  };
  const patched = { ...tcp, TCP: Patched };
  return (name: string): unknown => (name === 'tcp_wrap' ? patched : real(name));
}

function allOff(): boolean[] {
  return [bindings() === null, !nativeListenAvailable(), !nativeStreamsEnabled(), !nativeClientsEnabled()];
}

// Skipped only where this Node (or the CI run without them) has no process.binding at all.
const maybe = realBinder() === null ? describe.skip : describe;
if (realBinder() === null) console.log('bindings.spec: skipped: process.binding is unavailable in this run');

maybe('the private bindings, self-tested on first use', () => {
  const real = realBinder() as (name: string) => unknown;
  afterEach(() => {
    _reloadBindings();
  });

  it('pass with the real binding: the fast path is on', () => {
    expect(_reloadBindings(real)).toEqual({ enabled: true, reason: null });
    expect(allOff()).toEqual([false, false, false, false]);
  });

  it('turn the fast path off when getsockname reports another address than the one bound', () => {
    const binder = tcpWrapWith(real, 'getsockname', (orig, out) => {
      const err = orig(out);
      (out as { address: string }).address = '0.0.0.0';
      return err;
    });
    const status = _reloadBindings(binder);
    expect(status.enabled).toBe(false);
    expect(status.reason).toMatch(/^self-test: getsockname gave .*0\.0\.0\.0/);
    expect(allOff()).toEqual([true, true, true, true]);
  });

  it('turn the fast path off when getsockname reports port 0', () => {
    const binder = tcpWrapWith(real, 'getsockname', (orig, out) => {
      const err = orig(out);
      (out as { port: number }).port = 0;
      return err;
    });
    expect(_reloadBindings(binder)).toMatchObject({
      enabled: false,
      reason: expect.stringMatching(/^self-test: getsockname gave/),
    });
    expect(allOff()).toEqual([true, true, true, true]);
  });

  it('turn the fast path off when bind fails, listen fails, or the handle throws', () => {
    expect(_reloadBindings(tcpWrapWith(real, 'bind', () => -22)).reason).toBe('self-test: bind(127.0.0.1, 0) returned -22');
    expect(allOff()).toEqual([true, true, true, true]);
    expect(_reloadBindings(tcpWrapWith(real, 'listen', () => -98)).reason).toBe('self-test: listen returned -98');
    expect(
      _reloadBindings(
        tcpWrapWith(real, 'listen', () => {
          throw new Error('boom');
        }),
      ).reason,
    ).toBe('self-test: threw Error: boom');
    expect(allOff()).toEqual([true, true, true, true]);
  });

  it('turn the fast path off when tcp_wrap lacks what the fast path calls, or process.binding throws', () => {
    expect(_reloadBindings(() => ({})).enabled).toBe(false);
    expect(
      _reloadBindings(() => {
        throw new Error('denied');
      }).reason,
    ).toBe('process.binding threw Error: denied');
    expect(allOff()).toEqual([true, true, true, true]);
  });

  it('keep listening on when only stream_wrap is unusable, with streams and clients off', () => {
    expect(_reloadBindings((name) => (name === 'stream_wrap' ? {} : real(name))).enabled).toBe(true);
    expect(allOff()).toEqual([false, false, true, true]);
  });
});
