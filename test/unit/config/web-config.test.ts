/** --web.config.file's parser: exporter-toolkit's keys and defaults, refusals naming the key and its line. */
import test from 'ava';
import { parseWebConfig } from '../../../src/config/load.js';

const FILE = 'web.yml';
/** A valid bcrypt hash (cost 10) of "secret1", as htpasswd -nbBC 10 writes it. */
const HASH = '$2y$10$Xl51FKI7hvORMJU0Oi/zJ.FClmBYPLsOodhaLIHtKZj2L31eu2mYO';

function refusal(text: string): string {
  try {
    parseWebConfig(text, FILE);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error(`accepted: ${text}`);
}

test('an empty file means no TLS and no authentication', (t) => {
  t.deepEqual(parseWebConfig('', FILE), {});
});

test("exporter-toolkit's defaults: TLS 1.2 to 1.3, server cipher order, HTTP/2 on", (t) => {
  const c = parseWebConfig('tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\nhttp_server_config: {}\n', FILE);
  t.like(c.tls_server_config, { cert_file: 'a.crt', key_file: 'a.key', min_version: 'TLS12', max_version: 'TLS13', prefer_server_cipher_suites: true });
  t.like(c.http_server_config, { http2: true });
});

test('every documented key is accepted', (t) => {
  const c = parseWebConfig(
    `tls_server_config:
  cert_file: a.crt
  key_file: a.key
  client_ca_file: ca.crt
  client_auth_type: RequireAndVerifyClientCert
  client_allowed_sans: [client.test, 127.0.0.1]
  min_version: TLS13
  max_version: TLS13
  cipher_suites: [TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256]
  prefer_server_cipher_suites: false
  curve_preferences: [X25519, CurveP256]
http_server_config:
  http2: false
  headers:
    X-Frame-Options: deny
    Strict-Transport-Security: max-age=31536000
basic_auth_users:
  alice: '${HASH}'
rate_limit:
  interval: 1s
  burst: 5
`,
    FILE,
  );
  t.is(c.basic_auth_users?.['alice'], HASH);
  t.deepEqual(c.rate_limit, { interval: 1000, burst: 5 });
  t.deepEqual(c.tls_server_config?.curve_preferences, ['X25519', 'CurveP256']);
});

test('an unknown key is refused with the file, its path and its line', (t) => {
  const msg = refusal('tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n  bogus: 1\n');
  t.regex(msg, /^web\.yml: tls_server_config: unknown field bogus \(line 4, column 3\)/);
});

test('a misspelt top-level section is refused', (t) => {
  t.regex(refusal('basic_auth_user:\n  alice: x\n'), /unknown field basic_auth_user \(line 1/);
});

test('bad values are refused with the key and line', (t) => {
  t.regex(refusal('tls_server_config:\n  min_version: TLS14\n'), /tls_server_config\.min_version: unknown TLS version "TLS14"; one of TLS10, TLS11, TLS12, TLS13 \(line 2/);
  t.regex(refusal('tls_server_config:\n  client_auth_type: Always\n'), /client_auth_type: unknown client_auth_type "Always"/);
  t.regex(refusal('tls_server_config:\n  cipher_suites: [RC4]\n'), /cipher_suites\[0\]: unknown cipher suite "RC4"/);
  t.regex(refusal('tls_server_config:\n  curve_preferences: [P-256]\n'), /unknown curve "P-256"/);
  t.regex(refusal('rate_limit:\n  interval: soon\n'), /rate_limit\.interval: invalid duration "soon"/);
  t.regex(refusal('http_server_config:\n  http2: maybe\n'), /http_server_config\.http2: .*boolean/i);
});

test("headers: only exporter-toolkit's allow-list, with its values", (t) => {
  t.regex(refusal('http_server_config:\n  headers:\n    X-Powered-By: me\n'), /HTTP header "X-Powered-By" can not be configured/);
  t.regex(refusal('http_server_config:\n  headers:\n    X-Frame-Options: allow\n'), /invalid value "allow" for X-Frame-Options; expected one of deny, sameorigin \(line 3/);
  t.notThrows(() => parseWebConfig('http_server_config:\n  headers:\n    X-Content-Type-Options: nosniff\n', FILE));
});

test('passwords must be bcrypt hashes with a cost of 4 to 31', (t) => {
  t.regex(refusal('basic_auth_users:\n  alice: secret1\n'), /basic_auth_users\.alice: not a bcrypt hash \(make one with: htpasswd/);
  t.regex(refusal(`basic_auth_users:\n  alice: '${HASH.replace('$10$', '$03$')}'\n`), /bcrypt cost 3 is outside 4 to 31/);
  for (const variant of ['$2a$', '$2b$', '$2y$']) {
    t.notThrows(() => parseWebConfig(`basic_auth_users:\n  alice: '${HASH.replace('$2y$', variant)}'\n`, FILE), variant);
  }
});

test('an inline certificate and a certificate file together are refused', (t) => {
  t.regex(refusal('tls_server_config:\n  cert: "-----BEGIN"\n  cert_file: a.crt\n'), /tls_server_config\.cert_file: give cert or cert_file, not both/);
});

test('duplicate keys and broken YAML are refused with their line', (t) => {
  t.regex(refusal('basic_auth_users:\n  alice: x\n  alice: y\n'), /web\.yml: invalid YAML: .*line 3/);
  t.regex(refusal('tls_server_config: [\n'), /web\.yml: invalid YAML/);
});
