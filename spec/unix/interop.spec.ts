/**
 * Interop over UNIX sockets with the real Twisted (python3-twisted):
 * torsion's connectUNIX against Twisted's listenUNIX echo server, and
 * Twisted's connectUNIX against torsion's listenUNIX, on both of torsion's
 * paths; lock files (wantPID / checkPID) are understood both ways. The
 * peers are spec/interop/peers/unix_*.py.
 *
 * Without a Python that imports Twisted, a single test reports why.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { UNIXAddress } from '../../src/address';
import { CannotListenError, ConnectionDone } from '../../src/errors';
import { Protocol } from '../../src/protocol';
import { _setBindings } from '../../src/tcp/bindings';
import { findTwistedPython, pattern, Peer } from '../interop/harness';
import { RecordingClientFactory, RecordingServerFactory, useReactor, within } from '../tcp/harness';

const found = findTwistedPython();
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const BINDINGS_OFF = (process.env.TORSION_NO_BINDINGS ?? '') !== '' && process.env.TORSION_NO_BINDINGS !== '0';
const MODES = BINDINGS_OFF ? ['public net API'] : ['private binding', 'public net API'];

class Echo extends Protocol {
  override dataReceived(data: Buffer): void {
    this.transport?.write(data);
  }
}

async function waitFor(cond: () => boolean, ms = 10000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached');
    await new Promise((resolve) => setImmediate(resolve));
  }
}

if (found.python === null) {
  it('interop with Twisted over UNIX sockets', () => {
    console.log(`skipped: ${found.reason}`);
  });
} else {
  const python = found.python;
  describe.each(MODES)('UNIX sockets against Twisted, torsion through the %s', (mode) => {
    jest.setTimeout(30000);
    const h = useReactor();
    let dir = '';
    const peers: Peer[] = [];
    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'torsion-unix-tw-'));
      expect(_setBindings(mode === 'private binding')).toBe(mode === 'private binding');
    });
    afterEach(async () => {
      _setBindings(true);
      for (const p of peers.splice(0)) await p.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    });
    const start = (script: string, args: string[]): Peer => {
      const p = new Peer(python, script, args);
      peers.push(p);
      return p;
    };

    it("torsion's client echoes 1 MiB through Twisted's listenUNIX (wantPID), checkPID finds Twisted's lock", async () => {
      const file = path.join(dir, 'tw.sock');
      const server = start('unix_echo_server.py', [file, '1']);
      const listening = await within(server.next('listening'), 15000, 'Twisted listening');
      expect(listening.path).toBe(file);
      expect(fs.readlinkSync(`${file}.lock`)).toBe(String(listening.pid));
      // Twisted's lock keeps torsion from listening there too.
      expect(() => h.r.listenUNIX(file, new RecordingServerFactory(), { wantPID: true })).toThrow(CannotListenError);

      const payload = pattern(1024 * 1024);
      const cf = new RecordingClientFactory();
      h.r.connectUNIX(file, cf, { checkPID: true });
      await waitFor(() => cf.protocols.length === 1 && cf.protocols[0].events.length > 0);
      const p = cf.protocols[0];
      expect(p.transport?.getPeer()).toEqual(new UNIXAddress(file));
      p.transport?.write(payload);
      await waitFor(() => p.received.reduce((n, b) => n + b.length, 0) >= payload.length);
      expect(sha(Buffer.concat(p.received))).toBe(sha(payload));
      p.transport?.loseConnection();
      const lost = await within(server.next('lost'), 10000, 'Twisted lost');
      expect(lost).toMatchObject({ reason: 'ConnectionDone', received: payload.length });
      const connected = await server.next('connected');
      // Twisted's server end: its own path as host; the client has no name.
      expect(connected.host).toBe(file);
      expect(['', null]).toContain(connected.peer);
      expect((await within(cf.lost, 5000, 'lost')).value).toBeInstanceOf(ConnectionDone);
    });

    it("Twisted's connectUNIX (checkPID) echoes 1 MiB through torsion's listenUNIX (wantPID)", async () => {
      const file = path.join(dir, 'ts.sock');
      const sf = new RecordingServerFactory(Echo as never);
      h.r.listenUNIX(file, sf, { wantPID: true, mode: 0o600 });
      const client = start('unix_client.py', [file, String(1024 * 1024), '1']);
      const connected = await within(client.next('connected'), 15000, 'Twisted connected');
      expect(connected.peer).toBe(file);
      const done = await within(client.next('done'), 15000, 'Twisted done');
      expect(done).toMatchObject({ ok: true, received: 1024 * 1024 });
      expect(await within(client.next('lost'), 10000, 'Twisted lost')).toMatchObject({ reason: 'ConnectionDone' });
      await waitFor(() => sf.protocols.length === 1);
    });

    it("Twisted's checkPID refuses torsion's socket without a lock (BadFileError); with no socket file Twisted fails too", async () => {
      const file = path.join(dir, 'nolock.sock');
      h.r.listenUNIX(file, new RecordingServerFactory(Echo as never));
      const client = start('unix_client.py', [file, '10', '1']);
      expect(await within(client.next('failed'), 15000, 'Twisted failed')).toMatchObject({ reason: 'BadFileError' });
      const other = start('unix_client.py', [path.join(dir, 'absent.sock'), '10', '0']);
      expect((await within(other.next('failed'), 15000, 'Twisted failed')).reason).toEqual(expect.any(String));
    });
  });
}
