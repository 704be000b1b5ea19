/**
 * The web config's server side without sockets: the Authorization header as Go reads it, the
 * verified-credentials cache and its single compare for concurrent requests, the timing-safe
 * answer for unknown users, the token bucket, and TLS settings from the file (Go's names to
 * OpenSSL's, exporter-toolkit's refusals).
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseWebConfig } from '../../../src/config/load.js';
import { silentLogger } from '../../../src/lib/log.js';
import { BasicAuth, basicCredentials } from '../../../src/server/web-config/basic-auth.js';
import { TokenBucket } from '../../../src/server/web-config/gate.js';
import { tlsRequested, tlsSettings } from '../../../src/server/web-config/tls.js';

const HASH_A = '$2y$10$Xl51FKI7hvORMJU0Oi/zJ.FClmBYPLsOodhaLIHtKZj2L31eu2mYO';
const HASH_B = '$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSa';
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

test('Authorization: Basic is read as Go reads it', (t) => {
  t.deepEqual(basicCredentials(basic('alice', 'p:w')), { user: 'alice', password: 'p:w' });
  t.deepEqual(basicCredentials(`bAsIc ${Buffer.from('a:b').toString('base64')}`), { user: 'a', password: 'b' });
  t.deepEqual(basicCredentials(basic('jörg', 'pä')), { user: 'jörg', password: 'pä' });
  t.is(basicCredentials(undefined), undefined);
  t.is(basicCredentials('Bearer abc'), undefined);
  t.is(basicCredentials(`Basic ${Buffer.from('nocolon').toString('base64')}`), undefined);
  t.is(basicCredentials('Basic !!!!'), undefined);
  // Go's StdEncoding wants the padding.
  t.deepEqual(basicCredentials('Basic YTpiYw=='), { user: 'a', password: 'bc' });
  t.is(basicCredentials('Basic YTpiYw'), undefined);
});

/** A compare that answers after a tick and counts its calls. */
function countingCompare(matches: (hash: string, password: string) => boolean) {
  const calls: [string, string][] = [];
  return {
    calls,
    compare: async (hash: string, password: string) => {
      calls.push([hash, password]);
      await new Promise((r) => setTimeout(r, 5));
      return matches(hash, password);
    },
  };
}

test('verified credentials are cached: the second request costs no compare', async (t) => {
  const c = countingCompare((h, p) => h === HASH_A && p === 'secret1');
  const auth = new BasicAuth(silentLogger, c.compare);
  const users = new Map([['alice', HASH_A]]);
  t.true(await auth.allows(users, basic('alice', 'secret1')));
  t.true(await auth.allows(users, basic('alice', 'secret1')));
  t.false(await auth.allows(users, basic('alice', 'wrong')));
  t.false(await auth.allows(users, basic('alice', 'wrong')));
  t.is(c.calls.length, 2);
});

test('50 concurrent requests with the same new credentials share one compare', async (t) => {
  const c = countingCompare(() => true);
  const auth = new BasicAuth(silentLogger, c.compare);
  const users = new Map([['alice', HASH_A]]);
  const answers = await Promise.all(Array.from({ length: 50 }, () => auth.allows(users, basic('alice', 'secret1'))));
  t.true(answers.every(Boolean));
  t.is(c.calls.length, 1);
});

test("an unknown user costs a compare against a configured user's hash, and is refused even if it matches", async (t) => {
  const c = countingCompare(() => true);
  const auth = new BasicAuth(silentLogger, c.compare);
  t.false(await auth.allows(new Map([['alice', HASH_A], ['bob', HASH_B]]), basic('mallory', 'secret1')));
  t.deepEqual(c.calls, [[HASH_A, 'secret1']]);
});

test('a changed hash for the same user and password is compared again (a rotated password)', async (t) => {
  const c = countingCompare((h) => h === HASH_A);
  const auth = new BasicAuth(silentLogger, c.compare);
  t.true(await auth.allows(new Map([['alice', HASH_A]]), basic('alice', 'x')));
  t.false(await auth.allows(new Map([['alice', HASH_B]]), basic('alice', 'x')));
  t.is(c.calls.length, 2);
});

test('a compare that could not be made refuses the request and is not remembered', async (t) => {
  let answer: boolean | undefined;
  const auth = new BasicAuth(silentLogger, async () => answer);
  const users = new Map([['alice', HASH_A]]);
  t.false(await auth.allows(users, basic('alice', 'secret1')));
  answer = true;
  t.true(await auth.allows(users, basic('alice', 'secret1')));
});

test('bcrypt in the worker thread: right and wrong passwords against an htpasswd hash', async (t) => {
  const auth = new BasicAuth(silentLogger);
  try {
    const users = new Map([['alice', HASH_A]]);
    t.true(await auth.allows(users, basic('alice', 'secret1')));
    t.false(await auth.allows(users, basic('alice', 'secret2')));
  } finally {
    auth.close();
  }
});

test('the token bucket allows a burst, then one request per interval', (t) => {
  let now = 0;
  const bucket = new TokenBucket({ intervalMs: 1000, burst: 2 }, () => now);
  t.deepEqual([bucket.take(), bucket.take(), bucket.take()], [true, true, false]);
  now = 999;
  t.false(bucket.take());
  now = 1000;
  t.true(bucket.take());
  t.false(bucket.take());
  now = 10_000;
  t.deepEqual([bucket.take(), bucket.take(), bucket.take()], [true, true, false]);
});

/** A key and self-signed certificate made with openssl in a temporary folder. */
function selfSigned(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'webcfg-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', path.join(dir, 'k.pem'), '-out', path.join(dir, 'c.pem'), '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });
  return dir;
}

const read = async (f: string) => readFileSync(f);

test("TLS settings: files relative to the config's folder, Go's names as OpenSSL's, client auth mapped", async (t) => {
  const dir = selfSigned();
  const c = parseWebConfig(
    'tls_server_config:\n  cert_file: c.pem\n  key_file: k.pem\n  client_ca_file: c.pem\n  client_auth_type: RequireAndVerifyClientCert\n  min_version: TLS13\n  cipher_suites: [TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, TLS_AES_128_GCM_SHA256]\n  curve_preferences: [CurveP384, X25519]\n',
    'web.yml',
  ).tls_server_config!;
  const s = await tlsSettings(c, path.join(dir, 'web.yml'), read);
  t.like(s.options, { minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3', ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256', ecdhCurve: 'P-384:X25519', requestCert: true, rejectUnauthorized: true, honorCipherOrder: true });
  t.is(String(s.options.cert), readFileSync(path.join(dir, 'c.pem'), 'utf8'));
});

test("TLS settings: exporter-toolkit's refusals", async (t) => {
  const dir = selfSigned();
  const file = path.join(dir, 'web.yml');
  const settings = (yaml: string) => tlsSettings(parseWebConfig(yaml, 'web.yml').tls_server_config!, file, read);
  await t.throwsAsync(settings('tls_server_config:\n  key_file: k.pem\n'), { message: /tls_server_config: missing one of cert or cert_file/ });
  await t.throwsAsync(settings('tls_server_config:\n  cert_file: c.pem\n'), { message: /missing one of key or key_file/ });
  await t.throwsAsync(settings('tls_server_config:\n  cert_file: c.pem\n  key_file: k.pem\n  client_ca_file: c.pem\n'), { message: /client CA's have been configured without a Client Auth Policy/ });
  await t.throwsAsync(settings('tls_server_config:\n  cert_file: nope.pem\n  key_file: k.pem\n'), { message: /failed to read cert_file \(.*nope\.pem\)/ });
  await t.throwsAsync(settings('tls_server_config:\n  cert_file: k.pem\n  key_file: c.pem\n'), { message: /failed to load X509KeyPair/ });
});

test('TLS is on when any TLS key is set (exporter-toolkit IsEnabled)', (t) => {
  t.false(tlsRequested(undefined));
  t.false(tlsRequested(parseWebConfig('tls_server_config: {}\n', 'w').tls_server_config));
  t.true(tlsRequested(parseWebConfig('tls_server_config:\n  client_auth_type: NoClientCert\n', 'w').tls_server_config));
});
