/**
 * The tcp and dns probers side by side with Debian's prometheus-blackbox-exporter, both given
 * the same modules file, on local targets: line servers (plain, TLS from the start, STARTTLS;
 * test/helpers/line-server.ts) and dnsmasq on a loopback port (test/helpers/dnsmasq.ts). For
 * each (module, target): the same probe_success, the same values for the series whose values do
 * not depend on timing, and the same names, types, HELP and label sets for every family
 * blackbox emits (we also emit
 * probe_failed_due_to_bytes, as upstream's latest does; 0.23 does not).
 */
import { rmSync } from 'node:fs';
import test from 'ava';
import { byName, firstValue, parseExposition } from '../helpers/exposition-parse.js';
import { get, type ProbeApp, probePath, startProbeApp } from '../helpers/probe-app.js';
import { BLACKBOX_BIN, Blackbox, expectFamiliesOf } from '../helpers/blackbox.js';
import { freePort } from '../helpers/exporters.js';
import { type Dnsmasq, dnsmasqInstalled, DNSMASQ_BIN, startDnsmasq } from '../helpers/dnsmasq.js';
import { type LineServer, startLineServer } from '../helpers/line-server.js';
import { makePki, type Pki } from '../helpers/pki.js';
import { cannotRunHere } from '../helpers/skip.js';


function modules(pki: Pki): string {
  return `
modules:
  tcp_connect:
    prober: tcp
    tcp: {preferred_ip_protocol: ip4}
  tcp_conversation:
    prober: tcp
    tcp:
      preferred_ip_protocol: ip4
      query_response:
        - {expect: "^SVC READY (\\\\w+)$", send: "ECHO hi-\${1}"}
        - {expect: "^hi-plain$"}
        - {send: QUIT}
        - {expect: "^BYE"}
  tcp_expect_eof:
    prober: tcp
    tcp:
      preferred_ip_protocol: ip4
      query_response: [{send: QUIT}, {expect: "^NEVER"}]
  tcp_expect_timeout:
    prober: tcp
    timeout: 1s
    tcp:
      preferred_ip_protocol: ip4
      query_response: [{expect: "^220 "}]
  tcp_tls:
    prober: tcp
    tcp: {preferred_ip_protocol: ip4, tls: true, tls_config: {ca_file: ${JSON.stringify(pki.caCert)}}, query_response: [{expect: "^SVC READY"}]}
  tcp_tls_insecure:
    prober: tcp
    tcp: {preferred_ip_protocol: ip4, tls: true, tls_config: {insecure_skip_verify: true}}
  tcp_tls_untrusted:
    prober: tcp
    tcp: {preferred_ip_protocol: ip4, tls: true}
  tcp_tls_wrong_name:
    prober: tcp
    tcp: {preferred_ip_protocol: ip4, tls: true, tls_config: {ca_file: ${JSON.stringify(pki.caCert)}, server_name: other.test}}
  tcp_starttls:
    prober: tcp
    timeout: 3s
    tcp:
      preferred_ip_protocol: ip4
      tls_config: {ca_file: ${JSON.stringify(pki.caCert)}}
      query_response:
        - {expect: "^SVC READY"}
        - {send: STARTTLS}
        - {expect: "^OK starttls", starttls: true}
        - {expect: "^SVC READY \\\\w+-tls$"}
        - {send: "ECHO inside"}
        - {expect: "^inside$"}
  dns_a:
    prober: dns
    dns: {preferred_ip_protocol: ip4, query_name: svc.test, query_type: A}
  dns_a_tcp:
    prober: dns
    dns: {preferred_ip_protocol: ip4, query_name: svc.test, query_type: A, transport_protocol: tcp}
  dns_a_forbidden_answer:
    prober: dns
    dns:
      preferred_ip_protocol: ip4
      query_name: svc.test
      query_type: A
      validate_answer_rrs: {fail_if_matches_regexp: ["127\\\\.0\\\\.0\\\\.7"]}
  dns_txt_text:
    prober: dns
    dns:
      preferred_ip_protocol: ip4
      query_name: txt.svc.test
      query_type: TXT
      validate_answer_rrs: {fail_if_not_matches_regexp: ['^txt\\.svc\\.test\\.\\t\\d+\\tIN\\tTXT\\t"v=probe1" "second string"$']}
  dns_mx:
    prober: dns
    dns:
      preferred_ip_protocol: ip4
      query_name: svc.test
      query_type: MX
      validate_answer_rrs: {fail_if_none_matches_regexp: ['\\tMX\\t10 mail\\.svc\\.test\\.$']}
  dns_mx_wrong:
    prober: dns
    dns:
      preferred_ip_protocol: ip4
      query_name: svc.test
      query_type: MX
      validate_answer_rrs: {fail_if_none_matches_regexp: ['\\tMX\\t20 ']}
  dns_cname_all_a:
    prober: dns
    dns:
      preferred_ip_protocol: ip4
      query_name: alias.svc.test
      query_type: A
      validate_answer_rrs: {fail_if_all_match_regexp: ['\\tA\\t']}
  dns_cname_chain:
    prober: dns
    dns:
      preferred_ip_protocol: ip4
      query_name: alias.svc.test
      query_type: A
      validate_answer_rrs: {fail_if_none_matches_regexp: ['^alias\\.svc\\.test\\.\\t\\d+\\tIN\\tCNAME\\twww\\.svc\\.test\\.$']}
  dns_nx:
    prober: dns
    dns: {preferred_ip_protocol: ip4, query_name: gone.nx.test, query_type: A}
  dns_nx_expected:
    prober: dns
    dns: {preferred_ip_protocol: ip4, query_name: gone.nx.test, query_type: A, valid_rcodes: [NXDOMAIN]}
  dns_no_records_required:
    prober: dns
    dns:
      preferred_ip_protocol: ip4
      query_name: gone.nx.test
      query_type: A
      valid_rcodes: [NXDOMAIN]
      validate_answer_rrs: {fail_if_not_matches_regexp: ['.']}
  dns_soa:
    prober: dns
    dns: {preferred_ip_protocol: ip4, query_name: svc.test, query_type: SOA, valid_rcodes: [REFUSED]}
  dns_soa_refused:
    prober: dns
    dns: {preferred_ip_protocol: ip4, query_name: svc.test, query_type: SOA}
  dns_no_recursion:
    prober: dns
    dns: {preferred_ip_protocol: ip4, query_name: svc.test, query_type: A, recursion_desired: false}
`;
}

/** Families whose values are the same for both whatever the timing. */
const COMPARED_VALUES = [
  'probe_success',
  'probe_failed_due_to_regex',
  'probe_ip_protocol',
  'probe_ip_addr_hash',
  'probe_ssl_earliest_cert_expiry',
  'probe_ssl_last_chain_expiry_timestamp_seconds',
  'probe_dns_answer_rrs',
  'probe_dns_authority_rrs',
  'probe_dns_additional_rrs',
  'probe_dns_query_succeeded',
  'probe_dns_serial',
];

interface Targets {
  plain: LineServer;
  tls: LineServer;
  starttls: LineServer;
  closedPort: number;
  dns?: Dnsmasq;
}

let pki: Pki;
let targets: Targets;
let ours: ProbeApp;
let blackbox: Blackbox | undefined;

test.before(async () => {
  pki = makePki();
  targets = {
    plain: await startLineServer({ name: 'plain' }),
    tls: await startLineServer({ name: 'tls', tls: true, cert: pki.serverCert, key: pki.serverKey }),
    starttls: await startLineServer({ name: 'plain', cert: pki.serverCert, key: pki.serverKey }),
    closedPort: await freePort(),
    ...(dnsmasqInstalled() ? { dns: await startDnsmasq() } : {}),
  };
  const yaml = modules(pki);
  ours = await startProbeApp(yaml);
  blackbox = await Blackbox.withModules(yaml);
});

test.after.always(async () => {
  await blackbox?.stop();
  await ours?.close();
  await Promise.all([targets?.plain.close(), targets?.tls.close(), targets?.starttls.close(), targets?.dns?.stop()]);
  if (pki) rmSync(pki.dir, { recursive: true, force: true });
});

type Where = 'plain' | 'tls' | 'starttls' | 'closed' | 'no-port' | 'localhost-tls' | 'dns' | 'dns-tcp-closed' | 'dns-udp-closed';

function targetOf(where: Where): string | undefined {
  switch (where) {
    case 'plain':
    case 'tls':
    case 'starttls':
      return `127.0.0.1:${targets[where].port}`;
    case 'localhost-tls':
      return `localhost:${targets.tls.port}`;
    case 'closed':
    case 'dns-tcp-closed':
    case 'dns-udp-closed':
      return `127.0.0.1:${targets.closedPort}`;
    case 'no-port':
      return '127.0.0.1';
    case 'dns':
      return targets.dns ? `127.0.0.1:${targets.dns.port}` : undefined;
  }
}

const CASES: readonly (readonly [module: string, where: Where, success: 0 | 1])[] = [
  ['tcp_connect', 'plain', 1],
  ['tcp_connect', 'closed', 0],
  ['tcp_connect', 'no-port', 0],
  ['tcp_conversation', 'plain', 1],
  ['tcp_expect_eof', 'plain', 0],
  ['tcp_expect_timeout', 'plain', 0],
  ['tcp_tls', 'tls', 1],
  ['tcp_tls', 'localhost-tls', 1],
  ['tcp_tls', 'plain', 0],
  ['tcp_tls_insecure', 'tls', 1],
  ['tcp_tls_untrusted', 'tls', 0],
  ['tcp_tls_wrong_name', 'tls', 0],
  ['tcp_starttls', 'starttls', 1],
  ['tcp_starttls', 'plain', 0],
  ['dns_a', 'dns', 1],
  ['dns_a_tcp', 'dns', 1],
  ['dns_a_forbidden_answer', 'dns', 0],
  ['dns_txt_text', 'dns', 1],
  ['dns_mx', 'dns', 1],
  ['dns_mx_wrong', 'dns', 0],
  ['dns_cname_all_a', 'dns', 0],
  ['dns_cname_chain', 'dns', 1],
  ['dns_nx', 'dns', 0],
  ['dns_nx_expected', 'dns', 1],
  ['dns_no_records_required', 'dns', 0],
  ['dns_soa', 'dns', 1],
  ['dns_soa_refused', 'dns', 0],
  ['dns_no_recursion', 'dns', 1],
  ['dns_a', 'dns-udp-closed', 0],
  ['dns_a_tcp', 'dns-tcp-closed', 0],
];


for (const [module, where, success] of CASES) {
  test(`same answer as blackbox_exporter: ${module} ${where}`, async (t) => {
    if (!blackbox) {
      cannotRunHere(t, `${BLACKBOX_BIN} is not installed (Debian: apt-get install prometheus-blackbox-exporter)`);
      return;
    }
    const target = targetOf(where);
    if (target === undefined) {
      cannotRunHere(t, `${DNSMASQ_BIN} is not installed (Debian: apt-get install dnsmasq-base)`);
      return;
    }
    const query = probePath({ module, target });
    const [mine, theirs] = await Promise.all([get(ours.port, query), get(blackbox.port, query)]);
    t.is(mine.status, theirs.status);
    const a = byName(parseExposition(mine.text));
    const b = byName(parseExposition(theirs.text));
    const both = `\nours:\n${mine.text}\nblackbox:\n${theirs.text}`;
    // The expected outcome, so that a case that fails on both sides for another reason shows.
    t.is(firstValue(b, 'probe_success'), success, `blackbox's probe_success${both}`);
    for (const name of COMPARED_VALUES) {
      if (!b.has(name)) continue;
      t.is(firstValue(a, name), firstValue(b, name), `${name}${both}`);
    }
    // The leaf certificate's details: not emitted (see README).
    expectFamiliesOf(t, a, b, { notEmitted: ['probe_ssl_last_chain_info'], help: true, context: both });
  });
}
