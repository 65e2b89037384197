import * as task from '../../src/task';
import * as testing from '../../src/testing';

describe('torsion/testing', () => {
  it('re-exports Clock as the very same class as torsion/task', () => {
    expect(testing.Clock).toBe(task.Clock);
  });

  it('exports the names API.md promises', () => {
    for (const name of [
      'Clock',
      'MemoryReactor',
      'MemoryReactorClock',
      'StringTransport',
      'StringTransportWithDisconnection',
      'loopbackAsync',
    ]) {
      expect(typeof (testing as Record<string, unknown>)[name]).toBe('function');
    }
  });

  it('exports the iosim helpers and RaisingMemoryReactor', () => {
    for (const name of [
      'IOPump',
      'FakeTransport',
      'connect',
      'connectedServerAndClient',
      'ConnectionCompleter',
      'RaisingMemoryReactor',
    ]) {
      expect(typeof (testing as Record<string, unknown>)[name]).toBe('function');
    }
  });
});
