/**
 * The sample server (loadtest/server) and the two load generators (loadtest/ab.sh with
 * ApacheBench, loadtest/load.mjs with Node alone): the server's routes and its own /metrics,
 * the generators' summaries checked against the server's request counter, and their refusal of
 * any target that is not loopback or a Compose service. Traffic goes to 127.0.0.1 only.
 */
import test from 'ava';
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT, freePort, isExecutable, requireBinary, runWithInput } from '../helpers/exporters.js';

const AB_BIN = '/usr/bin/ab';
const AB_SH = path.join(REPO_ROOT, 'loadtest/ab.sh');
const LOAD_MJS = path.join(REPO_ROOT, 'loadtest/load.mjs');

interface Server {
  readonly child: ChildProcess;
  readonly base: string;
  output(): string;
}

let server: Server;

test.before(async () => {
  const built = await runWithInput(process.execPath, [path.join(REPO_ROOT, 'loadtest/build-server.mjs')], '', 180_000);
  if (built.code !== 0) throw new Error(`building the sample server failed:\n${built.stdout}${built.stderr}`);
  const child = spawn(process.execPath, [built.stdout.trim(), '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (output += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (output += c));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not start within 15 s:\n${output}`)), 15_000);
    const poll = setInterval(() => {
      const m = /listening on 127\.0\.0\.1:(\d+)/.exec(output);
      if (m) {
        clearInterval(poll);
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    }, 20);
    child.once('exit', (code) => {
      clearInterval(poll);
      clearTimeout(timer);
      reject(new Error(`the server exited with ${code}:\n${output}`));
    });
  });
  server = { child, base: `http://127.0.0.1:${port}`, output: () => output };
});

test.after.always(() => {
  server?.child.kill('SIGKILL');
});

/** The value of one series in the server's /metrics, 0 when absent. */
async function serverCount(series: string): Promise<number> {
  const text = await (await fetch(`${server.base}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

const CPU_OK = 'http_requests_total{method="GET",route="/cpu",status="200"}';

interface Summary {
  tool: string;
  complete: number;
  errors: number;
  failed: number;
  non2xx: number;
  throughput: number;
  latency: { p50: number; p90: number; p99: number; max: number };
}

/** Parses the summary both generators print (the same lines). */
function parseSummary(text: string): Summary {
  const field = (name: string) => new RegExp(`^${name} +(.*)$`, 'm').exec(text)?.[1] ?? '';
  const req = /^(\d+) complete, (\d+) errors \((\d+) failed, (\d+) non-2xx\)$/.exec(field('requests'));
  const lat = /^p50 (\d+) {2}p90 (\d+) {2}p99 (\d+) {2}max (\d+)$/.exec(field('latency ms'));
  if (!req || !lat) throw new Error(`not a load summary:\n${text}`);
  const n = (m: RegExpExecArray, i: number) => Number(m[i]);
  return {
    tool: field('tool'),
    complete: n(req, 1),
    errors: n(req, 2),
    failed: n(req, 3),
    non2xx: n(req, 4),
    throughput: Number(/^([\d.]+) requests\/s$/.exec(field('throughput'))?.[1]),
    latency: { p50: n(lat, 1), p90: n(lat, 2), p99: n(lat, 3), max: n(lat, 4) },
  };
}

const runAb = (args: readonly string[]) => runWithInput('bash', [AB_SH, ...args], '', 60_000);
const runLoad = (args: readonly string[]) => runWithInput(process.execPath, [LOAD_MJS, ...args], '', 60_000);

// ---- the sample server ----

test.serial('server: GET /helloWorld answers {"message":"Hello World!"}', async (t) => {
  const res = await fetch(`${server.base}/helloWorld`);
  t.is(res.status, 200);
  t.regex(res.headers.get('content-type') ?? '', /^application\/json/);
  t.is(await res.text(), '{"message":"Hello World!"}');
});

test.serial('server: /cpu?ms= burns that much time per request, within bounds', async (t) => {
  const start = performance.now();
  const res = await fetch(`${server.base}/cpu?ms=60`);
  t.true(performance.now() - start >= 60);
  t.deepEqual(await res.json(), { ms: 60 });
  t.true(Number(res.headers.get('x-cpu-rounds')) > 0);
  for (const bad of ['abc', '1001', '-1', '1.5', '']) {
    const r = await fetch(`${server.base}/cpu?ms=${bad}`);
    t.is(r.status, 400, `ms=${bad}`);
    t.deepEqual(await r.json(), { error: 'ms must be a whole number from 0 to 1000' });
  }
  t.deepEqual(await (await fetch(`${server.base}/cpu`)).json(), { ms: 20 });
});

test.serial('server: /metrics counts requests by method, route template and status, with latency histograms', async (t) => {
  const before400 = await serverCount('http_requests_total{method="GET",route="/cpu",status="400"}');
  const beforeUnmatched = await serverCount('http_requests_total{method="GET",route="unmatched",status="404"}');
  await fetch(`${server.base}/cpu?ms=nope`);
  await fetch(`${server.base}/cpu?ms=nope2`);
  t.is((await fetch(`${server.base}/no/such/page/123`)).status, 404);
  t.is(await serverCount('http_requests_total{method="GET",route="/cpu",status="400"}'), before400 + 2);
  t.is(await serverCount('http_requests_total{method="GET",route="unmatched",status="404"}'), beforeUnmatched + 1, 'raw paths never become labels');
  const text = await (await fetch(`${server.base}/metrics`)).text();
  t.regex(text, /^# TYPE http_request_duration_seconds histogram$/m);
  t.regex(text, /^http_request_duration_seconds_bucket\{le="0\.025",method="GET",route="\/cpu",status="400"\} \d+$/m);
  t.regex(text, /^process_cpu_seconds_total /m, 'prom-client default metrics');
});

test.serial('server: POST /alerts takes Alertmanager webhooks, logs and counts each alert', async (t) => {
  const before = await serverCount('alert_notifications_received_total{status="firing"}');
  const res = await fetch(`${server.base}/alerts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      version: '4',
      status: 'firing',
      alerts: [
        { status: 'firing', labels: { alertname: 'HostHighCpu', instance: 'sidecar:9100' }, annotations: { summary: 'CPU of sidecar:9100 is 95% busy' } },
        { status: 'resolved', labels: { alertname: 'TargetDown' }, annotations: { summary: 'server target server:8080 is down' } },
      ],
    }),
  });
  t.is(res.status, 204);
  t.is(await serverCount('alert_notifications_received_total{status="firing"}'), before + 1);
  t.true((await serverCount('alert_notifications_received_total{status="resolved"}')) >= 1);
  t.regex(server.output(), /^alert firing HostHighCpu: CPU of sidecar:9100 is 95% busy$/m);
  t.regex(server.output(), /^alert resolved TargetDown: server target server:8080 is down$/m);
});

test.serial('server: exits 0 on SIGTERM', async (t) => {
  const main = path.join(REPO_ROOT, 'build/loadtest/server/main.js');
  const child = spawn(process.execPath, [main, '--listen', `127.0.0.1:${await freePort()}`], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r('timeout'), 5000))]);
  if (code === 'timeout') child.kill('SIGKILL');
  t.is(code, 0);
});

// ---- the load generators ----

test('ab.sh and load.mjs refuse targets that are not loopback or a Compose service, and out-of-range bounds', async (t) => {
  const refused = ['http://10.0.0.1/', 'http://192.168.1.1:8080/x', 'http://example.com/', 'http://127.0.0.1.example.com/', 'http://128.0.0.1/', 'http://127.0.0.256/', 'http://[::2]/', 'http://1.2.3.4/', 'ftp://127.0.0.1/'];
  const badBounds = [['-c', '0'], ['-c', '257'], ['-t', '301'], ['-t', 'x'], ['-n', '0'], ['-n', '1000001'], ['-c', '5', '-n', '4']];
  const runners: [string, (args: readonly string[]) => ReturnType<typeof runAb>][] = [['load.mjs', runLoad]];
  if (isExecutable(AB_BIN)) runners.push(['ab.sh', runAb]);
  for (const [name, runner] of runners) {
    for (const url of refused) {
      const r = await runner(['-t', '1', url]);
      t.is(r.code, 2, `${name} ${url}`);
      t.regex(r.stderr, /refusing target|not an http\(s\) URL/, `${name} ${url}`);
      t.is(r.stdout, '', `${name} ${url}: nothing ran`);
    }
    for (const args of badBounds) {
      const r = await runner([...args, `${server.base}/helloWorld`]);
      t.is(r.code, 2, `${name} ${args.join(' ')}`);
      t.regex(r.stderr, /must (be a whole number|not exceed)/, `${name} ${args.join(' ')}`);
    }
  }
});

for (const [name, runner, tool, extra] of [
  ['ab.sh', runAb, 'ab', []],
  ['load.mjs', runLoad, 'load.mjs', []],
  ['load.mjs -k (keep-alive)', runLoad, 'load.mjs', ['-k']],
] as const) {
  test.serial(`${name}: a bounded run at /cpu, with a summary that matches the server's own count`, async (t) => {
    if (tool === 'ab' && !requireBinary(t, AB_BIN, 'ab (Debian: apache2-utils)')) return;
    const before = await serverCount(CPU_OK);
    const r = await runner([...extra, '-c', '3', '-n', '90', '-t', '30', `${server.base}/cpu?ms=2`]);
    t.is(r.code, 0, r.stderr);
    const s = parseSummary(r.stdout);
    t.is(s.tool, tool);
    t.is(s.complete, 90);
    t.is(s.errors, 0);
    t.true(s.throughput > 0);
    t.true(s.latency.p50 >= 2 && s.latency.p50 <= s.latency.p90 && s.latency.p90 <= s.latency.p99 && s.latency.p99 <= s.latency.max, r.stdout);
    t.is(await serverCount(CPU_OK), before + 90, 'the server counted exactly the requests the summary reports');
    t.regex(r.stdout, /^concurrency +3$/m);
  });
}

for (const [name, runner] of [
  ['ab.sh', runAb],
  ['load.mjs', runLoad],
] as const) {
  test.serial(`${name}: non-2xx answers and refused connections are counted as errors`, async (t) => {
    if (runner === runAb && !requireBinary(t, AB_BIN, 'ab (Debian: apache2-utils)')) return;
    // Every request failing (404s, refused connections) is a failed run: exit 1 (see also below).
    const notFoundRun = await runner(['-c', '2', '-n', '20', '-t', '30', `${server.base}/nope`]);
    t.is(notFoundRun.code, 1, notFoundRun.stderr);
    t.like(parseSummary(notFoundRun.stdout), { complete: 20, errors: 20, failed: 0, non2xx: 20 });
    const closed = await runner(['-c', '1', '-n', '10', '-t', '5', `http://127.0.0.1:${await freePort()}/`]);
    t.is(closed.code, 1, closed.stderr);
    const refused = parseSummary(closed.stdout);
    t.true(refused.failed > 0 && refused.errors === refused.failed + refused.non2xx, closed.stdout);
  });
}

test('ab.sh stops at its time bound', async (t) => {
  if (!requireBinary(t, AB_BIN, 'ab (Debian: apache2-utils)')) return;
  const start = Date.now();
  const r = await runAb(['-c', '2', '-t', '2', `${server.base}/cpu?ms=5`]);
  t.is(r.code, 0, r.stderr);
  t.true(Date.now() - start < 15_000);
  const s = parseSummary(r.stdout);
  t.true(s.complete > 0 && s.complete < 100_000);
});

test('load.mjs stops at its time bound', async (t) => {
  const start = Date.now();
  const r = await runLoad(['-c', '2', '-t', '2', `${server.base}/cpu?ms=5`]);
  t.is(r.code, 0, r.stderr);
  t.true(Date.now() - start < 15_000);
  t.regex(r.stdout, /^duration +2\.\d+ s$/m);
});

test('with nothing listening, ab.sh and load.mjs report the failed requests as errors, not completed ones, and exit 1 with a hint', async (t) => {
  const closed = `http://127.0.0.1:${await freePort()}/cpu?ms=20`;
  const runs: [string, () => Promise<{ code: number | null; stdout: string; stderr: string }>][] = [['load.mjs', () => runLoad(['-c', '2', '-t', '2', closed])]];
  if (isExecutable(AB_BIN)) runs.push(['ab.sh', () => runAb(['-c', '2', '-t', '2', closed])]);
  else t.log(`ab.sh not run: ${AB_BIN} is not installed`);
  for (const [tool, run] of runs) {
    const r = await run();
    t.is(r.code, 1, `${tool}: ${r.stdout}${r.stderr}`);
    const s = parseSummary(r.stdout);
    t.is(s.complete, 0, `${tool}: no request completed`);
    t.regex(r.stdout, /^throughput +0\.00 requests\/s$/m, tool);
    t.regex(r.stderr, /most requests failed \(\d+ errors, 0 succeeded\): is the server running and listening at http:\/\/127\.0\.0\.1:\d+\/cpu\?ms=20\?/, tool);
  }
});
