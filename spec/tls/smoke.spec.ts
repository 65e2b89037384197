import { Factory } from '../../src/protocol/factory';
import { CertificateOptions, optionsForClientTLS, trustRootFromCertificates, Certificate } from '../../src/ssl';
import { RecordingClientFactory, RecordingProtocol, useReactor, within } from '../tcp/harness';
import { makeTestCerts, type TestCerts } from './certs';
import { Protocol } from '../../src/protocol/protocol';

class Echo extends Protocol {
  override dataReceived(d: Buffer): void {
    this.transport!.write(d);
  }
}
class Hello extends RecordingProtocol {
  override connectionMade(): void {
    super.connectionMade();
    this.transport!.write(Buffer.from('hello'));
  }
  override dataReceived(d: Buffer): void {
    super.dataReceived(d);
    if (this.data().length >= 5) this.transport!.loseConnection();
  }
}
let certs: TestCerts;
beforeAll(() => {
  certs = makeTestCerts();
});
afterAll(() => certs.cleanup());
describe('smoke', () => {
  const h = useReactor();
  it('echoes over TLS', async () => {
    const server = new CertificateOptions({ privateKey: certs.serverKey, certificate: certs.serverCert });
    const port = h.r.listenSSL(0, Factory.forProtocol(Echo), server, { interface: '127.0.0.1' });
    const f = new RecordingClientFactory(Hello);
    const opts = optionsForClientTLS('localhost', { trustRoot: trustRootFromCertificates([Certificate.loadPEM(certs.caCert)]) });
    h.r.connectSSL('127.0.0.1', port.getHost().port, f, opts);
    const reason = await within(f.lost);
    console.log(
      reason.value,
      f.protocols[0].events.map((e) => e[0]),
      f.protocols[0].data().toString(),
    );
  });
});
