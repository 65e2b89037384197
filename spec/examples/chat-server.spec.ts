import { main } from '../../examples/chat-server';
import { LineClient, portNumber, startReactor } from './helpers';

describe('examples/chat-server', () => {
  let env: ReturnType<typeof startReactor>;
  const clients: LineClient[] = [];
  beforeEach(() => {
    env = startReactor();
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.socket.destroy();
    await env.stop();
  });

  async function join(port: number, name: string): Promise<LineClient> {
    const c = new LineClient(port);
    clients.push(c);
    expect(await c.next()).toBe("What's your name?");
    c.send(name);
    expect(await c.next()).toBe(`Welcome, ${name}!`);
    return c;
  }

  it('prints where it listens', () => {
    const out: string[] = [];
    const { port } = main(env.reactor, { port: 0, print: (l) => out.push(l) });
    expect(out).toEqual([`chat server listening on 127.0.0.1:${portNumber(port)}`]);
  });

  it('broadcasts each line to every other client as "<name> line", never back to the sender', async () => {
    const { port } = main(env.reactor, { port: 0, print: () => {} });
    const alice = await join(portNumber(port), 'alice');
    const bob = await join(portNumber(port), 'bob');
    expect(await alice.next()).toBe('* bob has joined');
    const carol = await join(portNumber(port), 'carol');
    expect(await alice.next()).toBe('* carol has joined');
    expect(await bob.next()).toBe('* carol has joined');

    alice.send('hi all');
    expect(await bob.next()).toBe('<alice> hi all');
    expect(await carol.next()).toBe('<alice> hi all');
    carol.send('hello alice\r');
    expect(await alice.next()).toBe('<carol> hello alice');
    expect(await bob.next()).toBe('<carol> hello alice');
    // Round trip through alice after carol's message: anything alice was sent of her own would be here.
    bob.send('ping');
    expect(await alice.next()).toBe('<bob> ping');
    expect(alice.unread).toEqual([]);
  });

  it('refuses a name already in use and an empty one, then accepts a free one', async () => {
    const { port, factory } = main(env.reactor, { port: 0, print: () => {} });
    await join(portNumber(port), 'alice');
    const other = new LineClient(portNumber(port));
    clients.push(other);
    expect(await other.next()).toBe("What's your name?");
    other.send('alice');
    expect(await other.next()).toBe('Name taken, please choose another.');
    other.send('');
    expect(await other.next()).toBe('Name taken, please choose another.');
    other.send('alicia');
    expect(await other.next()).toBe('Welcome, alicia!');
    expect([...factory.users.keys()].sort()).toEqual(['alice', 'alicia']);
  });

  it('forgets a client that leaves, tells the others, and frees its name', async () => {
    const { port, factory } = main(env.reactor, { port: 0, print: () => {} });
    const alice = await join(portNumber(port), 'alice');
    const bob = await join(portNumber(port), 'bob');
    expect(await alice.next()).toBe('* bob has joined');
    await bob.close();
    expect(await alice.next()).toBe('* bob has left');
    expect([...factory.users.keys()]).toEqual(['alice']);
    await join(portNumber(port), 'bob');
  });
});
