/**
 * Interop with the real Twisted 22.4 TLS (twisted.internet.ssl, which needs
 * pyOpenSSL): torsion's TLS client against a Twisted listenSSL echo server.
 * Without Twisted or pyOpenSSL, one test prints why and passes; nothing
 * else is defined.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { ConnectionDone } from '../../src/errors';
import { Factory } from '../../src/protocol/factory';
import { optionsForClientTLS } from '../../src/ssl';
import { Peer, findTwistedPython, pattern } from '../interop/harness';
import { RecordingClientFactory, RecordingServerFactory, useReactor, within } from '../tcp/harness';
import { TLSRecorder, useCerts } from './harness';

const found = findTwistedPython();
let skipReason: string | null = found.python === null ? found.reason : null;
if (found.python !== null) {
  const r = spawnSync(found.python, ['-c', 'import OpenSSL, twisted.internet.ssl'], { encoding: 'utf8' });
  if (r.status !== 0) {
    skipReason = `pyOpenSSL is not importable by ${found.python} (${r.stderr.trim().split('\n').pop()}); install python3-openssl`;
  }
}

if (skipReason !== null) {
  it('is skipped: Twisted TLS is not available', () => {
    console.log(`skipping the Twisted TLS interop spec: ${skipReason}`);
  });
} else {
  const certs = useCerts();
  describe('torsion TLS client against Twisted listenSSL', () => {
    const h = useReactor();
    let peer: Peer;
    afterEach(async () => {
      await peer?.stop();
    });

    it('verifies Twisted’s certificate, echoes 1 MiB and closes cleanly on both sides', async () => {
      const pem = certs.c.path('twisted-server.pem');
      writeFileSync(pem, certs.c.serverKey + certs.c.serverCert);
      peer = new Peer((found as { python: string }).python, 'tls_echo_server.py', [pem]);
      const port = await peer.port();
      const data = pattern(1024 * 1024);
      class Sender extends TLSRecorder {
        override handshakeCompleted(): void {
          super.handshakeCompleted();
          this.transport!.write(data);
        }
        override dataReceived(d: Buffer): void {
          super.dataReceived(d);
          if (this.data().length === data.length) this.transport!.loseConnection();
        }
      }
      const f = new RecordingClientFactory(Sender);
      h.r.connectSSL('127.0.0.1', port, f, optionsForClientTLS('localhost', { trustRoot: certs.ca() }));
      const reason = await within(f.lost, 20000);
      expect((f.protocols[0] as Sender).data().equals(data)).toBe(true);
      expect(reason.value).toBeInstanceOf(ConnectionDone);
      expect((await within(peer.next('handshake'))).protocol).toMatch(/^TLSv1\.[23]$/);
      const lost = await within(peer.next('lost'), 10000);
      expect(lost).toMatchObject({ reason: 'ConnectionDone', received: data.length });
    });
  });

  describe('Twisted optionsForClientTLS client against a torsion listenSSL server', () => {
    const h = useReactor();
    let peer: Peer;
    afterEach(async () => {
      await peer?.stop();
    });

    class EchoRecorder extends TLSRecorder {
      override dataReceived(d: Buffer): void {
        super.dataReceived(d);
        this.transport!.write(d);
      }
    }

    it('Twisted verifies torsion’s certificate for localhost, gets its 64 KiB back, both sides see ConnectionDone', async () => {
      const server = new RecordingServerFactory(EchoRecorder);
      const port = h.r.listenSSL(0, server, certs.server(), { interface: '127.0.0.1' }).getHost().port;
      peer = new Peer((found as { python: string }).python, 'tls_client.py', [String(port), certs.c.path('ca.crt'), 'localhost']);
      expect(await within(peer.next('echoed'), 20000)).toMatchObject({ received: 65536 });
      expect(await within(peer.next('lost'), 10000)).toMatchObject({ reason: 'ConnectionDone' });
      const sp = server.protocols[0] as EchoRecorder;
      expect(sp.data().equals(pattern(65536))).toBe(true);
      expect((await within(sp.lost)).value).toBeInstanceOf(ConnectionDone);
      expect(sp.names().slice(0, 2)).toEqual(['connectionMade', 'handshakeCompleted']);
    });

    it('a Twisted client verifying another host name refuses torsion’s certificate', async () => {
      const server = new RecordingServerFactory(EchoRecorder);
      const port = h.r.listenSSL(0, server, certs.server(), { interface: '127.0.0.1' }).getHost().port;
      peer = new Peer((found as { python: string }).python, 'tls_client.py', [
        String(port),
        certs.c.path('ca.crt'),
        'example.com',
      ]);
      const lost = await within(peer.next('lost'), 20000);
      expect(lost.reason).not.toBe('ConnectionDone');
      expect(peer.events.some((e) => e.event === 'echoed')).toBe(false);
      const sp = server.protocols[0] as EchoRecorder;
      expect((await within(sp.lost)).value).not.toBeInstanceOf(ConnectionDone);
    });
  });
}
void Factory;
