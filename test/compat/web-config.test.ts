/**
 * --web.config.file side by side with Debian's node_exporter, both given the very same files
 * (certificates made with openssl, hashes with htpasswd): every status code, and every refused
 * handshake, must be the same. The file is rewritten between cases; both re-read it on the next
 * request or handshake, so the two processes run through every case. Cases: credentials missing,
 * wrong, of an unknown user, right; plain HTTP to the TLS port; client certificates under each
 * client_auth_type; TLS versions; a password rotated on disk; headers.
 */
import test, { type ExecutionContext } from 'ava';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { NODE_EXPORTER_BIN, requireBinary, startExporter, type ExporterProcess } from '../helpers/exporters.js';
import { htpasswdHash, makePki, type Pki } from '../helpers/pki.js';
import { httpsRequest, rawExchange, statusOf, type TlsClientOptions } from '../helpers/tls-client.js';

const ARGS = ['--collector.disable-defaults', '--collector.loadavg'];

interface Pair {
  readonly ours: ExporterProcess;
  readonly theirs: ExporterProcess;
}

async function startPair(file: string): Promise<Pair> {
  const [ours, theirs] = await Promise.all([startExporter('ours', [...ARGS, `--web.config.file=${file}`]), startExporter('node_exporter', [...ARGS, `--web.config.file=${file}`])]);
  return { ours, theirs };
}

async function stopPair(p: Pair | undefined): Promise<void> {
  await Promise.all([p?.ours.stop(), p?.theirs.stop()]);
}

/** The same request to both; asserts equal outcomes and returns ours. */
async function same(t: ExecutionContext, p: Pair, what: string, urlPath: string, o: TlsClientOptions): Promise<number | 'no response'> {
  const [ours, theirs] = await Promise.all([httpsRequest(p.ours.port, urlPath, o), httpsRequest(p.theirs.port, urlPath, o)]);
  t.is(statusOf(ours), statusOf(theirs), `${what}: ours ${statusOf(ours)}, node_exporter ${statusOf(theirs)}\n${p.ours.output.slice(-1500)}`);
  if (ours.status !== 'no response' && theirs.status !== 'no response') {
    t.is(ours.tlsVersion, theirs.tlsVersion, `${what}: TLS version`);
    t.is(ours.headers['www-authenticate'], theirs.headers['www-authenticate'], `${what}: WWW-Authenticate`);
  }
  return statusOf(ours);
}

function tlsFile(pki: Pki, extra: string): string {
  return `tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n${extra}`;
}

test.serial('TLS with basic auth: the same answers as node_exporter, a rotated password on the next request', async (t) => {
  if (!requireBinary(t, NODE_EXPORTER_BIN, 'node_exporter')) return;
  const pki = makePki();
  const file = path.join(pki.dir, 'web.yml');
  const write = (password: string) => writeFileSync(file, `${tlsFile(pki, '')}basic_auth_users:\n  alice: '${htpasswdHash('alice', password)}'\n`);
  write('secret1');
  let pair: Pair | undefined;
  try {
    pair = await startPair(file);
    const ca = pki.caCert;
    t.is(await same(t, pair, 'no credentials', '/metrics', { ca }), 401);
    t.is(await same(t, pair, 'wrong password', '/metrics', { ca, user: 'alice', password: 'wrong' }), 401);
    t.is(await same(t, pair, 'unknown user', '/metrics', { ca, user: 'bob', password: 'secret1' }), 401);
    t.is(await same(t, pair, 'right credentials', '/metrics', { ca, user: 'alice', password: 'secret1' }), 200);
    t.is(await same(t, pair, 'landing page, right credentials', '/', { ca, user: 'alice', password: 'secret1' }), 200);
    t.is(await same(t, pair, 'TLS 1.2 client', '/metrics', { ca, user: 'alice', password: 'secret1', maxVersion: 'TLSv1.2' }), 200);
    t.is(await same(t, pair, 'TLS 1.1 client (default min_version TLS12)', '/metrics', { ca, user: 'alice', password: 'secret1', minVersion: 'TLSv1.1', maxVersion: 'TLSv1.1' }), 'no response');
    t.is(await same(t, pair, 'untrusted server certificate (client without the CA)', '/metrics', { user: 'alice', password: 'secret1' }), 'no response');

    const plain = 'GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n';
    const [ours, theirs] = await Promise.all([rawExchange(pair.ours.port, plain), rawExchange(pair.theirs.port, plain)]);
    t.is(ours, theirs, 'plain HTTP to the TLS port');
    t.regex(ours, /^HTTP\/1\.0 400 Bad Request\r\n/);

    write('secret2');
    t.is(await same(t, pair, 'old password after rotation', '/metrics', { ca, user: 'alice', password: 'secret1' }), 401);
    t.is(await same(t, pair, 'new password after rotation', '/metrics', { ca, user: 'alice', password: 'secret2' }), 200);
  } finally {
    await stopPair(pair);
  }
});

// client_allowed_sans came in exporter-toolkit 0.10 (node_exporter 1.6); Debian's 1.5 refuses the
// key, so test/system/web-config.test.ts checks it against upstream's behaviour instead.
test.serial('client certificates under each client_auth_type, and TLS versions: the same handshakes as node_exporter', async (t) => {
  if (!requireBinary(t, NODE_EXPORTER_BIN, 'node_exporter')) return;
  const pki = makePki();
  const file = path.join(pki.dir, 'web.yml');
  writeFileSync(file, tlsFile(pki, ''));
  let pair: Pair | undefined;
  try {
    pair = await startPair(file);
    const ca = pki.caCert;
    const none: TlsClientOptions = { ca };
    const good: TlsClientOptions = { ca, cert: pki.clientCert, key: pki.clientKey };
    const rogue: TlsClientOptions = { ca, cert: pki.rogueCert, key: pki.rogueKey };
    const cases: [string, string, [string, TlsClientOptions, number | 'no response'][]][] = [
      ['RequireAndVerifyClientCert', '  client_ca_file: ca.crt\n  client_auth_type: RequireAndVerifyClientCert\n', [['no certificate', none, 'no response'], ['certificate from the CA', good, 200], ['certificate from another CA', rogue, 'no response']]],
      ['VerifyClientCertIfGiven', '  client_ca_file: ca.crt\n  client_auth_type: VerifyClientCertIfGiven\n', [['no certificate', none, 200], ['certificate from the CA', good, 200], ['certificate from another CA', rogue, 'no response']]],
      ['RequireAnyClientCert', '  client_auth_type: RequireAnyClientCert\n', [['no certificate', none, 'no response'], ['certificate from another CA', rogue, 200]]],
      ['RequestClientCert', '  client_auth_type: RequestClientCert\n', [['no certificate', none, 200], ['certificate from another CA', rogue, 200]]],
      ['min_version TLS13', '  min_version: TLS13\n', [['TLS 1.2 client', { ca, maxVersion: 'TLSv1.2' }, 'no response'], ['TLS 1.3 client', { ca, minVersion: 'TLSv1.3' }, 200]]],
      ['max_version TLS12', '  max_version: TLS12\n', [['TLS 1.3-only client', { ca, minVersion: 'TLSv1.3' }, 'no response'], ['TLS 1.2/1.3 client', none, 200]]],
      ['min_version TLS10, TLS 1.0 client', '  min_version: TLS10\n  max_version: TLS11\n', [['TLS 1.1 client', { ca, minVersion: 'TLSv1.1', maxVersion: 'TLSv1.1' }, 200]]],
    ];
    for (const [name, extra, requests] of cases) {
      writeFileSync(file, tlsFile(pki, extra));
      for (const [what, options, expected] of requests) {
        t.is(await same(t, pair, `${name}, ${what}`, '/metrics', options), expected, `${name}, ${what}`);
      }
    }
  } finally {
    await stopPair(pair);
  }
});

test.serial('basic auth without TLS, and the configured headers: the same answers and headers as node_exporter', async (t) => {
  if (!requireBinary(t, NODE_EXPORTER_BIN, 'node_exporter')) return;
  const pki = makePki();
  const file = path.join(pki.dir, 'web.yml');
  writeFileSync(
    file,
    `http_server_config:\n  headers:\n    X-Frame-Options: deny\n    X-Content-Type-Options: nosniff\n    Strict-Transport-Security: max-age=31536000\nbasic_auth_users:\n  alice: '${htpasswdHash('alice', 'secret1')}'\n`,
  );
  let pair: Pair | undefined;
  try {
    pair = await startPair(file);
    for (const [what, auth, expected] of [
      ['no credentials', undefined, 401],
      ['wrong password', 'alice:nope', 401],
      ['right credentials', 'alice:secret1', 200],
    ] as const) {
      const get = (port: number) => fetch(`http://127.0.0.1:${port}/metrics`, { headers: auth ? { Authorization: `Basic ${Buffer.from(auth).toString('base64')}` } : {}, signal: AbortSignal.timeout(10_000) });
      const [ours, theirs] = await Promise.all([get(pair.ours.port), get(pair.theirs.port)]);
      t.is(ours.status, expected, what);
      t.is(ours.status, theirs.status, what);
      for (const h of ['x-frame-options', 'x-content-type-options', 'strict-transport-security', 'www-authenticate']) {
        t.is(ours.headers.get(h), theirs.headers.get(h), `${what}: ${h}`);
      }
      if (expected === 401) t.is(await ours.text(), await theirs.text(), `${what}: body`);
    }
  } finally {
    await stopPair(pair);
  }
});
