/**
 * UNIX datagram sockets through the native addon, on a real reactor with
 * temp-dir paths: a bound port and a connected one exchange datagrams
 * (sender addresses, truncation, a peer that went away), abstract names,
 * stopListening, bad input; without the addon every entry point throws
 * NativeAddonUnavailableError.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { UNIXAddress } from '../../src/address';
import type { Failure } from '../../src/defer/failure';
import { CannotListenError, MessageLengthError, NativeAddonUnavailableError } from '../../src/errors';
import { _setNativeUnavailable, nativeAddonStatus } from '../../src/native';
import { DatagramProtocol } from '../../src/protocol/protocol';
import { Signal, useReactor } from '../tcp/harness';

class Recorder extends DatagramProtocol {
  got: Array<[string, string | null]> = [];
  refused = 0;
  next = new Signal<void>();
  override datagramReceived(data: Buffer, addr: unknown): void {
    this.got.push([data.toString(), (addr as UNIXAddress).name]);
    const s = this.next;
    this.next = new Signal<void>();
    s.fire();
  }
  override connectionRefused(): void {
    this.refused++;
    const s = this.next;
    this.next = new Signal<void>();
    s.fire();
  }
  override errorReceived(_reason: Failure): void {}
}

const available = nativeAddonStatus().available;
if (!available) console.log(`unix datagram specs skipped: ${nativeAddonStatus().reason}`);

(available ? describe : describe.skip)('UNIX datagram sockets (native addon)', () => {
  const h = useReactor();
  let dir = '';
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'torsion-udg-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  const p = (name: string): string => path.join(dir, name);

  it('a bound port and a connected one exchange datagrams, each seeing the other by path', async () => {
    const server = new Recorder();
    const port = h.r.listenUNIXDatagram(p('server.sock'), server, { mode: 0o600 });
    expect((port.getHost() as UNIXAddress).name).toBe(p('server.sock'));
    expect(fs.statSync(p('server.sock')).mode & 0o777).toBe(0o600);
    expect(server.transport).toBe(port);

    const client = new Recorder();
    const conn = h.r.connectUNIXDatagram(p('server.sock'), client, { bindAddress: p('client.sock') });
    expect(conn.getPeer()?.name).toBe(p('server.sock'));
    const first = server.next;
    conn.write(Buffer.from('hello'));
    await first;
    expect(server.got).toEqual([['hello', p('client.sock')]]);

    const back = client.next;
    port.write(Buffer.from('welcome'), p('client.sock'));
    await back;
    expect(client.got).toEqual([['welcome', p('server.sock')]]);

    await conn.stopListening();
    await port.stopListening();
    expect(server.transport).toBeNull();
  });

  it('truncates datagrams above maxPacketSize', async () => {
    const server = new Recorder();
    h.r.listenUNIXDatagram(p('s'), server, { maxPacketSize: 4 });
    const conn = h.r.connectUNIXDatagram(p('s'), new Recorder());
    const got = server.next;
    conn.write(Buffer.from('abcdefgh'));
    await got;
    expect(server.got[0][0]).toBe('abcd');
  });

  it('a connected port whose peer went away gets connectionRefused()', async () => {
    const server = new Recorder();
    const port = h.r.listenUNIXDatagram(p('gone'), server);
    const client = new Recorder();
    const conn = h.r.connectUNIXDatagram(p('gone'), client);
    await port.stopListening();
    fs.rmSync(p('gone'));
    const refused = client.next;
    conn.write(Buffer.from('anyone?'));
    await refused;
    expect(client.refused).toBe(1);
  });

  it('works with abstract names', async () => {
    const name = `\0torsion-udg-${process.pid}-${Date.now()}`;
    const server = new Recorder();
    h.r.listenUNIXDatagram(name, server);
    const conn = h.r.connectUNIXDatagram(name, new Recorder());
    const got = server.next;
    conn.write(Buffer.from('abstract'));
    await got;
    expect(server.got[0][0]).toBe('abstract');
  });

  it('refuses bad input with typed errors, and a path in use', () => {
    const r = h.r;
    expect(() => r.listenUNIXDatagram('', new Recorder())).toThrow(RangeError);
    expect(() => r.listenUNIXDatagram(p('x'), {} as never)).toThrow(TypeError);
    expect(() => r.listenUNIXDatagram(p('x'), new Recorder(), { maxPacketSize: 0 })).toThrow(RangeError);
    expect(() => r.listenUNIXDatagram(`${dir}/${'x'.repeat(120)}`, new Recorder())).toThrow(RangeError);
    expect(() => r.listenUNIXDatagram(p('missing/dir/s'), new Recorder())).toThrow(CannotListenError);
    const port = r.listenUNIXDatagram(p('used'), new Recorder());
    expect(() => r.listenUNIXDatagram(p('used'), new Recorder())).toThrow(CannotListenError);
    expect(() => port.write(Buffer.from('x'))).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => port.write('text' as never, p('used'))).toThrow(TypeError);
    expect(() => port.write(Buffer.alloc(1024 * 1024), p('used'))).toThrow(MessageLengthError);
    expect(() => r.connectUNIXDatagram(p('nobody'), new Recorder())).toThrow(CannotListenError);
  });
});

describe('UNIX datagram sockets without the native addon', () => {
  const h = useReactor();
  beforeEach(() => _setNativeUnavailable('spec'));
  afterEach(() => _setNativeUnavailable(null));
  it('throw NativeAddonUnavailableError at once, naming the call', () => {
    expect(() => h.r.listenUNIXDatagram(path.join(os.tmpdir(), 'never'), new Recorder())).toThrow(NativeAddonUnavailableError);
    expect(() => h.r.connectUNIXDatagram(path.join(os.tmpdir(), 'never'), new Recorder())).toThrow(
      expect.objectContaining({ code: 'ERR_NATIVE_ADDON_UNAVAILABLE', feature: expect.stringContaining('connectUNIXDatagram') }),
    );
  });
});
