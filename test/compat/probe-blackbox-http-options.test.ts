/**
 * blackbox's http prober options (http_client_config flattened in: basic_auth, bearer_token,
 * authorization, tls_config with a CA, a client certificate and versions; compression,
 * body_size_limit, header regexes) side by side with Debian's prometheus-blackbox-exporter:
 * both get the same modules file and probe the same local targets (an HTTP server with basic
 * auth, a bearer token, redirects, headers and compressed bodies; HTTPS servers requiring a
 * client certificate from a test CA, or TLS 1.2 at most), and must agree on probe_success and
 * the protocol's series for each (module, target), the failures included.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { Blackbox, BLACKBOX_BIN, expectFamiliesOf, HTTP_COMPARED_VALUES } from '../helpers/blackbox.js';
import { type AuthTargets, BASIC_PASSWORD, BASIC_USER, BEARER_TOKEN, COMPRESSED_TEXT, startAuthTargets } from '../helpers/auth-targets.js';
import { byName, firstValue, parseExposition } from '../helpers/exposition-parse.js';
import { makePki, type Pki } from '../helpers/pki.js';
import { get, type ProbeApp, probePath, startProbeApp } from '../helpers/probe-app.js';
import { cannotRunHere } from '../helpers/skip.js';


function modulesFile(pki: Pki, dir: string): string {
  const file = (name: string, text: string): string => {
    const p = path.join(dir, name);
    // Trailing newlines, as editors leave them: both trim them.
    writeFileSync(p, `${text}\n`);
    return p;
  };
  const passwordFile = file('password', BASIC_PASSWORD);
  const tokenFile = file('token', BEARER_TOKEN);
  const base = '{preferred_ip_protocol: ip4';
  const m = (name: string, http: string): string => `  ${name}:\n    prober: http\n    http: ${base}${http ? `, ${http}` : ''}}\n`;
  return [
    'modules:\n',
    m('plain', ''),
    m('basic', `basic_auth: {username: ${BASIC_USER}, password: "${BASIC_PASSWORD}"}`),
    m('basic_file', `basic_auth: {username: ${BASIC_USER}, password_file: ${passwordFile}}`),
    m('basic_wrong', `basic_auth: {username: ${BASIC_USER}, password: nope}`),
    m('basic_no_follow', `basic_auth: {username: ${BASIC_USER}, password: "${BASIC_PASSWORD}"}, follow_redirects: false`),
    m('bearer', `bearer_token: ${BEARER_TOKEN}`),
    m('bearer_file', `bearer_token_file: ${tokenFile}`),
    m('authorization', `authorization: {type: Bearer, credentials_file: ${tokenFile}}`),
    m('headers_ok', 'fail_if_header_not_matches: [{header: X-Version, regexp: "^2\\\\."}], fail_if_header_matches: [{header: Cache-Control, regexp: no-store}, {header: X-Absent, regexp: ".*", allow_missing: true}]'),
    m('headers_matched', 'fail_if_header_matches: [{header: set-cookie, regexp: "^b="}]'),
    m('headers_missing', 'fail_if_header_not_matches: [{header: X-Absent, regexp: ".*"}]'),
    m('gzip', 'compression: gzip'),
    m('gzip_regex', 'compression: gzip, fail_if_body_not_matches_regexp: ["^(compressed hello )+$"]'),
    m('deflate', 'compression: deflate'),
    m('br', 'compression: br'),
    m('gzip_accepted', 'compression: gzip, headers: {Accept-Encoding: "gzip, br;q=0.5"}'),
    m('limit', 'body_size_limit: 1KB'),
    m('limit_regex', 'body_size_limit: 1KB, fail_if_body_matches_regexp: ["y"]'),
    m('mtls', `tls_config: {ca_file: ${pki.caCert}, cert_file: ${pki.clientCert}, key_file: ${pki.clientKey}}`),
    m('mtls_no_cert', `tls_config: {ca_file: ${pki.caCert}}`),
    m('mtls_no_ca', `tls_config: {cert_file: ${pki.clientCert}, key_file: ${pki.clientKey}}`),
    m('mtls_rogue', `tls_config: {ca_file: ${pki.caCert}, cert_file: ${pki.rogueCert}, key_file: ${pki.rogueKey}}`),
    m('mtls_wrong_ca', `tls_config: {ca_file: ${pki.otherCaCert}, cert_file: ${pki.clientCert}, key_file: ${pki.clientKey}}`),
    m('mtls_insecure', `tls_config: {insecure_skip_verify: true, cert_file: ${pki.clientCert}, key_file: ${pki.clientKey}}`),
    m('mtls_fail_if_ssl', `fail_if_ssl: true, tls_config: {ca_file: ${pki.caCert}, cert_file: ${pki.clientCert}, key_file: ${pki.clientKey}}`),
    m('ca_missing_file', `tls_config: {ca_file: ${path.join(dir, 'no-such-ca.pem')}}`),
    m('min13', `tls_config: {ca_file: ${pki.caCert}, min_version: TLS13}`),
    m('max12', `tls_config: {ca_file: ${pki.caCert}, max_version: TLS12}`),
    m('ca_only', `tls_config: {ca_file: ${pki.caCert}}`),
  ].join('');
}

type Where = 'http' | 'mtls' | 'tls12';
const CASES: readonly (readonly [module: string, where: Where, path: string])[] = [
  ['plain', 'http', '/basic'],
  ['basic', 'http', '/basic'],
  ['basic_file', 'http', '/basic'],
  ['basic_wrong', 'http', '/basic'],
  ['basic', 'http', '/to-basic'],
  ['basic_no_follow', 'http', '/to-basic'],
  ['bearer', 'http', '/bearer'],
  ['bearer_file', 'http', '/bearer'],
  ['authorization', 'http', '/bearer'],
  ['plain', 'http', '/bearer'],
  ['basic', 'http', '/bearer'],
  ['headers_ok', 'http', '/headers'],
  ['headers_matched', 'http', '/headers'],
  ['headers_missing', 'http', '/headers'],
  ['plain', 'http', '/gzip'],
  ['gzip', 'http', '/gzip'],
  ['gzip_regex', 'http', '/gzip'],
  ['gzip_accepted', 'http', '/gzip'],
  ['deflate', 'http', '/deflate'],
  ['br', 'http', '/br'],
  ['gzip', 'http', '/plain'],
  ['gzip_regex', 'http', '/plain'],
  ['br', 'http', '/gzip'],
  ['deflate', 'http', '/plain'],
  ['limit', 'http', '/big'],
  ['limit', 'http', '/plain'],
  ['limit_regex', 'http', '/big'],
  ['mtls', 'mtls', '/plain'],
  ['mtls', 'mtls', '/basic'],
  ['mtls_no_cert', 'mtls', '/plain'],
  ['mtls_no_ca', 'mtls', '/plain'],
  ['mtls_rogue', 'mtls', '/plain'],
  ['mtls_wrong_ca', 'mtls', '/plain'],
  ['mtls_insecure', 'mtls', '/plain'],
  ['mtls_fail_if_ssl', 'mtls', '/plain'],
  ['ca_missing_file', 'tls12', '/plain'],
  ['ca_missing_file', 'http', '/plain'],
  ['ca_only', 'tls12', '/plain'],
  ['min13', 'tls12', '/plain'],
  ['max12', 'mtls', '/plain'],
  ['max12', 'tls12', '/plain'],
  ['plain', 'tls12', '/plain'],
];

let pki: Pki;
let dir: string;
let targets: AuthTargets;
let ours: ProbeApp;
let blackbox: Blackbox | undefined;

test.before(async () => {
  pki = makePki();
  dir = mkdtempSync(path.join(os.tmpdir(), 'blackbox-options-'));
  const modules = modulesFile(pki, dir);
  targets = await startAuthTargets(pki);
  ours = await startProbeApp(modules);
  blackbox = await Blackbox.withModules(modules);
});

test.after.always(async () => {
  await blackbox?.stop();
  await ours?.close();
  await targets?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  if (pki) rmSync(pki.dir, { recursive: true, force: true });
});


for (const [module, where, rest] of CASES) {
  test(`same answer as blackbox_exporter: ${module} ${where} ${rest}`, async (t) => {
    if (!blackbox) {
      cannotRunHere(t, `${BLACKBOX_BIN} is not installed (Debian: apt-get install prometheus-blackbox-exporter)`);
      return;
    }
    const query = probePath({ module, target: targets[where] + rest });
    const [mine, theirs] = await Promise.all([get(ours.port, query), get(blackbox.port, query)]);
    t.is(mine.status, theirs.status);
    const a = byName(parseExposition(mine.text));
    const b = byName(parseExposition(theirs.text));
    for (const name of HTTP_COMPARED_VALUES) {
      if (!b.has(name)) continue;
      t.is(firstValue(a, name), firstValue(b, name), `${name}\nours:\n${mine.text}\nblackbox:\n${theirs.text}`);
    }
    // Families of theirs we do not emit: the TLS chain details (see the README). The label sets
    // compared include probe_tls_version_info{version}: which TLS version each negotiated.
    expectFamiliesOf(t, a, b, { notEmitted: ['probe_ssl_last_chain_info', 'probe_ssl_last_chain_expiry_timestamp_seconds'], help: false });
  });
}

test('the expected outcomes, so that agreeing on a wrong answer does not pass', async (t) => {
  const success = async (module: string, where: Where, rest: string): Promise<number | undefined> => {
    const answer = await get(ours.port, probePath({ module, target: targets[where] + rest }));
    return firstValue(byName(parseExposition(answer.text)), 'probe_success');
  };
  const expected: [string, Where, string, number][] = [
    ['basic', 'http', '/basic', 1],
    ['basic_file', 'http', '/basic', 1],
    ['basic_wrong', 'http', '/basic', 0],
    ['plain', 'http', '/basic', 0],
    ['basic', 'http', '/to-basic', 1],
    ['bearer_file', 'http', '/bearer', 1],
    ['plain', 'http', '/bearer', 0],
    ['headers_ok', 'http', '/headers', 1],
    ['headers_matched', 'http', '/headers', 0],
    ['gzip_regex', 'http', '/gzip', 1],
    ['gzip', 'http', '/plain', 0],
    ['limit', 'http', '/big', 0],
    ['mtls', 'mtls', '/plain', 1],
    ['mtls_no_cert', 'mtls', '/plain', 0],
    ['mtls_no_ca', 'mtls', '/plain', 0],
    ['mtls_rogue', 'mtls', '/plain', 0],
    ['min13', 'tls12', '/plain', 0],
    ['max12', 'tls12', '/plain', 1],
  ];
  for (const [module, where, rest, want] of expected) t.is(await success(module, where, rest), want, `${module} ${where} ${rest}`);
  const gzip = await get(ours.port, probePath({ module: 'gzip', target: `${targets.http}/gzip` }));
  t.is(firstValue(byName(parseExposition(gzip.text)), 'probe_http_uncompressed_body_length'), COMPRESSED_TEXT.length);
});
