/**
 * TelnetClient against real telnet servers on 127.0.0.1: busybox telnetd
 * (run unprivileged on a high port, `-F -b 127.0.0.1 -l /bin/sh`) and GNU
 * inetutils telnetd (an inetd service: here a node:net server accepts and
 * spawns it with the accepted socket as its stdin/stdout). Each shell runs
 * `/bin/sh` on a pty, so what the client negotiated is visible from the
 * shell: TERM (TTYPE), `stty size` (NAWS). A peer that is not installed is
 * skipped with the reason printed (apt-get install busybox-static
 * inetutils-telnetd).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import { Reactor } from 'torsion/reactor';
import {
  CHARSET,
  ECHO,
  NAWS,
  NEW_ENVIRON,
  SGA,
  TTYPE,
  type TelnetReaderUnicode,
  type TelnetWriterUnicode,
  openTelnetConnection,
} from 'torsion/telnet';

const AUTHENTICATION = 37;
const ENCRYPT = 38;
const OLD_ENVIRON = 36;

type Found = { path: string } | { path: null; reason: string };

function findBusyboxTelnetd(): Found {
  for (const bb of [process.env.TORSION_BUSYBOX, 'busybox', '/bin/busybox', '/usr/bin/busybox'].filter(Boolean) as string[]) {
    const r = spawnSync(bb, ['--list'], { encoding: 'utf8', timeout: 5000 });
    if (r.status === 0 && r.stdout.split('\n').includes('telnetd')) return { path: bb };
  }
  return { path: null, reason: 'no busybox with the telnetd applet (Debian: apt-get install busybox-static)' };
}

function findInetutilsTelnetd(): Found {
  for (const p of ['/usr/sbin/telnetd', '/usr/sbin/in.telnetd', '/usr/libexec/telnetd']) {
    if (!fs.existsSync(p)) continue;
    const r = spawnSync(p, ['--version'], { encoding: 'utf8', timeout: 5000 });
    if (`${r.stdout}${r.stderr}`.includes('inetutils')) return { path: p };
  }
  return { path: null, reason: 'no GNU inetutils telnetd (Debian: apt-get install inetutils-telnetd)' };
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Resolves once something accepts on `port` (the daemon started), polling at 20 ms. */
async function waitListening(port: number, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 250; i++) {
    if (child.exitCode !== null) throw new Error(`the daemon exited with ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.on('error', () => resolve(false));
      s.on('connect', () => {
        s.destroy();
        resolve(true);
      });
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`nothing listens on ${port}`);
}

/** Read until `pattern` matches the text read so far (or EOF/timeout). */
async function readUntil(reader: TelnetReaderUnicode, pattern: RegExp): Promise<string> {
  let all = '';
  while (!pattern.test(all)) {
    const s = await reader.read(4096, { timeout: 10 });
    if (s === '') break;
    all += s;
  }
  return all;
}

/** Read until EOF (the shell exited and the daemon closed). */
async function drain(reader: TelnetReaderUnicode): Promise<void> {
  while ((await reader.read(4096, { timeout: 10 })) !== '') {}
}

let reactor: Reactor;
let done: Promise<void>;
const cleanups: Array<() => void | Promise<void>> = [];

beforeEach(() => {
  reactor = new Reactor();
  done = reactor.run() as unknown as Promise<void>;
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  if (reactor.running) reactor.stop();
  await done;
});

const busybox = findBusyboxTelnetd();
const inetutils = findInetutilsTelnetd();

describe('TelnetClient against busybox telnetd', () => {
  if (busybox.path === null) {
    const reason = busybox.reason;
    it('needs busybox telnetd (reports why it did not run)', () => {
      console.warn(`busybox telnetd interop not run: ${reason}`);
      expect(reason).toMatch(/busybox/);
    });
    return;
  }
  const bb = busybox.path;

  it('negotiates kludge mode and NAWS; the shell sees the window size', async () => {
    const port = await freePort();
    const child = spawn(bb, ['telnetd', '-F', '-p', String(port), '-b', '127.0.0.1', '-l', '/bin/sh'], { stdio: 'ignore' });
    cleanups.push(
      () =>
        new Promise<void>((r) => {
          if (child.exitCode !== null) return r();
          child.on('exit', () => r());
          child.kill('SIGTERM');
        }),
    );
    await waitListening(port, child);
    const [reader, writer] = await openTelnetConnection('127.0.0.1', port, { reactor, term: 'vt220', cols: 100, rows: 30 });
    await writer.waitFor({ remote: { [ECHO]: true, [SGA]: true }, local: { [NAWS]: true } });
    expect(writer.mode).toBe('kludge');
    expect(writer.localOption.get(ECHO)).toBe(false); // busybox asks DO ECHO; a client refuses
    (writer as TelnetWriterUnicode).write('stty size; exit\r');
    const out = await readUntil(reader, /\b30 100\b/);
    expect(out).toMatch(/\b30 100\b/);
    await drain(reader);
    expect(reader.atEof()).toBe(true);
  });
});

describe('TelnetClient against GNU inetutils telnetd', () => {
  if (inetutils.path === null) {
    const reason = inetutils.reason;
    it('needs inetutils telnetd (reports why it did not run)', () => {
      console.warn(`inetutils telnetd interop not run: ${reason}`);
      expect(reason).toMatch(/inetutils/);
    });
    return;
  }
  const telnetd = inetutils.path;

  async function startInetd(): Promise<number> {
    const children: ChildProcess[] = [];
    const srv = net.createServer((sock) => {
      sock.on('error', () => {});
      // As inetd does: the accepted socket is the daemon's stdin and stdout.
      children.push(spawn(telnetd, ['-h', '-E', '/bin/sh'], { stdio: [sock, sock, 'ignore'] }));
      sock.destroy();
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    cleanups.push(async () => {
      await new Promise<void>((r) => srv.close(() => r()));
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
    });
    return (srv.address() as net.AddressInfo).port;
  }

  it('answers TTYPE, NEW_ENVIRON and NAWS; refuses AUTHENTICATION, ENCRYPT, OLD_ENVIRON; the shell sees TERM and the size', async () => {
    const port = await startInetd();
    const [reader, writer] = await openTelnetConnection('127.0.0.1', port, { reactor, term: 'vt220', cols: 100, rows: 30 });
    await writer.waitFor({ local: { [TTYPE]: true, [NEW_ENVIRON]: true } });
    expect(writer.remoteOption.get(AUTHENTICATION)).toBe(false);
    expect(writer.remoteOption.get(ENCRYPT)).toBe(false);
    expect(writer.localOption.get(OLD_ENVIRON)).toBe(false);
    expect(writer.localOption.enabled(CHARSET)).toBe(false);
    // Wait for the shell's prompt: input typed before the shell set up the terminal may be flushed.
    await readUntil(reader, /[#$] $/);
    // `exit` goes in its own line once the output arrived: telnetd drops the pty output still
    // unsent when its child exits, so output and exit in one line race.
    (writer as TelnetWriterUnicode).write('echo T=$TERM; stty size\r\n');
    const out = await readUntil(reader, /\b30 100\b/);
    expect(out).toContain('T=vt220');
    expect(out).toMatch(/\b30 100\b/);
    (writer as TelnetWriterUnicode).write('exit\r\n');
    await drain(reader);
    expect(reader.atEof()).toBe(true);
  });

  it('a byte-stream client (encoding: false) gets the same session', async () => {
    const port = await startInetd();
    const [reader, writer] = await openTelnetConnection('127.0.0.1', port, { reactor, encoding: false, term: 'dumb' });
    await writer.waitFor({ local: { [TTYPE]: true } });
    let all = Buffer.alloc(0);
    // Wait for the shell's prompt: input typed before the shell set up the terminal may be flushed.
    while (!/[#$] $/.test(all.toString('latin1'))) {
      const b = await reader.read(4096, { timeout: 10 });
      if (b.length === 0) break;
      all = Buffer.concat([all, b]);
    }
    writer.write(Buffer.from('echo T=$TERM\r\n'));
    while (!all.toString('latin1').includes('T=dumb')) {
      const b = await reader.read(4096, { timeout: 10 });
      if (b.length === 0) break;
      all = Buffer.concat([all, b]);
    }
    expect(all.toString('latin1')).toContain('T=dumb');
    writer.write(Buffer.from('exit\r\n'));
    while ((await reader.read(4096, { timeout: 10 })).length > 0) {}
    expect(reader.atEof()).toBe(true);
  });
});
