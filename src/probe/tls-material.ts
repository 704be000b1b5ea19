/**
 * prometheus/common's tls_config for the probers that connect over TLS (http, tcp): where its
 * material comes from (inline or a file, read at each probe as blackbox builds its client per
 * probe), and that material loaded and checked as Go's crypto/tls would: CA certificates that
 * parse, a client key that belongs to its certificate.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { ConnectionOptions } from 'node:tls';
import type { ProbeModule } from '../config/schema.js';
import type { SecretSource, TlsVersionName } from './types.js';

/** The tls_config fields as the schema gives them (http modules and checks, tcp modules and checks alike). */
export type TlsConfigFields = ProbeModule['http']['tls_config'];

/** Where the TLS material comes from, and the versions allowed. */
export interface TlsMaterialSources {
  readonly ca?: SecretSource;
  readonly cert?: SecretSource;
  readonly key?: SecretSource;
  readonly minVersion?: TlsVersionName;
  readonly maxVersion?: TlsVersionName;
}

/** The material, loaded. */
export interface TlsMaterial {
  /** PEM certificates to trust instead of the system's. */
  readonly ca?: readonly string[];
  readonly cert?: string;
  readonly key?: string;
}

/** prometheus/common's toSecret: the inline text if not empty, else the file, else none. */
export function secret(value: string | undefined, file: string | undefined): SecretSource | undefined {
  if (value !== undefined && value !== '') return { value };
  if (file !== undefined && file !== '') return { file };
  return undefined;
}

/** The sources a tls_config names; undefined when it names none (the system's CAs, no client certificate). */
export function tlsMaterialSources(t: TlsConfigFields): TlsMaterialSources | undefined {
  const ca = secret(t.ca, t.ca_file);
  const cert = secret(t.cert, t.cert_file);
  const key = secret(t.key, t.key_file);
  if (!ca && !cert && !key && !t.min_version && !t.max_version) return undefined;
  return {
    ...(ca ? { ca } : {}),
    ...(cert ? { cert } : {}),
    ...(key ? { key } : {}),
    ...(t.min_version ? { minVersion: t.min_version } : {}),
    ...(t.max_version ? { maxVersion: t.max_version } : {}),
  };
}

/** A secret's text; files are trimmed as prometheus/common's FileSecret trims them. */
export async function fetchSecret(source: SecretSource, what: string): Promise<string> {
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

/**
 * Reads and checks the material; throws an Error saying what cannot be used, in
 * prometheus/common's words, before any connection is made.
 */
export async function loadTlsMaterial(tls: TlsMaterialSources | undefined): Promise<TlsMaterial> {
  const material: { -readonly [K in keyof TlsMaterial]: TlsMaterial[K] } = {};
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
  return material;
}

const NODE_TLS_VERSIONS: Readonly<Record<TlsVersionName, 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3'>> = {
  TLS10: 'TLSv1',
  TLS11: 'TLSv1.1',
  TLS12: 'TLSv1.2',
  TLS13: 'TLSv1.3',
};

/** Node's TLS client options for loaded material and the versions allowed. */
export function tlsMaterialOptions(material: TlsMaterial, versions: Pick<TlsMaterialSources, 'minVersion' | 'maxVersion'> | undefined): ConnectionOptions {
  return {
    ...(material.ca ? { ca: [...material.ca] } : {}),
    ...(material.cert !== undefined && material.key !== undefined ? { cert: material.cert, key: material.key } : {}),
    ...(versions?.minVersion ? { minVersion: NODE_TLS_VERSIONS[versions.minVersion] } : {}),
    ...(versions?.maxVersion ? { maxVersion: NODE_TLS_VERSIONS[versions.maxVersion] } : {}),
  };
}
