import { createHook } from 'node:async_hooks';
import { mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { allFlags } from '../../../src/options.js';
import { NodeCollector } from '../../../src/collector/node-collector.js';
import { textfileCollector, textfileCollectorWith } from '../../../src/collector/textfile.js';
import { writeText } from '../../../src/exposition/text.js';
import { parseFlags } from '../../../src/cli/flags.js';
import { createLogger } from '../../../src/lib/log.js';
import { HostPaths } from '../../../src/hostfs/paths.js';
import { collect, fixture, testContext, valueOf } from '../../helpers/collect.js';
import { byName, parseExposition } from '../../helpers/exposition-parse.js';
import { fifoWithLateWriter } from '../../helpers/fifo.js';

const scrape = (directory?: string) =>
  collect(['textfile'], directory === undefined ? [] : ['--collector.textfile.directory', directory], [textfileCollector]);

const mtimeOf = (file: string): number => Math.floor(statSync(file).mtimeMs / 1000);

function tempDir(t: ExecutionContext): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'textfile-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** One textfile collector scraped several times, as the exporter does, each scrape timed. */
function scraper(t: ExecutionContext, argv: string[], deadlineMs = 5000, factory = textfileCollector) {
  const logs: string[] = [];
  const log = createLogger('debug', 'logfmt', (l) => logs.push(l));
  const flags = parseFlags(allFlags([factory]), argv);
  const collector = factory.create(testContext({ paths: new HostPaths('/proc', '/sys', '/'), flags, log }));
  t.teardown(() => collector.close?.());
  const node = new NodeCollector(new Map([['textfile', collector]]), log);
  return {
    logs,
    async scrape(): Promise<{ text: string; ms: number }> {
      const start = performance.now();
      const text = writeText(await node.collect(deadlineMs));
      return { text, ms: performance.now() - start };
    },
  };
}

test('without a directory only node_textfile_scrape_error 0 is served', async (t) => {
  const r = await scrape();
  t.is(r.success['textfile'], 1);
  t.is(valueOf(r.text, 'node_textfile_scrape_error'), 0);
  t.regex(
    r.text,
    /# HELP node_textfile_scrape_error 1 if there was an error opening or reading a file, 0 otherwise\n# TYPE node_textfile_scrape_error gauge\n/,
  );
  t.false(r.text.includes('node_textfile_mtime_seconds'));
});

test('the .prom files of the directory are served, merged, with their mtimes', async (t) => {
  const dir = fixture('textfile', 'good');
  const r = await scrape(dir);
  t.is(r.success['textfile'], 1);
  t.is(valueOf(r.text, 'node_textfile_scrape_error'), 0);
  const families = byName(parseExposition(r.text));

  const requests = families.get('app_requests_total');
  t.is(requests?.type, 'counter');
  t.is(requests?.help, 'Requests served, by path.\nSecond line with a backslash: \\.');
  t.deepEqual(
    requests?.samples.map((s) => [s.labels, s.value]),
    [
      [{ method: 'GET', path: '/' }, 1027],
      [{ method: 'GET', path: '/more' }, 5],
      [{ method: 'POST', path: '/say "hi"' }, 3],
      [{ method: 'PUT', path: 'C:\\temp\nnext' }, 2],
    ],
  );
  t.regex(r.text, /app_requests_total\{method="PUT",path="C:\\\\temp\\nnext"\} 2\n/);

  const temperature = families.get('app_temperature_celsius');
  t.is(temperature?.type, 'gauge');
  t.is(temperature?.help, `Metric read from ${path.join(dir, 'app.prom')}`);
  t.regex(r.text, /app_temperature_celsius\{room="cellar"\} NaN\n/);
  t.regex(r.text, /app_temperature_celsius\{room="roof"\} \+Inf\n/);
  t.regex(r.text, /app_temperature_celsius\{room="freezer"\} -Inf\n/);
  t.regex(r.text, /app_temperature_celsius\{room="lab"\} -0\.35\n/);
  t.is(valueOf(r.text, 'app_temperature_celsius{room="hall"}'), 21);

  // A family without HELP in two files: one help naming both, series with each file's labels.
  const untyped = families.get('app_untyped_without_help');
  t.is(untyped?.type, 'untyped');
  t.is(untyped?.help, `Metric read from ${path.join(dir, 'app.prom')}, ${path.join(dir, 'more.prom')}`);
  t.deepEqual(untyped?.samples.map((s) => [s.labels, s.value]), [[{}, 42], [{ instance_id: 'b' }, 7]]);

  // Histogram: buckets sorted, +Inf added where the file has none, then _sum and _count.
  const latency = families.get('app_latency_seconds');
  t.is(latency?.type, 'histogram');
  t.deepEqual(
    latency?.samples.map((s) => [s.name, s.labels, s.value]),
    [
      ['app_latency_seconds_bucket', { le: '0.1', path: '/' }, 4],
      ['app_latency_seconds_bucket', { le: '0.5', path: '/' }, 10],
      ['app_latency_seconds_bucket', { le: '+Inf', path: '/' }, 12],
      ['app_latency_seconds_sum', { path: '/' }, 3.25],
      ['app_latency_seconds_count', { path: '/' }, 12],
      ['app_latency_seconds_bucket', { le: '1', path: '/api' }, 1],
      ['app_latency_seconds_bucket', { le: '+Inf', path: '/api' }, 2],
      ['app_latency_seconds_sum', { path: '/api' }, 0],
      ['app_latency_seconds_count', { path: '/api' }, 2],
    ],
  );
  const job = families.get('app_job_seconds');
  t.is(job?.type, 'summary');
  t.deepEqual(
    job?.samples.map((s) => [s.name, s.labels, s.value]),
    [
      ['app_job_seconds', { quantile: '0.5' }, 2.5],
      ['app_job_seconds', { quantile: '0.99' }, 8],
      ['app_job_seconds_sum', {}, 120],
      ['app_job_seconds_count', {}, 40],
    ],
  );

  t.false(r.text.includes('not_read'));
  for (const file of ['app.prom', 'more.prom']) {
    const full = path.join(dir, file);
    t.is(valueOf(r.text, `node_textfile_mtime_seconds{file="${full}"}`), mtimeOf(full));
  }
  t.regex(r.text, /# HELP node_textfile_mtime_seconds Unixtime mtime of textfiles successfully read.\n/);
});

test('missing labels within a file are filled with "" (node_exporter does)', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'textfile-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, 'x.prom'), 'm{x="1"} 1\nm{y="2"} 2\n');
  const r = await scrape(dir);
  t.is(valueOf(r.text, 'm{x="1",y=""}'), 1);
  t.is(valueOf(r.text, 'm{x="",y="2"}'), 2);
});

test('malformed, timestamped and unreadable files are skipped and set the error gauge', async (t) => {
  const dir = fixture('textfile', 'malformed');
  const r = await scrape(dir);
  t.is(r.success['textfile'], 1);
  t.is(valueOf(r.text, 'node_textfile_scrape_error'), 1);
  t.is(valueOf(r.text, 'ok_metric'), 1);
  const skipped = ['bad_metric', 'stamped_metric', 'unterminated_metric', 'trailing_blank_metric', 'dup_type', 'reserved_label'];
  for (const name of [...skipped, 'invalid_utf8', 'inside_directory']) {
    t.false(r.text.includes(name), name);
  }
  const mtimes = r.text.split('\n').filter((l) => l.startsWith('node_textfile_mtime_seconds{'));
  t.deepEqual(mtimes, [`node_textfile_mtime_seconds{file="${path.join(dir, 'a-good.prom')}"} ${r.text.match(/a-good\.prom"\} (\S+)/)?.[1]}`]);
  const errors = r.logs.filter((l) => l.includes('failed to collect textfile data'));
  t.is(errors.length, 8);
  t.true(errors.some((l) => l.includes('directory.prom') && l.includes('EISDIR')));
  t.true(errors.some((l) => l.includes('has-timestamp.prom') && l.includes('contains unsupported client-side timestamps, skipping entire file')));
  t.true(errors.some((l) => l.includes('no-final-newline.prom') && l.includes('unexpected end of input stream')));
});

test('a missing directory sets the error gauge; the collector still succeeds', async (t) => {
  const r = await scrape(fixture('textfile', 'does-not-exist'));
  t.is(r.success['textfile'], 1);
  t.is(valueOf(r.text, 'node_textfile_scrape_error'), 1);
  t.true(r.logs.some((l) => l.includes('failed to read textfile collector directory')));
});

test('across files the first help and type win; a second HELP is a scrape error, repeated series are dropped', async (t) => {
  const dir = fixture('textfile', 'conflict');
  const r = await scrape(dir);
  t.is(valueOf(r.text, 'node_textfile_scrape_error'), 1);
  const families = byName(parseExposition(r.text));
  t.is(families.get('shared_metric')?.help, 'First help.');
  t.deepEqual(families.get('shared_metric')?.samples.map((s) => s.labels), [{ file: 'a' }]);
  t.is(families.get('typed_metric')?.type, 'gauge');
  t.deepEqual(families.get('typed_metric')?.samples.map((s) => s.labels), [{ file: 'a' }]);
  t.deepEqual(
    families.get('duplicated_series')?.samples.map((s) => [s.labels, s.value]),
    [
      [{ x: '1' }, 1],
      [{ x: '2' }, 2],
    ],
  );
  t.true(r.logs.some((l) => l.includes('inconsistent metric help text')));
  // Both files were read, so both have an mtime.
  t.truthy(valueOf(r.text, `node_textfile_mtime_seconds{file="${path.join(dir, 'b.prom')}"}`));
});

test('the directory flag is a Go glob', async (t) => {
  const base = fixture('textfile', 'glob');
  const r = await scrape(path.join(base, 'dir*'));
  t.is(valueOf(r.text, 'node_textfile_scrape_error'), 0);
  t.is(valueOf(r.text, 'glob_one'), 1);
  t.is(valueOf(r.text, 'glob_two'), 2);
  t.false(r.text.includes('glob_other'));
  t.is(valueOf(r.text, `node_textfile_mtime_seconds{file="${path.join(base, 'dir2', 'two.prom')}"}`), mtimeOf(path.join(base, 'dir2', 'two.prom')));
  const classes = await scrape(path.join(base, '[d-e]ir[^1]'));
  t.is(valueOf(classes.text, 'glob_two'), 2);
  t.false(classes.text.includes('glob_one'));
  const all = await scrape(path.join(base.replace(/glob$/, 'gl?b'), '*'));
  t.is(valueOf(all.text, 'glob_other'), 3);
  // A bad pattern is taken as a directory name, which does not exist.
  const bad = await scrape(path.join(base, '[dir'));
  t.is(valueOf(bad.text, 'node_textfile_scrape_error'), 1);
});

test('a FIFO and a symlink to /dev/zero are skipped at once with an error; the other files are served, scrape after scrape', async (t) => {
  const dir = tempDir(t);
  writeFileSync(path.join(dir, 'a.prom'), 'good_metric 1\n');
  // A read that waited for a writer would wait 8 s, past the 5 s deadline.
  fifoWithLateWriter(t, path.join(dir, 'x.prom'), 8000);
  symlinkSync('/dev/zero', path.join(dir, 'zero.prom'));
  const s = scraper(t, ['--collector.textfile.directory', dir]);
  const rssBefore = process.memoryUsage().rss;
  // More scrapes than libuv has threads: a read holding a thread each time would starve the pool.
  for (let i = 0; i < 6; i++) {
    const { text, ms } = await s.scrape();
    // The deadline is 5 s, and a read waiting for the FIFO's writer would take 8 s.
    t.true(ms < 3000, `scrape ${i + 1} took ${ms} ms`);
    t.is(valueOf(text, 'node_scrape_collector_success{collector="textfile"}'), 1, `scrape ${i + 1}`);
    t.is(valueOf(text, 'node_textfile_scrape_error'), 1);
    t.is(valueOf(text, 'good_metric'), 1);
    const mtimes = text.split('\n').filter((l) => l.startsWith('node_textfile_mtime_seconds{'));
    t.is(mtimes.length, 1, 'only the file that was read has an mtime');
    t.is(valueOf(text, `node_textfile_mtime_seconds{file="${path.join(dir, 'a.prom')}"}`), mtimeOf(path.join(dir, 'a.prom')));
  }
  const grownMb = (process.memoryUsage().rss - rssBefore) / 2 ** 20;
  t.true(grownMb < 100, `resident memory grew by ${grownMb.toFixed(0)} MB`);
  const errors = s.logs.filter((l) => l.includes('failed to collect textfile data'));
  t.is(errors.length, 12, errors.join('\n'));
  t.true(errors.some((l) => l.includes('file=x.prom') && l.includes('not a regular file (FIFO)')));
  t.true(errors.some((l) => l.includes('file=zero.prom') && l.includes('not a regular file (character device)')));
});

test('a file over the per-file limit, and files past the per-scrape limit, are skipped with an error', async (t) => {
  const dir = tempDir(t);
  writeFileSync(path.join(dir, 'a.prom'), 'first_metric 1\n'); // 15 bytes
  writeFileSync(path.join(dir, 'b.prom'), `big_metric{pad="${'x'.repeat(100)}"} 2\n`);
  writeFileSync(path.join(dir, 'c.prom'), 'third_metric 3\n'); // 15 bytes
  writeFileSync(path.join(dir, 'd.prom'), 'fourth_metric 4\n'); // 16 bytes
  const perFile = scraper(t, ['--collector.textfile.directory', dir], 5000, textfileCollectorWith({ maxFileBytes: 100, maxScrapeBytes: 1000 }));
  const one = await perFile.scrape();
  t.is(valueOf(one.text, 'node_textfile_scrape_error'), 1);
  t.deepEqual([valueOf(one.text, 'first_metric'), valueOf(one.text, 'third_metric'), valueOf(one.text, 'fourth_metric')], [1, 3, 4]);
  t.false(one.text.includes('big_metric'));
  t.true(perFile.logs.some((l) => l.includes('file=b.prom') && l.includes('EFBIG: larger than the limit of 100 bytes')));

  // 15 + 15 bytes fit in 40 (b.prom is still refused for its own size); d.prom would pass 40.
  const perScrape = scraper(t, ['--collector.textfile.directory', dir], 5000, textfileCollectorWith({ maxFileBytes: 100, maxScrapeBytes: 40 }));
  const two = await perScrape.scrape();
  t.is(valueOf(two.text, 'node_textfile_scrape_error'), 1);
  t.deepEqual([valueOf(two.text, 'first_metric'), valueOf(two.text, 'third_metric')], [1, 3]);
  t.false(two.text.includes('fourth_metric'));
  t.true(perScrape.logs.some((l) => l.includes('file=d.prom') && l.includes('reached the total limit of 40 bytes')), perScrape.logs.join('\n'));
  t.falsy(valueOf(two.text, `node_textfile_mtime_seconds{file="${path.join(dir, 'd.prom')}"}`));
});

// Serial: writing 5,000 files holds the event loop, which would slow the other tests' scrapes.
test.serial('5,000 small files are read without a trip through libuv\'s thread pool per file, in well under the old 3 s', async (t) => {
  const dir = tempDir(t);
  for (let i = 0; i < 5000; i++) writeFileSync(path.join(dir, `job${i}.prom`), `# TYPE job_last_success_${i} gauge\njob_last_success_${i}{job="j${i}"} 1.7e9\n`);
  const s = scraper(t, ['--collector.textfile.directory', dir], 20_000);
  await s.scrape(); // The worker thread starts.
  const timings: number[] = [];
  for (let i = 0; i < 3; i++) {
    const { text, ms } = await s.scrape();
    timings.push(ms);
    t.is(valueOf(text, 'job_last_success_4999{job="j4999"}'), 1.7e9);
    t.is(valueOf(text, 'node_textfile_scrape_error'), 0);
  }
  let poolRequests = 0;
  const hook = createHook({
    init(_id, type) {
      if (type.startsWith('FSREQ')) poolRequests++;
    },
  });
  hook.enable();
  try {
    await s.scrape();
  } finally {
    hook.disable();
  }
  t.true(poolRequests < 10, `${poolRequests} thread-pool requests for one scrape`);
  const best = Math.min(...timings);
  t.log(`scrapes of 5,000 files: ${timings.map((ms) => ms.toFixed(0)).join(', ')} ms`);
  t.true(best < 1500, `the fastest of three scrapes took ${best} ms`);
});
