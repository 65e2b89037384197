import type { IProcessProtocol, IProcessTransport } from '../../src/interfaces/process';
import { FakeProcessTransport, MemoryReactor } from '../../src/testing';
import { type Log, processConformance } from './process-suite';

processConformance('FakeProcessTransport (MemoryReactor.spawnProcess)', () => {
  const reactor = new MemoryReactor();
  const drive = (t: FakeProcessTransport, end: number | 'SIGTERM' | 'SIGKILL'): void => {
    // The order a real child gives most often: pipes close, then the reap.
    for (const fd of [0, 1, 2]) t.childConnectionLost(fd);
    if (typeof end === 'number') t.exit(end);
    else t.kill(end);
  };
  return {
    async run(protocol: IProcessProtocol, script) {
      const t = reactor.spawnProcess(protocol, '/bin/sh');
      if (script.out) t.childDataReceived(1, Buffer.from(script.out));
      if (script.err) t.childDataReceived(2, Buffer.from(script.err));
      drive(t, script.end);
      return t;
    },
    spawnLongRunning(protocol: IProcessProtocol): IProcessTransport {
      return reactor.spawnProcess(protocol, 'sleep', ['sleep', '30']);
    },
    async endLongRunning(t: IProcessTransport, _p: Log) {
      drive(t as FakeProcessTransport, 'SIGTERM');
    },
    async teardown() {},
  };
});
