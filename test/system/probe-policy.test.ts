/**
 * What /probe may reach: --probe.allowed-targets on the normalised target and on every redirect,
 * and --probe.allowed-networks / --probe.denied-networks on the address actually connected to.
 * The "internal" servers count the connections they get: a refused probe must never reach them.
 * Only loopback addresses are used (127.0.0.2 is loopback too).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import { FlagError, parseFlags } from '../../src/cli/flags.js';
import { probeFlags } from '../../src/server/probe-routes.js';
import { Networks, normaliseHost, normalisedUrl, targetPolicyFromFlags } from '../../src/probe/target-policy.js';
import { runToExit } from '../helpers/exporters.js';
import { byName, parseExposition } from '../helpers/exposition-parse.js';
import { get, probePath, startProbeApp } from '../helpers/probe-app.js';

const MODULES = `
modules:
  http_2xx:
    prober: http
    http: {preferred_ip_protocol: ip4}
  icmp:
    prober: icmp
    icmp: {preferred_ip_protocol: ip4}
`;

interface Server {
  readonly port: number;
  readonly host: string;
  /** TCP connections accepted so far. */
  connections(): number;
  close(): Promise<void>;
}

/**
 * /ok answers 200; /to?l=URL redirects (302) to URL; anything else answers 200 "secret".
 */
async function startServer(host: string): Promise<Server> {
  let connections = 0;
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/to') res.writeHead(302, { Location: url.searchParams.get('l') ?? '/' }).end();
    else res.writeHead(200, { 'Content-Type': 'text/plain' }).end(url.pathname === '/ok' ? 'ok' : 'secret');
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    host,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

let front: Server;
let internal: Server;
let otherLoopback: Server;
test.before(async () => {
  front = await startServer('127.0.0.1');
  internal = await startServer('127.0.0.1');
  otherLoopback = await startServer('127.0.0.2');
});
test.after.always(async () => {
  await Promise.all([front, internal, otherLoopback].map((s) => s?.close()));
});

type App = Awaited<ReturnType<typeof startProbeApp>>;

async function appWith(t: import('ava').ExecutionContext, ...argv: string[]): Promise<App> {
  const app = await startProbeApp(MODULES, { policy: targetPolicyFromFlags(parseFlags(probeFlags, argv)) });
  t.teardown(() => app.close());
  return app;
}

interface Outcome {
  readonly status: number;
  readonly text: string;
  readonly success?: number;
  readonly redirects?: number;
  /** The probe's log lines (debug=true). */
  readonly logs: string;
}

async function probe(app: App, target: string, module = 'http_2xx'): Promise<Outcome> {
  const answer = await get(app.port, probePath({ target, module, debug: 'true' }));
  if (answer.status !== 200) return { status: answer.status, text: answer.text, logs: '' };
  const [logs = '', rest = ''] = answer.text.split('\n\n\n\nMetrics that would have been returned:\n');
  const families = byName(parseExposition(rest.split('\n\n\nModule configuration:\n')[0] ?? ''));
  const value = (name: string) => families.get(name)?.samples[0]?.value;
  return { status: 200, text: answer.text, success: value('probe_success'), redirects: value('probe_http_redirects'), logs };
}

const to = (server: Server, location: string): string => `http://${server.host}:${server.port}/to?${new URLSearchParams({ l: location })}`;

test('every redirect must match --probe.allowed-targets, however its host is spelt', async (t) => {
  const app = await appWith(t, `--probe.allowed-targets=http://127\\.0\\.0\\.1:${front.port}/.*`);
  const allowed = await probe(app, to(front, `http://127.0.0.1:${front.port}/ok`));
  t.like(allowed, { success: 1, redirects: 1 });
  const before = internal.connections();
  for (const host of ['127.0.0.1', '2130706433', '0x7f000001', '0177.0.0.1', 'LOCALHOST']) {
    const hop = `http://${host}:${internal.port}/secret`;
    const r = await probe(app, to(front, hop));
    t.like(r, { status: 200, success: 0, redirects: 1 }, hop);
    t.regex(r.logs, /msg="Redirect not allowed" .*err=".*is not allowed by --probe\.allowed-targets"/, hop);
  }
  t.is(internal.connections(), before, 'no redirect reached the internal server');
});

test('--probe.allowed-targets sees the URL as fetched: no user info, hosts as the URL parser reads them', async (t) => {
  const before = internal.connections();
  // An allow-list without a trailing slash: a raw string match would let user info through.
  const prefix = await appWith(t, '--probe.allowed-targets=http://allowed\\.example.*');
  const smuggled = await probe(prefix, `http://allowed.example:80@127.0.0.1:${internal.port}/`);
  t.is(smuggled.status, 403);
  t.is(smuggled.text, `Target "http://allowed.example:80@127.0.0.1:${internal.port}/" as "http://127.0.0.1:${internal.port}/" is not allowed by --probe.allowed-targets\n`);

  // "Any host with a character other than digits and dots", meant to keep IPv4 literals out.
  const namesOnly = await appWith(t, '--probe.allowed-targets=http://[^/]*[^0-9./:][^/]*/.*');
  for (const host of ['0x7f000001', '\uFF11\uFF12\uFF17.\uFF10.\uFF10.\uFF11', '127.1']) {
    const r = await probe(namesOnly, `http://${host}:${internal.port}/`);
    t.is(r.status, 403, host);
    t.regex(r.text, new RegExp(`as "http://127\\.0\\.0\\.1:${internal.port}/" is not allowed`), host);
  }
  // Upper case is the same name: lower-cased before matching.
  t.like(await probe(namesOnly, `http://LOCALHOST:${front.port}/ok`), { status: 200, success: 1 });
  t.is(internal.connections(), before);
  // icmp targets: the host, normalised the same way.
  const hostsOnly = await appWith(t, '--probe.allowed-targets=[^:]*[^0-9.:][^:]*');
  const icmp = await probe(hostsOnly, '0x7f000001', 'icmp');
  t.is(icmp.status, 403);
  t.is(icmp.text, 'Target "0x7f000001" as "127.0.0.1" is not allowed by --probe.allowed-targets\n');
});

test('--probe.denied-networks and --probe.allowed-networks hold for the resolved address of the target and of every redirect', async (t) => {
  const denied = await appWith(t, '--probe.denied-networks=127.0.0.2/32');
  const before = otherLoopback.connections();
  const direct = await probe(denied, `http://127.0.0.2:${otherLoopback.port}/`);
  t.like(direct, { status: 200, success: 0 });
  t.regex(direct.logs, /msg="Target address not allowed" .*err="address 127\.0\.0\.2 is in 127\.0\.0\.2\/32, denied by --probe\.denied-networks"/);
  const redirected = await probe(denied, to(front, `http://0x7f000002:${otherLoopback.port}/`));
  t.like(redirected, { success: 0, redirects: 1 });
  t.regex(redirected.logs, /msg="Redirect address not allowed" .*err="address 127\.0\.0\.2 is in 127\.0\.0\.2\/32/);
  t.like(await probe(denied, `http://127.0.0.1:${front.port}/ok`), { success: 1 });

  const onlyOne = await appWith(t, '--probe.allowed-networks=127.0.0.1/32, ::1');
  const hop = await probe(onlyOne, to(front, `http://127.0.0.2:${otherLoopback.port}/`));
  t.like(hop, { success: 0, redirects: 1 });
  t.regex(hop.logs, /err="address 127\.0\.0\.2 is not in --probe\.allowed-networks"/);
  t.is(otherLoopback.connections(), before, 'nothing reached 127.0.0.2');

  // A name is judged by what it resolves to: localhost is 127.0.0.1.
  const loopbackDenied = await appWith(t, '--probe.denied-networks=127.0.0.0/8,::1');
  // Its own server: the other tests of this file use the shared ones at the same time.
  const own = await startServer('127.0.0.1');
  t.teardown(() => own.close());
  const byName = await probe(loopbackDenied, `http://localhost:${own.port}/ok`);
  t.like(byName, { success: 0 });
  t.regex(byName.logs, /address 127\.0\.0\.1 is in 127\.0\.0\.0\/8, denied by --probe\.denied-networks/);
  t.is(own.connections(), 0);
  // And icmp probes by the address they ping.
  const ping = await probe(loopbackDenied, 'localhost', 'icmp');
  t.like(ping, { success: 0 });
  t.regex(ping.logs, /msg="Target address not allowed" .*err="address 127\.0\.0\.1 is in 127\.0\.0\.0\/8/);
});

// Checked on the policy itself, never by probing: a regression must not send a test's traffic
// to an address that is not loopback. (That the policy is applied to every address a probe
// connects to, redirects included, is shown above with loopback addresses denied by flag.)
test('by default, link-local, metadata and unspecified addresses are denied, in every spelling; loopback is not', async (t) => {
  const policy = targetPolicyFromFlags(parseFlags(probeFlags, []));
  const addressOf = (url: string) => new URL(url).hostname.replace(/^\[(.*)\]$/, '$1');
  for (const [url, network] of [
    ['http://169.254.169.254/latest/meta-data/', '169.254.0.0/16'],
    ['http://0xa9fea9fe/', '169.254.0.0/16'],
    ['http://[::ffff:169.254.169.254]/', '169.254.0.0/16'],
    ['http://[fd00:ec2::254]/', 'fd00:ec2::254/128'],
    ['http://100.100.100.200/', '100.100.100.200/32'],
    ['http://0.0.0.0:9100/', '0.0.0.0/8'],
    ['http://[fe80::1]/', 'fe80::/10'],
  ] as const) {
    const address = addressOf(url);
    t.regex(policy.refuseAddress(address) ?? '', new RegExp(`^address \\S+ is in ${network.replace(/[.]/g, '\\.')}, denied by --probe\\.denied-networks$`), url);
  }
  t.is(policy.refuseAddress('127.0.0.1'), undefined);
  t.is(policy.refuseAddress('::1'), undefined);
  // Loopback is not denied by default, through a real probe.
  const app = await appWith(t);
  t.like(await probe(app, `http://127.0.0.1:${front.port}/ok`), { success: 1 });
});

test('network lists: CIDRs and single addresses of both families; IPv4-mapped addresses count as IPv4', (t) => {
  const n = Networks.parse(' 10.0.0.0/8 , 192.0.2.7, fe80::/10, ::ffff:198.51.100.0/120');
  t.is(n.find('10.255.0.1'), '10.0.0.0/8');
  t.is(n.find('::ffff:10.1.2.3'), '10.0.0.0/8');
  t.is(n.find('192.0.2.7'), '192.0.2.7');
  t.is(n.find('192.0.2.8'), undefined);
  t.is(n.find('febf::1'), 'fe80::/10');
  t.is(n.find('fec0::1'), undefined);
  t.is(n.find('198.51.100.9'), '::ffff:198.51.100.0/120');
  t.is(n.find('198.51.101.9'), undefined);
  t.is(Networks.parse('0.0.0.0/0').find('::1'), undefined, 'an IPv4 network holds no IPv6 address');
  t.true(Networks.parse('').empty);
  for (const [text, message] of [
    ['10.0.0.0/33', '"10.0.0.0/33" has an invalid prefix length (0 to 32)'],
    ['10.0.0.0/x', '"10.0.0.0/x" has an invalid prefix length (0 to 32)'],
    ['::ffff:10.0.0.0/64', '"::ffff:10.0.0.0/64" has an invalid prefix length (0 to 128, at least 96 for an IPv4-mapped network)'],
    ['example.com', '"example.com" is not an IP address or CIDR network'],
    ['10.0.0.0/8;11.0.0.0/8', '"10.0.0.0/8;11.0.0.0/8" has an invalid prefix length (0 to 32)'],
  ]) {
    t.throws(() => Networks.parse(text as string), { message }, text);
  }
});

test('a bad network list stops the exporter with a message naming the flag', async (t) => {
  t.throws(() => targetPolicyFromFlags(parseFlags(probeFlags, ['--probe.allowed-networks=10.0.0.0/40'])), {
    instanceOf: FlagError,
    message: 'invalid value for flag --probe.allowed-networks: "10.0.0.0/40" has an invalid prefix length (0 to 32)',
  });
  const r = await runToExit('ours', ['--probe.denied-networks=metadata', '--web.listen-address=127.0.0.1:0']);
  t.is(r.code, 2);
  // Checked once the flags are parsed, so said through the logger (logfmt quotes the message).
  t.regex(r.stderr, /^time=\S+ level=ERROR msg="invalid value for flag --probe\.denied-networks: \\"metadata\\" is not an IP address or CIDR network"$/m);
  t.notRegex(r.stderr, /Listening on/);
});

test('normalisation: what the allow-list is matched against', (t) => {
  t.is(normalisedUrl(new URL('HTTP://User:Pw@Example.COM:80/a/../b?q=1#frag')), 'http://example.com/b?q=1');
  t.is(normalisedUrl(new URL('https://example.com:8443/')), 'https://example.com:8443/');
  t.is(normalisedUrl(new URL('http://[0:0:0:0:0:ffff:7f00:1]/')), 'http://[::ffff:7f00:1]/');
  t.is(normalisedUrl(new URL('http://b\u00FCcher.example/')), 'http://xn--bcher-kva.example/');
  t.is(normaliseHost('0x7f000001'), '127.0.0.1');
  t.is(normaliseHost('2130706433'), '127.0.0.1');
  t.is(normaliseHost('LocalHost'), 'localhost');
  t.is(normaliseHost('::FFFF:7F00:1'), '::ffff:7f00:1');
  // Not a plain host: left for the resolver to refuse.
  for (const odd of ['a@127.0.0.1', '127.0.0.1:22', '-c 1 127.0.0.1', '127.0.0.1/8', '']) t.is(normaliseHost(odd), odd);
});
