/**
 * What a probe reads from files before its first request, as blackbox does by building its
 * HTTP client per probe: the CA, the client certificate and key, the credentials and the
 * request body. A file that cannot be read or used fails the probe (no request is sent).
 */
import { readFile } from 'node:fs/promises';
import { fetchSecret, loadTlsMaterial, type TlsMaterial } from '../tls-material.js';
import type { HttpProbeOptions } from '../types.js';

export interface ClientMaterial extends TlsMaterial {
  /** The Authorization header the client config adds, when it has credentials. */
  readonly authorization?: string;
  readonly body?: Buffer;
}

export type MaterialOutcome = { readonly ok: true; readonly material: ClientMaterial } | { readonly ok: false; readonly message: string };

/** The basic_auth or authorization header value for the given credentials. */
export function basicAuthorization(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}

export async function loadClientMaterial(o: HttpProbeOptions): Promise<MaterialOutcome> {
  const material: { -readonly [K in keyof ClientMaterial]: ClientMaterial[K] } = {};
  try {
    // The TLS material first: blackbox fails to build the client without it, before any request.
    Object.assign(material, await loadTlsMaterial(o.tls));
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
