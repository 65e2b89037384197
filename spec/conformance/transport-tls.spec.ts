import { type TestCerts, makeTestCerts } from '../tls/certs';
import { makeTLSTransportHarness } from './tls-harness';
import { transportConformance } from './transport-suite';

let certs: TestCerts;
beforeAll(() => {
  certs = makeTestCerts();
});
afterAll(() => certs.cleanup());

const RECORDS = 'buffer sizes and watermarks count TLS records (ciphertext with its overhead), not the plaintext written';
transportConformance('Reactor + TLS over TCP (127.0.0.1)', () => makeTLSTransportHarness(certs), 'TCP', {
  'half-close: a half-closeable peer gets readConnectionLost and can still answer':
    'TLS half-close (close_notify while still reading) is not carried to the wrapped protocol',
  'written bytes count in getWriteBufferSize until they are sent': RECORDS,
  'pauseWriting when the write buffer goes strictly over the high-water mark, resumeWriting once it drains': RECORDS,
});
