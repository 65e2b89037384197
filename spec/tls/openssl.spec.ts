/**
 * Interop with the real `openssl` command: torsion's client against
 * `openssl s_server` (started by the test), torsion's server against
 * `openssl s_client`.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { ConnectionDone } from '../../src/errors';
import { Factory } from '../../src/protocol/factory';
import { Protocol } from '../../src/protocol/protocol';
import type { TLSMemoryBIOProtocol } from '../../src/protocols/tls';
import { CertificateOptions, optionsForClientTLS } from '../../src/ssl';
import { RecordingClientFactory, Signal, useReactor, within } from '../tcp/harness';
import { TLSRecorder, useCerts } from './harness';

const OPENSSL = spawnSync('openssl', ['version'], { encoding: 'utf8' });
const haveOpenSSL = OPENSSL.status === 0;
if (!haveOpenSSL)
  console.log(`skipping the openssl interop specs: the openssl command is not available (${OPENSSL.error?.message})`);
const describeIf = haveOpenSSL ? describe : describe.skip;

const certs = useCerts();
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});

/** Start `openssl s_server` on an ephemeral port; resolves with the port it printed. */
async function sServer(args: string[]): Promise<number> {
  const child = spawn(
    'openssl',
    ['s_server', '-accept', '127.0.0.1:0', '-cert', certs.c.path('server.crt'), '-key', certs.c.path('server.key'), ...args],
    {
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  children.push(child);
  const port = new Signal<number>();
  let out = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (d: string) => {
    out += d;
    const m = /ACCEPT 127\.0\.0\.1:(\d+)/.exec(out);
    if (m) port.fire(Number(m[1]));
  });
  return within(port, 10000, 'openssl s_server to listen');
}

class Line extends TLSRecorder {
  constructor(readonly line: string) {
    super();
  }
  override handshakeCompleted(): void {
    super.handshakeCompleted();
    this.transport!.write(Buffer.from(this.line));
  }
  override dataReceived(d: Buffer): void {
    super.dataReceived(d);
    if (this.data().includes(0x0a)) this.transport!.loseConnection();
  }
}

describeIf('torsion client against openssl s_server', () => {
  const h = useReactor();

  it('verifies the server, talks TLS 1.3 and gets its -rev reply', async () => {
    const port = await sServer(['-rev']);
    const f = new RecordingClientFactory(TLSRecorder);
    f.buildProtocol = () => {
      const p = new Line('hello torsion\n');
      f.protocols.push(p);
      return p;
    };
    h.r.connectSSL('127.0.0.1', port, f, optionsForClientTLS('localhost', { trustRoot: certs.ca() }));
    const reason = await within(f.lost, 10000);
    const p = f.protocols[0] as Line;
    expect(p.data().toString()).toContain('noisrot olleh');
    expect(p.names()[0]).toBe('connectionMade');
    expect(p.names()[1]).toBe('handshakeCompleted');
    expect(reason.value).toBeInstanceOf(ConnectionDone);
    expect((p.transport as unknown as TLSMemoryBIOProtocol).getProtocolVersion()).toBe('TLSv1.3');
  });

  it('negotiates ALPN with s_server -alpn and presents a client certificate to -Verify', async () => {
    const port = await sServer([
      '-rev',
      '-alpn',
      'x-other,h2',
      '-Verify',
      '1',
      '-CAfile',
      certs.c.path('ca.crt'),
      '-verify_return_error',
    ]);
    const f = new RecordingClientFactory(TLSRecorder);
    f.buildProtocol = () => {
      const p = new Line('abc\n');
      f.protocols.push(p);
      return p;
    };
    h.r.connectSSL(
      '127.0.0.1',
      port,
      f,
      optionsForClientTLS('localhost', {
        trustRoot: certs.ca(),
        clientCertificate: certs.clientCert(),
        acceptableProtocols: ['h2', 'http/1.1'],
      }),
    );
    await within(f.lost, 10000);
    const p = f.protocols[0] as Line;
    expect((p.transport as unknown as TLSMemoryBIOProtocol).negotiatedProtocol).toBe('h2');
    expect(p.data().toString()).toContain('cba');
  });
});

describeIf('openssl s_client against a torsion server', () => {
  const h = useReactor();

  class Pong extends Protocol {
    override dataReceived(d: Buffer): void {
      this.transport!.write(Buffer.from(`pong:${d.toString()}`));
      this.transport!.loseConnection();
    }
  }

  it('s_client verifies the chain and the host name and gets the reply; the close is clean', async () => {
    const options = new CertificateOptions({ certificate: certs.c.serverCert, privateKey: certs.c.serverKey });
    const port = h.r.listenSSL(0, Factory.forProtocol(Pong), options, { interface: '127.0.0.1' }).getHost().port;
    const child = spawn(
      'openssl',
      [
        's_client',
        '-connect',
        `127.0.0.1:${port}`,
        '-CAfile',
        certs.c.path('ca.crt'),
        '-verify_return_error',
        '-verify_hostname',
        'localhost',
        '-servername',
        'localhost',
        '-brief',
      ],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    children.push(child);
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes('CONNECTION ESTABLISHED') && !child.stdin!.writableEnded) child.stdin!.write('ping\n');
    });
    const code = await within(new Promise<number | null>((r) => child.on('exit', r)), 10000, 's_client to exit');
    expect(err).toContain('Verification: OK');
    expect(err).toContain('Protocol version: TLSv1.3');
    expect(out).toContain('pong:ping');
    expect(code).toBe(0);
  });
});
