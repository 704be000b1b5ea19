/**
 * exporter-toolkit's tls_server_config as Node.js TLS settings. Go's crypto/tls and OpenSSL
 * differ in names (TLS12 / TLSv1.2, CurveP256 / P-256, cipher suites) and in client
 * authentication: OpenSSL can only "request" or "require and verify" a client certificate, so
 * RequireAnyClientCert, VerifyClientCertIfGiven and client_allowed_sans are checked once the
 * handshake is done (`refusal`), and a refused connection is closed before any HTTP is read.
 */
import { X509Certificate } from 'node:crypto';
import path from 'node:path';
import tls from 'node:tls';
import { ConfigError } from '../../config/error.js';
import { GO_CIPHER_SUITES, GO_CURVES, type TlsVersionName } from '../../config/web-names.js';
import type { TlsServerConfigFile } from '../../config/web-schema.js';

const NODE_TLS_VERSIONS: Readonly<Record<TlsVersionName, tls.SecureVersion>> = { TLS10: 'TLSv1', TLS11: 'TLSv1.1', TLS12: 'TLSv1.2', TLS13: 'TLSv1.3' };

export type ClientAuthPolicy = 'NoClientCert' | 'RequestClientCert' | 'RequireAnyClientCert' | 'VerifyClientCertIfGiven' | 'RequireAndVerifyClientCert';

/** What a TLS listener needs: options for tls.Server#setSecureContext, and the checks OpenSSL cannot make. */
export interface TlsSettings {
  readonly options: tls.SecureContextOptions & { requestCert: boolean; rejectUnauthorized: boolean; ALPNProtocols: string[] };
  readonly clientAuth: ClientAuthPolicy;
  readonly allowedSans: readonly string[] | undefined;
}

/** Whether the section asks for TLS at all (exporter-toolkit's TLSConfig.IsEnabled). */
export function tlsRequested(c: TlsServerConfigFile | null | undefined): c is TlsServerConfigFile {
  if (!c) return false;
  return Boolean(c.cert_file || c.cert || c.key_file || c.key || c.client_ca_file || c.client_ca || c.client_auth_type);
}

/** The files the section names, resolved against the web config file's folder (exporter-toolkit's SetDirectory). */
export function tlsFiles(c: TlsServerConfigFile, configFile: string): { cert?: string; key?: string; clientCa?: string } {
  const dir = path.dirname(configFile);
  const resolve = (f: string | undefined) => (f ? path.resolve(dir, f) : undefined);
  return { cert: resolve(c.cert_file), key: resolve(c.key_file), clientCa: resolve(c.client_ca_file) };
}

/**
 * The settings for a section that tlsRequested; `read` reads a named file. Throws ConfigError,
 * naming the web config file, for what exporter-toolkit refuses (and for a key that does not
 * match its certificate, which OpenSSL finds here and Go at the first handshake).
 */
export async function tlsSettings(c: TlsServerConfigFile, configFile: string, read: (file: string) => Promise<Buffer>): Promise<TlsSettings> {
  const refuse = (why: string) => new ConfigError(`${configFile}: tls_server_config: ${why}`);
  if (!c.cert_file && !c.cert) throw refuse('missing one of cert or cert_file');
  if (!c.key_file && !c.key) throw refuse('missing one of key or key_file');
  const files = tlsFiles(c, configFile);
  const load = async (file: string | undefined, inline: string | undefined, field: string): Promise<Buffer | string | undefined> => {
    if (file === undefined) return inline;
    try {
      return await read(file);
    } catch (err) {
      throw refuse(`failed to read ${field} (${file}): ${(err as Error).message}`);
    }
  };
  const [cert, key, ca] = await Promise.all([load(files.cert, c.cert, 'cert_file'), load(files.key, c.key, 'key_file'), load(files.clientCa, c.client_ca, 'client_ca_file')]);
  const clientAuth = (c.client_auth_type === 'RequireClientCert' ? 'RequireAnyClientCert' : c.client_auth_type ?? 'NoClientCert') as ClientAuthPolicy;
  if (ca !== undefined && clientAuth === 'NoClientCert') throw refuse("client CA's have been configured without a Client Auth Policy");
  const min = NODE_TLS_VERSIONS[c.min_version as TlsVersionName];
  const max = NODE_TLS_VERSIONS[c.max_version as TlsVersionName];
  const suites = (c.cipher_suites ?? []).map((s) => GO_CIPHER_SUITES[s]).filter((s): s is string => s !== undefined);
  // TLS 1.0 and 1.1 need OpenSSL's security level 0, as Go still offers them when asked.
  const legacy = min === 'TLSv1' || min === 'TLSv1.1';
  const ciphers = [...suites, ...(suites.length === 0 && legacy ? ['DEFAULT'] : []), ...(legacy ? ['@SECLEVEL=0'] : [])].join(':');
  const options: TlsSettings['options'] = {
    cert,
    key,
    ...(ca !== undefined ? { ca } : {}),
    minVersion: min,
    maxVersion: max,
    ...(ciphers !== '' ? { ciphers } : {}),
    honorCipherOrder: c.prefer_server_cipher_suites,
    ...(c.curve_preferences?.length ? { ecdhCurve: c.curve_preferences.map((n) => GO_CURVES[n]).join(':') } : {}),
    requestCert: clientAuth !== 'NoClientCert',
    rejectUnauthorized: clientAuth === 'RequireAndVerifyClientCert',
    // HTTP/1.1 only: a client offering h2 falls back, as it does with any HTTP/1.1 server.
    ALPNProtocols: ['http/1.1'],
  };
  try {
    tls.createSecureContext(options);
  } catch (err) {
    throw refuse(`failed to load X509KeyPair: ${(err as Error).message}`);
  }
  return { options, clientAuth, allowedSans: c.client_allowed_sans ?? undefined };
}

/** Subject alternative names as Go lists them: DNS names, e-mail addresses, IPs, URIs. */
function subjectAltNames(cert: X509Certificate): string[] {
  const text = cert.subjectAltName;
  if (!text) return [];
  return text.split(', ').flatMap((entry) => {
    const m = /^(DNS|email|IP Address|URI):(.*)$/.exec(entry);
    if (!m) return [];
    const value = m[2]!.startsWith('"') ? (JSON.parse(m[2]!) as string) : m[2]!;
    // OpenSSL writes IPv6 addresses in full; Go in their short form ("::1"), which users list.
    if (m[1] === 'IP Address' && value.includes(':')) return [new URL(`http://[${value}]/`).hostname.slice(1, -1)];
    return [value];
  });
}

/** Why a connection that finished its handshake must be closed, or undefined when it may go on. */
export function refusal(settings: TlsSettings, socket: tls.TLSSocket): string | undefined {
  const cert = socket.getPeerX509Certificate();
  if (settings.clientAuth === 'RequireAnyClientCert' && !cert) return "client didn't provide a certificate";
  if (settings.clientAuth === 'VerifyClientCertIfGiven' && cert && !socket.authorized) return `client certificate not verified: ${String(socket.authorizationError)}`;
  if (settings.allowedSans !== undefined) {
    if (!cert) return 'client certificate required for client_allowed_sans';
    const sans = subjectAltNames(cert);
    if (!sans.some((s) => settings.allowedSans!.includes(s))) return `could not find allowed SANs in client cert, found: ${sans.join(', ')}`;
  }
  return undefined;
}
