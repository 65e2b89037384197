/**
 * An HTTPS-style client over torsion's TLS: the example starts a small
 * TLS server on 127.0.0.1 (certificates made with the `openssl` command,
 * since Node cannot sign X.509), then connects with
 * `optionsForClientTLS('localhost', ...)`, which verifies the chain and the
 * host name, offers ALPN `http/1.1`, sends a GET and prints the response.
 *
 * Run: `npx tsx examples/tls-client.ts`
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClientFactory, Deferred, Factory, Protocol, react, type Failure, type Reactor } from 'torsion';
import { Certificate, CertificateOptions, optionsForClientTLS, trustRootFromCertificates } from 'torsion/ssl';
import type { INegotiated } from 'torsion/interfaces';

/** A throwaway CA and a server certificate for localhost/127.0.0.1, made by `openssl`. */
export function makeCertificates(): { ca: string; cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'torsion-example-'));
  const run = (args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  };
  try {
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    run(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=example CA']);
    run(['req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost']);
    writeFileSync(join(dir, 'ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
    run([
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'server.crt',
      '-days',
      '1',
      '-extfile',
      'ext',
    ]);
    const read = (f: string): string => readFileSync(join(dir, f), 'utf8');
    return { ca: read('ca.crt'), cert: read('server.crt'), key: read('server.key') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The server side: answers any request with a short HTTP/1.1 response and closes. */
class TinyHTTPServer extends Protocol {
  #request = '';
  override dataReceived(data: Buffer): void {
    this.#request += data.toString('latin1');
    if (!this.#request.includes('\r\n\r\n')) return;
    const body = `hello over ${(this.transport as unknown as INegotiated).getProtocolVersion()}\n`;
    this.transport!.write(Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`));
    this.transport!.loseConnection();
  }
}

/** The client side: sends a GET once connected, collects the response until the server closes. */
class HTTPSGet extends Protocol {
  #response: Buffer[] = [];
  override connectionMade(): void {
    // Runs before the handshake; the bytes are sent encrypted once it is done.
    this.transport!.write(Buffer.from('GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'));
  }
  handshakeCompleted(): void {
    const t = this.transport as unknown as INegotiated;
    (this.factory as GetFactory).print(
      `TLS up: ${t.getProtocolVersion()}, ALPN ${t.negotiatedProtocol}, server ${t.getPeerCertificate()?.getSubject().commonName}`,
    );
  }
  override dataReceived(data: Buffer): void {
    this.#response.push(data);
  }
  override connectionLost(reason: Failure): void {
    (this.factory as GetFactory).finished(Buffer.concat(this.#response).toString('latin1'), reason);
  }
}

class GetFactory extends ClientFactory<HTTPSGet> {
  override protocol = HTTPSGet;
  readonly done = new Deferred<string>();
  constructor(readonly print: (line: string) => void) {
    super();
  }
  finished(response: string, reason: Failure): void {
    if (this.done.called) return;
    if (response === '') this.done.errback(reason);
    else this.done.callback(response);
  }
  override clientConnectionFailed(_connector: unknown, reason: Failure): void {
    if (!this.done.called) this.done.errback(reason);
  }
}

/** Options of {@link main}. */
export interface TLSClientOptions {
  /** Where output goes. Default console.log. */
  print?: (line: string) => void;
}

/** Start the server, fetch `/` over verified TLS, print and return the response; the server stops afterwards. */
export function main(reactor: Reactor, opts: TLSClientOptions = {}): Deferred<string> {
  const print = opts.print ?? console.log;
  const { ca, cert, key } = makeCertificates();
  const serverOptions = new CertificateOptions({ certificate: cert, privateKey: key, acceptableProtocols: ['http/1.1'] });
  const port = reactor.listenSSL(0, Factory.forProtocol(TinyHTTPServer), serverOptions, { interface: '127.0.0.1' });
  const factory = new GetFactory(print);
  const clientOptions = optionsForClientTLS('localhost', {
    trustRoot: trustRootFromCertificates([Certificate.loadPEM(ca)]),
    acceptableProtocols: ['http/1.1'],
  });
  reactor.connectSSL('127.0.0.1', port.getHost().port, factory, clientOptions);
  return factory.done.addBoth((result: string | Failure) => {
    port.stopListening();
    if (typeof result === 'string') {
      print(result.split('\r\n')[0]);
      print(result.slice(result.indexOf('\r\n\r\n') + 4).trimEnd());
    }
    return result;
  }) as Deferred<string>;
}

if (require.main === module) {
  void react(main, [{}]);
}
