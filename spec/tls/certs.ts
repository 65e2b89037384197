/**
 * Test certificates, made at test time by the `openssl` command: a CA, a
 * server certificate for localhost/127.0.0.1/::1, an expired one, one for
 * the wrong host, a self-signed one, and a client certificate.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCerts {
  dir: string;
  caCert: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
  expiredCert: string;
  expiredKey: string;
  wrongHostCert: string;
  wrongHostKey: string;
  selfSignedCert: string;
  selfSignedKey: string;
  clientCert: string;
  clientKey: string;
  /** A client certificate signed by a CA nobody trusts. */
  rogueClientCert: string;
  rogueClientKey: string;
  /** Paths of the PEM files, by the names above. */
  path(name: string): string;
  cleanup(): void;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

function signed(dir: string, name: string, cn: string, san: string | null, ca: string, days: string, extra: string[] = []): void {
  openssl(dir, [
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.csr`,
    '-subj',
    `/CN=${cn}/O=torsion tests`,
  ]);
  const ext = san === null ? 'basicConstraints=CA:FALSE\n' : `basicConstraints=CA:FALSE\nsubjectAltName=${san}\n`;
  writeFileSync(join(dir, `${name}.ext`), ext);
  openssl(dir, [
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    `${ca}.crt`,
    '-CAkey',
    `${ca}.key`,
    '-CAcreateserial',
    '-out',
    `${name}.crt`,
    '-extfile',
    `${name}.ext`,
    ...(days.startsWith('-') ? [] : ['-days', days]),
    ...extra,
  ]);
}

/** Make a fresh set of certificates in a temporary directory. */
export function makeTestCerts(): TestCerts {
  const dir = mkdtempSync(join(tmpdir(), 'torsion-tls-'));
  const ca = (name: string, cn: string): void =>
    openssl(dir, [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.crt`,
      '-days',
      '30',
      '-subj',
      `/CN=${cn}/O=torsion tests`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ]);
  ca('ca', 'torsion test CA');
  ca('rogue', 'rogue CA');
  signed(dir, 'server', 'localhost', 'DNS:localhost,IP:127.0.0.1,IP:::1', 'ca', '30');
  signed(dir, 'wronghost', 'wrong.example', 'DNS:wrong.example', 'ca', '30');
  signed(dir, 'client', 'torsion client', null, 'ca', '30');
  signed(dir, 'rogueclient', 'rogue client', null, 'rogue', '30');
  // Expired: valid for one day, starting two days ago (openssl x509 -days
  // cannot go back in time; `openssl ca` can, with explicit dates).
  openssl(dir, [
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    'expired.key',
    '-out',
    'expired.csr',
    '-subj',
    '/CN=localhost/O=torsion tests',
  ]);
  writeFileSync(join(dir, 'expired.ext'), 'basicConstraints=CA:FALSE\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n');
  writeFileSync(join(dir, 'index.txt'), '');
  writeFileSync(join(dir, 'serial'), '1000\n');
  writeFileSync(
    join(dir, 'ca.cnf'),
    `[ca]\ndefault_ca=d\n[d]\ndir=.\ndatabase=index.txt\nserial=serial\nnew_certs_dir=.\ncertificate=ca.crt\nprivate_key=ca.key\ndefault_md=sha256\npolicy=p\ncopy_extensions=none\n[p]\ncommonName=supplied\norganizationName=optional\n`,
  );
  const past = (days: number): string => {
    const d = new Date(Date.now() - days * 86400_000);
    const p = (n: number): string => String(n).padStart(2, '0');
    return `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}000000Z`;
  };
  openssl(dir, [
    'ca',
    '-batch',
    '-config',
    'ca.cnf',
    '-in',
    'expired.csr',
    '-out',
    'expired.crt',
    '-notext',
    '-startdate',
    past(3),
    '-enddate',
    past(2),
    '-extfile',
    'expired.ext',
  ]);
  openssl(dir, [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    'selfsigned.key',
    '-out',
    'selfsigned.crt',
    '-days',
    '30',
    '-subj',
    '/CN=localhost',
    '-addext',
    'subjectAltName=DNS:localhost,IP:127.0.0.1',
  ]);
  const read = (f: string): string => readFileSync(join(dir, f), 'utf8');
  return {
    dir,
    caCert: read('ca.crt'),
    caKey: read('ca.key'),
    serverCert: read('server.crt'),
    serverKey: read('server.key'),
    expiredCert: read('expired.crt'),
    expiredKey: read('expired.key'),
    wrongHostCert: read('wronghost.crt'),
    wrongHostKey: read('wronghost.key'),
    selfSignedCert: read('selfsigned.crt'),
    selfSignedKey: read('selfsigned.key'),
    clientCert: read('client.crt'),
    clientKey: read('client.key'),
    rogueClientCert: read('rogueclient.crt'),
    rogueClientKey: read('rogueclient.key'),
    path: (name: string) => join(dir, name),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
