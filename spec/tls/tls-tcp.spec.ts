/**
 * connectSSL / listenSSL on real TCP (127.0.0.1, port 0): call order,
 * verification of chain and host name, client certificates, SNI, ALPN,
 * clean and truncated closes, the failure given to the connector.
 */
import * as net from 'node:net';
import * as tls from 'node:tls';
import { ConnectionDone, ConnectionLost, SSLError } from '../../src/errors';
import { Factory } from '../../src/protocol/factory';
import { Certificate, CertificateOptions, KeyPair, PrivateCertificate, optionsForClientTLS } from '../../src/ssl';
import type { TLSMemoryBIOProtocol } from '../../src/protocols/tls';
import { RecordingClientFactory, RecordingServerFactory, Signal, useReactor, within } from '../tcp/harness';
import { Echo, TLSRecorder, useCerts } from './harness';

const certs = useCerts();

class Hello extends TLSRecorder {
  override connectionMade(): void {
    super.connectionMade();
    this.transport!.write(Buffer.from('hello'));
  }
  override dataReceived(d: Buffer): void {
    super.dataReceived(d);
    if (this.data().length >= 5) this.transport!.loseConnection();
  }
}

class EchoRecorder extends TLSRecorder {
  override dataReceived(d: Buffer): void {
    super.dataReceived(d);
    this.transport!.write(d);
  }
}

function sslError(f: { value: unknown }): SSLError {
  expect(f.value).toBeInstanceOf(SSLError);
  return f.value as SSLError;
}

describe('connectSSL / listenSSL (TCP)', () => {
  const h = useReactor();

  function listen(options = certs.server(), factory: Factory = Factory.forProtocol(Echo)): number {
    return h.r.listenSSL(0, factory, options, { interface: '127.0.0.1' }).getHost().port;
  }

  it('runs connectionMade before the handshake, handshakeCompleted after, and echoes', async () => {
    const port = listen();
    const f = new RecordingClientFactory(Hello);
    h.r.connectSSL('127.0.0.1', port, f, optionsForClientTLS('localhost', { trustRoot: certs.ca() }));
    const reason = await within(f.lost);
    const p = f.protocols[0] as Hello;
    expect(p.names()).toEqual(['connectionMade', 'handshakeCompleted', 'dataReceived', 'connectionLost']);
    expect(p.certAtMade).toBeNull();
    expect(p.data().toString()).toBe('hello');
    expect(reason.value).toBeInstanceOf(ConnectionDone);
    const t = p.transport as unknown as TLSMemoryBIOProtocol;
    const peer = t.getPeerCertificate();
    expect(peer).toBeInstanceOf(Certificate);
    expect(peer!.getSubject().commonName).toBe('localhost');
    expect(peer!.getIssuer().commonName).toBe('torsion test CA');
    expect(t.getProtocolVersion()).toBe('TLSv1.3');
    expect(t.getCipher()!.version).toBe('TLSv1.3');
    expect(t.negotiatedProtocol).toBeNull();
  });

  it('verifies an IP literal against the IP SANs', async () => {
    const port = listen();
    const f = new RecordingClientFactory(Hello);
    h.r.connectSSL('127.0.0.1', port, f, optionsForClientTLS('127.0.0.1', { trustRoot: certs.ca() }));
    expect((await within(f.lost)).value).toBeInstanceOf(ConnectionDone);
    expect((f.protocols[0] as Hello).data().toString()).toBe('hello');
  });

  it.each([
    ['expired', 'verify', 'CERT_HAS_EXPIRED'],
    ['wronghost', 'hostname', null],
    ['selfsigned', 'verify', 'DEPTH_ZERO_SELF_SIGNED_CERT'],
  ] as const)('a %s server certificate fails the connection with SSLError %s', async (name, reason, verifyError) => {
    const port = listen(certs.server(name));
    const f = new RecordingClientFactory(Hello);
    h.r.connectSSL('127.0.0.1', port, f, optionsForClientTLS('localhost', { trustRoot: certs.ca() }));
    const lost = await within(f.lost);
    const p = f.protocols[0] as Hello;
    expect(p.names()).toEqual(['connectionMade', 'connectionLost']);
    const e = sslError(p.reason());
    expect(e.reason).toBe(reason);
    expect(e.verifyError).toBe(verifyError);
    expect(e.code).toBe('ERR_SSL');
    // The connector's clientConnectionLost gets the same failure.
    expect(lost).toBe(p.reason());
  });

  it('verifies against the platform store by default (a private CA is not trusted)', async () => {
    const port = listen();
    const f = new RecordingClientFactory(Hello);
    h.r.connectSSL('127.0.0.1', port, f, optionsForClientTLS('localhost'));
    const e = sslError(await within(f.lost));
    expect(e.reason).toBe('verify');
    expect(e.verifyError).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
  });

  it('CertificateOptions as client options: verify true checks the chain and the host connected to', async () => {
    const port = listen(certs.server('wronghost'));
    const f = new RecordingClientFactory(Hello);
    h.r.connectSSL('localhost', port, f, new CertificateOptions({ verify: true, trustRoot: certs.ca() }));
    expect(sslError(await within(f.lost)).reason).toBe('hostname');
    const port2 = listen();
    const f2 = new RecordingClientFactory(Hello);
    h.r.connectSSL('127.0.0.1', port2, f2, new CertificateOptions({ verify: true, trustRoot: certs.ca() }));
    expect((await within(f2.lost)).value).toBeInstanceOf(ConnectionDone);
  });

  it('CertificateOptions({ verify: false }) connects to anything', async () => {
    const port = listen(certs.server('selfsigned'));
    const f = new RecordingClientFactory(Hello);
    h.r.connectSSL('127.0.0.1', port, f, new CertificateOptions({ verify: false }));
    expect((await within(f.lost)).value).toBeInstanceOf(ConnectionDone);
    expect((f.protocols[0] as Hello).data().toString()).toBe('hello');
  });

  it('CertificateOptions without verify is a TypeError at connectSSL time', () => {
    const f = new RecordingClientFactory(Hello);
    expect(() => h.r.connectSSL('127.0.0.1', 1, f, new CertificateOptions())).toThrow(/verify: false/);
    expect(() => h.r.connectSSL('127.0.0.1', 1, f, new CertificateOptions())).toThrow(TypeError);
    expect(f.names()).toEqual([]);
  });

  it('server options without key or certificate are a TypeError at listenSSL time', () => {
    expect(() => h.r.listenSSL(0, Factory.forProtocol(Echo), new CertificateOptions({ verify: false }))).toThrow(TypeError);
    expect(() =>
      h.r.listenSSL(0, Factory.forProtocol(Echo), new CertificateOptions({ certificate: certs.c.serverCert })),
    ).toThrow(/privateKey and certificate/);
  });

  describe('client certificates', () => {
    function requiring(): { port: number; server: RecordingServerFactory<TLSRecorder> } {
      const server = new RecordingServerFactory<TLSRecorder>(EchoRecorder);
      const options = new CertificateOptions({
        certificate: certs.c.serverCert,
        privateKey: certs.c.serverKey,
        verify: true,
        trustRoot: certs.ca(),
      });
      return { port: listen(options, server as unknown as Factory), server };
    }

    it('a server requiring one sees the client certificate', async () => {
      const { port, server } = requiring();
      const f = new RecordingClientFactory(Hello);
      h.r.connectSSL(
        '127.0.0.1',
        port,
        f,
        optionsForClientTLS('localhost', { trustRoot: certs.ca(), clientCertificate: certs.clientCert() }),
      );
      const sp = (await within(server.built)) as TLSRecorder;
      await within(sp.handshake);
      const peer = (sp.transport as unknown as TLSMemoryBIOProtocol).getPeerCertificate();
      expect(peer!.getSubject().commonName).toBe('torsion client');
      expect(sp.data().toString()).toBe('hello');
      await within(f.lost);
    });

    it('a client without one fails the server side with SSLError handshake', async () => {
      const { port, server } = requiring();
      const f = new RecordingClientFactory(Hello);
      h.r.connectSSL('127.0.0.1', port, f, optionsForClientTLS('localhost', { trustRoot: certs.ca() }));
      const sp = (await within(server.built)) as TLSRecorder;
      const e = sslError(await within(sp.lost));
      expect(e.reason).toBe('handshake');
      expect(sp.names()).toEqual(['connectionMade', 'connectionLost']);
      await within(f.lost);
    });

    it('a client certificate from an untrusted CA fails the server side with SSLError verify', async () => {
      const { port, server } = requiring();
      const rogue = PrivateCertificate.fromCertificateAndKeyPair(
        Certificate.loadPEM(certs.c.rogueClientCert),
        KeyPair.load(certs.c.rogueClientKey),
      );
      const f = new RecordingClientFactory(Hello);
      h.r.connectSSL('127.0.0.1', port, f, optionsForClientTLS('localhost', { trustRoot: certs.ca(), clientCertificate: rogue }));
      const sp = (await within(server.built)) as TLSRecorder;
      const e = sslError(await within(sp.lost));
      expect(e.reason).toBe('verify');
      expect(e.verifyError).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
      await within(f.lost);
    });
  });

  describe('SNI', () => {
    async function servernameSeen(hostname: string): Promise<string | false> {
      const seen = new Signal<string | false>();
      const server = tls.createServer({ cert: certs.c.serverCert, key: certs.c.serverKey }, (s) => {
        seen.fire(s.servername ?? false);
        // The client's own writes may meet the closed socket (a reset).
        s.on('error', () => {});
        s.end();
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const f = new RecordingClientFactory(Hello);
      h.r.connectSSL(
        '127.0.0.1',
        (server.address() as net.AddressInfo).port,
        f,
        optionsForClientTLS(hostname, { trustRoot: certs.ca() }),
      );
      try {
        return await within(seen);
      } finally {
        await within(f.lost);
        server.close();
      }
    }
    it('is sent for a DNS name', async () => {
      expect(await servernameSeen('localhost')).toBe('localhost');
    });
    it('is not sent for an IP literal', async () => {
      expect(await servernameSeen('127.0.0.1')).toBe(false);
    });
  });

  describe('ALPN', () => {
    it('the server picks by its own preference; both sides see negotiatedProtocol', async () => {
      const server = new RecordingServerFactory(EchoRecorder);
      const options = new CertificateOptions({
        certificate: certs.c.serverCert,
        privateKey: certs.c.serverKey,
        acceptableProtocols: ['http/1.1', 'h2'],
      });
      const port = listen(options, server as unknown as Factory);
      const f = new RecordingClientFactory(Hello);
      h.r.connectSSL(
        '127.0.0.1',
        port,
        f,
        optionsForClientTLS('localhost', { trustRoot: certs.ca(), acceptableProtocols: ['h2', 'http/1.1'] }),
      );
      await within(f.lost);
      const client = f.protocols[0].transport as unknown as TLSMemoryBIOProtocol;
      expect(client.negotiatedProtocol).toBe('http/1.1');
      const sp = server.protocols[0];
      expect((sp.transport as unknown as TLSMemoryBIOProtocol).negotiatedProtocol).toBe('http/1.1');
    });

    it("a server without its own list uses the factory's acceptableProtocols()", async () => {
      class Negotiating extends Factory {
        acceptableProtocols(): string[] {
          return ['x-torsion', 'h2'];
        }
      }
      const factory = new Negotiating();
      factory.protocol = Echo;
      const port = listen(certs.server(), factory);
      const f = new RecordingClientFactory(Hello);
      h.r.connectSSL(
        '127.0.0.1',
        port,
        f,
        optionsForClientTLS('localhost', { trustRoot: certs.ca(), acceptableProtocols: ['h2', 'x-torsion'] }),
      );
      await within(f.lost);
      expect((f.protocols[0].transport as unknown as TLSMemoryBIOProtocol).negotiatedProtocol).toBe('x-torsion');
    });

    it('no shared protocol fails the handshake with SSLError alpn', async () => {
      const options = new CertificateOptions({
        certificate: certs.c.serverCert,
        privateKey: certs.c.serverKey,
        acceptableProtocols: ['h2'],
      });
      const server = new RecordingServerFactory(TLSRecorder);
      const port = listen(options, server as unknown as Factory);
      const f = new RecordingClientFactory(Hello);
      h.r.connectSSL(
        '127.0.0.1',
        port,
        f,
        optionsForClientTLS('localhost', { trustRoot: certs.ca(), acceptableProtocols: ['spdy/1'] }),
      );
      const cl = await within(f.lost);
      expect(sslError(cl).reason).toBe('alpn');
      expect(sslError(await within(server.protocols[0].lost)).reason).toBe('alpn');
    });
  });

  describe('closing', () => {
    it('every byte written before loseConnection (and in the same callback after it) arrives, then ConnectionDone on both sides', async () => {
      const server = new RecordingServerFactory(TLSRecorder);
      const port = listen(certs.server(), server as unknown as Factory);
      const big = Buffer.alloc(3 * 1024 * 1024 + 17, 7);
      class Sender extends TLSRecorder {
        override connectionMade(): void {
          super.connectionMade();
          for (let off = 0; off < big.length; off += 65536) this.transport!.write(big.subarray(off, off + 65536));
          this.transport!.loseConnection();
          this.transport!.write(Buffer.from('late but sent'));
        }
      }
      const f = new RecordingClientFactory(Sender);
      h.r.connectSSL('127.0.0.1', port, f, optionsForClientTLS('localhost', { trustRoot: certs.ca() }));
      const sp = (await within(server.built)) as TLSRecorder;
      const reason = await within(sp.lost, 20000);
      expect(reason.value).toBeInstanceOf(ConnectionDone);
      expect(sp.data().equals(Buffer.concat([big, Buffer.from('late but sent')]))).toBe(true);
      expect((await within(f.lost)).value).toBeInstanceOf(ConnectionDone);
    });

    it('a peer that closes TCP without close_notify is ConnectionLost (truncation)', async () => {
      // A node:tls server over a plain socket: on the handshake it ends the
      // TCP connection underneath TLS, so no close_notify is sent.
      const server = net.createServer((raw) => {
        // The client may answer the bare FIN with a reset.
        raw.on('error', () => {});
        const s = new tls.TLSSocket(raw, {
          isServer: true,
          secureContext: tls.createSecureContext({ cert: certs.c.serverCert, key: certs.c.serverKey }),
        });
        s.on('secure', () => s.write('partial', () => raw.destroySoon()));
        s.on('error', () => {});
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      class Waiter extends TLSRecorder {}
      const f = new RecordingClientFactory(Waiter);
      h.r.connectSSL(
        '127.0.0.1',
        (server.address() as net.AddressInfo).port,
        f,
        optionsForClientTLS('localhost', { trustRoot: certs.ca() }),
      );
      const reason = await within(f.lost);
      server.close();
      expect((f.protocols[0] as Waiter).data().toString()).toBe('partial');
      expect(reason.value).toBeInstanceOf(ConnectionLost);
      expect(reason.value).not.toBeInstanceOf(SSLError);
    });

    it('abortConnection sends nothing more: the peer sees a loss, this side ConnectionAborted', async () => {
      const server = new RecordingServerFactory(EchoRecorder);
      const port = listen(certs.server(), server as unknown as Factory);
      class Aborter extends TLSRecorder {
        override handshakeCompleted(): void {
          super.handshakeCompleted();
          this.transport!.write(Buffer.from('x'));
        }
        override dataReceived(d: Buffer): void {
          super.dataReceived(d);
          this.transport!.write(Buffer.from('never sent'));
          (this.transport as unknown as { abortConnection(): void }).abortConnection();
        }
      }
      const f = new RecordingClientFactory(Aborter);
      h.r.connectSSL('127.0.0.1', port, f, optionsForClientTLS('localhost', { trustRoot: certs.ca() }));
      const reason = await within(f.lost);
      expect(reason.value).toMatchObject({ code: 'ERR_CONNECTION_ABORTED' });
      const sp = (await within(server.built)) as TLSRecorder;
      const sr = await within(sp.lost);
      expect(sr.value).toBeInstanceOf(ConnectionLost);
      expect(sp.data().toString()).toBe('x');
    });
  });

  it('a server that never answers the ClientHello fails the connection after handshakeTimeout: SSLError timeout', async () => {
    // The client resets the connection when it gives up.
    const silent = net.createServer((s) => s.on('error', () => {}));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const f = new RecordingClientFactory(TLSRecorder);
    h.r.connectSSL(
      '127.0.0.1',
      (silent.address() as net.AddressInfo).port,
      f,
      optionsForClientTLS('localhost', { trustRoot: certs.ca(), handshakeTimeout: 0.2 }),
    );
    const e = sslError(await within(f.lost));
    silent.close();
    expect(e.reason).toBe('timeout');
    expect((f.protocols[0] as TLSRecorder).names()).toEqual(['connectionMade', 'connectionLost']);
  });

  it('a protocol callback that throws ends its connection through the guard', async () => {
    const port = listen();
    class Thrower extends TLSRecorder {
      override dataReceived(_d: Buffer): void {
        throw new Error('boom in dataReceived');
      }
      override connectionMade(): void {
        super.connectionMade();
        this.transport!.write(Buffer.from('x'));
      }
    }
    const f = new RecordingClientFactory(Thrower);
    h.r.connectSSL('127.0.0.1', port, f, optionsForClientTLS('localhost', { trustRoot: certs.ca() }));
    const reason = await within(f.lost);
    expect((reason.value as Error).message).toBe('boom in dataReceived');
  });

  it('an async protocol callback that rejects ends its connection the same way', async () => {
    const port = listen();
    class Rejecter extends TLSRecorder {
      async handshakeCompleted2(): Promise<void> {}
      override handshakeCompleted(): Promise<void> {
        super.handshakeCompleted();
        return Promise.reject(new Error('rejected in handshakeCompleted'));
      }
    }
    const f = new RecordingClientFactory(Rejecter);
    h.r.connectSSL('127.0.0.1', port, f, optionsForClientTLS('localhost', { trustRoot: certs.ca() }));
    const reason = await within(f.lost);
    expect((reason.value as Error).message).toBe('rejected in handshakeCompleted');
  });
});
