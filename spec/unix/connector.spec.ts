/**
 * The UNIX connector's lifecycle on a Clock-driven reactor (FakeTCPReactor):
 * the attempt starts on the next reactor pass, times out with TimeoutError,
 * stops with UserError, and can be started again, as connectTCP's.
 */
import { UNIXAddress } from '../../src/address';
import { TimeoutError, UserError } from '../../src/errors';
import { Client, Connector, connectUNIX } from '../../src/unix';
import { FakeTCPReactor, RecordingClientFactory } from '../tcp/harness';

const calls = (cf: RecordingClientFactory): string[] => cf.names().filter((n) => n !== 'startFactory' && n !== 'stopFactory');
// Never created: every attempt here ends before libuv could answer.
const PATH = '/nonexistent-torsion-dir/never.sock';

describe('UNIX Connector (Clock)', () => {
  it('runs doStart and startedConnecting synchronously and starts the attempt on the next pass', () => {
    const r = new FakeTCPReactor();
    const cf = new RecordingClientFactory();
    const c = connectUNIX(r, PATH, cf, { timeout: 5 });
    expect(c).toBeInstanceOf(Connector);
    expect(c.state).toBe('connecting');
    expect(c.transport).toBeInstanceOf(Client);
    expect(c.getDestination()).toEqual(new UNIXAddress(PATH));
    expect(calls(cf)).toEqual(['doStart', 'startedConnecting']);
    expect(r.tracked.has(c.transport as Client)).toBe(true);
    c.stopConnecting();
  });

  it('times out with TimeoutError after `timeout` seconds of the clock', () => {
    const r = new FakeTCPReactor();
    const cf = new RecordingClientFactory();
    connectUNIX(r, PATH, cf, { timeout: 5 });
    r.advance(0);
    r.advance(4.9);
    expect(cf.failed.called).toBe(false);
    r.advance(0.1);
    expect(cf.failed.value?.value).toBeInstanceOf(TimeoutError);
    expect(calls(cf)).toEqual(['doStart', 'startedConnecting', 'clientConnectionFailed', 'doStop']);
    expect(r.tracked.size).toBe(0);
  });

  it('stopConnecting fails the attempt with UserError; connect() starts a new one', () => {
    const r = new FakeTCPReactor();
    const cf = new RecordingClientFactory();
    const c = connectUNIX(r, PATH, cf, { timeout: null });
    const first = c.transport;
    c.stopConnecting();
    expect(cf.failed.value?.value).toBeInstanceOf(UserError);
    expect(c.state).toBe('disconnected');
    c.connect();
    expect(c.transport).not.toBe(first);
    expect(c.state).toBe('connecting');
    expect(r.getDelayedCalls().length).toBeGreaterThan(0);
    c.disconnect();
    expect(c.state).toBe('disconnected');
  });
});
