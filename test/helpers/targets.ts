/**
 * Local probe targets on 127.0.0.1 for the prober tests: an HTTP and an HTTPS server (with a
 * self-signed certificate made at test time, never stored), a server that accepts connections
 * and never answers, and a port nobody listens on. Every timer here is bounded.
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { freePort } from './exporters.js';

const LOOPBACK = '127.0.0.1';

export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

export interface LocalTargets {
  /** http://127.0.0.1:PORT, no trailing slash. */
  readonly http: string;
  /** https://127.0.0.1:PORT with a self-signed certificate for localhost and 127.0.0.1. */
  readonly https: string;
  /** Accepts TCP connections and never writes a byte. */
  readonly hang: string;
  /** Nobody listens there. */
  readonly refused: string;
  readonly httpPort: number;
  /** The certificate's NotAfter, Unix seconds. */
  readonly certNotAfter: number;
  /** TCP connections the HTTP and HTTPS servers accepted so far. */
  connections(): number;
  /** The SNI name of each TLS connection to the HTTPS server (false: none sent). */
  readonly serverNames: (string | false)[];
  /** Connections to the hanging server that are still open. */
  openHangingConnections(): number;
  readonly requests: RecordedRequest[];
  close(): Promise<void>;
}

export interface SelfSignedCert {
  readonly key: string;
  readonly cert: string;
  readonly notAfter: number;
}

/** A throw-away self-signed certificate (EC P-256, 30 days) from openssl, in a temporary directory removed at once. */
export function selfSignedCert(): SelfSignedCert {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'probe-cert-'));
  try {
    const keyFile = path.join(dir, 'key.pem');
    const certFile = path.join(dir, 'cert.pem');
    execFileSync(
      'openssl',
      [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
        '-keyout', keyFile, '-out', certFile, '-days', '30', '-subj', '/CN=localhost',
        '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
      ],
      { stdio: 'ignore', timeout: 20_000 },
    );
    const cert = readFileSync(certFile, 'utf8');
    const notAfter = Math.floor(Date.parse(new X509Certificate(cert).validTo) / 1000);
    return { key: readFileSync(keyFile, 'utf8'), cert, notAfter };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, LOOPBACK, () => resolve((server.address() as net.AddressInfo).port));
  });
}

/**
 * Routes: /ok, /status/CODE, /redirect/N (N hops to /ok), /loop (redirects to itself),
 * /absolute (redirects to http://localhost:PORT/ok), /slow/MS, /trickle (a byte every 100 ms
 * for 5 s), /chunked, /big/BYTES, /echo (the request as JSON).
 */
function handler(requests: RecordedRequest[], timers: Set<NodeJS.Timeout>, httpPort: () => number): http.RequestListener {
  const later = (ms: number, fn: () => void): void => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, Math.min(ms, 30_000));
    timers.add(t);
  };
  return (req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      if (body.length < 1 << 16) body += c;
    });
    req.on('end', () => {
      const url = req.url ?? '/';
      requests.push({ method: req.method ?? '', url, headers: req.headers, body });
      const parts = url.split('?')[0]?.split('/').filter(Boolean) ?? [];
      const [route, arg] = parts;
      const n = Number(arg);
      switch (route) {
        case 'ok':
          res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': '11', 'X-Probe-Test': 'yes' }).end('hello world');
          return;
        case 'status':
          res.writeHead(Number.isInteger(n) && n >= 200 && n <= 599 ? n : 400, { 'Content-Type': 'text/plain' }).end(`status ${arg}`);
          return;
        case 'redirect':
          res.writeHead(302, { Location: n > 1 ? `/redirect/${n - 1}` : '/ok' }).end();
          return;
        case 'loop':
          res.writeHead(302, { Location: '/loop' }).end();
          return;
        case 'absolute':
          res.writeHead(302, { Location: `http://localhost:${httpPort()}/ok` }).end();
          return;
        case 'see-other':
          res.writeHead(303, { Location: '/echo' }).end();
          return;
        case 'slow':
          later(n, () => res.writeHead(200, { 'Content-Type': 'text/plain' }).end('slow'));
          return;
        case 'trickle': {
          res.writeHead(200, { 'Content-Type': 'text/plain' });
          let sent = 0;
          const tick = (): void => {
            if (res.destroyed || sent >= 50) return void res.end();
            res.write('x');
            sent++;
            later(100, tick);
          };
          tick();
          return;
        }
        case 'chunked':
          res.writeHead(200, { 'Content-Type': 'text/plain' });
          res.write('part one, ');
          res.end('part two');
          return;
        case 'big': {
          res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': String(n) });
          const chunk = Buffer.alloc(64 * 1024, 'a');
          let left = n;
          const pump = (): void => {
            while (left > 0) {
              const piece = left >= chunk.length ? chunk : chunk.subarray(0, left);
              left -= piece.length;
              if (!res.write(piece)) return void res.once('drain', pump);
            }
            res.end();
          };
          pump();
          return;
        }
        case 'echo':
          res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ method: req.method, headers: req.headers, body }));
          return;
        default:
          res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
      }
    });
  };
}

export async function startTargets(): Promise<LocalTargets> {
  const requests: RecordedRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let httpPort = 0;
  let connections = 0;
  const listener = handler(requests, timers, () => httpPort);
  const cert = selfSignedCert();
  const plain = http.createServer(listener);
  const secure = https.createServer({ key: cert.key, cert: cert.cert }, listener);
  plain.on('connection', () => connections++);
  secure.on('connection', () => connections++);
  const serverNames: (string | false)[] = [];
  secure.on('secureConnection', (socket: TLSSocket & { servername?: string | false | null }) => serverNames.push(socket.servername || false));
  const hangingSockets = new Set<net.Socket>();
  const hanging = net.createServer((socket) => {
    hangingSockets.add(socket);
    // Read (and drop) what the client sends, so that its hang-up is seen.
    socket.resume();
    socket.on('error', () => {});
    socket.once('close', () => hangingSockets.delete(socket));
  });
  httpPort = await listen(plain);
  const httpsPort = await listen(secure);
  const hangPort = await listen(hanging);
  const refusedPort = await freePort();
  return {
    http: `http://${LOOPBACK}:${httpPort}`,
    https: `https://${LOOPBACK}:${httpsPort}`,
    hang: `http://${LOOPBACK}:${hangPort}`,
    refused: `http://${LOOPBACK}:${refusedPort}`,
    httpPort,
    certNotAfter: cert.notAfter,
    connections: () => connections,
    openHangingConnections: () => hangingSockets.size,
    serverNames,
    requests,
    close: async () => {
      for (const t of timers) clearTimeout(t);
      for (const s of hangingSockets) s.destroy();
      plain.closeAllConnections();
      secure.closeAllConnections();
      await Promise.all([plain, secure, hanging].map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    },
  };
}
