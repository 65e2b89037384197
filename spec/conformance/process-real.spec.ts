import type { IProcessProtocol, IProcessTransport } from '../../src/interfaces/process';
import { Reactor } from '../../src/reactor';
import { type Log, processConformance } from './process-suite';

const ENV = { PATH: '/bin:/usr/bin' };

function ended(p: Log): Promise<void> {
  return new Promise((resolve) => {
    const orig = p.processEnded.bind(p);
    p.processEnded = (r) => {
      orig(r);
      resolve();
    };
  });
}

processConformance('Process (Reactor.spawnProcess, real children)', () => {
  const reactor = new Reactor();
  const done = reactor.run();
  return {
    async run(protocol: IProcessProtocol, script) {
      const end = typeof script.end === 'number' ? `exit ${script.end}` : `kill -${script.end.slice(3)} $$`;
      const wait = ended(protocol as Log);
      const t = reactor.spawnProcess(
        protocol,
        '/bin/sh',
        ['sh', '-c', `printf '${script.out}'; printf '${script.err}' >&2; ${end}`],
        {
          env: ENV,
        },
      );
      await wait;
      return t;
    },
    spawnLongRunning(protocol: IProcessProtocol): IProcessTransport {
      return reactor.spawnProcess(protocol, '/bin/sh', ['sh', '-c', 'exec sleep 30'], { env: ENV });
    },
    async endLongRunning(t: IProcessTransport, p: Log) {
      const wait = ended(p);
      t.signalProcess('TERM');
      await wait;
    },
    async teardown() {
      if (reactor.running) reactor.stop();
      await done;
    },
  };
});
