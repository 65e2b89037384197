/** Shared pieces of the TLS specs: certificates per file, recording protocols. */
import type { Failure } from '../../src/defer/failure';
import { Protocol } from '../../src/protocol/protocol';
import { Certificate, CertificateOptions, KeyPair, PrivateCertificate, trustRootFromCertificates } from '../../src/ssl';
import type { IOpenSSLTrustRoot } from '../../src/interfaces/tls';
import { RecordingProtocol, Signal } from '../tcp/harness';
import { type TestCerts, makeTestCerts } from './certs';

/** Certificates made once per spec file (beforeAll), removed afterwards. */
export function useCerts(): {
  c: TestCerts;
  ca(): IOpenSSLTrustRoot;
  server(name?: 'server' | 'expired' | 'wronghost' | 'selfsigned'): CertificateOptions;
  clientCert(): PrivateCertificate;
} {
  const holder = {} as { c: TestCerts };
  beforeAll(() => {
    holder.c = makeTestCerts();
  });
  afterAll(() => holder.c.cleanup());
  return {
    get c() {
      return holder.c;
    },
    ca: () => trustRootFromCertificates([Certificate.loadPEM(holder.c.caCert)]),
    server: (name = 'server') => {
      const map = {
        server: [holder.c.serverCert, holder.c.serverKey],
        expired: [holder.c.expiredCert, holder.c.expiredKey],
        wronghost: [holder.c.wrongHostCert, holder.c.wrongHostKey],
        selfsigned: [holder.c.selfSignedCert, holder.c.selfSignedKey],
      } as const;
      const [cert, key] = map[name as keyof typeof map];
      return new CertificateOptions({ certificate: cert, privateKey: key });
    },
    clientCert: () =>
      PrivateCertificate.fromCertificateAndKeyPair(Certificate.loadPEM(holder.c.clientCert), KeyPair.load(holder.c.clientKey)),
  } as never;
}

/** Echoes everything back. */
export class Echo extends Protocol {
  override dataReceived(d: Buffer): void {
    this.transport!.write(d);
  }
}

/** Records the TLS call order: connectionMade, handshakeCompleted, data, connectionLost. */
export class TLSRecorder extends RecordingProtocol {
  handshake = new Signal<void>();
  certAtMade: unknown = 'unset';
  override connectionMade(): void {
    super.connectionMade();
    this.certAtMade = (this.transport as unknown as { getPeerCertificate(): unknown }).getPeerCertificate();
  }
  handshakeCompleted(): void {
    this.events.push(['handshakeCompleted']);
    this.handshake.fire();
  }
  names(): string[] {
    return this.events.map((e) => e[0]);
  }
  reason(): Failure {
    return this.lost.value as Failure;
  }
}
