/**
 * The TLS endpoints on real TCP (127.0.0.1): SSL4ServerEndpoint /
 * SSL4ClientEndpoint, wrapClientTLS, and the `ssl:` / `tls:` strings.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Deferred } from '../../src/defer/deferred';
import { ConnectionDone, SSLError } from '../../src/errors';
import {
  EndpointParseError,
  SSL4ClientEndpoint,
  SSL4ServerEndpoint,
  TCP4ClientEndpoint,
  clientFromString,
  serverFromString,
  wrapClientTLS,
} from '../../src/endpoints';
import type { ITCPListeningPort } from '../../src/interfaces/tcp';
import { Factory } from '../../src/protocol/factory';
import { CertificateOptions, optionsForClientTLS } from '../../src/ssl';
import { useReactor, within } from '../tcp/harness';
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

function settle<T>(d: Deferred<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    d.addCallbacks(
      (v: T) => {
        resolve(v);
        return undefined;
      },
      (f) => {
        reject(f.value);
        return undefined;
      },
    );
  });
}

describe('TLS endpoints', () => {
  const h = useReactor();

  async function sslServer(options = certs.server()): Promise<number> {
    const port = (await settle(
      new SSL4ServerEndpoint(h.r, 0, options, { interface: '127.0.0.1' }).listen(Factory.forProtocol(Echo)),
    )) as ITCPListeningPort;
    return port.getHost().port;
  }

  it('SSL4ClientEndpoint to SSL4ServerEndpoint: connect() fires with the protocol before the handshake', async () => {
    const port = await sslServer();
    const ep = new SSL4ClientEndpoint(h.r, '127.0.0.1', port, optionsForClientTLS('localhost', { trustRoot: certs.ca() }));
    const p = (await settle(ep.connect(Factory.forProtocol(Hello)))) as Hello;
    expect(p).toBeInstanceOf(Hello);
    expect(p.names()).toEqual(['connectionMade']);
    expect((await within(p.lost)).value).toBeInstanceOf(ConnectionDone);
    expect(p.data().toString()).toBe('hello');
  });

  it('wrapClientTLS runs TLS over a TCP endpoint and fires with the factory’s own protocol', async () => {
    const port = await sslServer();
    const ep = wrapClientTLS(
      optionsForClientTLS('localhost', { trustRoot: certs.ca() }),
      new TCP4ClientEndpoint(h.r, '127.0.0.1', port),
    );
    const p = (await settle(ep.connect(Factory.forProtocol(Hello)))) as Hello;
    expect(p).toBeInstanceOf(Hello);
    await within(p.lost);
    expect(p.names()).toEqual(['connectionMade', 'handshakeCompleted', 'dataReceived', 'connectionLost']);
  });

  it('refuses bad arguments with TypeErrors', () => {
    expect(() => new SSL4ClientEndpoint(h.r, '127.0.0.1', 1, new CertificateOptions())).toThrow(TypeError);
    expect(() => new SSL4ServerEndpoint(h.r, 0, new CertificateOptions({ verify: true }))).toThrow(TypeError);
    expect(() => new SSL4ClientEndpoint({} as never, 'h', 1, optionsForClientTLS('h'))).toThrow(/IReactorSSL/);
    expect(() => wrapClientTLS(optionsForClientTLS('h'), {} as never)).toThrow(TypeError);
    expect(() => wrapClientTLS({} as never, new TCP4ClientEndpoint(h.r, '127.0.0.1', 1))).toThrow(TypeError);
  });

  describe('strings', () => {
    function caDir(): string {
      const dir = join(certs.c.dir, 'cas');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'ca.pem'), certs.c.caCert);
      writeFileSync(join(dir, 'README'), 'not a certificate');
      return dir;
    }
    function serverPem(): string {
      const path = join(certs.c.dir, 'server.pem');
      writeFileSync(path, certs.c.serverKey + certs.c.serverCert);
      return path;
    }

    it('ssl:PORT:privateKey=...:interface=... listens; ssl:host=...:caCertsDir=...:hostname=... connects and verifies', async () => {
      const server = serverFromString(h.r, `ssl:0:privateKey=${serverPem()}:interface=127.0.0.1`);
      expect(server).toBeInstanceOf(SSL4ServerEndpoint);
      const port = ((await settle(server.listen(Factory.forProtocol(Echo)))) as ITCPListeningPort).getHost().port;
      const client = clientFromString(h.r, `ssl:host=127.0.0.1:port=${port}:caCertsDir=${caDir()}:hostname=localhost`);
      expect(client).toBeInstanceOf(SSL4ClientEndpoint);
      const p = (await settle(client.connect(Factory.forProtocol(Hello)))) as Hello;
      expect((await within(p.lost)).value).toBeInstanceOf(ConnectionDone);
      expect(p.data().toString()).toBe('hello');
    });

    it('ssl: without hostname= verifies the host itself (unlike Twisted)', async () => {
      const server = serverFromString(h.r, `ssl:0:privateKey=${serverPem()}:interface=127.0.0.1`);
      const port = ((await settle(server.listen(Factory.forProtocol(Echo)))) as ITCPListeningPort).getHost().port;
      const ok = clientFromString(h.r, `ssl:127.0.0.1:${port}:caCertsDir=${caDir()}`);
      expect((await within(((await settle(ok.connect(Factory.forProtocol(Hello)))) as Hello).lost)).value).toBeInstanceOf(
        ConnectionDone,
      );
      // The platform store does not know the test CA: verification fails.
      const bad = clientFromString(h.r, `ssl:127.0.0.1:${port}`);
      const p = (await settle(bad.connect(Factory.forProtocol(Hello)))) as Hello;
      const e = (await within(p.lost)).value as SSLError;
      expect(e).toBeInstanceOf(SSLError);
      expect(e.reason).toBe('verify');
    });

    it('tls:HOST:PORT:trustRoots=... and tls:HOST:endpoint=tcp\\:... connect with verification', async () => {
      const port = await sslServer();
      const a = clientFromString(h.r, `tls:localhost:${port}:trustRoots=${caDir()}`);
      const pa = (await settle(a.connect(Factory.forProtocol(Hello)))) as Hello;
      expect((await within(pa.lost)).value).toBeInstanceOf(ConnectionDone);
      const b = clientFromString(h.r, `tls:localhost:endpoint=tcp\\:127.0.0.1\\:${port}:trustRoots=${caDir()}`);
      const pb = (await settle(b.connect(Factory.forProtocol(Hello)))) as Hello;
      expect((await within(pb.lost)).value).toBeInstanceOf(ConnectionDone);
      expect(pb.data().toString()).toBe('hello');
    });

    it.each([
      ['an unknown field', () => clientFromString(h.r, 'ssl:h:1:bogus=1'), 'UNKNOWN_FIELD'],
      [
        'an sslmethod other than TLS_METHOD',
        () => serverFromString(h.r, `ssl:0:privateKey=${serverPem()}:sslmethod=TLSv1_METHOD`),
        'BAD_VALUE',
      ],
      ['a key file that does not exist', () => serverFromString(h.r, 'ssl:0:privateKey=/nonexistent/server.pem'), 'BAD_VALUE'],
      [
        'a trust directory without certificates',
        () => clientFromString(h.r, `tls:h:1:trustRoots=${certs.c.dir}/none`),
        'BAD_VALUE',
      ],
      ['privateKey without a certificate', () => clientFromString(h.r, `tls:h:1:privateKey=${serverPem()}`), 'MISSING_FIELD'],
      ['a tls: port that is not a number', () => clientFromString(h.r, 'tls:h:http'), 'BAD_VALUE'],
    ])('refuses %s with EndpointParseError', (_name, make, kind) => {
      let err: unknown;
      try {
        make();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(EndpointParseError);
      expect((err as EndpointParseError).kind).toBe(kind);
    });
  });
});
