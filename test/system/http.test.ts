/**
 * The HTTP behaviour of the real process (build/src/main.js): endpoints, node_exporter's
 * collect[]/exclude[] filters and their errors, content negotiation, gzip, flag errors at start,
 * and hostile requests that must never produce a 500 or take the process down.
 */
import net from 'node:net';
import { gunzipSync } from 'node:zlib';
import test from 'ava';
import { packageVersion } from '../../src/cli/version.js';
import { type ExporterProcess, freePort, runToExit, startExporter } from '../helpers/exporters.js';
import { byName, parseExposition } from '../helpers/exposition-parse.js';

const EXPORTER_OWN = /^(process_|nodejs_|promhttp_)/;
const LOADAVG_FAMILIES = ['node_load1', 'node_load15', 'node_load5'];
const SCRAPE_META = ['node_scrape_collector_duration_seconds', 'node_scrape_collector_success'];

let withLoadavg: Promise<ExporterProcess> | undefined;
let withoutLoadavgOrSelf: Promise<ExporterProcess> | undefined;

/** Default collectors plus loadavg, exporter metrics on: shared by most tests below. */
function exporter(): Promise<ExporterProcess> {
  withLoadavg ??= startExporter('ours', ['--collector.loadavg']);
  return withLoadavg;
}

/** loadavg disabled and --web.disable-exporter-metrics. */
function bareExporter(): Promise<ExporterProcess> {
  withoutLoadavgOrSelf ??= startExporter('ours', ['--no-collector.loadavg', '--web.disable-exporter-metrics']);
  return withoutLoadavgOrSelf;
}

test.after.always(async () => {
  for (const started of [withLoadavg, withoutLoadavgOrSelf]) {
    const p = await started?.catch(() => undefined);
    await p?.stop();
  }
});

test('/ is an HTML landing page with the version and a link to /metrics', async (t) => {
  const res = await (await exporter()).get('/');
  t.is(res.status, 200);
  t.regex(String(res.headers['content-type']), /^text\/html/);
  t.true(res.text.includes(packageVersion()), 'version missing');
  t.regex(res.text, /<a href="\/metrics">/);
});

test('/-/healthy and /-/ready answer 200', async (t) => {
  const e = await exporter();
  for (const path of ['/-/healthy', '/-/ready']) {
    const res = await e.get(path);
    t.is(res.status, 200, path);
    t.regex(String(res.headers['content-type']), /^text\/plain/);
  }
});

test('an unknown path is a plain-text 404', async (t) => {
  const res = await (await exporter()).get('/no/such/page');
  t.is(res.status, 404);
  t.regex(String(res.headers['content-type']), /^text\/plain/);
  t.is(res.text, '404 page not found\n');
});

test('/metrics is the text format with the scrape meta-families', async (t) => {
  const res = await (await exporter()).get('/metrics');
  t.is(res.status, 200);
  t.is(res.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8; escaping=underscores');
  const families = byName(parseExposition(res.text));
  for (const name of [...LOADAVG_FAMILIES, ...SCRAPE_META]) t.true(families.has(name), name);
});

test('collect[]=loadavg gives only loadavg\'s families plus the scrape meta-families', async (t) => {
  const res = await (await exporter()).get('/metrics?collect[]=loadavg');
  t.is(res.status, 200);
  const families = parseExposition(res.text);
  const hostFamilies = families.map((f) => f.name).filter((n) => n.startsWith('node_')).sort();
  t.deepEqual(hostFamilies, [...LOADAVG_FAMILIES, ...SCRAPE_META].sort());
  const success = byName(families).get('node_scrape_collector_success');
  t.deepEqual(success?.samples.map((s) => s.labels), [{ collector: 'loadavg' }]);
});

test('exclude[]=loadavg drops loadavg and keeps the rest', async (t) => {
  const res = await (await exporter()).get('/metrics?exclude[]=loadavg');
  t.is(res.status, 200);
  const families = byName(parseExposition(res.text));
  for (const name of LOADAVG_FAMILIES) t.false(families.has(name), name);
  t.false(families.get('node_scrape_collector_success')?.samples.some((s) => s.labels['collector'] === 'loadavg') ?? false);
});

test('collect[] with exclude[] is a 400 with node_exporter\'s message', async (t) => {
  const res = await (await exporter()).get('/metrics?collect[]=loadavg&exclude[]=loadavg');
  t.is(res.status, 400);
  t.is(res.text.trimEnd(), 'Combined collect and exclude queries are not allowed.');
});

test('an unknown collector is a 400 naming it; a disabled one is a 400 saying so', async (t) => {
  const unknown = await (await exporter()).get('/metrics?collect[]=no_such_collector');
  t.is(unknown.status, 400);
  t.is(unknown.text.trimEnd(), 'Couldn\'t create filtered metrics handler: couldn\'t create collector: missing collector: no_such_collector');
  const disabled = await (await bareExporter()).get('/metrics?collect[]=loadavg');
  t.is(disabled.status, 400);
  t.is(disabled.text.trimEnd(), 'Couldn\'t create filtered metrics handler: couldn\'t create collector: disabled collector: loadavg');
});

test('Accept: application/openmetrics-text gives OpenMetrics, # EOF last, counters named without _total', async (t) => {
  const res = await (await exporter()).get('/metrics', { headers: { Accept: 'application/openmetrics-text; version=1.0.0' } });
  t.is(res.status, 200);
  t.regex(String(res.headers['content-type']), /^application\/openmetrics-text; version=1\.0\.0/);
  t.is(res.text.trimEnd().split('\n').at(-1), '# EOF');
  const families = parseExposition(res.text, 'openmetrics');
  const counters = families.filter((f) => f.type === 'counter');
  t.true(counters.length > 0, 'no counter family to check (promhttp_metric_handler_requests should be one)');
  for (const f of counters) {
    t.false(f.name.endsWith('_total'), `${f.name}: OpenMetrics counter family named with _total`);
    for (const s of f.samples) t.true([`${f.name}_total`, `${f.name}_created`].includes(s.name), s.name);
  }
  t.true(byName(families).has('promhttp_metric_handler_requests'));
});

test('Accept-Encoding: gzip gives a gzip body with the same families', async (t) => {
  const e = await exporter();
  const plain = await e.get('/metrics');
  const zipped = await e.get('/metrics', { headers: { 'Accept-Encoding': 'gzip' } });
  t.is(zipped.status, 200);
  t.is(zipped.headers['content-encoding'], 'gzip');
  t.is(plain.headers['content-encoding'], undefined);
  // nodejs_* may gain a family between two scrapes (GC histograms appear after the first GC).
  const names = (text: string): string[] => parseExposition(text).map((f) => f.name).filter((n) => !n.startsWith('nodejs_'));
  const unzipped = names(gunzipSync(zipped.body).toString('utf8'));
  t.true(unzipped.includes('node_scrape_collector_success'));
  t.deepEqual(unzipped, names(plain.text));
});

test('--web.disable-exporter-metrics removes process_*, nodejs_* and promhttp_*', async (t) => {
  const own = (text: string): string[] => parseExposition(text).map((f) => f.name).filter((n) => EXPORTER_OWN.test(n));
  t.true(own(await (await exporter()).scrape()).length > 0, 'exporter metrics are missing by default');
  t.deepEqual(own(await (await bareExporter()).scrape()), []);
});

const BAD_FLAGS: readonly { argv: string[]; names: string }[] = [
  { argv: ['--no-such-flag'], names: 'no-such-flag' },
  { argv: ['--web.max-requests=abc'], names: 'web.max-requests' },
  { argv: ['--collector.vmstat.fields=('], names: 'collector.vmstat.fields' },
  { argv: ['--web.listen-address=nonsense'], names: 'web.listen-address' },
  { argv: ['--log.level=loud'], names: 'log.level' },
];

for (const { argv, names } of BAD_FLAGS) {
  test(`bad flag ${argv.join(' ')}: exit status 2 naming the flag, before listening`, async (t) => {
    // A loopback address first, so that a flag wrongly accepted could never listen elsewhere.
    const r = await runToExit('ours', [`--web.listen-address=127.0.0.1:${await freePort()}`, ...argv]);
    t.is(r.code, 2, r.stderr);
    t.true(r.stderr.includes(names), `stderr does not name ${names}: ${r.stderr}`);
    t.false(/Listening on/.test(r.stderr), 'it listened before rejecting the flag');
    t.false(/^\s+at /m.test(r.stderr), 'stack trace on stderr');
  });
}

test('a port already in use: non-zero exit and one clear line, no stack trace', async (t) => {
  const blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const { port } = blocker.address() as net.AddressInfo;
  try {
    const r = await runToExit('ours', [`--web.listen-address=127.0.0.1:${port}`]);
    t.not(r.code, 0);
    t.not(r.code, null);
    const errorLines = r.stderr.split('\n').filter((l) => l.includes('already in use'));
    t.is(errorLines.length, 1, r.stderr);
    t.true(errorLines[0]?.includes(`127.0.0.1:${port}`), r.stderr);
    t.false(/^\s+at /m.test(r.stderr), `stack trace on stderr: ${r.stderr}`);
  } finally {
    await new Promise((resolve) => blocker.close(resolve));
  }
});

/** Requests with odd query strings: each must get a 4xx or a 200, never a 5xx. */
const HOSTILE_PATHS: readonly { path: string; status: readonly number[] }[] = [
  { path: '/metrics?collect[]=%00', status: [400] },
  { path: `/metrics?collect[]=${'a'.repeat(8000)}`, status: [400] },
  { path: '/metrics?collect[][a]=b', status: [200] },
  { path: '/metrics?collect[]=loadavg&collect[]=loadavg', status: [200] },
  { path: '/metrics?exclude[]=loadavg&exclude[]=loadavg', status: [200] },
  { path: '/metrics?collect[]=', status: [400] },
  { path: '/metrics?collect[]=loadavg&exclude[]=', status: [400] },
  { path: '/metrics?collect[]=%E0%A4%A', status: [400] },
  { path: '/metrics?collect[]=__proto__', status: [400] },
  { path: '/metrics?__proto__[collect[]]=x&constructor=1', status: [200] },
  { path: '/metrics?collect%5B%5D=loadavg', status: [200] },
  { path: '/metrics?collect[]=..%2F..%2Fetc%2Fpasswd', status: [400] },
  { path: '/metrics?%', status: [200, 400] },
  { path: '/metrics?' + 'collect[]=loadavg&'.repeat(500), status: [200] },
  { path: '/metrics?' + 'x=1&'.repeat(3000), status: [200, 400] },
  { path: '/%ZZ', status: [400, 404] },
];

test('hostile query strings give 400 or 200, never a 5xx, and the process stays up', async (t) => {
  const e = await exporter();
  for (const { path, status } of HOSTILE_PATHS) {
    const res = await e.get(path);
    t.true(status.includes(res.status), `${path.slice(0, 80)}: HTTP ${res.status}: ${res.text.slice(0, 200)}`);
    t.true(res.text.length < 200_000, 'echoes too much');
    if (res.status === 400) t.true(res.text.length < 1000, `${path.slice(0, 80)}: 400 body echoes the input`);
  }
  // Larger than Node's header limit: the HTTP parser refuses it with 431, and may close the
  // connection before the client has finished sending (a reset); never a 5xx.
  try {
    const huge = await e.get(`/metrics?collect[]=${'b'.repeat(70_000)}`);
    t.true(huge.status >= 400 && huge.status < 500, `huge request line: HTTP ${huge.status}`);
  } catch (err) {
    t.true(['ECONNRESET', 'EPIPE'].includes((err as NodeJS.ErrnoException).code ?? ''), `huge request line: ${String(err)}`);
  }
  t.is((await e.get('/-/healthy')).status, 200);
  t.true(e.alive);
});
