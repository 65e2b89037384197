/**
 * A telnet session, both ends in one process: createTelnetServer listens on
 * 127.0.0.1 (port 0) with a shell that greets, asks for a name, answers
 * and closes; openTelnetConnection connects as a terminal of 100x30 named
 * `xterm-256color`, prints what it receives, answers, and ends when the
 * server closes. The server's shell prints the terminal type and window
 * size it negotiated (TTYPE, NAWS) and the charset (CHARSET).
 *
 * Run: `npx tsx examples/telnet-session.ts [name]` (exits 0).
 */
import type { IPv4Address } from 'torsion/address';
import { react, type Reactor } from 'torsion';
import { createTelnetServer, openTelnetConnection, type TelnetReaderUnicode, type TelnetWriterUnicode } from 'torsion/telnet';

/** The session on a running reactor; `print` receives every output line. */
export async function main(reactor: Reactor, name = 'Ada', print: (line: string) => void = console.log): Promise<void> {
  const port = await createTelnetServer({
    host: '127.0.0.1',
    port: 0,
    reactor,
    shell: async (reader, writer) => {
      const r = reader as TelnetReaderUnicode;
      const w = writer as TelnetWriterUnicode;
      print(
        `server: terminal ${String(w.getExtraInfo('TERM'))}, ${String(w.getExtraInfo('cols'))}x${String(w.getExtraInfo('rows'))}, charset ${String(w.getExtraInfo('charset'))}`,
      );
      w.write('Welcome to torsion telnet!\r\nWhat is your name? ');
      const answer = (await r.readline()).trim();
      w.write(`Nice to meet you, ${answer}. Goodbye!\r\n`);
      w.close();
    },
  });
  const portNumber = (port.getHost() as IPv4Address).port;
  print(`server: listening on 127.0.0.1:${portNumber}`);

  const [reader, writer] = await openTelnetConnection('127.0.0.1', portNumber, {
    reactor,
    term: 'xterm-256color',
    cols: 100,
    rows: 30,
    connectMinwait: 0.1,
  });
  print(`client: connected, mode ${writer.mode}`);
  print(`client: ${await reader.readline()}`.trimEnd());
  print(`client: ${await reader.readuntilPattern(/\? $/)}`.trimEnd());
  writer.write(`${name}\r\n`);
  print(`client: answered ${name}`);
  for await (const line of reader) print(`client: ${line}`.trimEnd());
  print('client: the server closed the connection');
  await port.stopListening();
}

if (require.main === module) {
  void react((reactor: Reactor) => main(reactor, process.argv[2]));
}
