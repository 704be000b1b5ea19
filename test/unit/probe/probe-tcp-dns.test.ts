/**
 * The pure parts of the tcp and dns probers: the query_response runner over an in-process
 * socket pair, Go's Expand, miekg's record text, the RR validators, module option parsing; and
 * the target policy applied to the address a tcp or dns probe actually connects to.
 */
import { Duplex, PassThrough } from 'node:stream';
import test from 'ava';
import { parseConfig } from '../../../src/config/load.js';
import { UserRegex } from '../../../src/gocompat/user-regex.js';
import { silentLogger } from '../../../src/lib/log.js';
import { rrString, validRcode, validRrs } from '../../../src/probe/dns-records.js';
import { converse, expandTemplate } from '../../../src/probe/tcp-query.js';
import { Networks, TargetPolicy } from '../../../src/probe/target-policy.js';
import { get, probePath, startProbeApp } from '../../helpers/probe-app.js';
import { startLineServer } from '../../helpers/line-server.js';
import { makePki } from '../../helpers/pki.js';
import { readFileSync } from 'node:fs';

/** Two ends of an in-process connection. */
function socketPair(): [Duplex, Duplex] {
  const aToB = new PassThrough();
  const bToA = new PassThrough();
  return [Duplex.from({ readable: bToA, writable: aToB }), Duplex.from({ readable: aToB, writable: bToA })];
}

const noTls = (): Promise<never> => Promise.reject(new Error('no TLS here'));
const re = (s: string): UserRegex => UserRegex.compile(s);

test('converse: reads lines until the expect matches, expands its groups into send', async (t) => {
  const [client, server] = socketPair();
  const got: string[] = [];
  server.on('data', (c: Buffer) => got.push(c.toString()));
  server.write('noise\r\nSVC READY alpha\r\n');
  const outcome = await converse(client, [{ expect: re('^SVC READY (?P<n>\\w+)$'), send: 'HELLO ${n} $1 $$ $', startTls: false }], noTls, silentLogger);
  t.is(outcome.failure, undefined);
  t.false(outcome.failedDueToRegex);
  t.deepEqual(got, ['HELLO alpha alpha $ $\n']);
});

test('converse: the end of the stream without a match is a regex failure', async (t) => {
  const [client, server] = socketPair();
  server.end('one\ntwo');
  const outcome = await converse(client, [{ expect: re('^three'), startTls: false }], noTls, silentLogger);
  t.is(outcome.failure, 'expect');
  t.true(outcome.failedDueToRegex);
});

test('converse: expect_bytes compares the next bytes', async (t) => {
  const [client, server] = socketPair();
  server.write('ABCD');
  t.is((await converse(client, [{ expectBytes: 'AB', startTls: false }, { expectBytes: 'CX', startTls: false }], noTls, silentLogger)).failure, 'expect');
});

test('converse: a read error is not a regex failure; a failed starttls is tls', async (t) => {
  const client = new Duplex({ read() {}, write: (_c, _e, cb) => cb() });
  setTimeout(() => client.destroy(new Error('reset')), 20);
  const read = await converse(client, [{ expect: re('x'), startTls: false }], noTls, silentLogger);
  t.is(read.failure, 'read');
  t.false(read.failedDueToRegex);
  const [c2] = socketPair();
  t.is((await converse(c2, [{ startTls: true }], noTls, silentLogger)).failure, 'tls');
});

test('expandTemplate follows Go: unknown names and numbers are empty, ${1}x works', (t) => {
  t.is(expandTemplate('${1}x $2 $nope $1x', ['all', 'a'], new Map()), 'ax   ');
});

test('rrString writes records as miekg/dns does', (t) => {
  t.is(rrString({ name: 'svc.test', type: 'A', ttl: 0, class: 'IN', data: '127.0.0.7' }), 'svc.test.\t0\tIN\tA\t127.0.0.7');
  t.is(rrString({ name: 'svc.test', type: 'MX', ttl: 60, class: 'IN', data: { preference: 10, exchange: 'mail.svc.test' } }), 'svc.test.\t60\tIN\tMX\t10 mail.svc.test.');
  t.is(rrString({ name: 't.test', type: 'TXT', ttl: 1, class: 'IN', data: [Buffer.from('a "q"'), Buffer.from([0x01])] }), 't.test.\t1\tIN\tTXT\t"a \\"q\\"" "\\001"');
});

test('validRrs: the four lists as blackbox applies them', (t) => {
  const none = { failIfMatches: [], failIfAllMatch: [], failIfNotMatches: [], failIfNoneMatches: [] };
  const rrs = ['a.\t0\tIN\tA\t1.2.3.4', 'a.\t0\tIN\tCNAME\tb.'];
  t.true(validRrs(rrs, none, silentLogger));
  t.false(validRrs(rrs, { ...none, failIfMatches: [re('CNAME')] }, silentLogger));
  t.false(validRrs(rrs, { ...none, failIfAllMatch: [re('\\tA\\t')] }, silentLogger));
  t.false(validRrs(rrs, { ...none, failIfNotMatches: [re('\\tA\\t')] }, silentLogger));
  t.true(validRrs(rrs, { ...none, failIfNoneMatches: [re('\\tA\\t')] }, silentLogger));
  t.false(validRrs([], { ...none, failIfNoneMatches: [re('.')] }, silentLogger));
  t.true(validRcode(0, [], silentLogger));
  t.false(validRcode(3, [], silentLogger));
  t.true(validRcode(3, ['NXDOMAIN'], silentLogger));
});

test('module options: defaults, and blackbox\'s messages for what it refuses', (t) => {
  const c = parseConfig('modules:\n  d: {prober: dns, dns: {query_name: x.test}}\n  t: {prober: tcp}\n', 'x.yml');
  t.like(c.modules['d']?.dns, { query_type: 'ANY', query_class: 'IN', transport_protocol: 'udp', recursion_desired: true, preferred_ip_protocol: 'ip6' });
  t.like(c.modules['t']?.tcp, { tls: false, preferred_ip_protocol: 'ip6', ip_protocol_fallback: true });
  t.throws(() => parseConfig('modules:\n  d: {prober: dns}\n', 'x.yml'), { message: /query name must be set for DNS module/ });
  t.throws(() => parseConfig('modules:\n  d: {prober: dns, dns: {query_name: x, query_type: BOGUS}}\n', 'x.yml'), { message: /query type 'BOGUS' is not valid/ });
  t.throws(() => parseConfig('modules:\n  t: {prober: tcp, tcp: {query_response: [{expect: a, expect_bytes: b}]}}\n', 'x.yml'), { message: /mutually exclusive/ });
  t.throws(() => parseConfig('modules:\n  g: {prober: grpc}\n', 'x.yml'), { message: /prober must be http, icmp, tcp or dns/ });
  const checks = parseConfig('checks:\n  - {protocol: tcp, target: "db:5432"}\n  - {protocol: dns, target: 10.0.0.2, query_name: a.test}\n', 'x.yml').checks;
  t.deepEqual(checks.map((ch) => ch.protocol), ['tcp', 'dns']);
  t.throws(() => parseConfig('checks:\n  - {protocol: tcp, target: db}\n', 'x.yml'), { message: /host:port/ });
});

test('a tcp target whose name resolves into a denied network is not connected to', async (t) => {
  const server = await startLineServer({ name: 'guarded' });
  const app = await startProbeApp('modules:\n  t: {prober: tcp, tcp: {preferred_ip_protocol: ip4, query_response: [{send: ECHO x}]}}\n  d: {prober: dns, dns: {preferred_ip_protocol: ip4, query_name: a.test, transport_protocol: tcp}}\n', {
    policy: new TargetPolicy({ deniedNetworks: Networks.parse('127.0.0.0/8') }),
  });
  try {
    for (const [module, target] of [['t', `localhost:${server.port}`], ['d', `localhost:${server.port}`]] as const) {
      const answer = await get(app.port, probePath({ module, target }));
      t.regex(answer.text, /^probe_success 0$/m, module);
    }
    t.deepEqual(server.received, []);
  } finally {
    await app.close();
    await server.close();
  }
});

test("tcp tls_config is the http prober's: inline CA, min_version, and material that cannot be used fails before connecting", async (t) => {
  const pki = makePki();
  const server = await startLineServer({ name: 'tls', tls: true, cert: pki.serverCert, key: pki.serverKey });
  const caInline = JSON.stringify(readFileSync(pki.caCert, 'utf8'));
  const app = await startProbeApp(
    `modules:
  inline_ca: {prober: tcp, tcp: {preferred_ip_protocol: ip4, tls: true, tls_config: {ca: ${caInline}, server_name: localhost}}}
  tls12_only: {prober: tcp, tcp: {preferred_ip_protocol: ip4, tls: true, tls_config: {ca_file: ${JSON.stringify(pki.caCert)}, max_version: TLS12}}}
  no_ca_file: {prober: tcp, tcp: {preferred_ip_protocol: ip4, tls: true, tls_config: {ca_file: ${JSON.stringify(`${pki.dir}/missing.pem`)}}}}
`,
  );
  try {
    const probe = async (module: string) => (await get(app.port, probePath({ module, target: `127.0.0.1:${server.port}`, debug: 'true' }))).text;
    t.regex(await probe('inline_ca'), /^probe_success 1$/m);
    t.regex(await probe('tls12_only'), /^probe_tls_version_info\{version="TLS 1\.2"\} 1$/m);
    const missing = await probe('no_ca_file');
    t.regex(missing, /^probe_success 0$/m);
    t.regex(missing, /Error creating TLS configuration.*unable to read CA cert/);
    t.deepEqual(server.received, [], 'nothing was sent');
  } finally {
    await app.close();
    await server.close();
  }
});
