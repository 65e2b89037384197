/**
 * A multicast chat: every instance joins one group and prints what the
 * others say; lines typed on stdin go to the whole group. Several instances
 * can run on one machine (`listenMultiple`). By default it stays on the
 * loopback interface, so it works without a network.
 *
 * Run (in two terminals): `npx tsx examples/multicast-chat.ts alice` and
 * `npx tsx examples/multicast-chat.ts bob`, then type.
 */
import * as readline from 'node:readline';

import { DatagramProtocol, reactor as globalReactor, type Reactor } from 'torsion';
import type { IPv4Address, IPv6Address } from 'torsion/address';
import type { Deferred } from 'torsion/defer';
import type { IMulticastListeningPort, IMulticastTransport } from 'torsion/interfaces';

/** One chat member: lines are `name: text`. */
export class MulticastChat extends DatagramProtocol<IMulticastTransport> {
  /** Fires once the group is joined and the outgoing interface set. */
  ready: Deferred<void> | null = null;
  /** The group port (the port this member listens on). */
  groupPort = 0;
  constructor(
    readonly name: string,
    readonly group: string,
    readonly iface: string,
    readonly print: (line: string) => void,
  ) {
    super();
  }
  override startProtocol(): void {
    const t = this.transport!;
    t.setTTL(1);
    this.ready = t.joinGroup(this.group, this.iface).addCallback(() => t.setOutgoingInterface(this.iface));
  }
  override datagramReceived(data: Buffer, _addr: IPv4Address | IPv6Address): void {
    this.print(data.toString());
  }
  /** Send one line to the group. */
  say(text: string): void {
    this.transport!.write(Buffer.from(`${this.name}: ${text}`), [this.group, this.groupPort]);
  }
}

/** Options of {@link main}. */
export interface ChatOptions {
  /** The member's name. */
  name: string;
  /** The group. Default 228.0.0.5. */
  group?: string;
  /** The group port; 0 picks a free one (others then join that one). Default 8005. */
  port?: number;
  /** The interface to join on and send through. Default 127.0.0.1. */
  interface?: string;
  /** Where received lines go. Default console.log. */
  print?: (line: string) => void;
}

/** Join the chat on `reactor`; returns the member and its port. */
export function main(reactor: Reactor, opts: ChatOptions): { chat: MulticastChat; port: IMulticastListeningPort } {
  const chat = new MulticastChat(opts.name, opts.group ?? '228.0.0.5', opts.interface ?? '127.0.0.1', opts.print ?? console.log);
  const port = reactor.listenMulticast(opts.port ?? 8005, chat, { listenMultiple: true });
  chat.groupPort = port.getHost().port;
  return { chat, port };
}

if (require.main === module) {
  const { chat } = main(globalReactor, { name: process.argv[2] ?? `user${process.pid}` });
  const rl = readline.createInterface({ input: process.stdin });
  rl.on('line', (line) => chat.say(line));
  rl.on('close', () => globalReactor.stop());
  void globalReactor.run();
}
