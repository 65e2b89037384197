/**
 * transport.startTLS() on live TCP connections (127.0.0.1): a STARTTLS
 * exchange, identity kept, plaintext before, misuse errors.
 */
import { ConnectionDone, RuntimeError } from '../../src/errors';
import { Factory } from '../../src/protocol/factory';
import { CertificateOptions, optionsForClientTLS } from '../../src/ssl';
import type { Connection } from '../../src/tcp/connection';
import { RecordingClientFactory, RecordingServerFactory, Signal, until, useReactor, within } from '../tcp/harness';
import { TLSRecorder, useCerts } from './harness';

const certs = useCerts();

describe('startTLS (TCP)', () => {
  const h = useReactor();

  class StartTLSServer extends TLSRecorder {
    transportAtMade: unknown = null;
    override connectionMade(): void {
      super.connectionMade();
      this.transportAtMade = this.transport;
    }
    override dataReceived(d: Buffer): void {
      super.dataReceived(d);
      const t = this.transport as unknown as Connection;
      if (!t.TLS && d.toString() === 'STARTTLS\n') {
        t.write(Buffer.from('GO\n'));
        t.startTLS(certs.server());
      } else if (t.TLS) {
        t.write(Buffer.from(`secret:${d.toString()}`));
      }
    }
  }

  class StartTLSClient extends TLSRecorder {
    secret = new Signal<string>();
    override connectionMade(): void {
      super.connectionMade();
      this.transport!.write(Buffer.from('STARTTLS\n'));
    }
    override dataReceived(d: Buffer): void {
      super.dataReceived(d);
      const t = this.transport as unknown as Connection;
      if (!t.TLS && d.toString() === 'GO\n') {
        t.startTLS(optionsForClientTLS('localhost', { trustRoot: certs.ca() }));
        t.write(Buffer.from('hush'));
      } else if (t.TLS) {
        this.secret.fire(d.toString());
        t.loseConnection();
      }
    }
  }

  it('upgrades in place: plaintext first, then TLS; protocol and transport keep their identity', async () => {
    const server = new RecordingServerFactory(StartTLSServer);
    const port = h.r.listenTCP(0, server, { interface: '127.0.0.1' }).getHost().port;
    const f = new RecordingClientFactory(StartTLSClient);
    h.r.connectTCP('127.0.0.1', port, f);
    await until(() => f.protocols.length > 0);
    const client = f.protocols[0] as StartTLSClient;
    await within(client.made);
    expect(await within(client.secret)).toBe('secret:hush');
    const reason = await within(f.lost);
    expect(reason.value).toBeInstanceOf(ConnectionDone);
    const t = client.transport as unknown as Connection;
    expect(t.TLS).toBe(true);
    expect(t.protocol === (client as unknown)).toBe(false); // the socket delivers to the TLS layer
    expect(client.names()).toEqual(['connectionMade', 'dataReceived', 'handshakeCompleted', 'dataReceived', 'connectionLost']);
    expect(t.getPeerCertificate()!.getSubject().commonName).toBe('localhost');
    const sp = server.protocols[0] as StartTLSServer;
    expect(sp.transport).toBe(sp.transportAtMade);
    expect((sp.transport as unknown as Connection).getProtocolVersion()).toBe('TLSv1.3');
    expect((await within(sp.lost)).value).toBeInstanceOf(ConnectionDone);
  });

  it('a second startTLS, or one after loseConnection, throws RuntimeError; CertificateOptions without verify throws TypeError', async () => {
    const server = new RecordingServerFactory(TLSRecorder);
    const port = h.r.listenTCP(0, server, { interface: '127.0.0.1' }).getHost().port;
    const f = new RecordingClientFactory(TLSRecorder);
    h.r.connectTCP('127.0.0.1', port, f);
    await until(() => f.protocols.length > 0);
    const client = f.protocols[0];
    await within(client.made);
    const t = client.transport as unknown as Connection;
    expect(t.TLS).toBe(false);
    expect(() => t.startTLS(new CertificateOptions())).toThrow(TypeError);
    expect(t.TLS).toBe(false);
    t.startTLS(optionsForClientTLS('localhost', { trustRoot: certs.ca() }));
    expect(() => t.startTLS(optionsForClientTLS('localhost'))).toThrow(RuntimeError);
    const sp = await within(server.built);
    const st = sp.transport as unknown as Connection;
    st.loseConnection();
    expect(() => st.startTLS(certs.server())).toThrow(RuntimeError);
    await within(f.lost);
  });

  it('server-side startTLS with options lacking a key is a TypeError', async () => {
    const server = new RecordingServerFactory(TLSRecorder);
    const port = h.r.listenTCP(0, server, { interface: '127.0.0.1' }).getHost().port;
    const f = new RecordingClientFactory(TLSRecorder);
    h.r.connectTCP('127.0.0.1', port, f);
    const sp = await within(server.built);
    expect(() => (sp.transport as unknown as Connection).startTLS(new CertificateOptions({ verify: true }))).toThrow(TypeError);
    (sp.transport as unknown as Connection).loseConnection();
    await within(f.lost);
  });
});
void Factory;
