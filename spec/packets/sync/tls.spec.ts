/**
 * TCPNetworkClient with `ssl: true`: the worker's reactor does the TLS
 * handshake (certificates made by openssl at test time, as spec/tls does).
 */
import { SSLError } from '../../../src/errors';
import { TCPNetworkClient } from '../../../src/packets/sync';
import { makeTestCerts, type TestCerts } from '../../tls/certs';
import { lines, type Peer, startPeer } from './helpers';

jest.setTimeout(60_000);

let certs: TestCerts;
let peer: Peer;
beforeAll(async () => {
  certs = makeTestCerts();
  peer = await startPeer('tls', '127.0.0.1', { key: certs.serverKey, cert: certs.serverCert });
});
afterAll(async () => {
  await peer.stop();
  certs.cleanup();
});

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

test('ssl: true with the CA given as PEM: the handshake completes before the constructor returns, packets round-trip', () => {
  const c = new TCPNetworkClient(['localhost', peer.port], lines, { ssl: true, sslCACertificates: [certs.caCert] });
  try {
    c.sendPacket('echo over tls');
    expect(c.recvPacket({ timeout: 10 })).toBe('over tls');
  } finally {
    c.close();
  }
  expect(c.isClosed()).toBe(true);
});

test('a server certificate no trusted CA signed: the constructor throws SSLError', () => {
  const err = thrown(() => new TCPNetworkClient(['localhost', peer.port], lines, { ssl: true }));
  expect(err).toBeInstanceOf(SSLError);
  expect((err as SSLError).reason).toBe('verify');
});

test('serverHostname that the certificate does not name: SSLError', () => {
  const err = thrown(
    () =>
      new TCPNetworkClient(['127.0.0.1', peer.port], lines, {
        ssl: true,
        serverHostname: 'not-this-host.example',
        sslCACertificates: [certs.caCert],
      }),
  );
  expect(err).toBeInstanceOf(SSLError);
  expect((err as SSLError).reason).toBe('hostname');
});
