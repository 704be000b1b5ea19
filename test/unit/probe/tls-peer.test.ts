/**
 * Which certificates the TLS series count: probe_ssl_earliest_cert_expiry those the server
 * sent (Go's PeerCertificates), probe_ssl_last_chain_expiry_timestamp_seconds the verified
 * chain, which ends with the root from our trust store when the server did not send it.
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls, { type TLSSocket } from 'node:tls';
import { readTlsInfo } from '../../../src/probe/http/tls.js';
import { tcpTlsDetails } from '../../../src/probe/tcp.js';

/** A CA valid for 1 day and a localhost certificate it signed, valid for 3: the root expires first. */
function makeChain(): { dir: string; ca: string; leaf: string; key: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tls-peer-'));
  const openssl = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], timeout: 20_000 });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=short-lived-ca']);
  openssl(['req', ...ec, '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', '/CN=localhost']);
  writeFileSync(path.join(dir, 'leaf.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  openssl(['x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'leaf.crt', '-days', '3', '-extfile', 'leaf.ext']);
  return { dir, ca: path.join(dir, 'ca.crt'), leaf: path.join(dir, 'leaf.crt'), key: path.join(dir, 'leaf.key') };
}

const notAfter = (file: string): number => Math.floor(Date.parse(new X509Certificate(readFileSync(file)).validTo) / 1000);

/** Connects to a local server presenting `certChain`, trusting `ca`, and hands the socket to `read`. */
async function withConnection<T>(certChain: string, key: string, ca: string, read: (socket: TLSSocket) => T): Promise<T> {
  const server = tls.createServer({ cert: certChain, key: readFileSync(key) }, (s) => s.end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const port = (server.address() as { port: number }).port;
    return await new Promise<T>((resolve, reject) => {
      const socket = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: readFileSync(ca) }, () => {
        try {
          resolve(read(socket));
        } catch (err) {
          reject(err as Error);
        } finally {
          socket.destroy();
        }
      });
      socket.once('error', reject);
    });
  } finally {
    server.close();
  }
}

test('the earliest expiry counts the certificates the server sent; the chain expiry the verified chain with its root', async (t) => {
  const pki = makeChain();
  t.teardown(() => rmSync(pki.dir, { recursive: true, force: true }));
  const leafExpiry = notAfter(pki.leaf);
  const caExpiry = notAfter(pki.ca);
  t.true(caExpiry < leafExpiry - 86_000, 'the root expires a day or more before the leaf');

  // The leaf alone: the root comes from our trust store, so it is in the verified chain only.
  const leafOnly = readFileSync(pki.leaf, 'utf8');
  t.deepEqual(await withConnection(leafOnly, pki.key, pki.ca, tcpTlsDetails), { version: 'TLS 1.3', earliestExpiry: leafExpiry, lastChainExpiry: caExpiry });
  t.deepEqual(await withConnection(leafOnly, pki.key, pki.ca, readTlsInfo), { version: 'TLS 1.3', earliestExpiry: leafExpiry, verifiedChainExpiry: caExpiry });

  // The leaf and its root: both were sent.
  const withRoot = leafOnly + readFileSync(pki.ca, 'utf8');
  t.deepEqual(await withConnection(withRoot, pki.key, pki.ca, tcpTlsDetails), { version: 'TLS 1.3', earliestExpiry: caExpiry, lastChainExpiry: caExpiry });
  t.deepEqual(await withConnection(withRoot, pki.key, pki.ca, readTlsInfo), { version: 'TLS 1.3', earliestExpiry: caExpiry, verifiedChainExpiry: caExpiry });
});
