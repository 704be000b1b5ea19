/**
 * Certificates and password hashes for the web config tests, made the way users make them:
 * openssl for a CA, a server certificate (localhost, 127.0.0.1) and client certificates, and
 * htpasswd for bcrypt hashes. Each call makes fresh ones in a new temporary folder.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface Pki {
  readonly dir: string;
  readonly caCert: string;
  /** A second, unrelated CA's certificate. */
  readonly otherCaCert: string;
  readonly serverCert: string;
  readonly serverKey: string;
  /** Signed by the CA, SAN DNS:client.test. */
  readonly clientCert: string;
  readonly clientKey: string;
  /** Signed by the other CA. */
  readonly rogueCert: string;
  readonly rogueKey: string;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], timeout: 20_000 });
}

function ca(dir: string, name: string): void {
  openssl(dir, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/CN=${name}`]);
}

/** A key and certificate `name` signed by CA `by`, with the given X.509 extensions. */
function leaf(dir: string, name: string, by: string, extensions: string): void {
  writeFileSync(path.join(dir, `${name}.ext`), extensions);
  openssl(dir, ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`]);
  openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', `${by}.crt`, '-CAkey', `${by}.key`, '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`]);
}

/** Makes a new server certificate for localhost in `dir` (to rotate it), signed by its CA. */
export function renewServerCert(pki: Pki): void {
  leaf(pki.dir, 'server', 'ca', 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
}

export function makePki(): Pki {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sidecar-pki-'));
  ca(dir, 'ca');
  ca(dir, 'otherca');
  leaf(dir, 'server', 'ca', 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  leaf(dir, 'client', 'ca', 'subjectAltName=DNS:client.test\nextendedKeyUsage=clientAuth\n');
  leaf(dir, 'rogue', 'otherca', 'subjectAltName=DNS:client.test\nextendedKeyUsage=clientAuth\n');
  const f = (name: string) => path.join(dir, name);
  return {
    dir,
    caCert: f('ca.crt'),
    otherCaCert: f('otherca.crt'),
    serverCert: f('server.crt'),
    serverKey: f('server.key'),
    clientCert: f('client.crt'),
    clientKey: f('client.key'),
    rogueCert: f('rogue.crt'),
    rogueKey: f('rogue.key'),
  };
}

/** A bcrypt hash of `password`, as `htpasswd -nbBC <cost>` writes it ($2y$). */
export function htpasswdHash(user: string, password: string, cost = 10): string {
  const line = execFileSync('htpasswd', ['-nbBC', String(cost), user, password], { encoding: 'utf8', timeout: 20_000 });
  return line.trim().slice(user.length + 1);
}
