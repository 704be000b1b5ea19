import test from 'ava';
import { createLogger, silentLogger } from '../../../src/lib/log.js';
import { MAX_BODY_BYTES } from '../../../src/probe/http/body.js';
import { probeHttp } from '../../../src/probe/http/prober.js';
import { classifyHttpError } from '../../../src/probe/http/round-trip.js';
import { ProbeEnvironment } from '../../../src/probe/environment.js';
import { HTTP_DEFAULTS } from '../../../src/probe/options.js';
import type { HttpDetails, HttpProbeOptions, ProbeResult } from '../../../src/probe/types.js';
import { UserRegex } from '../../../src/gocompat/user-regex.js';
import { type LocalTargets, startTargets } from '../../helpers/targets.js';

const re = (source: string): UserRegex => UserRegex.compile(source);

const env = new ProbeEnvironment();
let targets: LocalTargets;
test.before(async () => {
  targets = await startTargets();
});
test.after.always(async () => {
  await targets?.close();
});

function options(overrides: Partial<HttpProbeOptions> = {}): HttpProbeOptions {
  return { ...HTTP_DEFAULTS, ...overrides };
}

async function probe(target: string, overrides: Partial<HttpProbeOptions> = {}, timeoutMs = 15_000): Promise<ProbeResult & { http: HttpDetails }> {
  const result = await probeHttp(target, options(overrides), AbortSignal.timeout(timeoutMs), silentLogger, env);
  if (!result.http) throw new Error('no http details');
  return result as ProbeResult & { http: HttpDetails };
}

function phaseSum(r: ProbeResult & { http: HttpDetails }): number {
  return Object.values(r.http.phases).reduce((a, b) => a + b, 0);
}

test('200: success with blackbox-style details and phases within the duration', async (t) => {
  const r = await probe(`${targets.http}/ok`);
  t.true(r.success);
  t.is(r.reason, undefined);
  t.is(r.http.statusCode, 200);
  t.is(r.http.contentLength, 11);
  t.is(r.http.uncompressedBodyLength, 11);
  t.is(r.http.redirects, 0);
  t.false(r.http.ssl);
  t.is(r.http.httpVersion, 1.1);
  t.false(r.http.failedDueToRegex);
  t.is(r.http.certExpiryTimestamp, undefined);
  t.is(r.ipProtocol, 4);
  t.is(r.ipAddress, '127.0.0.1');
  t.true(r.http.phases.connect > 0);
  t.true(r.http.phases.processing > 0);
  t.true(r.http.phases.transfer >= 0);
  t.is(r.http.phases.tls, 0);
  t.is(r.http.phases.resolve, r.dnsLookupSeconds);
  t.true(phaseSum(r) <= r.durationSeconds);
  t.true(r.durationSeconds < 5);
});

test('a target without a scheme is probed over http, as blackbox does', async (t) => {
  const r = await probe(`${targets.http.replace('http://', '')}/ok`);
  t.true(r.success);
  t.is(r.http.statusCode, 200);
});

test('500: status_code, and the status is reported', async (t) => {
  const r = await probe(`${targets.http}/status/500`);
  t.false(r.success);
  t.is(r.reason, 'status_code');
  t.is(r.http.statusCode, 500);
});

test('valid_status_codes replaces the 2xx default', async (t) => {
  t.true((await probe(`${targets.http}/status/404`, { validStatusCodes: [404] })).success);
  const r = await probe(`${targets.http}/ok`, { validStatusCodes: [201, 204] });
  t.is(r.reason, 'status_code');
  t.is(r.http.statusCode, 200);
});

test.serial('a redirect chain is followed; phases are summed over every hop', async (t) => {
  const before = targets.connections();
  const r = await probe(`${targets.http}/redirect/3`);
  t.true(r.success);
  t.is(r.http.statusCode, 200);
  t.is(r.http.redirects, 3);
  t.is(r.http.contentLength, 11);
  // One new connection per hop: no keep-alive reuse.
  t.is(targets.connections() - before, 4);
  t.true(r.http.phases.connect > 0);
  t.true(phaseSum(r) <= r.durationSeconds);
});

test('follow_redirects false: the 3xx is final (and counted, as blackbox counts it)', async (t) => {
  const r = await probe(`${targets.http}/redirect/3`, { followRedirects: false });
  t.is(r.reason, 'status_code');
  t.is(r.http.statusCode, 302);
  t.is(r.http.redirects, 1);
  t.true((await probe(`${targets.http}/redirect/3`, { followRedirects: false, validStatusCodes: [302] })).success);
});

test('a redirect loop stops after 10 redirects, like Go and blackbox', async (t) => {
  const r = await probe(`${targets.http}/loop`);
  t.is(r.reason, 'status_code');
  t.is(r.http.statusCode, 302);
  t.is(r.http.redirects, 11);
});

test('an absolute redirect to another host name resolves it and counts the resolve phase', async (t) => {
  const r = await probe(`${targets.http}/absolute`);
  t.true(r.success, JSON.stringify(r));
  t.is(r.http.redirects, 1);
  t.true(r.http.phases.resolve > r.dnsLookupSeconds);
});

test('303 turns a POST into a GET without the body', async (t) => {
  const r = await probe(`${targets.http}/see-other`, { method: 'POST', body: 'payload' });
  t.true(r.success);
  const last = targets.requests.filter((q) => q.url === '/echo').at(-1);
  t.is(last?.method, 'GET');
  t.is(last?.body, '');
});

test('method, headers and body are sent; Host, User-Agent and Connection: close are set', async (t) => {
  const r = await probe(`${targets.http}/echo?m=1`, { method: 'PUT', headers: { 'X-Custom': 'v1' }, body: 'the body' });
  t.true(r.success);
  const seen = targets.requests.find((q) => q.url === '/echo?m=1');
  t.is(seen?.method, 'PUT');
  t.is(seen?.body, 'the body');
  t.is(seen?.headers['x-custom'], 'v1');
  t.is(seen?.headers['host'], `127.0.0.1:${targets.httpPort}`);
  t.regex(seen?.headers['user-agent'] ?? '', /^sidecar-exporter\//);
  t.is(seen?.headers['connection'], 'close');
});

test('a Host header from the options is sent instead of the URL host', async (t) => {
  await probe(`${targets.http}/echo?m=2`, { headers: { host: 'www.example.test' } });
  t.is(targets.requests.find((q) => q.url === '/echo?m=2')?.headers['host'], 'www.example.test');
});

test('a chunked response has content length -1 and its real body length', async (t) => {
  const r = await probe(`${targets.http}/chunked`);
  t.true(r.success);
  t.is(r.http.contentLength, -1);
  t.is(r.http.uncompressedBodyLength, 'part one, part two'.length);
});

test('a slow response inside the timeout succeeds and shows in the processing phase', async (t) => {
  const r = await probe(`${targets.http}/slow/300`, {}, 10_000);
  t.true(r.success);
  t.true(r.http.phases.processing >= 0.28, `processing ${r.http.phases.processing}`);
  t.true(r.durationSeconds < 8);
});

test('a slow response past the timeout: timeout, bounded, no status', async (t) => {
  const started = Date.now();
  const r = await probe(`${targets.http}/slow/20000`, {}, 300);
  t.is(r.reason, 'timeout');
  t.is(r.http.statusCode, 0);
  t.true(Date.now() - started < 4000);
  t.true(r.http.phases.connect > 0);
  t.is(r.http.phases.processing, 0);
});

test('a body that trickles past the timeout: timeout while reading it', async (t) => {
  const started = Date.now();
  // The body takes 5 s; the deadline falls while it is being read.
  const r = await probe(`${targets.http}/trickle`, {}, 2000);
  t.is(r.reason, 'timeout');
  t.is(r.http.statusCode, 200);
  t.true(Date.now() - started < 4500);
});

test('a server that accepts and never answers: timeout, and the connection is closed', async (t) => {
  const r = await probe(`${targets.hang}/`, {}, 300);
  t.is(r.reason, 'timeout');
  t.is(r.http.statusCode, 0);
  t.true(r.http.phases.connect > 0);
  t.true(r.durationSeconds < 4);
  for (let i = 0; i < 100 && targets.openHangingConnections() > 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
  t.is(targets.openHangingConnections(), 0);
});

test('a refused port: connect, with no connect time', async (t) => {
  const r = await probe(`${targets.refused}/`);
  t.is(r.reason, 'connect');
  t.is(r.http.statusCode, 0);
  t.is(r.http.phases.connect, 0);
  t.true(r.durationSeconds < 4);
});

test('an unresolvable name under .invalid: dns, with no address', async (t) => {
  const r = await probe('http://no-such-host.invalid/');
  t.is(r.reason, 'dns');
  t.is(r.ipProtocol, 0);
  t.is(r.ipAddress, undefined);
  t.is(r.http.statusCode, 0);
});

test('a malformed URL is an error, not an exception', async (t) => {
  t.is((await probe('http://[::1')).reason, 'error');
  t.is((await probe('http://')).reason, 'error');
});

test('self-signed certificate: tls failure unless verification is skipped', async (t) => {
  const refused = await probe(`${targets.https}/ok`);
  t.is(refused.reason, 'tls');
  t.is(refused.http.statusCode, 0);
  // No connection was ever usable, so blackbox records no connect or tls time either.
  t.is(refused.http.phases.connect, 0);
  t.is(refused.http.phases.tls, 0);

  const r = await probe(`${targets.https}/ok`, { insecureSkipVerify: true });
  t.true(r.success);
  t.true(r.http.ssl);
  t.is(r.http.certExpiryTimestamp, targets.certNotAfter);
  t.is(r.http.tlsVersion, 'TLS 1.3');
  // Not verified, so no verified chain expiry (blackbox only has it for verified chains).
  t.is(r.http.lastChainExpiryTimestamp, undefined);
  t.true(r.http.phases.tls > 0);
  t.true(r.http.phases.connect > 0);
  t.true(phaseSum(r) <= r.durationSeconds);
});

test.serial('SNI: the URL host name, the Host header, or server_name; none for an IP address', async (t) => {
  const port = new URL(targets.https).port;
  const sni = async (target: string, overrides: Partial<HttpProbeOptions>): Promise<string | false | undefined> => {
    const before = targets.serverNames.length;
    t.true((await probe(target, { insecureSkipVerify: true, ...overrides })).success);
    t.is(targets.serverNames.length, before + 1);
    return targets.serverNames.at(-1);
  };
  t.is(await sni(`https://localhost:${port}/ok`, {}), 'localhost');
  t.is(await sni(`${targets.https}/ok`, {}), false);
  t.is(await sni(`${targets.https}/ok`, { headers: { Host: 'vhost.example:8443' } }), 'vhost.example');
  t.is(await sni(`${targets.https}/ok`, { headers: { Host: 'vhost.example' }, serverName: 'sni.example' }), 'sni.example');
  // A verified certificate for localhost: the name is checked against the certificate.
  t.is((await probe(`https://localhost:${port}/ok`, { serverName: 'other.example', insecureSkipVerify: false })).reason, 'tls');
});

test('fail_if_ssl and fail_if_not_ssl look at the final response', async (t) => {
  t.is((await probe(`${targets.https}/ok`, { insecureSkipVerify: true, failIfSsl: true })).reason, 'body');
  t.is((await probe(`${targets.http}/ok`, { failIfNotSsl: true })).reason, 'body');
  t.true((await probe(`${targets.http}/ok`, { failIfSsl: true })).success);
});

test('body regexes: match and mismatch', async (t) => {
  t.true((await probe(`${targets.http}/ok`, { failIfBodyNotMatches: [re('hello')] })).success);
  const missing = await probe(`${targets.http}/ok`, { failIfBodyNotMatches: [re('goodbye')] });
  t.is(missing.reason, 'body');
  t.true(missing.http.failedDueToRegex);
  t.is(missing.http.statusCode, 200);
  const forbidden = await probe(`${targets.http}/ok`, { failIfBodyMatches: [re('wor+ld')] });
  t.is(forbidden.reason, 'body');
  t.true(forbidden.http.failedDueToRegex);
});

test('a status failure takes precedence and skips the regexes', async (t) => {
  const r = await probe(`${targets.http}/status/503`, { failIfBodyNotMatches: [re('never')] });
  t.is(r.reason, 'status_code');
  t.false(r.http.failedDueToRegex);
});

test('header regexes, with allow_missing', async (t) => {
  const header = (h: string, source: string, allowMissing = false) => ({ header: h, regexp: re(source), allowMissing });
  t.true((await probe(`${targets.http}/ok`, { failIfHeaderNotMatches: [header('content-type', '^text/')] })).success);
  t.is((await probe(`${targets.http}/ok`, { failIfHeaderMatches: [header('X-Probe-Test', 'yes')] })).reason, 'body');
  t.is((await probe(`${targets.http}/ok`, { failIfHeaderNotMatches: [header('X-Absent', '.')] })).reason, 'body');
  t.true((await probe(`${targets.http}/ok`, { failIfHeaderNotMatches: [header('X-Absent', '.', true)] })).success);
});

test('valid_http_versions', async (t) => {
  t.true((await probe(`${targets.http}/ok`, { validHttpVersions: ['HTTP/1.1'] })).success);
  t.is((await probe(`${targets.http}/ok`, { validHttpVersions: ['HTTP/2.0'] })).reason, 'body');
});

test('a body above the limit cannot be matched: body failure, but its length is counted', async (t) => {
  const size = MAX_BODY_BYTES + 1024;
  const r = await probe(`${targets.http}/big/${size}`, { failIfBodyMatches: [re('zzz')] }, 20_000);
  t.is(r.reason, 'body');
  t.is(r.http.uncompressedBodyLength, size);
  const plain = await probe(`${targets.http}/big/${size}`, {}, 20_000);
  t.true(plain.success);
});

test('an already aborted signal resolves at once with timeout', async (t) => {
  const r = await probeHttp(`${targets.http}/ok`, options(), AbortSignal.abort(), silentLogger, env);
  t.is(r.reason, 'timeout');
});

test('fallback off with the other family only: dns failure', async (t) => {
  const r = await probe(`${targets.http}/ok`, { preferredIpProtocol: 'ip6', ipProtocolFallback: false });
  t.is(r.reason, 'dns');
  t.true((await probe(`${targets.http}/ok`, { preferredIpProtocol: 'ip6', ipProtocolFallback: true })).success);
});

test('the log tells the story blackbox tells', async (t) => {
  const lines: string[] = [];
  await probeHttp(`${targets.http}/redirect/1`, options(), AbortSignal.timeout(5000), createLogger('debug', 'logfmt', (l) => lines.push(l)), env);
  const text = lines.join('\n');
  for (const msg of ['Resolving target address', 'Resolved target address', 'Making HTTP request', 'Received redirect', 'Received HTTP response', 'Response timings for roundtrip']) {
    t.true(text.includes(msg), msg);
  }
  t.is(lines.filter((l) => l.includes('Response timings for roundtrip')).length, 2);
});

test('error classification', (t) => {
  const err = (code: string): Error => Object.assign(new Error(code), { code });
  t.is(classifyHttpError(err('ECONNREFUSED'), 'connect', false), 'connect');
  t.is(classifyHttpError(err('ECONNRESET'), 'response', false), 'connect');
  t.is(classifyHttpError(err('ECONNRESET'), 'tls', false), 'tls');
  t.is(classifyHttpError(err('DEPTH_ZERO_SELF_SIGNED_CERT'), 'response', false), 'tls');
  t.is(classifyHttpError(err('ERR_TLS_CERT_ALTNAME_INVALID'), 'response', false), 'tls');
  t.is(classifyHttpError(err('ENOTFOUND'), 'connect', false), 'dns');
  t.is(classifyHttpError(err('EAI_AGAIN'), 'connect', false), 'dns');
  t.is(classifyHttpError(err('HPE_INVALID_CONSTANT'), 'response', false), 'error');
  t.is(classifyHttpError(err('ECONNREFUSED'), 'connect', true), 'timeout');
});
