/**
 * Trust roots: where the CAs that verify a peer come from (Twisted's
 * `platformTrust`, `trustRootFromCertificates`).
 * @module
 */
import type { IOpenSSLTrustRoot } from '../interfaces/tls';
import { ArgTypeError, describe } from '../validate';
import { Certificate } from './certificate';

class PlatformTrust implements IOpenSSLTrustRoot {
  /** {@inheritDoc torsion/interfaces!IOpenSSLTrustRoot.caCertificates} */
  caCertificates(): null {
    return null;
  }
}
const PLATFORM = new PlatformTrust();

/** Node's bundled Mozilla roots plus `NODE_EXTRA_CA_CERTS` (the default trust root). */
export function platformTrust(): IOpenSSLTrustRoot {
  return PLATFORM;
}

class CertificatesTrust implements IOpenSSLTrustRoot {
  readonly #pems: string[];
  constructor(pems: string[]) {
    this.#pems = pems;
  }
  /** {@inheritDoc torsion/interfaces!IOpenSSLTrustRoot.caCertificates} */
  caCertificates(): string[] {
    return this.#pems.slice();
  }
}

/**
 * Trust exactly these CA certificates (and nothing of the platform store).
 * @throws TypeError unless `certificates` is a non-empty array of Certificate.
 */
export function trustRootFromCertificates(certificates: ReadonlyArray<Certificate>): IOpenSSLTrustRoot {
  if (!Array.isArray(certificates)) {
    throw new ArgTypeError(`certificates must be an array of Certificate, got ${describe(certificates)}`);
  }
  if (certificates.length === 0) throw new ArgTypeError('certificates must hold at least one Certificate');
  certificates.forEach((c, i) => {
    if (!(c instanceof Certificate)) throw new ArgTypeError(`certificates[${i}] must be a Certificate, got ${describe(c)}`);
  });
  return new CertificatesTrust(certificates.map((c) => c.dumpPEM()));
}

/** Whether `v` looks like an IOpenSSLTrustRoot. @internal */
export function isTrustRoot(v: unknown): v is IOpenSSLTrustRoot {
  return v !== null && typeof v === 'object' && typeof (v as IOpenSSLTrustRoot).caCertificates === 'function';
}
