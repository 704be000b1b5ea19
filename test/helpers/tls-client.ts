/**
 * A client for the web config tests that reports what a user sees: the HTTP status (and the
 * headers the tests compare), or that no HTTP response came (a refused handshake, a connection
 * closed after it); and for plain HTTP sent to a TLS port, the raw bytes that came back. Every
 * request is bounded in time and uses a connection of its own.
 */
import { readFileSync } from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import type tls from 'node:tls';

export interface TlsClientOptions {
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  readonly minVersion?: tls.SecureVersion;
  readonly maxVersion?: tls.SecureVersion;
  readonly user?: string;
  readonly password?: string;
  readonly method?: string;
}

export type Outcome =
  | { readonly status: number; readonly tlsVersion: string | null; readonly headers: Readonly<Record<string, string | string[] | undefined>>; readonly body: string }
  | { readonly status: 'no response' };

const TIMEOUT_MS = 10_000;

export function httpsRequest(port: number, urlPath: string, o: TlsClientOptions = {}): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port,
        path: urlPath,
        method: o.method ?? 'GET',
        agent: false,
        servername: 'localhost',
        ca: o.ca ? readFileSync(o.ca) : undefined,
        cert: o.cert ? readFileSync(o.cert) : undefined,
        key: o.key ? readFileSync(o.key) : undefined,
        minVersion: o.minVersion,
        maxVersion: o.maxVersion,
        // Lets the client offer TLS 1.0/1.1 when a test asks, so that only the server can refuse.
        ciphers: o.minVersion === 'TLSv1' || o.minVersion === 'TLSv1.1' ? 'DEFAULT:@SECLEVEL=0' : undefined,
        auth: o.user !== undefined ? `${o.user}:${o.password ?? ''}` : undefined,
        timeout: TIMEOUT_MS,
      },
      (res) => {
        const tlsVersion = (res.socket as tls.TLSSocket).getProtocol?.() ?? null;
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, tlsVersion, headers: res.headers, body }));
        res.on('error', () => resolve({ status: 'no response' }));
      },
    );
    req.on('error', () => resolve({ status: 'no response' }));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

/** Sends `request` over plain TCP and returns what came back until the server closed (bounded). */
export function rawExchange(port: number, request: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let got = '';
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(got);
    };
    const timer = setTimeout(done, 5000);
    socket.setEncoding('latin1');
    socket.on('connect', () => socket.write(request));
    socket.on('data', (c: string) => (got += c));
    socket.on('close', done);
    socket.on('error', done);
  });
}

/** What two servers are compared on: the status, or that there was no HTTP response. */
export function statusOf(o: Outcome): number | 'no response' {
  return o.status;
}
