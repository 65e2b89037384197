/**
 * Helpers of the example specs: a fresh running Reactor per test, and a
 * plain node:net client that reads whole lines, so each example is checked
 * from outside torsion.
 */
import * as net from 'node:net';

import { Reactor } from '../../src/reactor';

/** A running Reactor and how to stop it (idempotent). */
export function startReactor(): { reactor: Reactor; stop: () => Promise<void> } {
  const reactor = new Reactor();
  const done = reactor.run();
  return {
    reactor,
    stop: async () => {
      if (reactor.running) reactor.stop();
      await done;
    },
  };
}

/** The port a listening port got. */
export function portNumber(port: { getHost(): unknown }): number {
  return (port.getHost() as { port: number }).port;
}

/** A node:net client that hands out received lines one by one. */
export class LineClient {
  readonly socket: net.Socket;
  readonly closed: Promise<void>;
  #buffer = '';
  #lines: string[] = [];
  #waiting: ((line: string) => void)[] = [];

  constructor(port: number) {
    this.socket = net.connect(port, '127.0.0.1');
    this.socket.setEncoding('utf8');
    this.socket.on('data', (chunk: string) => {
      this.#buffer += chunk;
      let nl: number;
      while ((nl = this.#buffer.indexOf('\n')) >= 0) {
        const line = this.#buffer.slice(0, nl).replace(/\r$/, '');
        this.#buffer = this.#buffer.slice(nl + 1);
        const w = this.#waiting.shift();
        if (w !== undefined) w(line);
        else this.#lines.push(line);
      }
    });
    this.closed = new Promise((resolve) => this.socket.once('close', () => resolve()));
  }

  /** The next line (already received or still to come). */
  next(): Promise<string> {
    const line = this.#lines.shift();
    if (line !== undefined) return Promise.resolve(line);
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  /** Lines received and not yet taken with next(). */
  get unread(): readonly string[] {
    return this.#lines;
  }

  send(line: string): void {
    this.socket.write(`${line}\n`);
  }

  async close(): Promise<void> {
    this.socket.end();
    await this.closed;
  }
}
