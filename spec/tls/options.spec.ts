/**
 * torsion/ssl objects without sockets: certificates, keys, trust roots,
 * and every bad input of optionsForClientTLS / CertificateOptions /
 * TLSMemoryBIOFactory / connectSSL.
 */
import { CertificateError } from '../../src/errors';
import { Factory } from '../../src/protocol/factory';
import { TLSMemoryBIOFactory } from '../../src/protocols/tls';
import { Reactor } from '../../src/reactor';
import {
  Certificate,
  CertificateOptions,
  ClientTLSOptions,
  KeyPair,
  PrivateCertificate,
  TLSVersion,
  optionsForClientTLS,
  platformTrust,
  trustRootFromCertificates,
} from '../../src/ssl';
import { ClientFactory } from '../../src/protocol/factory';
import type { ITransport } from '../../src/interfaces/transport';
import { useCerts } from './harness';

const certs = useCerts();
const NO_TRANSPORT = {} as ITransport;

describe('Certificate, KeyPair, PrivateCertificate', () => {
  it('loads PEM and DER and reports subject, issuer, digests and serial', () => {
    const c = Certificate.loadPEM(certs.c.serverCert);
    expect(c.getSubject()).toEqual({ commonName: 'localhost', organizationName: 'torsion tests' });
    expect(c.getIssuer().commonName).toBe('torsion test CA');
    expect(c.digest()).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(c.digest('sha1')).toMatch(/^([0-9A-F]{2}:){19}[0-9A-F]{2}$/);
    expect(c.serialNumber()).toMatch(/^[0-9A-F]+$/);
    expect(c.serialNumber()).toBe(c.original.serialNumber.toUpperCase());
    const again = Certificate.load(c.dump());
    expect(again.dumpPEM()).toBe(c.dumpPEM());
    expect(Certificate.loadPEM(Buffer.from(certs.c.serverCert)).digest()).toBe(c.digest());
  });

  it('refuses what is not a certificate', () => {
    expect(() => Certificate.loadPEM('hello')).toThrow(CertificateError);
    expect(() => Certificate.loadPEM('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----')).toThrow(CertificateError);
    expect(() => Certificate.load(Buffer.from('nope'))).toThrow(CertificateError);
    expect(() => Certificate.loadPEM(42 as never)).toThrow(TypeError);
    expect(() => Certificate.load('pem' as never)).toThrow(TypeError);
    expect(() => Certificate.loadPEM(certs.c.serverCert).digest('md5' as never)).toThrow(RangeError);
  });

  it('pairs a key with its certificate, and refuses a key that does not match', () => {
    const key = KeyPair.load(certs.c.serverKey);
    expect(key.dumpPEM()).toMatch(/BEGIN PRIVATE KEY/);
    const pc = PrivateCertificate.fromCertificateAndKeyPair(Certificate.loadPEM(certs.c.serverCert), key);
    expect(pc.privateKey).toBe(key);
    expect(() =>
      PrivateCertificate.fromCertificateAndKeyPair(Certificate.loadPEM(certs.c.serverCert), KeyPair.load(certs.c.clientKey)),
    ).toThrow(/does not match/);
    expect(PrivateCertificate.loadPEM(certs.c.serverKey + certs.c.serverCert).getSubject().commonName).toBe('localhost');
    expect(() => PrivateCertificate.loadPEM(certs.c.serverCert)).toThrow(/no private key/);
    expect(() => KeyPair.load('garbage')).toThrow(CertificateError);
    expect(() => KeyPair.load(certs.c.serverKey, 5 as never)).toThrow(TypeError);
  });

  it('PrivateCertificate.options(): verify only with authorities', () => {
    const pc = PrivateCertificate.loadPEM(certs.c.serverKey + certs.c.serverCert);
    expect(pc.options().verify).toBe(false);
    const withCA = pc.options(Certificate.loadPEM(certs.c.caCert));
    expect(withCA.verify).toBe(true);
    expect(withCA.serverConnectionForTLS(NO_TRANSPORT)).toMatchObject({ requestCert: true, rejectUnauthorized: true });
  });
});

describe('trust roots', () => {
  it('platformTrust() means the platform store; trustRootFromCertificates gives the PEMs', () => {
    expect(platformTrust().caCertificates()).toBeNull();
    const ca = Certificate.loadPEM(certs.c.caCert);
    expect(trustRootFromCertificates([ca]).caCertificates()).toEqual([ca.dumpPEM()]);
  });
  it.each([[[]], [['pem']], ['x'], [null]])('trustRootFromCertificates(%p) is a TypeError', (arg) => {
    expect(() => trustRootFromCertificates(arg as never)).toThrow(TypeError);
  });
});

describe('optionsForClientTLS', () => {
  it('sends SNI for DNS names only and always verifies', () => {
    const dns = optionsForClientTLS('LocalHost');
    expect(dns).toBeInstanceOf(ClientTLSOptions);
    expect(dns.hostname).toBe('localhost');
    expect(dns.clientConnectionForTLS(NO_TRANSPORT)).toMatchObject({ servername: 'localhost', rejectUnauthorized: true });
    const ip = optionsForClientTLS('127.0.0.1').clientConnectionForTLS(NO_TRANSPORT);
    expect(ip.servername).toBeUndefined();
    expect(ip.host).toBe('127.0.0.1');
    expect(optionsForClientTLS('[::1]').hostname).toBe('::1');
    expect(optionsForClientTLS('bücher.example').hostname).toBe('xn--bcher-kva.example');
    expect(optionsForClientTLS('h').handshakeTimeout).toBe(60);
    expect(optionsForClientTLS('h', { handshakeTimeout: null }).handshakeTimeout).toBeNull();
  });

  it.each<[string, () => unknown, new (...a: never[]) => Error]>([
    ['an empty hostname', () => optionsForClientTLS(''), RangeError],
    ['a non-IDNA hostname', () => optionsForClientTLS('exa mple/.com'), RangeError],
    ['a hostname that is not a string', () => optionsForClientTLS(42 as never), TypeError],
    ['a trustRoot that is not one', () => optionsForClientTLS('h', { trustRoot: {} as never }), TypeError],
    ['a null trustRoot', () => optionsForClientTLS('h', { trustRoot: null as never }), TypeError],
    [
      'a clientCertificate that is not a PrivateCertificate',
      () => optionsForClientTLS('h', { clientCertificate: 'pem' as never }),
      TypeError,
    ],
    ['acceptableProtocols not an array', () => optionsForClientTLS('h', { acceptableProtocols: 'h2' as never }), TypeError],
    ['an empty acceptableProtocols', () => optionsForClientTLS('h', { acceptableProtocols: [] }), RangeError],
    ['an empty protocol name', () => optionsForClientTLS('h', { acceptableProtocols: [''] }), RangeError],
    [
      'a protocol name longer than 255 bytes',
      () => optionsForClientTLS('h', { acceptableProtocols: ['x'.repeat(256)] }),
      RangeError,
    ],
    ['a negative handshakeTimeout', () => optionsForClientTLS('h', { handshakeTimeout: -1 }), RangeError],
    ['a string handshakeTimeout', () => optionsForClientTLS('h', { handshakeTimeout: '5' as never }), TypeError],
    [
      'an unknown TLS version',
      () => optionsForClientTLS('h', { extraCertificateOptions: { raiseMinimumTo: 'SSLv3' as never } }),
      RangeError,
    ],
    [
      'a server-only extra option',
      () => optionsForClientTLS('h', { extraCertificateOptions: { verify: false } as never }),
      TypeError,
    ],
    [
      'a maximum below the minimum',
      () =>
        optionsForClientTLS('h', {
          extraCertificateOptions: { raiseMinimumTo: TLSVersion.TLSv1_3, lowerMaximumSecurityTo: TLSVersion.TLSv1_2 },
        }),
      RangeError,
    ],
  ])('refuses %s', (_name, make, type) => {
    expect(make).toThrow(type);
  });
});

describe('CertificateOptions', () => {
  it('as client options needs an explicit verify', () => {
    expect(() => new CertificateOptions().clientConnectionForTLS(NO_TRANSPORT)).toThrow(/optionsForClientTLS\(hostname\)/);
    const off = new CertificateOptions({ verify: false }).clientConnectionForTLS(NO_TRANSPORT);
    expect(off.rejectUnauthorized).toBe(false);
    const on = new CertificateOptions({ verify: true }).clientConnectionForTLS({
      getPeer: () => ({ host: 'example.com' }),
    } as never);
    expect(on).toMatchObject({ rejectUnauthorized: true, servername: 'example.com' });
  });

  it('as server options needs key and certificate; verify requests and requires a client certificate', () => {
    expect(() => new CertificateOptions({ verify: false }).serverConnectionForTLS(NO_TRANSPORT)).toThrow(TypeError);
    const o = new CertificateOptions({
      privateKey: certs.c.serverKey,
      certificate: certs.c.serverCert,
      verify: true,
      requireCertificate: false,
    });
    expect(o.serverConnectionForTLS(NO_TRANSPORT)).toMatchObject({ requestCert: true, rejectUnauthorized: false });
    expect(o.getContext()).toBe(o.getContext());
  });

  it.each<[string, () => unknown, new (...a: never[]) => Error]>([
    ['opts not an object', () => new CertificateOptions(5 as never), TypeError],
    ['a verify that is not a boolean', () => new CertificateOptions({ verify: 'yes' as never }), TypeError],
    ['a certificate that is not PEM', () => new CertificateOptions({ certificate: 5 as never }), TypeError],
    ['an unparsable certificate', () => new CertificateOptions({ certificate: 'junk' }), CertificateError],
    ['an unparsable key', () => new CertificateOptions({ privateKey: 'junk' }), CertificateError],
    [
      'raiseMinimumTo with insecurelyLowerMinimumTo',
      () => new CertificateOptions({ raiseMinimumTo: 'TLSv1.3', insecurelyLowerMinimumTo: 'TLSv1' }),
      TypeError,
    ],
    ['an unknown version', () => new CertificateOptions({ lowerMaximumSecurityTo: 'TLSv9' as never }), RangeError],
    ['an empty cipher list', () => new CertificateOptions({ acceptableCiphers: '' }), TypeError],
    ['an extraCertChain that is not an array', () => new CertificateOptions({ extraCertChain: 'x' as never }), TypeError],
    ['a requireCertificate that is not a boolean', () => new CertificateOptions({ requireCertificate: 1 as never }), TypeError],
    ['a zero handshakeTimeout', () => new CertificateOptions({ handshakeTimeout: 0 }), RangeError],
  ])('refuses %s', (_name, make, type) => {
    expect(make).toThrow(type);
  });
});

describe('TLSMemoryBIOFactory and connectSSL arguments', () => {
  it.each<[string, () => unknown]>([
    ['isClient not a boolean', () => new TLSMemoryBIOFactory(optionsForClientTLS('h'), 1 as never, new Factory())],
    ['a client without verify', () => new TLSMemoryBIOFactory(new CertificateOptions(), true, new Factory())],
    ['a server without a key', () => new TLSMemoryBIOFactory(new CertificateOptions({ verify: false }), false, new Factory())],
    ['no context factory', () => new TLSMemoryBIOFactory(null as never, true, new Factory())],
    ['a wrapped factory without buildProtocol', () => new TLSMemoryBIOFactory(optionsForClientTLS('h'), true, {} as never)],
    ['a clock without callLater', () => new TLSMemoryBIOFactory(optionsForClientTLS('h'), true, new Factory(), {} as never)],
  ])('TLSMemoryBIOFactory refuses %s with TypeError', (_name, make) => {
    expect(make).toThrow(TypeError);
  });

  it('connectSSL/listenSSL check every argument before doing anything', () => {
    const r = new Reactor();
    const f = new ClientFactory();
    expect(() => r.connectSSL('', 443, f, optionsForClientTLS('h'))).toThrow();
    expect(() => r.connectSSL('h', 70000, f, optionsForClientTLS('h'))).toThrow(RangeError);
    expect(() => r.connectSSL('h', 443, new Factory() as never, optionsForClientTLS('h'))).toThrow(TypeError);
    expect(() => r.connectSSL('h', 443, f, {} as never)).toThrow(TypeError);
    expect(() => r.connectSSL('h', 443, f, certs.server() as never)).toThrow(/verify/);
    expect(() => r.listenSSL(0, new Factory(), optionsForClientTLS('h') as never)).toThrow(TypeError);
    expect(() => r.listenSSL(-1, new Factory(), certs.server())).toThrow(RangeError);
  });
});
