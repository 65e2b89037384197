/**
 * Certificates and keys (Twisted's `_sslverify.Certificate`, `KeyPair`,
 * `PrivateCertificate`), over `node:crypto`'s `X509Certificate` and
 * `KeyObject`.
 * @module
 */
import { type KeyObject, X509Certificate, createPrivateKey } from 'node:crypto';
import { CertificateError } from '../errors';
import type { ISSLTransport } from '../interfaces/tls';
import { ArgTypeError, describe } from '../validate';
import { CertificateOptions } from './options';
import { trustRootFromCertificates } from './trust';

/** PEM text, as a string or the bytes of one. */
export type PEM = string | Buffer;

/** The fields of an X.509 name torsion exposes (Twisted's DistinguishedName). */
export type DistinguishedName = Readonly<{
  commonName?: string;
  organizationName?: string;
  organizationalUnitName?: string;
  localityName?: string;
  stateOrProvinceName?: string;
  countryName?: string;
  emailAddress?: string;
}>;

const DN_KEYS: Record<string, keyof DistinguishedName> = {
  CN: 'commonName',
  O: 'organizationName',
  OU: 'organizationalUnitName',
  L: 'localityName',
  ST: 'stateOrProvinceName',
  C: 'countryName',
  emailAddress: 'emailAddress',
};

/** Node's one-line-per-field name (`CN=x\nO=y`) as a DistinguishedName. */
function parseName(text: string): DistinguishedName {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = DN_KEYS[line.slice(0, eq)];
    if (key !== undefined) out[key] = line.slice(eq + 1);
  }
  return Object.freeze(out);
}

function checkPEM(name: string, data: unknown): asserts data is PEM {
  if (typeof data !== 'string' && !Buffer.isBuffer(data)) {
    throw new ArgTypeError(`${name} must be a PEM string or Buffer, got ${describe(data)}`);
  }
}

function firstCertificatePEM(text: string): string | null {
  const m = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(text);
  return m === null ? null : `${m[0]}\n`;
}

/** An X.509 certificate. */
export class Certificate {
  /** Node's parsed certificate. */
  readonly original: X509Certificate;

  /** Wrap a parsed certificate (use {@link Certificate.loadPEM} / {@link Certificate.load}). */
  constructor(original: X509Certificate) {
    if (!(original instanceof X509Certificate)) {
      throw new ArgTypeError(`original must be an X509Certificate, got ${describe(original)}`);
    }
    this.original = original;
  }

  /**
   * Parse the first certificate of a PEM text.
   * @throws TypeError for a non-string/Buffer; CertificateError if it holds no parsable certificate.
   */
  static loadPEM(data: PEM): Certificate {
    return new Certificate(parsePEMCertificate(data));
  }

  /**
   * Parse a DER certificate.
   * @throws TypeError for a non-Buffer; CertificateError if unparsable.
   */
  static load(der: Buffer): Certificate {
    if (!Buffer.isBuffer(der)) throw new ArgTypeError(`der must be a Buffer, got ${describe(der)}`);
    try {
      return new Certificate(new X509Certificate(der));
    } catch (err) {
      throw new CertificateError(`Cannot parse the DER certificate: ${(err as Error).message}`, { cause: err });
    }
  }

  /**
   * The peer certificate of a TLS transport.
   * @throws CertificateError when the peer sent none (or before the handshake).
   */
  static peerFromTransport(t: ISSLTransport): Certificate {
    const c = t.getPeerCertificate();
    if (c === null) throw new CertificateError('The transport has no peer certificate (none sent, or the handshake is not done)');
    return c;
  }

  /**
   * This side's certificate of a TLS transport.
   * @throws CertificateError when there is none.
   */
  static hostFromTransport(t: ISSLTransport): Certificate {
    const c = t.getHostCertificate();
    if (c === null) throw new CertificateError('The transport has no host certificate');
    return c;
  }

  /** The certificate as PEM text. */
  dumpPEM(): string {
    return this.original.toString();
  }
  /** The certificate as DER bytes. */
  dump(): Buffer {
    return this.original.raw;
  }
  /** The subject's name. */
  getSubject(): DistinguishedName {
    return parseName(this.original.subject);
  }
  /** The issuer's name. */
  getIssuer(): DistinguishedName {
    return parseName(this.original.issuer);
  }
  /**
   * The fingerprint, colon-separated upper-case hex (`AB:CD:...`).
   * @throws RangeError for a method other than 'sha256' or 'sha1'.
   */
  digest(method: 'sha256' | 'sha1' = 'sha256'): string {
    if (method === 'sha256') return this.original.fingerprint256;
    if (method === 'sha1') return this.original.fingerprint;
    throw new RangeError(`method must be 'sha256' or 'sha1', got ${describe(method)}`);
  }
  /** The serial number, upper-case hex (as Node's X509Certificate). */
  serialNumber(): string {
    return this.original.serialNumber.toUpperCase();
  }
  /** A short description for logs. */
  toString(): string {
    return `<Certificate subject=${JSON.stringify(this.getSubject())} issuer=${JSON.stringify(this.getIssuer())}>`;
  }
}

function parsePEMCertificate(data: unknown): X509Certificate {
  checkPEM('data', data);
  const pem = firstCertificatePEM(typeof data === 'string' ? data : data.toString('latin1'));
  if (pem === null) throw new CertificateError('The PEM data holds no certificate (no BEGIN CERTIFICATE block)');
  try {
    return new X509Certificate(pem);
  } catch (err) {
    throw new CertificateError(`Cannot parse the PEM certificate: ${(err as Error).message}`, { cause: err });
  }
}

/** A private key (Twisted's `KeyPair`). */
export class KeyPair {
  /** Node's key object. */
  readonly original: KeyObject;

  /** Wrap a private KeyObject (use {@link KeyPair.load}). */
  constructor(original: KeyObject) {
    if (original === null || typeof original !== 'object' || (original as KeyObject).type !== 'private') {
      throw new ArgTypeError(`original must be a private KeyObject, got ${describe(original)}`);
    }
    this.original = original;
  }

  /**
   * Parse a PEM private key (an encrypted one needs `passphrase`).
   * @throws TypeError for bad argument types; CertificateError if unparsable or the passphrase is wrong.
   */
  static load(data: PEM, passphrase?: string): KeyPair {
    checkPEM('data', data);
    if (passphrase !== undefined && typeof passphrase !== 'string') {
      throw new ArgTypeError(`passphrase must be a string, got ${describe(passphrase)}`);
    }
    try {
      return new KeyPair(createPrivateKey({ key: data, format: 'pem', passphrase }));
    } catch (err) {
      throw new CertificateError(`Cannot load the private key: ${(err as Error).message}`, { cause: err });
    }
  }

  /** The key as unencrypted PKCS#8 PEM. */
  dumpPEM(): string {
    return this.original.export({ format: 'pem', type: 'pkcs8' }) as string;
  }
}

/** A certificate together with its private key. */
export class PrivateCertificate extends Certificate {
  /** The certificate's private key. */
  readonly privateKey: KeyPair;

  /** Pair a certificate with its key (use the static constructors, which check they match). */
  constructor(original: X509Certificate, privateKey: KeyPair) {
    super(original);
    if (!(privateKey instanceof KeyPair)) throw new ArgTypeError(`privateKey must be a KeyPair, got ${describe(privateKey)}`);
    if (!original.checkPrivateKey(privateKey.original)) {
      throw new CertificateError('The private key does not match the certificate');
    }
    this.privateKey = privateKey;
  }

  /**
   * Load one PEM text holding both the private key and the certificate.
   * @throws CertificateError if either is missing, unparsable, or they do not match.
   */
  static override loadPEM(data: PEM): PrivateCertificate {
    const cert = parsePEMCertificate(data);
    const text = typeof data === 'string' ? data : data.toString('latin1');
    const m = /-----BEGIN ((?:RSA |EC |ENCRYPTED )?PRIVATE KEY)-----[\s\S]+?-----END \1-----/.exec(text);
    if (m === null) throw new CertificateError('The PEM data holds no private key');
    return new PrivateCertificate(cert, KeyPair.load(m[0]));
  }

  /**
   * Pair `certificate` with `privateKey`.
   * @throws TypeError for wrong types; CertificateError if they do not match.
   */
  static fromCertificateAndKeyPair(certificate: Certificate, privateKey: KeyPair): PrivateCertificate {
    if (!(certificate instanceof Certificate)) {
      throw new ArgTypeError(`certificate must be a Certificate, got ${describe(certificate)}`);
    }
    return new PrivateCertificate(certificate.original, privateKey);
  }

  /**
   * CertificateOptions presenting this certificate; with authorities, peers
   * are verified against them (`verify: true`), else `verify: false`.
   */
  options(...authorities: Certificate[]): CertificateOptions {
    return new CertificateOptions({
      privateKey: this.privateKey,
      certificate: this,
      verify: authorities.length > 0,
      trustRoot: authorities.length > 0 ? trustRootFromCertificates(authorities) : null,
    });
  }
}
