import * as dgram from 'node:dgram';

import { MulticastJoinError } from '../../src/errors';
import { MulticastPort } from '../../src/udp';
import { DatagramRecorder, startReactor, until } from './helpers';

const GROUP = '225.0.0.250';

/**
 * Whether this machine routes IPv4 multicast on the loopback interface:
 * join a group on 127.0.0.1 and send to it from 127.0.0.1 with plain dgram.
 */
async function loopbackMulticast(): Promise<string | null> {
  const a = dgram.createSocket({ type: 'udp4', reuseAddr: true });
  const b = dgram.createSocket('udp4');
  try {
    await new Promise<void>((r) => a.bind(0, () => r()));
    a.addMembership(GROUP, '127.0.0.1');
    await new Promise<void>((r) => b.bind(0, '127.0.0.1', () => r()));
    b.setMulticastInterface('127.0.0.1');
    const got = new Promise<boolean>((resolve) => {
      a.once('message', () => resolve(true));
      setTimeout(() => resolve(false), 2000).unref();
    });
    b.send(Buffer.from('probe'), a.address().port, GROUP);
    return (await got) ? null : 'a datagram sent to the group on 127.0.0.1 never came back';
  } catch (err) {
    return `joining ${GROUP} on 127.0.0.1 failed: ${String(err)}`;
  } finally {
    a.close();
    b.close();
  }
}

describe('torsion/udp MulticastPort on the loopback interface', () => {
  let env: ReturnType<typeof startReactor>;
  let skip: string | null = null;
  beforeAll(async () => {
    skip = await loopbackMulticast();
    if (skip !== null) console.log(`multicast delivery specs skipped: ${skip}`);
  });
  beforeEach(() => {
    env = startReactor();
  });
  afterEach(async () => {
    await env.stop();
  });

  it('two ports sharing one group port (listenMultiple) both get what a third sends to the group', async () => {
    if (skip !== null) return;
    const a = new DatagramRecorder();
    const b = new DatagramRecorder();
    const pa = env.reactor.listenMulticast(0, a, { listenMultiple: true });
    expect(pa).toBeInstanceOf(MulticastPort);
    const groupPort = pa.getHost().port;
    const pb = env.reactor.listenMulticast(groupPort, b, { listenMultiple: true });
    await pa.joinGroup(GROUP, '127.0.0.1');
    await pb.joinGroup(GROUP, '127.0.0.1');
    const sender = env.reactor.listenMulticast(0, new DatagramRecorder(), { interface: '127.0.0.1' });
    await sender.setOutgoingInterface('127.0.0.1');
    sender.setTTL(1);
    sender.write(Buffer.from('hello group'), [GROUP, groupPort]);
    await until(() => a.datagrams.length === 1 && b.datagrams.length === 1, 'both members got it');
    expect(a.datagrams[0]!.data.toString()).toBe('hello group');
    expect(b.datagrams[0]!.addr).toMatchObject({ type: 'UDP', host: '127.0.0.1', port: sender.getHost().port });
  });

  it('leaveGroup fires for a group joined before, and fails with MulticastJoinError for one never joined', async () => {
    if (skip !== null) return;
    // (Linux delivers a group's datagrams to every socket bound to the port on
    // INADDR_ANY while any socket of the host is a member, so leaving is
    // checked through the kernel's answer, not through delivery.)
    const port = env.reactor.listenMulticast(0, new DatagramRecorder(), { listenMultiple: true });
    await port.joinGroup(GROUP, '127.0.0.1');
    await port.leaveGroup(GROUP, '127.0.0.1');
    const err = await port
      .leaveGroup(GROUP, '127.0.0.1')
      .asPromise()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MulticastJoinError);
    expect((err as Error).message).toMatch(/leave/);
  });

  it('joinGroup resolves names through reactor.resolve (the interface given as localhost)', async () => {
    if (skip !== null) return;
    const port = env.reactor.listenMulticast(0, new DatagramRecorder(), { listenMultiple: true });
    await port.joinGroup(GROUP, 'localhost');
    await port.leaveGroup(GROUP, 'localhost');
  });

  it('joining something that is not a multicast group fails the Deferred with MulticastJoinError', async () => {
    const port = env.reactor.listenMulticast(0, new DatagramRecorder(), {});
    const err = await port
      .joinGroup('127.0.0.1')
      .asPromise()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MulticastJoinError);
    expect(err).toMatchObject({ code: 'ERR_MULTICAST_JOIN', group: '127.0.0.1', interface: '' });
  });

  it('a group name that does not resolve fails with MulticastJoinError', async () => {
    const port = env.reactor.listenMulticast(0, new DatagramRecorder(), {});
    const err = await port
      .joinGroup('no-such-group.invalid')
      .asPromise()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MulticastJoinError);
    expect((err as Error).cause).toBeDefined();
  });

  it('IPv6 groups work on an IPv6 port: ff02::1 is joined and left', async () => {
    const port = env.reactor.listenMulticast(0, new DatagramRecorder(), { interface: '::', listenMultiple: true });
    await port.joinGroup('ff02::1');
    await port.leaveGroup('ff02::1');
  });

  it('a group send the network refuses (IPv6 multicast on lo: ENETUNREACH) goes to errorReceived', async () => {
    const r = new DatagramRecorder();
    const port = env.reactor.listenMulticast(0, r, { interface: '::' });
    port.write(Buffer.from('x'), ['ff02::1234%lo', 9999]);
    await until(() => r.errors.length === 1, 'errorReceived');
    expect((r.errors[0]!.value as NodeJS.ErrnoException).code).toMatch(/^E[A-Z]+$/);
    expect(port.connected).toBe(true);
  });
});
