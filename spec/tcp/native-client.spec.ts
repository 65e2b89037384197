/**
 * Client connections on a new libuv TCP handle per attempt (NativeStream),
 * and the switch back to pooled net.Sockets. The lifecycle itself (errors,
 * timeouts, stopConnecting, reconnecting) runs under both client modes in
 * spec/integration/tcp-connect.spec.ts.
 */
import * as net from 'node:net';
import { ConnectionDone, UserError } from '../../src/errors';
import type { Client, Connection, Port } from '../../src/tcp';
import { _setNativeClients, nativeClientsEnabled } from '../../src/tcp/native-client';
import { NativeStream } from '../../src/tcp/native-stream';
import {
  BINDINGS_OFF,
  RecordingClientFactory,
  RecordingProtocol,
  RecordingServerFactory,
  loopTurns,
  until,
  useReactor,
  within,
} from './harness';

class CloseOnData extends RecordingProtocol {
  override dataReceived(data: Buffer): void {
    super.dataReceived(data);
    this.transport!.loseConnection();
  }
}
class Greeter extends RecordingProtocol {
  override connectionMade(): void {
    super.connectionMade();
    this.transport!.write(Buffer.from('hello'));
  }
}

// The native client path exists only with the private bindings (skipped in the run without them).
if (BINDINGS_OFF) console.log('native-client.spec: skipped: TORSION_NO_BINDINGS is set');
(BINDINGS_OFF ? describe.skip : describe)('native client connections on this Node', () => {
  const h = useReactor();
  let port: Port;
  beforeEach(() => {
    port = h.r.listenTCP(0, new RecordingServerFactory(Greeter), { interface: '127.0.0.1' });
  });
  afterEach(() => {
    _setNativeClients(true);
  });

  it('are available and on by default', () => {
    expect(nativeClientsEnabled()).toBe(true);
  });

  it('run on a NativeStream, and getHandle() returns the raw libuv handle (fd = fileno()), null once closed', async () => {
    const f = new RecordingClientFactory();
    h.r.connectTCP('127.0.0.1', port.getHost().port, f);
    await until(() => f.protocols.length === 1);
    const p = await within(f.protocols[0].made);
    const t = p.transport as unknown as Connection;
    expect(t._socket).toBeInstanceOf(NativeStream);
    const handle = t.getHandle() as { fd?: number };
    expect(handle).not.toBeInstanceOf(net.Socket);
    expect(handle.fd).toBe(t.fileno());
    expect(t.fileno()).toBeGreaterThanOrEqual(0);
    await until(() => p.data().toString() === 'hello');
    t.loseConnection();
    expect((await within(p.lost)).value).toBeInstanceOf(ConnectionDone);
    expect(t.getHandle()).toBeNull();
  });

  it('get a new handle for every attempt of a reconnecting connector', async () => {
    const sockets: unknown[] = [];
    class KeepSocket extends CloseOnData {
      override connectionMade(): void {
        sockets.push((this.transport as unknown as Connection)._socket);
        super.connectionMade();
      }
    }
    const f = new RecordingClientFactory(KeepSocket);
    const connector = h.r.connectTCP('127.0.0.1', port.getHost().port, f);
    await within(f.lost);
    connector.connect();
    await until(() => f.protocols.length === 2);
    await within(f.protocols[1].lost);
    expect(f.protocols.map((p) => p.data().toString())).toEqual(['hello', 'hello']);
    expect(sockets).toHaveLength(2);
    expect(sockets[0]).toBeInstanceOf(NativeStream);
    expect(sockets[1]).toBeInstanceOf(NativeStream);
    expect(sockets[1]).not.toBe(sockets[0]);
    expect((sockets[0] as NativeStream).destroyed).toBe(true);
  });

  it('stopConnecting before the handshake completes closes the handle; the cancelled connect reports nothing more', async () => {
    const f = new RecordingClientFactory();
    const connector = h.r.connectTCP('127.0.0.1', port.getHost().port, f);
    const client = connector.transport as Client;
    const stream = client._socket as NativeStream;
    // Stop right after connect() was issued, before libuv can report it.
    const doConnect = client.doConnect.bind(client);
    let handleHadFd = false;
    client.doConnect = () => {
      doConnect();
      handleHadFd = client.fileno() >= 0;
      connector.stopConnecting();
    };
    await within(f.failed);
    expect(handleHadFd).toBe(true);
    expect(stream.destroyed).toBe(true);
    expect(client._socket).toBeNull();
    expect((f.failed.value as { value: unknown }).value).toBeInstanceOf(UserError);
    // The handle's close and libuv's ECANCELED completion come in the next
    // loop turns (libuv's close phase): nothing else happens.
    await loopTurns();
    expect(f.names().filter((n) => n === 'clientConnectionFailed')).toHaveLength(1);
    expect(f.names()).not.toContain('buildProtocol');
  });

  it('use a net.Socket when switched off (_setNativeClients(false))', async () => {
    expect(_setNativeClients(false)).toBe(false);
    const f = new RecordingClientFactory();
    h.r.connectTCP('127.0.0.1', port.getHost().port, f);
    await until(() => f.protocols.length === 1);
    const p = await within(f.protocols[0].made);
    const t = p.transport as unknown as Connection;
    expect(t._socket).not.toBeInstanceOf(NativeStream);
    expect(t._socket).toBeInstanceOf(net.Socket);
    expect(t.getHandle()).toBeInstanceOf(net.Socket);
    t.loseConnection();
    await within(f.lost);
  });
});
