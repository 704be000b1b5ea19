/**
 * Local targets for the http prober's client options, on 127.0.0.1: an HTTP server guarding
 * routes with basic auth and a bearer token, sending headers and compressed bodies, and two
 * HTTPS servers with certificates from makePki(): one that requires a client certificate signed
 * by the test CA, one that speaks TLS 1.2 at most.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import zlib from 'node:zlib';
import type { Pki } from './pki.js';

export const BASIC_USER = 'prober';
export const BASIC_PASSWORD = 'open sesame';
export const BEARER_TOKEN = 'token-123';
/** What /gzip, /deflate and /br send once decoded. */
export const COMPRESSED_TEXT = 'compressed hello '.repeat(20);

export interface AuthTargets {
  readonly http: string;
  /** Requires a client certificate signed by the test CA. */
  readonly mtls: string;
  /** TLS 1.2 at most, no client certificate. */
  readonly tls12: string;
  /** The Authorization header of each request to the HTTP server, by path. */
  readonly authorizations: { readonly url: string; readonly authorization: string | undefined }[];
  close(): Promise<void>;
}

const basicOk = `Basic ${Buffer.from(`${BASIC_USER}:${BASIC_PASSWORD}`).toString('base64')}`;

/**
 * Routes: /basic and /bearer (401 without the right Authorization), /to-basic (302 to /basic),
 * /to-other-host (302 to the same server as "localhost"), /headers, /gzip, /deflate, /br
 * (always compressed, whatever the request accepts), /plain, /big (5000 bytes).
 */
function handler(authorizations: AuthTargets['authorizations'], port: () => number): http.RequestListener {
  return (req, res) => {
    req.resume();
    const url = req.url ?? '/';
    authorizations.push({ url, authorization: req.headers.authorization });
    const text = (status: number, body: string, headers: http.OutgoingHttpHeaders = {}): void =>
      void res.writeHead(status, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(body), ...headers }).end(body);
    const encoded = (encoding: string, body: Buffer): void =>
      void res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Encoding': encoding, 'Content-Length': body.length }).end(body);
    switch (url) {
      case '/basic':
        return req.headers.authorization === basicOk ? text(200, 'welcome') : text(401, 'who are you?', { 'WWW-Authenticate': 'Basic realm="probe"' });
      case '/bearer':
        return req.headers.authorization === `Bearer ${BEARER_TOKEN}` ? text(200, 'welcome') : text(401, 'no token', { 'WWW-Authenticate': 'Bearer' });
      case '/to-basic':
        return void res.writeHead(302, { Location: '/basic', 'Content-Length': 0 }).end();
      case '/to-other-host':
        return void res.writeHead(302, { Location: `http://localhost:${port()}/basic`, 'Content-Length': 0 }).end();
      case '/headers':
        res.setHeader('Set-Cookie', ['a=1', 'b=2']);
        return text(200, 'headers', { 'X-Version': '2.3.1', 'Cache-Control': 'max-age=60' });
      case '/gzip':
        return encoded('gzip', zlib.gzipSync(COMPRESSED_TEXT));
      case '/deflate':
        return encoded('deflate', zlib.deflateRawSync(COMPRESSED_TEXT));
      case '/br':
        return encoded('br', zlib.brotliCompressSync(COMPRESSED_TEXT));
      case '/plain':
        return text(200, 'hello world');
      case '/big':
        return text(200, 'x'.repeat(5000));
      default:
        return text(404, 'not found');
    }
  };
}

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port));
  });
}

export async function startAuthTargets(pki: Pki): Promise<AuthTargets> {
  const authorizations: AuthTargets['authorizations'] = [];
  let httpPort = 0;
  const listener = handler(authorizations, () => httpPort);
  const key = readFileSync(pki.serverKey);
  const cert = readFileSync(pki.serverCert);
  const plain = http.createServer(listener);
  const mtls = https.createServer({ key, cert, ca: readFileSync(pki.caCert), requestCert: true, rejectUnauthorized: true }, listener);
  const tls12 = https.createServer({ key, cert, maxVersion: 'TLSv1.2' }, listener);
  // A refused handshake is the test's subject, not an error of the server.
  for (const s of [mtls, tls12]) s.on('tlsClientError', () => {});
  httpPort = await listen(plain);
  const mtlsPort = await listen(mtls);
  const tls12Port = await listen(tls12);
  return {
    http: `http://127.0.0.1:${httpPort}`,
    mtls: `https://127.0.0.1:${mtlsPort}`,
    tls12: `https://127.0.0.1:${tls12Port}`,
    authorizations,
    close: async () => {
      for (const s of [plain, mtls, tls12]) s.closeAllConnections();
      await Promise.all([plain, mtls, tls12].map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    },
  };
}
