/**
 * /probe side by side with Debian's prometheus-blackbox-exporter, both given the same module
 * file and the same local targets: the same probe_success and probe_http_status_code for each,
 * and the same names, types and HELP for the families both emit.
 */
import test from 'ava';
import { byName, firstValue, parseExposition } from '../helpers/exposition-parse.js';
import { get, type ProbeApp, probePath, startProbeApp } from '../helpers/probe-app.js';
import { type LocalTargets, startTargets } from '../helpers/targets.js';
import { BLACKBOX_BIN, Blackbox, expectFamiliesOf, HTTP_COMPARED_VALUES } from '../helpers/blackbox.js';
import { cannotRunHere } from '../helpers/skip.js';


const MODULES = `
modules:
  http_2xx:
    prober: http
    http: {preferred_ip_protocol: ip4}
  http_no_follow:
    prober: http
    http: {preferred_ip_protocol: ip4, follow_redirects: false}
  http_302:
    prober: http
    http: {preferred_ip_protocol: ip4, follow_redirects: false, valid_status_codes: [302]}
  http_insecure:
    prober: http
    http: {preferred_ip_protocol: ip4, tls_config: {insecure_skip_verify: true}}
  http_body_hello:
    prober: http
    http: {preferred_ip_protocol: ip4, fail_if_body_not_matches_regexp: ["hel+o"]}
  http_body_goodbye:
    prober: http
    http: {preferred_ip_protocol: ip4, fail_if_body_not_matches_regexp: ["goodbye"]}
  http_body_forbidden:
    prober: http
    http: {preferred_ip_protocol: ip4, fail_if_body_matches_regexp: ["wor+ld"]}
  http_header:
    prober: http
    http: {preferred_ip_protocol: ip4, fail_if_header_not_matches: [{header: Content-Type, regexp: "^text/"}]}
  http_not_ssl:
    prober: http
    http: {preferred_ip_protocol: ip4, fail_if_not_ssl: true}
  http_v2_only:
    prober: http
    http: {preferred_ip_protocol: ip4, valid_http_versions: ["HTTP/2.0"]}
  http_post:
    prober: http
    http: {preferred_ip_protocol: ip4, method: POST, body: "x=1", headers: {X-Probe: side-by-side}}
  http_404:
    prober: http
    http: {preferred_ip_protocol: ip4, valid_status_codes: [404]}
  http_short:
    prober: http
    timeout: 500ms
    http: {preferred_ip_protocol: ip4}
  icmp:
    prober: icmp
    icmp: {preferred_ip_protocol: ip4}
  icmp6:
    prober: icmp
    icmp: {preferred_ip_protocol: ip6}
`;

/** Families whose values are the same for both whatever the timing. */
const COMPARED_VALUES = [...HTTP_COMPARED_VALUES, 'probe_ip_protocol', 'probe_ip_addr_hash', 'probe_icmp_reply_hop_limit'];

let targets: LocalTargets;
let ours: ProbeApp;
let blackbox: Blackbox | undefined;

test.before(async () => {
  targets = await startTargets();
  ours = await startProbeApp(MODULES);
  blackbox = await Blackbox.withModules(MODULES);
});

test.after.always(async () => {
  await blackbox?.stop();
  await ours?.close();
  await targets?.close();
});


/** [module, where, path]: where is a local target (see helpers/targets.ts) or a literal host. */
type Case = readonly [module: string, where: 'http' | 'https' | 'hang' | 'refused' | 'no-scheme' | 'literal', rest: string];

const CASES: Case[] = [
  ['http_2xx', 'http', '/ok'],
  ['http_2xx', 'http', '/status/500'],
  ['http_2xx', 'http', '/status/404'],
  ['http_404', 'http', '/status/404'],
  ['http_2xx', 'http', '/redirect/3'],
  ['http_2xx', 'http', '/loop'],
  ['http_2xx', 'http', '/absolute'],
  ['http_no_follow', 'http', '/redirect/2'],
  ['http_302', 'http', '/redirect/2'],
  ['http_2xx', 'http', '/chunked'],
  ['http_2xx', 'https', '/ok'],
  ['http_insecure', 'https', '/ok'],
  ['http_insecure', 'https', '/redirect/2'],
  ['http_body_hello', 'http', '/ok'],
  ['http_body_goodbye', 'http', '/ok'],
  ['http_body_forbidden', 'http', '/ok'],
  ['http_header', 'http', '/ok'],
  ['http_not_ssl', 'http', '/ok'],
  ['http_v2_only', 'http', '/ok'],
  ['http_post', 'http', '/echo'],
  ['http_2xx', 'http', '/slow/200'],
  ['http_short', 'http', '/slow/3000'],
  ['http_short', 'hang', '/'],
  ['http_2xx', 'refused', '/'],
  ['http_2xx', 'no-scheme', '/ok'],
  ['icmp', 'literal', '127.0.0.1'],
  ['icmp6', 'literal', '::1'],
];

function targetOf(where: Case[1], rest: string): string {
  switch (where) {
    case 'literal':
      return rest;
    case 'no-scheme':
      return targets.http.replace('http://', '') + rest;
    default:
      return targets[where] + rest;
  }
}

for (const [module, where, rest] of CASES) {
  test(`same answer as blackbox_exporter: ${module} ${where} ${rest}`, async (t) => {
    if (!blackbox) {
      cannotRunHere(t, `${BLACKBOX_BIN} is not installed (Debian: apt-get install prometheus-blackbox-exporter)`);
      return;
    }
    const query = probePath({ module, target: targetOf(where, rest) });
    const [mine, theirs] = await Promise.all([get(ours.port, query), get(blackbox.port, query)]);
    t.is(mine.status, theirs.status);
    const a = byName(parseExposition(mine.text));
    const b = byName(parseExposition(theirs.text));
    for (const name of COMPARED_VALUES) {
      if (!b.has(name)) continue;
      // /echo answers with the request's headers, and the two User-Agents differ in length.
      if (rest === '/echo' && name === 'probe_http_uncompressed_body_length') continue;
      t.is(firstValue(a, name), firstValue(b, name), `${name}\nours:\n${mine.text}\nblackbox:\n${theirs.text}`);
    }
    t.is(firstValue(a, 'probe_success'), firstValue(b, 'probe_success'));
    if (rest === '/echo') {
      // Both sent the module's method, body and header.
      const seen = targets.requests.filter((r) => r.url === '/echo').map((r) => [r.method, r.body, r.headers['x-probe']]);
      t.deepEqual(seen, [['POST', 'x=1', 'side-by-side'], ['POST', 'x=1', 'side-by-side']]);
    }
    // Families of theirs we do not emit: the TLS chain details (see the README).
    expectFamiliesOf(t, a, b, { notEmitted: ['probe_ssl_last_chain_info', 'probe_ssl_last_chain_expiry_timestamp_seconds'], help: true });
  });
}
