import { Clock, connectedServerAndClient } from 'torsion/testing';
import {
  TelnetClient,
  TelnetReader,
  type TelnetClientOptions,
  type TelnetReaderUnicode,
  TelnetServer,
  type TelnetServerOptions,
  type TelnetWriterUnicode,
} from 'torsion/telnet';
import { CHARSET, NAWS, NEW_ENVIRON, TTYPE, isSettled } from './helpers';

function pair(
  clock: Clock,
  serverOpts: TelnetServerOptions,
  clientOpts: TelnetClientOptions,
  chunkSize?: number,
): [TelnetClient, TelnetServer, ReturnType<typeof connectedServerAndClient>[2]] {
  class S extends TelnetServer {
    constructor() {
      super({ reactor: clock, ...serverOpts });
    }
  }
  class C extends TelnetClient {
    constructor() {
      super({ reactor: clock, ...clientOpts });
    }
  }
  const [c, s, pump] = connectedServerAndClient(S, C, { clock, ...(chunkSize ? { chunkSize } : {}) });
  return [c, s, pump];
}

describe('TelnetServer + TelnetClient in memory (IOPump)', () => {
  for (const chunkSize of [undefined, 1, 3]) {
    it(`negotiate TTYPE, NAWS, NEW_ENVIRON, CHARSET, BINARY and run both shells${chunkSize ? ` (${chunkSize}-byte chunks)` : ''}`, async () => {
      const clock = new Clock();
      const saved = process.env.COLORTERM;
      process.env.COLORTERM = 'truecolor';
      const log: string[] = [];
      const [client, server, pump] = pair(
        clock,
        {
          shell: async (reader, writer) => {
            const r = reader as TelnetReaderUnicode;
            const w = writer as TelnetWriterUnicode;
            w.write('Wie heißt du? ');
            const name = await r.readline();
            w.write(`Grüß dich, ${name.trim()} ✓\r\n`);
            w.close();
          },
        },
        {
          term: 'xterm-256color',
          cols: 132,
          rows: 43,
          shell: async (reader, writer) => {
            const r = reader as TelnetReaderUnicode;
            const w = writer as TelnetWriterUnicode;
            log.push(await r.readuntilPattern(/\? $/));
            w.write('Jürgen\r\n');
            for await (const line of r) log.push(line);
          },
        },
        chunkSize,
      );
      try {
        for (let i = 0; i < 50 && !(await isSettled(client.waiterClosed)); i++) {
          pump.flush();
          await new Promise((r) => setImmediate(r));
        }
        expect(await isSettled(server.waiterConnected)).toBe(true);
        expect(await isSettled(client.waiterClosed)).toBe(true);
        expect(log).toEqual(['Wie heißt du? ', 'Grüß dich, Jürgen ✓\r\n']);
        // negotiation settled without any timer: no time passed
        expect(server.duration).toBe(0);
        expect(client.writer!.localOption.enabled(TTYPE)).toBe(true);
        expect(client.writer!.localOption.enabled(NAWS)).toBe(true);
        expect(client.writer!.localOption.enabled(NEW_ENVIRON)).toBe(true);
        expect(client.writer!.localOption.enabled(CHARSET)).toBe(true);
        expect(server.writer!.inbinary && server.writer!.outbinary).toBe(true);
        expect(client.writer!.inbinary && client.writer!.outbinary).toBe(true);
        expect(server.getExtraInfo('TERM')).toBe('xterm-256color');
        expect(server.getExtraInfo('ttype1')).toBe('xterm-256color');
        expect(server.getExtraInfo('ttype2')).toBe('xterm-256color');
        expect([server.getExtraInfo('rows'), server.getExtraInfo('cols')]).toEqual([43, 132]);
        expect(server.getExtraInfo('LANG')).toBe('en_US.utf8');
        expect(server.getExtraInfo('COLUMNS')).toBe('132');
        expect(server.getExtraInfo('LINES')).toBe('43');
        expect(server.getExtraInfo('COLORTERM')).toBe('truecolor');
        expect(server.getExtraInfo('DISPLAY', 'none')).toBe('none');
        expect(server.getExtraInfo('charset')).toBe('UTF-8');
        expect(client.getExtraInfo('charset')).toBe('utf-8');
        expect(server.encoding({ outgoing: true, incoming: true })).toBe('utf8');
        expect(client.encoding({ outgoing: true, incoming: true })).toBe('utf-8');
        expect(server.writer!.mode).toBe('kludge');
        expect(client.writer!.mode).toBe('kludge');
        expect(clock.getDelayedCalls().length).toBe(0);
      } finally {
        if (saved === undefined) delete process.env.COLORTERM;
        else process.env.COLORTERM = saved;
      }
    });
  }

  it('setWindowSize reaches the server as NAWS', () => {
    const clock = new Clock();
    const [client, server, pump] = pair(clock, {}, {});
    pump.flush();
    clock.advance(0);
    pump.flush();
    client.setWindowSize(50, 200);
    pump.flush();
    expect([server.getExtraInfo('rows'), server.getExtraInfo('cols')]).toEqual([50, 200]);
  });

  it('a client without an encoding keeps byte streams, and takes the first CHARSET offered (no preference)', () => {
    const clock = new Clock();
    const [client, server, pump] = pair(clock, {}, { encoding: false });
    for (let i = 0; i < 5; i++) {
      pump.flush();
      clock.advance(0);
    }
    expect(client.reader).toBeInstanceOf(TelnetReader);
    expect(client.writer!.localOption.get(CHARSET)).toBe(true);
    expect(server.getExtraInfo('charset')).toBe('UTF-8');
    expect(client.getExtraInfo('charset')).toBe('utf-8');
  });
});
