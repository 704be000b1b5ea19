/**
 * What a probe reads from files before its first request, as blackbox does by building its
 * HTTP client per probe: the CA, the client certificate and key, the credentials and the
 * request body. A file that cannot be read or used fails the probe (no request is sent).
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { HttpProbeOptions, SecretSource } from '../types.js';

export interface ClientMaterial {
  /** The Authorization header the client config adds, when it has credentials. */
  readonly authorization?: string;
  /** PEM certificates to trust instead of the system's. */
  readonly ca?: readonly string[];
  readonly cert?: string;
  readonly key?: string;
  readonly body?: Buffer;
}

export type MaterialOutcome = { readonly ok: true; readonly material: ClientMaterial } | { readonly ok: false; readonly message: string };

/** A secret's text; files are trimmed as prometheus/common's FileSecret trims them. */
async function fetchSecret(source: SecretSource, what: string): Promise<string> {
  if ('value' in source) return source.value;
  try {
    return (await readFile(source.file, 'utf8')).trim();
  } catch (err) {
    throw new Error(`unable to read ${what}: unable to read file ${source.file}: ${(err as Error).message}`);
  }
}

function describe(source: SecretSource): string {
  return 'file' in source ? `file ${source.file}` : 'inline';
}

/** The PEM certificates in `text` that parse; Go's AppendCertsFromPEM skips the others. */
export function pemCertificates(text: string): string[] {
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  return blocks.filter((pem) => {
    try {
      new X509Certificate(pem);
      return true;
    } catch {
      return false;
    }
  });
}

/** Go's tls.X509KeyPair: a certificate and a private key that belongs to it. */
export function checkKeyPair(certPem: string, keyPem: string): string | undefined {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch (err) {
    return `failed to parse certificate: ${(err as Error).message}`;
  }
  try {
    return cert.checkPrivateKey(createPrivateKey(keyPem)) ? undefined : 'private key does not match public key';
  } catch (err) {
    return `failed to parse private key: ${(err as Error).message}`;
  }
}

/** The basic_auth or authorization header value for the given credentials. */
export function basicAuthorization(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}

export async function loadClientMaterial(o: HttpProbeOptions): Promise<MaterialOutcome> {
  const material: { -readonly [K in keyof ClientMaterial]: ClientMaterial[K] } = {};
  try {
    // The TLS material first: blackbox fails to build the client without it, before any request.
    const tls = o.tls;
    if (tls?.ca) {
      const ca = pemCertificates(await fetchSecret(tls.ca, 'CA cert'));
      if (ca.length === 0) throw new Error(`unable to use specified CA cert ${describe(tls.ca)}`);
      material.ca = ca;
    }
    if (tls?.cert && tls.key) {
      const cert = await fetchSecret(tls.cert, 'specified client cert');
      const key = await fetchSecret(tls.key, 'specified client key');
      const problem = checkKeyPair(cert, key);
      if (problem) throw new Error(`unable to use specified client cert (${describe(tls.cert)}) & key (${describe(tls.key)}): ${problem}`);
      material.cert = cert;
      material.key = key;
    }
    if (o.authorization) {
      const credentials = o.authorization.credentials ? await fetchSecret(o.authorization.credentials, 'authorization credentials') : '';
      material.authorization = `${o.authorization.type} ${credentials}`;
    } else if (o.basicAuth) {
      const username = await fetchSecret(o.basicAuth.username, 'basic auth username');
      const password = o.basicAuth.password ? await fetchSecret(o.basicAuth.password, 'basic auth password') : '';
      material.authorization = basicAuthorization(username, password);
    }
    if (o.bodyFile !== undefined) {
      try {
        material.body = await readFile(o.bodyFile);
      } catch (err) {
        throw new Error(`unable to read body_file: ${(err as Error).message}`);
      }
    }
  } catch (err) {
    return { ok: false, message: (err as Error).message };
  }
  return { ok: true, material };
}
