/**
 * The TLS side of the transport conformance suite (tls family): the same
 * real-socket harness as real-harness.ts, with listenSSL/connectSSL, so
 * the protocols see a TLSMemoryBIOProtocol transport. Helper module, not a spec.
 */
import type { IPv4Address } from '../../src/address';
import type { IListeningPort } from '../../src/interfaces/connector';
import { Certificate, CertificateOptions, optionsForClientTLS, trustRootFromCertificates } from '../../src/ssl';
import type { TestCerts } from '../tls/certs';
import type { Recorder } from '../testing/recorder';
import { PairClientFactory, serverFactory, type Pair, type TransportHarness } from './harness';
import { sleep, startReactor } from './real-harness';

const SETTLE_LIMIT_MS = 5000;

/** Connections over TLS on 127.0.0.1 (port 0), one fresh Reactor per harness. */
export function makeTLSTransportHarness(certs: TestCerts): TransportHarness {
  const { reactor, stop } = startReactor();
  const ports: IListeningPort[] = [];
  const serverOptions = new CertificateOptions({ certificate: certs.serverCert, privateKey: certs.serverKey });
  const clientOptions = optionsForClientTLS('localhost', {
    trustRoot: trustRootFromCertificates([Certificate.loadPEM(certs.caCert)]),
  });
  const idle = async (): Promise<void> => {
    for (let i = 0; i < 3; i++) await sleep(10);
  };
  const settle = async (done: () => boolean, what: string): Promise<void> => {
    const deadline = Date.now() + SETTLE_LIMIT_MS;
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`tls harness: timed out waiting for ${what}`);
      await sleep(2);
    }
    await idle();
  };
  return {
    async connect<S extends Recorder, C extends Recorder>(makeServer: () => S, makeClient: () => C): Promise<Pair<S, C>> {
      let server: S | null = null;
      let client: C | null = null;
      const port = reactor.listenSSL(
        0,
        serverFactory(() => {
          if (server !== null) throw new Error('tls harness: a second connection arrived');
          return (server = makeServer());
        }),
        serverOptions,
        { interface: '127.0.0.1' },
      );
      ports.push(port);
      const clientFactory = new PairClientFactory(() => (client = makeClient()));
      reactor.connectSSL('127.0.0.1', (port.getHost() as IPv4Address).port, clientFactory, clientOptions);
      // The suite is about an established connection: wait for the handshake too.
      const shaken = (r: Recorder | null): boolean =>
        r !== null && r.events.includes('made') && (r.transport as unknown as { handshakeDone?: boolean }).handshakeDone === true;
      const made = () => shaken(server) && shaken(client);
      const deadline = Date.now() + SETTLE_LIMIT_MS;
      while (!made()) {
        if (clientFactory.failures.length > 0) throw clientFactory.failures[0]!.value;
        if (Date.now() > deadline) throw new Error('tls harness: timed out waiting for the connection');
        await sleep(2);
      }
      const s = server as unknown as S;
      const c = client as unknown as C;
      return { server: s, client: c, serverTransport: s.transport!, clientTransport: c.transport! };
    },
    settle,
    idle,
    async teardown(): Promise<void> {
      for (const p of ports) await p.stopListening();
      await stop();
    },
  };
}
