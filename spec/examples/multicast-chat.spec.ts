import { main } from '../../examples/multicast-chat';
import { startReactor } from './helpers';
import { until } from '../udp/helpers';

describe('examples/multicast-chat', () => {
  let env: ReturnType<typeof startReactor>;
  beforeEach(() => {
    env = startReactor();
  });
  afterEach(async () => {
    await env.stop();
  });

  it('two members on one group port hear each other (and themselves: loopback is on)', async () => {
    const alice: string[] = [];
    const bob: string[] = [];
    const a = main(env.reactor, { name: 'alice', port: 0, group: '228.0.0.5', print: (l) => alice.push(l) });
    const b = main(env.reactor, { name: 'bob', port: a.port.getHost().port, group: '228.0.0.5', print: (l) => bob.push(l) });
    let joined = true;
    await a.chat.ready!.asPromise().catch((e: unknown) => {
      joined = false;
      console.log(`multicast chat spec skipped: cannot join on 127.0.0.1 (${String(e)})`);
    });
    if (!joined) return;
    await b.chat.ready!.asPromise();
    a.chat.say('hi bob');
    await until(() => bob.includes('alice: hi bob') && alice.includes('alice: hi bob'), 'bob heard alice');
    b.chat.say('hi alice');
    await until(() => alice.includes('bob: hi alice'), 'alice heard bob');
  });
});
