/**
 * W12b: telnet negotiation time over 127.0.0.1. A TelnetClient
 * (openTelnetConnection, connectMinwait 0) connects to a TelnetServer
 * (createTelnetServer); the time measured runs from the connect call to the
 * server's shell callback, i.e. until the server considers negotiation
 * settled: TTYPE (cycled to its repeat), NAWS, NEW_ENVIRON, CHARSET, SGA,
 * ECHO and BINARY both ways. Median ms over N sequential connections.
 *
 * The raw column replays the very bytes of that negotiation over node:net,
 * round by round (each side sends its bytes of a round once it received the
 * peer's bytes of the previous one), with no telnet engine: the floor that
 * the same exchange costs on the wire and in the event loop. The transcript
 * is recorded from a TelnetServer/TelnetClient pair in memory first.
 *
 * telnetlib3 itself cannot be installed here (no PyPI), so there is no
 * Python column; the ratio is against the replay.
 *
 * Sizes: TELNET_CONNS (default 200 per round), TELNET_ROUNDS (default 4).
 * Run: `npx tsx bench/telnet-negotiation.ts`
 * @internal
 */
import * as net from 'node:net';

import { Clock, StringTransport } from '../src/testing';
import type { Reactor } from '../src/reactor';
import { TelnetClient, TelnetServer, createTelnetServer, openTelnetConnection } from '../src/telnet';
import { alternate, closeRaw, envInt, listenRaw, median, nowMs, portOf, progress, report, withReactor, type Row } from './common';

/** One round of the exchange: what the client sent, what the server sent. */
type Round = [toServer: Buffer, toClient: Buffer];

/** The negotiation's bytes, round by round, from a pair on StringTransports and a Clock. */
function recordTranscript(): Round[] {
  const clock = new Clock();
  const server = new TelnetServer({ reactor: clock });
  const client = new TelnetClient({ reactor: clock, connectMinwait: 0 });
  let shell = false;
  server.waiterConnected.then(() => (shell = true));
  const ts = new StringTransport();
  const tc = new StringTransport();
  server.makeConnection(ts);
  client.makeConnection(tc);
  const rounds: Round[] = [];
  for (let i = 0; i < 100; i++) {
    clock.advance(0);
    const toClient = Buffer.from(ts.value());
    const toServer = Buffer.from(tc.value());
    ts.clear();
    tc.clear();
    if (toClient.length === 0 && toServer.length === 0) break;
    rounds.push([toServer, toClient]);
    if (toClient.length > 0) client.dataReceived(toClient);
    if (toServer.length > 0) server.dataReceived(toServer);
  }
  void shell;
  return rounds;
}

/** Replay `rounds` over node:net: per connection, ms from connect() to the server's last round received. */
async function rawSide(rounds: Round[], conns: number): Promise<number[]> {
  const server = net.createServer((s) => {
    s.on('error', () => {});
    let round = 0;
    let got = 0;
    const next = (): void => {
      // send our bytes of this round, then wait for the client's
      while (round < rounds.length) {
        const [toServer, toClient] = rounds[round]!;
        if (toClient.length > 0) s.write(toClient);
        if (toServer.length > got) return;
        got -= toServer.length;
        round++;
      }
      s.end();
    };
    s.on('data', (d: Buffer) => {
      got += d.length;
      next();
    });
    next();
  });
  const port = await listenRaw(server);
  const times: number[] = [];
  for (let i = 0; i < conns; i++) {
    const t0 = nowMs();
    await new Promise<void>((resolve, reject) => {
      const c = net.connect(port, '127.0.0.1');
      c.on('error', reject);
      let round = 0;
      let got = 0;
      const step = (): void => {
        while (round < rounds.length) {
          const [toServer, toClient] = rounds[round]!;
          if (toServer.length > 0) c.write(toServer);
          if (toClient.length > got) return;
          got -= toClient.length;
          round++;
        }
      };
      c.on('connect', step);
      c.on('data', (d: Buffer) => {
        got += d.length;
        step();
      });
      c.on('end', () => {
        times.push(nowMs() - t0);
        c.destroy();
        resolve();
      });
    });
  }
  await closeRaw(server);
  return times;
}

/** torsion: per connection, ms from openTelnetConnection() to the server's shell callback. */
async function torsionSide(reactor: Reactor, conns: number): Promise<number[]> {
  let shellCalled: (() => void) | null = null;
  const port = await createTelnetServer({
    host: '127.0.0.1',
    port: 0,
    reactor,
    shell: (_r, w) => {
      shellCalled?.();
      w.close();
    },
  });
  const times: number[] = [];
  for (let i = 0; i < conns; i++) {
    const t0 = nowMs();
    const called = new Promise<void>((r) => (shellCalled = r));
    const [reader] = await openTelnetConnection('127.0.0.1', portOf(port), { reactor, connectMinwait: 0 });
    await called;
    times.push(nowMs() - t0);
    await reader.read(); // until the server closed
  }
  await port.stopListening();
  return times;
}

async function main(): Promise<void> {
  const conns = envInt('TELNET_CONNS', 200);
  const roundsN = envInt('TELNET_ROUNDS', 4);
  const transcript = recordTranscript();
  const bytes = transcript.reduce((n, [a, b]) => n + a.length + b.length, 0);
  progress(`transcript: ${transcript.length} rounds, ${bytes} bytes`);
  const results = await withReactor((reactor) =>
    alternate(
      roundsN,
      {
        raw: async (warmup) => median(await rawSide(transcript, warmup ? 20 : conns)),
        torsion: async (warmup) => median(await torsionSide(reactor, warmup ? 20 : conns)),
      },
      { onRound: (side, i, r) => progress(`round ${i} ${side}: ${r.toFixed(3)} ms`) },
    ),
  );
  const rows: Row[] = [
    {
      name: 'W12b telnet negotiation to shell (TTYPE NAWS NEW_ENVIRON CHARSET SGA ECHO BINARY)',
      unit: 'ms',
      raw: median(results.raw),
      torsion: median(results.torsion),
      better: 'lower',
    },
  ];
  report('telnet-negotiation', rows, [
    `median over ${conns} sequential connections per round, ${roundsN} rounds; connectMinwait 0`,
    `raw = the same ${transcript.length}-round, ${bytes}-byte exchange replayed over node:net without a telnet engine`,
    'no telnetlib3 column: telnetlib3 is not installable here (no PyPI)',
  ]);
}

if (require.main === module) {
  void main();
}
