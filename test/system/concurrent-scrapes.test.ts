/**
 * Many scrapes at once against the real process on the live /proc: every answer is complete
 * (or, over --web.max-requests, node_exporter's 503), and the process survives.
 */
import http from 'node:http';
import test, { type ExecutionContext } from 'ava';
import { type ExporterProcess, type HttpResponse, registeredCollectors, startExporter } from '../helpers/exporters.js';
import { byName, parseExposition } from '../helpers/exposition-parse.js';

const defaultCollectors = registeredCollectors()
  .filter((c) => c.defaultEnabled)
  .map((c) => c.name);

/** Fires `count` GET /metrics at once, each on its own connection. */
async function concurrentScrapes(exporter: ExporterProcess, count: number): Promise<HttpResponse[]> {
  const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
  try {
    return await Promise.all(Array.from({ length: count }, () => exporter.get('/metrics', { agent, timeoutMs: 60_000 })));
  } finally {
    agent.destroy();
  }
}

/** A 200 whose body parses to the end and reports node_scrape_collector_success for each collector. */
function assertCompleteScrape(t: ExecutionContext, res: HttpResponse, index: number): void {
  t.is(res.status, 200, `scrape ${index}: ${res.text.slice(0, 200)}`);
  t.true(res.text.endsWith('\n'), `scrape ${index} does not end with a newline`);
  const families = byName(parseExposition(res.text));
  const success = families.get('node_scrape_collector_success');
  const reported = new Set(success?.samples.map((s) => s.labels['collector']));
  const missing = defaultCollectors.filter((n) => !reported.has(n));
  t.deepEqual(missing, [], `scrape ${index} lacks node_scrape_collector_success for some collectors`);
}

async function assertStillServing(t: ExecutionContext, exporter: ExporterProcess): Promise<void> {
  const health = await exporter.get('/-/healthy');
  t.is(health.status, 200);
  t.true(exporter.alive, `the exporter exited; output:\n${exporter.output}`);
}

test('100 concurrent scrapes with --web.max-requests=100 all get a complete answer', async (t) => {
  const exporter = await startExporter('ours', ['--web.max-requests=100']);
  try {
    const answers = await concurrentScrapes(exporter, 100);
    t.is(answers.length, 100);
    answers.forEach((res, i) => assertCompleteScrape(t, res, i));
    await assertStillServing(t, exporter);
  } finally {
    await exporter.stop();
  }
});

test('over --web.max-requests=1, concurrent scrapes get a complete 200 or node_exporter\'s 503', async (t) => {
  const exporter = await startExporter('ours', ['--web.max-requests=1']);
  try {
    const answers = await concurrentScrapes(exporter, 50);
    let ok = 0;
    let limited = 0;
    answers.forEach((res, i) => {
      if (res.status === 503) {
        limited++;
        t.is(res.text.replace(/\n$/, ''), 'Limit of concurrent requests reached (1), try again later.', `scrape ${i}`);
      } else {
        ok++;
        assertCompleteScrape(t, res, i);
      }
    });
    t.log(`${ok} answered 200, ${limited} answered 503`);
    t.true(ok >= 1, 'no scrape got through');
    await assertStillServing(t, exporter);
  } finally {
    await exporter.stop();
  }
});
