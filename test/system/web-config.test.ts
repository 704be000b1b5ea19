/**
 * --web.config.file in our binary, beyond what the side-by-side test compares with node_exporter
 * (test/compat/web-config.test.ts): refusals at start (exit 2, the file, key and line named),
 * every endpoint behind the authentication, a broken new file keeping the last good one, a
 * certificate rotated on disk served on the next connection, client_allowed_sans (exporter-
 * toolkit 0.10+, newer than Debian's node_exporter), and 50 concurrent scrapes with new
 * credentials costing one bcrypt compare, then none.
 */
import test from 'ava';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import { readFileSync } from 'node:fs';
import { runToExit, startExporter, type ExporterProcess } from '../helpers/exporters.js';
import { htpasswdHash, makePki, renewServerCert, type Pki } from '../helpers/pki.js';
import { httpsRequest } from '../helpers/tls-client.js';
import { waitFor } from '../helpers/wait.js';

const ARGS = ['--collector.disable-defaults', '--collector.loadavg'];

function webFile(pki: Pki, text: string): string {
  const file = path.join(pki.dir, 'web.yml');
  writeFileSync(file, text);
  return file;
}

const TLS = 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n';

test('a broken web config stops the start with exit 2, naming the file, the key and the line', async (t) => {
  const pki = makePki();
  const cases: [string, RegExp][] = [
    [`${TLS}  bogus: 1\n`, /invalid --web\.config\.file: .*web\.yml: tls_server_config: unknown field bogus \(line 4, column 3\)/],
    ['basic_auth_users:\n  alice: plaintext\n', /web\.yml: basic_auth_users\.alice: not a bcrypt hash .*\(line 2/],
    ['tls_server_config:\n  cert_file: missing.crt\n  key_file: server.key\n', /tls_server_config: failed to read cert_file \(.*missing\.crt\)/],
    ['tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_ca_file: ca.crt\n', /client CA's have been configured without a Client Auth Policy/],
  ];
  for (const [text, message] of cases) {
    const file = webFile(pki, text);
    const r = await runToExit('ours', [...ARGS, `--web.config.file=${file}`]);
    t.is(r.code, 2, text);
    t.regex(r.stderr, message);
  }
  const r = await runToExit('ours', [...ARGS, `--web.config.file=${path.join(pki.dir, 'nope.yml')}`]);
  t.is(r.code, 2);
  t.regex(r.stderr, /nope\.yml: cannot read the config file: no such file/);
});

test('every endpoint is behind basic auth; a broken new file keeps the last good one, and says why', async (t) => {
  const pki = makePki();
  const file = webFile(pki, `basic_auth_users:\n  alice: '${htpasswdHash('alice', 'secret1', 4)}'\n`);
  const configFile = path.join(pki.dir, 'sidecar.yml');
  writeFileSync(configFile, 'modules:\n  http_2xx:\n    prober: http\n');
  let ours: ExporterProcess | undefined;
  try {
    ours = await startExporter('ours', [...ARGS, `--web.config.file=${file}`, `--config.file=${configFile}`]);
    const port = ours.port;
    const call = (p: string, auth?: string, method = 'GET') =>
      fetch(`http://127.0.0.1:${port}${p}`, { method, headers: auth ? { Authorization: `Basic ${Buffer.from(auth).toString('base64')}` } : {}, signal: AbortSignal.timeout(10_000) }).then((r) => r.status);
    const endpoints: [string, string][] = [['/metrics', 'GET'], ['/', 'GET'], ['/-/healthy', 'GET'], ['/-/ready', 'GET'], ['/-/reload', 'POST'], ['/probe?target=127.0.0.1:1&module=http_2xx', 'GET'], ['/nothing-here', 'GET']];
    for (const [p, method] of endpoints) t.is(await call(p, undefined, method), 401, `${method} ${p} without credentials`);
    for (const [p, method] of endpoints) t.not(await call(p, 'alice:secret1', method), 401, `${method} ${p} with credentials`);

    writeFileSync(file, `basic_auth_users:\n  alice: '${htpasswdHash('alice', 'secret2', 4)}'\n  bob: [not, a, hash]\n`);
    t.is(await call('/metrics', 'alice:secret1'), 200, 'the last good file stays in force');
    t.is(await call('/metrics', 'alice:secret2'), 401);
    await waitFor('the refusal in the log', () => ours!.output.includes('keeping the last good one'));
    t.regex(ours.output, /web config file changed but cannot be used; keeping the last good one.*basic_auth_users\.bob: .*\(line 3/);

    writeFileSync(file, `basic_auth_users:\n  alice: '${htpasswdHash('alice', 'secret2', 4)}'\n`);
    t.is(await call('/metrics', 'alice:secret2'), 200, 'the fixed file applies');
    t.is(await call('/metrics', 'alice:secret1'), 401);
  } finally {
    await ours?.stop();
  }
});

/** The SHA-256 fingerprint of the certificate the server presents on a new connection. */
function serverFingerprint(port: number, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: readFileSync(ca), timeout: 10_000 }, () => {
      resolve(socket.getPeerCertificate().fingerprint256);
      socket.destroy();
    });
    socket.on('error', reject);
    socket.on('timeout', () => socket.destroy(new Error('timeout')));
  });
}

test('a certificate rotated on disk is served on the next connection, without a restart', async (t) => {
  const pki = makePki();
  const file = webFile(pki, TLS);
  let ours: ExporterProcess | undefined;
  try {
    ours = await startExporter('ours', [...ARGS, `--web.config.file=${file}`]);
    const before = await serverFingerprint(ours.port, pki.caCert);
    t.is(before, new (await import('node:crypto')).X509Certificate(readFileSync(pki.serverCert)).fingerprint256);
    renewServerCert(pki);
    const after = await serverFingerprint(ours.port, pki.caCert);
    t.not(after, before);
    t.is(after, new (await import('node:crypto')).X509Certificate(readFileSync(pki.serverCert)).fingerprint256);
  } finally {
    await ours?.stop();
  }
});

test("client_allowed_sans: a client certificate must carry one of the listed SANs (exporter-toolkit's exact match)", async (t) => {
  const pki = makePki();
  const file = webFile(pki, `${TLS}  client_ca_file: ca.crt\n  client_auth_type: RequireAndVerifyClientCert\n  client_allowed_sans: [client.test]\n`);
  let ours: ExporterProcess | undefined;
  try {
    ours = await startExporter('ours', [...ARGS, `--web.config.file=${file}`]);
    const client = { ca: pki.caCert, cert: pki.clientCert, key: pki.clientKey };
    t.is((await httpsRequest(ours.port, '/metrics', client)).status, 200);
    webFile(pki, `${TLS}  client_ca_file: ca.crt\n  client_auth_type: RequireAndVerifyClientCert\n  client_allowed_sans: [other.test, '*.test']\n`);
    t.is((await httpsRequest(ours.port, '/metrics', client)).status, 'no response');
  } finally {
    await ours?.stop();
  }
});

test('50 concurrent scrapes with new credentials cost one bcrypt compare, the next 50 none', async (t) => {
  const pki = makePki();
  // Cost 12: about 0.3 s a compare, so fifty in a row would take 15 s.
  const file = webFile(pki, `${TLS}basic_auth_users:\n  alice: '${htpasswdHash('alice', 'secret1', 12)}'\n`);
  let ours: ExporterProcess | undefined;
  try {
    // The default --web.max-requests (40, node_exporter's) would answer ten of them 503.
    ours = await startExporter('ours', [...ARGS, `--web.config.file=${file}`, '--log.level=debug', '--web.max-requests=50']);
    const port = ours.port;
    const scrapeAll = () => Promise.all(Array.from({ length: 50 }, () => httpsRequest(port, '/metrics', { ca: pki.caCert, user: 'alice', password: 'secret1' })));
    const compares = () => ours!.output.split('\n').filter((l) => l.includes('checked a password with bcrypt')).length;
    const started = performance.now();
    const first = await scrapeAll();
    const firstMs = performance.now() - started;
    t.deepEqual(first.map((r) => r.status), Array(50).fill(200));
    t.is(compares(), 1);
    const second = await scrapeAll();
    t.deepEqual(second.map((r) => r.status), Array(50).fill(200));
    t.is(compares(), 1, 'the second round is answered from the cache');
    t.log(`50 concurrent first scrapes: ${firstMs.toFixed(0)} ms`);
  } finally {
    await ours?.stop();
  }
});
