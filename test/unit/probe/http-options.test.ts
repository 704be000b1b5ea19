/**
 * The http prober's client options: the pure parts (Accept-Encoding coverage, redirect host
 * rules, gzip header check, PEM checks, config to options) and, against local servers, what a
 * side-by-side run with Debian's older blackbox cannot show: credentials kept from another host
 * on a redirect (upstream's rule), files re-read at each probe, body_file, and checks.
 * Tests that count the server's requests run serially.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { acceptEncodingCovers } from '../../../src/config/schema.js';
import { parseConfig } from '../../../src/config/load.js';
import { silentLogger } from '../../../src/lib/log.js';
import { gzipHeaderError } from '../../../src/probe/http/body.js';
import { checkKeyPair, pemCertificates } from '../../../src/probe/tls-material.js';
import { isDomainOrSubdomain, probeHttp } from '../../../src/probe/http/prober.js';
import { ProbeEnvironment } from '../../../src/probe/environment.js';
import { httpOptionsFromCheck, httpOptionsFromModule, type HttpCheckConfig } from '../../../src/probe/options.js';
import type { HttpProbeOptions } from '../../../src/probe/types.js';
import { type AuthTargets, BASIC_PASSWORD, BASIC_USER, startAuthTargets } from '../../helpers/auth-targets.js';
import { makePki, type Pki } from '../../helpers/pki.js';

const env = new ProbeEnvironment();
let pki: Pki;
let dir: string;
let targets: AuthTargets;

test.before(async () => {
  pki = makePki();
  dir = mkdtempSync(path.join(os.tmpdir(), 'http-options-'));
  targets = await startAuthTargets(pki);
});
test.after.always(async () => {
  await targets?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  if (pki) rmSync(pki.dir, { recursive: true, force: true });
});

function moduleOptions(http: string): HttpProbeOptions {
  const config = parseConfig(`modules:\n  m:\n    prober: http\n    http: {preferred_ip_protocol: ip4, ${http}}\n`, 'test.yml');
  const m = config.modules['m'];
  if (!m) throw new Error('no module');
  return httpOptionsFromModule(m.http);
}

function checkOptions(fields: string): HttpProbeOptions {
  const config = parseConfig(`checks:\n  - {protocol: http, target: "${targets.http}/", ${fields}}\n`, 'test.yml');
  return httpOptionsFromCheck(config.checks[0] as HttpCheckConfig);
}

const probe = (target: string, options: HttpProbeOptions) => probeHttp(target, options, AbortSignal.timeout(10_000), silentLogger, env);

test('Accept-Encoding must cover the compression, as blackbox checks it at load', (t) => {
  t.true(acceptEncodingCovers('', 'br'));
  t.true(acceptEncodingCovers('gzip', ''));
  t.true(acceptEncodingCovers('gzip', 'gzip'));
  t.true(acceptEncodingCovers('gzip', 'br, gzip;q=0.5'));
  t.true(acceptEncodingCovers('gzip', '*'));
  t.false(acceptEncodingCovers('gzip', 'br'));
  t.false(acceptEncodingCovers('gzip', 'gzip;q=0'));
  t.true(acceptEncodingCovers('gzip', 'gzip;q=0, *'), '* ranks first');
  // The highest quality first: "*;q=0" ranks below gzip, so gzip is covered.
  t.true(acceptEncodingCovers('gzip', '*;q=0, gzip;q=0.1'));
  t.false(acceptEncodingCovers('gzip', 'br;q=1, *;q=0'));
});

test('redirect hosts: a domain and its subdomains only, never across IP literals', (t) => {
  t.true(isDomainOrSubdomain('example.com', 'example.com'));
  t.true(isDomainOrSubdomain('api.example.com', 'example.com'));
  t.false(isDomainOrSubdomain('badexample.com', 'example.com'));
  t.false(isDomainOrSubdomain('example.com', 'api.example.com'));
  t.false(isDomainOrSubdomain('localhost', '127.0.0.1'));
  t.false(isDomainOrSubdomain('1::1', '::1'));
});

test('gzip header: the first 10 bytes decide, as Go\'s gzip.NewReader', (t) => {
  t.is(gzipHeaderError(Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]), true), undefined);
  t.is(gzipHeaderError(Buffer.from([0x1f, 0x8b]), false), undefined, 'more may come');
  t.is(gzipHeaderError(Buffer.from([0x1f, 0x8b]), true), 'unexpected EOF');
  t.is(gzipHeaderError(Buffer.alloc(0), true), 'EOF');
  t.is(gzipHeaderError(Buffer.from('hello world'), false), 'gzip: invalid header');
});

test('PEM checks: certificates that parse, a key that belongs to its certificate', (t) => {
  const ca = readFileSync(pki.caCert, 'utf8');
  t.is(pemCertificates(`junk\n${ca}\n-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n`).length, 1);
  t.deepEqual(pemCertificates('not a certificate'), []);
  const cert = readFileSync(pki.clientCert, 'utf8');
  t.is(checkKeyPair(cert, readFileSync(pki.clientKey, 'utf8')), undefined);
  t.is(checkKeyPair(cert, readFileSync(pki.rogueKey, 'utf8')), 'private key does not match public key');
  t.regex(checkKeyPair(cert, 'nope') ?? '', /^failed to parse private key/);
});

test('config to options: bearer_token is an authorization of type Bearer; secrets stay file names; sizes in base 2', (t) => {
  const bearer = moduleOptions('bearer_token_file: /run/token, body_size_limit: 2KiB, compression: GZIP, tls_config: {ca_file: /ca.pem, min_version: TLS12}');
  t.deepEqual(bearer.authorization, { type: 'Bearer', credentials: { file: '/run/token' } });
  t.is(bearer.bodySizeLimit, 2048);
  t.is(bearer.compression, 'gzip');
  t.deepEqual(bearer.tls, { ca: { file: '/ca.pem' }, minVersion: 'TLS12' });
  const basic = moduleOptions('basic_auth: {password: x}, no_follow_redirects: true');
  t.deepEqual(basic.basicAuth, { username: { value: '' }, password: { value: 'x' } });
  t.false(basic.followRedirects);
  const authz = moduleOptions('authorization: {type: " Token ", credentials: abc}');
  t.deepEqual(authz.authorization, { type: 'Token', credentials: { value: 'abc' } });
  // Checks take the same fields; the older tls_insecure_skip_verify still works.
  const check = checkOptions('basic_auth: {username: u, password_file: /p}, tls_insecure_skip_verify: true, fail_if_not_ssl: true');
  t.deepEqual(check.basicAuth, { username: { value: 'u' }, password: { file: '/p' } });
  t.true(check.insecureSkipVerify);
  t.true(check.failIfNotSsl);
  t.is(check.preferredIpProtocol, 'ip4');
});

test.serial('credentials stay behind when a redirect leaves the host (upstream prometheus/common and Go)', async (t) => {
  const options = moduleOptions(`basic_auth: {username: ${BASIC_USER}, password: "${BASIC_PASSWORD}"}`);
  const before = targets.authorizations.length;
  const r = await probe(`${targets.http}/to-other-host`, options);
  const seen = targets.authorizations.slice(before);
  t.deepEqual(seen.map((s) => s.url), ['/to-other-host', '/basic']);
  t.truthy(seen[0]?.authorization);
  t.is(seen[1]?.authorization, undefined, 'no credentials for localhost after 127.0.0.1');
  t.like(r, { success: false, reason: 'status_code' });
  t.is(r.http?.statusCode, 401);
  // The same path on the same host keeps them.
  t.like(await probe(`${targets.http}/to-basic`, options), { success: true });
});

test.serial('a password file is read at each probe: a rotated password is used at once', async (t) => {
  const file = path.join(dir, 'password');
  writeFileSync(file, 'old password\n');
  const options = moduleOptions(`basic_auth: {username: ${BASIC_USER}, password_file: ${file}}`);
  t.like(await probe(`${targets.http}/basic`, options), { success: false, reason: 'status_code' });
  writeFileSync(file, `${BASIC_PASSWORD}\n`);
  t.like(await probe(`${targets.http}/basic`, options), { success: true });
  rmSync(file);
  const before = targets.authorizations.length;
  const missing = await probe(`${targets.http}/basic`, options);
  t.like(missing, { success: false, reason: 'error' });
  t.is(missing.http?.statusCode, 0);
  t.is(targets.authorizations.length, before, 'no request without its credentials');
});

test('a client certificate: the tls reason without it, success with it; a key of another certificate is refused before connecting', async (t) => {
  const withCert = moduleOptions(`tls_config: {ca_file: ${pki.caCert}, cert_file: ${pki.clientCert}, key_file: ${pki.clientKey}}`);
  const ok = await probe(`${targets.mtls}/plain`, withCert);
  t.like(ok, { success: true });
  t.is(ok.http?.tlsVersion, 'TLS 1.3');
  t.like(await probe(`${targets.mtls}/plain`, moduleOptions(`tls_config: {ca_file: ${pki.caCert}}`)), { success: false, reason: 'tls' });
  t.like(await probe(`${targets.mtls}/plain`, moduleOptions(`tls_config: {cert_file: ${pki.clientCert}, key_file: ${pki.clientKey}}`)), { success: false, reason: 'tls' });
  const mismatched = await probe(`${targets.mtls}/plain`, moduleOptions(`tls_config: {ca_file: ${pki.caCert}, cert_file: ${pki.clientCert}, key_file: ${pki.rogueKey}}`));
  t.like(mismatched, { success: false, reason: 'error' });
  t.like(await probe(`${targets.tls12}/plain`, moduleOptions(`tls_config: {ca_file: ${pki.caCert}, min_version: TLS13}`)), { success: false, reason: 'tls' });
});

test.serial('compression and body_size_limit failures have the body reason; body_file is sent', async (t) => {
  t.like(await probe(`${targets.http}/plain`, moduleOptions('compression: gzip')), { success: false, reason: 'body' });
  t.like(await probe(`${targets.http}/gzip`, moduleOptions('compression: br')), { success: false, reason: 'body' });
  const limited = await probe(`${targets.http}/big`, moduleOptions('body_size_limit: 1000'));
  t.like(limited, { success: false, reason: 'body' });
  t.is(limited.http?.uncompressedBodyLength, 1000);
  const bodyFile = path.join(dir, 'body.json');
  writeFileSync(bodyFile, '{"q": 1}');
  const before = targets.authorizations.length;
  t.like(await probe(`${targets.http}/plain`, moduleOptions(`method: POST, body_file: ${bodyFile}`)), { success: true });
  t.is(targets.authorizations.length, before + 1);
  t.like(await probe(`${targets.http}/plain`, moduleOptions(`method: POST, body_file: ${path.join(dir, 'absent')}`)), { success: false, reason: 'error' });
});

test('a check with the same options probes like the module', async (t) => {
  const options = checkOptions(`basic_auth: {username: ${BASIC_USER}, password: "${BASIC_PASSWORD}"}, fail_if_header_not_matches: [{header: content-type, regexp: "^text/"}]`);
  t.like(await probe(`${targets.http}/basic`, options), { success: true });
  const wrong = checkOptions(`basic_auth: {username: ${BASIC_USER}, password: wrong}`);
  t.like(await probe(`${targets.http}/basic`, wrong), { success: false, reason: 'status_code' });
});
