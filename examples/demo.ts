/**
 * `npm start`: a tour of torsion in a few seconds. It runs the reactor,
 * schedules timed calls, runs a LoopingCall and a Deferred chain, then an
 * echo server and client over loopback, and stops the reactor, after which
 * the process exits 0 by itself.
 */
import type { IPv4Address, IPv6Address } from 'torsion/address';
import { Deferred, deferLater, LoopingCall, react, type Failure, type Reactor } from 'torsion';
import { DatagramProtocol, ProcessProtocol } from 'torsion/protocol';
import { main as echoClient } from './echo-client';
import { main as echoServer } from './echo-server';

/** The tour, on any running reactor; `print` receives every output line. */
export async function main(reactor: Reactor, print: (line: string) => void = console.log): Promise<void> {
  const t0 = reactor.seconds();
  const stamp = (): string => `[+${(reactor.seconds() - t0).toFixed(2)}s]`;

  print('1. Timed calls: callLater(0.2), callLater(0.1) twice, callLater(0); they run in due order, ties in order scheduled');
  reactor.callLater(0.2, () => print(`   ${stamp()} the 0.2 s call`));
  reactor.callLater(0.1, () => print(`   ${stamp()} the first 0.1 s call`));
  reactor.callLater(0.1, () => print(`   ${stamp()} the second 0.1 s call`));
  const cancelled = reactor.callLater(0.15, () => print('   never printed: cancelled'));
  reactor.callLater(0, () => print(`   ${stamp()} the 0 s call`));
  cancelled.cancel();
  await deferLater(reactor, 0.25);

  print('2. A LoopingCall every 0.1 s, stopped after three ticks');
  let ticks = 0;
  const loop = new LoopingCall(() => {
    ticks += 1;
    print(`   ${stamp()} tick ${ticks}`);
    if (ticks === 3) loop.stop();
  });
  loop.clock = reactor;
  await loop.start(0.1);

  print('3. A Deferred chain: callback, a callback that throws, an errback that recovers');
  const d = new Deferred<number>();
  d.addCallback((x: number) => {
    print(`   callback got ${x}, returns ${x * 2}`);
    return x * 2;
  })
    .addCallback((x: number) => {
      throw new RangeError(`${x} is too big`);
    })
    .addErrback((f: Failure) => {
      print(`   errback caught ${f.getErrorMessage()}, returns 0`);
      return 0;
    })
    .addCallback((x: number) => print(`   chain ended with ${x}`));
  reactor.callLater(0.05, () => d.callback(21));
  await d;

  print('4. An echo server and an echo client over loopback');
  const port = echoServer(reactor, { port: 0, print: (line) => print(`   ${line}`) });
  const portNumber = (port.getHost() as IPv4Address | IPv6Address).port;
  const echoes = await echoClient(reactor, {
    port: portNumber,
    lines: ['hello, world', 'torsion speaks Twisted'],
    print: (line) => print(`   ${line}`),
  });
  await port.stopListening();
  print(`   ${echoes.length} lines echoed; server closed`);

  print('5. UDP: a datagram to an echoing port on 127.0.0.1, and its echo back');
  class UDPEcho extends DatagramProtocol {
    override datagramReceived(data: Buffer, addr: IPv4Address | IPv6Address): void {
      this.transport!.write(data, addr);
    }
  }
  const udpServer = reactor.listenUDP(0, new UDPEcho(), { interface: '127.0.0.1' });
  const echoed = new Deferred<string>();
  class UDPAsker extends DatagramProtocol {
    override startProtocol(): void {
      this.transport!.write(Buffer.from('ping over UDP'), ['127.0.0.1', udpServer.getHost().port]);
    }
    override datagramReceived(data: Buffer): void {
      echoed.callback(data.toString());
    }
  }
  const udpClient = reactor.listenUDP(0, new UDPAsker(), { interface: '127.0.0.1' });
  print(`   echoed: ${await echoed}`);
  await Promise.all([udpServer.stopListening(), udpClient.stopListening()]);

  print('6. A child process: sh prints a line and exits 3; processEnded says so');
  const ended = new Deferred<string>();
  class Child extends ProcessProtocol {
    override outReceived(data: Buffer): void {
      print(`   child said: ${data.toString().trim()}`);
    }
    override processEnded(reason: Failure): void {
      ended.callback(reason.getErrorMessage());
    }
  }
  reactor.spawnProcess(new Child(), '/bin/sh', ['sh', '-c', 'echo hello from a child; exit 3']);
  print(`   ${await ended}`);
  print('Done: stopping the reactor.');
}

if (require.main === module) {
  void react((reactor: Reactor) => main(reactor));
}
