import test from 'ava';
import { FilterError, landingPage, resolveFilter, scrapeDeadlineMs } from '../../../src/server/http-server.js';
import { createLogger, formatRecord } from '../../../src/lib/log.js';

const enabled = ['cpu', 'loadavg', 'meminfo'];
const known = [...enabled, 'processes'];

test('resolveFilter: none, collect[] and exclude[] as node_exporter does', (t) => {
  t.is(resolveFilter({}, enabled, known), undefined);
  t.deepEqual(resolveFilter({ 'collect[]': 'cpu' }, enabled, known), new Set(['cpu']));
  t.deepEqual(resolveFilter({ 'collect[]': ['cpu', 'meminfo'] }, enabled, known), new Set(['cpu', 'meminfo']));
  t.deepEqual(resolveFilter({ 'exclude[]': ['cpu'] }, enabled, known), new Set(['loadavg', 'meminfo']));
});

test('resolveFilter: errors carry node_exporter\'s messages', (t) => {
  t.throws(() => resolveFilter({ 'collect[]': 'cpu', 'exclude[]': 'meminfo' }, enabled, known), {
    instanceOf: FilterError,
    message: 'Combined collect and exclude queries are not allowed.',
  });
  t.throws(() => resolveFilter({ 'collect[]': 'processes' }, enabled, known), { message: /disabled collector: processes$/ });
  t.throws(() => resolveFilter({ 'collect[]': 'nope' }, enabled, known), { message: /missing collector: nope$/ });
  t.throws(() => resolveFilter({ 'collect[]': 'x'.repeat(10_000) }, enabled, known), { message: /missing collector: x{100}$/ });
});

test('resolveFilter ignores non-string query values instead of throwing on them', (t) => {
  t.is(resolveFilter({ 'collect[]': { a: 'b' } }, enabled, known), undefined);
});

test('scrapeDeadlineMs: header less 0.5 s, capped by the flag, ignoring garbage', (t) => {
  t.is(scrapeDeadlineMs(undefined, 10_000), 10_000);
  t.is(scrapeDeadlineMs('3', 10_000), 2500);
  t.is(scrapeDeadlineMs('30', 10_000), 10_000);
  t.is(scrapeDeadlineMs('abc', 10_000), 10_000);
  t.is(scrapeDeadlineMs('-1', 10_000), 10_000);
  t.is(scrapeDeadlineMs('0.2', 10_000), 100);
});

test('scrapeDeadlineMs never passes what a timer can wait (2^31-1 ms), however large the header or the flag', (t) => {
  const thousandHours = 1000 * 3600 * 1000;
  t.is(scrapeDeadlineMs('3000000', thousandHours), 2 ** 31 - 1);
  t.is(scrapeDeadlineMs('1e10', thousandHours), 2 ** 31 - 1);
  t.is(scrapeDeadlineMs(undefined, thousandHours), 2 ** 31 - 1);
  t.is(scrapeDeadlineMs('1e10', 10_000), 10_000);
  t.is(scrapeDeadlineMs('1e400', 10_000), 10_000, 'Infinity is garbage, not a deadline');
});

test('the landing page escapes what it prints', (t) => {
  const html = landingPage('1.0<script>', '/m"x');
  t.false(html.includes('<script>'));
  t.true(html.includes('href="/m&#34;x"'));
});

test('log records in logfmt and json', (t) => {
  const at = new Date('2026-01-02T03:04:05.000Z');
  t.is(formatRecord('logfmt', 'error', 'collector failed', { collector: 'cpu', err: new Error('bad "x"') }, at),
    'time=2026-01-02T03:04:05.000Z level=ERROR msg="collector failed" collector=cpu err="bad \\"x\\""');
  t.deepEqual(JSON.parse(formatRecord('json', 'info', 'hi', { n: 1 }, at)), { time: '2026-01-02T03:04:05.000Z', level: 'INFO', msg: 'hi', n: 1 });
  const lines: string[] = [];
  const log = createLogger('warn', 'logfmt', (l) => lines.push(l));
  log.info('hidden');
  log.with({ a: 1 }).warn('shown');
  t.deepEqual(lines.length, 1);
  t.regex(lines[0] ?? '', /msg=shown a=1$/);
});

test('RLIMIT_AS is read from /proc/self/limits, unlimited as 2^64-1', async (t) => {
  const { parseAddressSpaceLimit } = await import('../../../src/server/self-metrics.js');
  const head = 'Limit                     Soft Limit           Hard Limit           Units     \n';
  t.is(parseAddressSpaceLimit(head + 'Max address space         unlimited            unlimited            bytes     \n'), 18446744073709551615);
  t.is(parseAddressSpaceLimit(head + 'Max address space         1073741824           unlimited            bytes     \n'), 1073741824);
  t.is(parseAddressSpaceLimit(head), undefined);
});

test('the exporter\'s own metrics keep prom-client\'s event-loop-lag names, each once', async (t) => {
  const { SelfMetrics } = await import('../../../src/server/self-metrics.js');
  const self = new SelfMetrics();
  t.teardown(() => self.close());
  const names = (await self.families()).map((f) => f.desc.name);
  for (const stat of ['', '_min', '_max', '_mean', '_stddev', '_p50', '_p90', '_p99']) {
    const name = `nodejs_eventloop_lag${stat}_seconds`;
    t.is(names.filter((n) => n === name).length, 1, name);
  }
  t.true(names.includes('process_cpu_seconds_total'));
  t.true(names.includes('promhttp_metric_handler_requests_total'));
});

// In a child process of its own: AVA runs test files as threads of one process, whose fds
// other files' tests open and close at any moment.
test('process_open_fds counts this process\'s open fds, as a listing of /proc/<pid>/fd does', async (t) => {
  const { execFileSync } = await import('node:child_process');
  const url = (file: string): string => JSON.stringify(new URL(file, import.meta.url).href);
  const script = `
    import fs from 'node:fs';
    const { SelfMetrics } = await import(${url('../../../src/server/self-metrics.js')});
    const { countOwnOpenFds } = await import(${url('../../../src/hostfs/host-fs.js')});
    const self = new SelfMetrics();
    const listed = () => fs.readdirSync('/proc/self/fd').length - 1; // less the listing's own fd
    const openFds = async () => (await self.families()).find((f) => f.desc.name === 'process_open_fds')?.samples[0]?.value;
    const before = [listed(), countOwnOpenFds(), await openFds()];
    const opened = Array.from({ length: 7 }, () => fs.openSync('/proc/self/stat', 'r'));
    const during = [listed(), countOwnOpenFds(), await openFds()];
    for (const fd of opened) fs.closeSync(fd);
    const after = [listed(), countOwnOpenFds(), await openFds()];
    self.close();
    process.stdout.write(JSON.stringify({ before, during, after }));`;
  const { before, during, after } = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 })) as Record<string, number[]>;
  const n = before?.[0] as number;
  t.true(n > 3, `${n} fds at start`);
  t.deepEqual(before, [n, n, n], 'listing, countOwnOpenFds, process_open_fds');
  t.deepEqual(during, [n + 7, n + 7, n + 7]);
  t.deepEqual(after, [n, n, n]);
});

test('memory figures are read from /proc/self/status fields in bytes', async (t) => {
  const { parseStatusBytes } = await import('../../../src/server/self-metrics.js');
  const status = 'Name:\tnode\nVmSize:\t 1659496 kB\nVmRSS:\t   96476 kB\nVmData:\t  145128 kB\n';
  t.is(parseStatusBytes(status, 'VmSize'), 1659496 * 1024);
  t.is(parseStatusBytes(status, 'VmRSS'), 96476 * 1024);
  t.is(parseStatusBytes(status, 'VmData'), 145128 * 1024);
  t.is(parseStatusBytes(status, 'Name'), undefined);
  t.is(parseStatusBytes(status, 'VmSwap'), undefined);
  t.is(parseStatusBytes('VmRSS:\t12 kB\n', 'VmRSS'), 12 * 1024);
});

test('the exporter\'s own metrics keep prom-client\'s names, help and types, and memory figures agree with the kernel\'s', async (t) => {
  const fs = await import('node:fs');
  const { SelfMetrics } = await import('../../../src/server/self-metrics.js');
  const client = (await import('prom-client')).default;
  const reference = new client.Registry();
  client.collectDefaultMetrics({ register: reference });
  const want = new Map((await reference.getMetricsAsJSON()).map((m) => [m.name, `${m.help} ${m.type}`]));
  const self = new SelfMetrics();
  t.teardown(() => self.close());
  await self.families();
  const families = await self.families();
  const got = new Map(families.map((f) => [f.desc.name, `${f.desc.help} ${f.desc.type}`]));
  for (const [name, helpType] of want) if (got.has(name) || !name.startsWith('nodejs_gc')) t.is(got.get(name), helpType, name);
  const value = (name: string): number => families.find((f) => f.desc.name === name)?.samples[0]?.value ?? NaN;
  const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync('/proc/self/status', 'utf8'))?.[1]) * 1024;
  t.true(Math.abs(value('process_virtual_memory_bytes') - kb('VmSize')) < 64 * 1024 * 1024);
  t.true(value('process_resident_memory_bytes') > 0 && value('process_heap_bytes') > 0);
  t.true(value('nodejs_heap_size_used_bytes') > 0 && value('nodejs_heap_size_used_bytes') <= value('nodejs_heap_size_total_bytes'));
  t.is(families.find((f) => f.desc.name === 'process_max_fds')?.samples.length, 1);
});
