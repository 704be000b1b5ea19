/**
 * The real process (build/src/main.js) at the edges of its life: textfiles that would block a
 * read (a FIFO, /dev/zero) never stall scrapes, health or shutdown; SIGTERM drains requests in
 * flight for up to 5 s, exits 0 when nothing had to be cut and 1 (saying what) when something
 * was; nothing at start-up waits silently (a FIFO as --config.file); every line written after
 * the flags are parsed follows --log.format.
 */
import net from 'node:net';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { valueOf } from '../helpers/collect.js';
import { type ExporterProcess, freePort, runToExit, startExporter } from '../helpers/exporters.js';
import { fifoWithLateWriter } from '../helpers/fifo.js';
import { waitFor } from '../helpers/wait.js';

const LOADAVG_ONLY = ['--collector.disable-defaults', '--collector.loadavg'];

function tempDir(t: ExecutionContext): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'shutdown-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function started(t: ExecutionContext, args: string[]): Promise<ExporterProcess> {
  const e = await startExporter('ours', args);
  t.teardown(() => e.stop().then(() => undefined));
  return e;
}

/** A loopback TCP server that accepts connections and never answers: a probe target that hangs. */
async function blackhole(t: ExecutionContext): Promise<{ port: number; connections: () => number }> {
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  const server = net.createServer((s) => {
    accepted++;
    sockets.add(s);
    s.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  return { port: (server.address() as net.AddressInfo).port, connections: () => accepted };
}

/**
 * An exporter with an http_2xx /probe module, probing a target that never answers (so the probe
 * answers after the scrape timeout less 0.5 s), sent SIGTERM once the probe has connected.
 */
async function sigtermDuringProbe(t: ExecutionContext, scrapeTimeout: string) {
  const config = path.join(tempDir(t), 'config.yml');
  writeFileSync(config, 'modules:\n  http_2xx:\n    prober: http\n    http:\n      preferred_ip_protocol: ip4\n');
  const e = await started(t, [...LOADAVG_ONLY, `--config.file=${config}`]);
  const target = await blackhole(t);
  const response = e
    .get(`/probe?module=http_2xx&target=${encodeURIComponent(`http://127.0.0.1:${target.port}/`)}`, {
      headers: { 'X-Prometheus-Scrape-Timeout-Seconds': scrapeTimeout },
      timeoutMs: 40_000,
    })
    .then(
      (res) => ({ status: res.status, text: res.text }),
      (err: NodeJS.ErrnoException) => ({ status: 0, text: err.code ?? err.message }),
    );
  await waitFor('the probe to connect to the target', () => target.connections() > 0);
  const start = performance.now();
  e.child.kill('SIGTERM');
  const exit = await e.waitExit(15_000);
  return { e, exit, ms: performance.now() - start, response };
}

function lines(output: string): string[] {
  return output.split('\n').filter((l) => l !== '');
}

test('SIGTERM lets a request in flight finish, then exits 0', async (t) => {
  const { e, exit, ms, response } = await sigtermDuringProbe(t, '2.5');
  const res = await response;
  t.is(res.status, 200, res.text);
  t.is(valueOf(res.text, 'probe_success'), 0);
  t.deepEqual(exit, { code: 0, signal: null }, e.output);
  t.true(ms < 5000, `exited ${ms} ms after SIGTERM`);
  t.regex(e.output, /msg="shutting down" signal=SIGTERM drain_timeout_seconds=5/);
  t.regex(e.output, /msg="shutdown complete"/);
  t.false(e.output.includes('cut'), e.output);
});

test('SIGTERM cuts a request still running after 5 s of drain, says which, and exits 1', async (t) => {
  const { e, exit, ms, response } = await sigtermDuringProbe(t, '30');
  t.deepEqual(exit, { code: 1, signal: null }, e.output);
  t.true(ms >= 4500 && ms < 9000, `exited ${ms} ms after SIGTERM`);
  const cut = lines(e.output).filter((l) => l.includes('shutdown cut requests still in flight'));
  t.is(cut.length, 1, e.output);
  t.regex(cut[0] ?? '', /level=ERROR .*drain_timeout_seconds=5 requests="GET \/probe \(running [45]\.\d+s\)"/);
  t.is((await response).status, 0, 'the client saw its connection closed');
});

test('textfiles that are a FIFO or a symlink to /dev/zero stall neither scrapes, health nor shutdown', async (t) => {
  const dir = tempDir(t);
  writeFileSync(path.join(dir, 'a.prom'), 'good_metric 1\n');
  fifoWithLateWriter(t, path.join(dir, 'x.prom'), 30_000);
  symlinkSync('/dev/zero', path.join(dir, 'zero.prom'));
  const e = await started(t, [...LOADAVG_ONLY, '--collector.textfile', `--collector.textfile.directory=${dir}`, '--scrape.collector-timeout=2s']);
  // More scrapes than libuv has threads: a read holding a thread each time would starve the pool.
  for (let i = 1; i <= 6; i++) {
    const start = performance.now();
    const text = await e.scrape('/metrics', { timeoutMs: 10_000 });
    const ms = performance.now() - start;
    t.true(ms < 1500, `scrape ${i} took ${ms} ms`);
    t.is(valueOf(text, 'good_metric'), 1, `scrape ${i}`);
    t.is(valueOf(text, 'node_textfile_scrape_error'), 1);
    t.is(valueOf(text, 'node_scrape_collector_success{collector="textfile"}'), 1);
    t.truthy(valueOf(text, 'process_resident_memory_bytes'));
  }
  t.truthy(valueOf(await e.scrape('/metrics?collect[]=loadavg'), 'node_load1'));
  t.is((await e.get('/-/healthy')).status, 200);
  t.is((await e.get('/-/ready')).status, 200);
  const start = performance.now();
  e.child.kill('SIGTERM');
  t.deepEqual(await e.waitExit(10_000), { code: 0, signal: null }, e.output);
  t.true(performance.now() - start < 3000);
  t.regex(e.output, /file=x\.prom err=".*not a regular file \(FIFO\)/);
  t.regex(e.output, /file=zero\.prom err=".*not a regular file \(character device\)/);
});

test('a FIFO given as --config.file is refused at once at start-up, naming it', async (t) => {
  const dir = tempDir(t);
  const fifo = path.join(dir, 'config.yml');
  fifoWithLateWriter(t, fifo, 30_000);
  const start = performance.now();
  const r = await runToExit('ours', [`--web.listen-address=127.0.0.1:${await freePort()}`, ...LOADAVG_ONLY, `--config.file=${fifo}`]);
  t.true(performance.now() - start < 5000);
  t.is(r.code, 2, r.stderr);
  const errors = lines(r.stderr).filter((l) => l.includes('level=ERROR'));
  t.deepEqual(errors.map((l) => l.replace(/^time=\S+ /, '')), [
    `level=ERROR msg="invalid config: ${fifo}: cannot read the config file: it is a named pipe (FIFO), not a regular file"`,
  ]);
  t.false(r.stderr.includes('Listening on'));
});

/** Every line of `output` parsed as JSON (failing the test for one that is not). */
function jsonLines(t: ExecutionContext, output: string): Record<string, unknown>[] {
  return lines(output).map((l) => {
    try {
      return JSON.parse(l) as Record<string, unknown>;
    } catch {
      t.fail(`not a JSON line: ${l}`);
      return {};
    }
  });
}

test('with --log.format=json every line is JSON: start-up errors, shutdown, and what the exporter logs meanwhile', async (t) => {
  const e = await started(t, [...LOADAVG_ONLY, '--log.format=json']);
  await e.scrape();
  e.child.kill('SIGTERM');
  t.deepEqual(await e.waitExit(10_000), { code: 0, signal: null });
  const records = jsonLines(t, e.stderr);
  t.deepEqual(records.map((r) => r['msg']), ['enabled collectors', 'Listening on', 'shutting down', 'shutdown complete']);
  t.like(records[2], { level: 'INFO', signal: 'SIGTERM', drain_timeout_seconds: 5 });

  const blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  t.teardown(() => blocker.close());
  const address = `127.0.0.1:${(blocker.address() as net.AddressInfo).port}`;
  const inUse = await runToExit('ours', [`--web.listen-address=${address}`, ...LOADAVG_ONLY, '--log.format=json']);
  t.is(inUse.code, 1);
  t.like(jsonLines(t, inUse.stderr).at(-1), { level: 'ERROR', msg: 'listen failed', address, err: 'address already in use' });

  const badValue = await runToExit('ours', ['--web.listen-address=nonsense', '--log.format=json']);
  t.is(badValue.code, 2);
  const [flagError] = jsonLines(t, badValue.stderr);
  t.like(flagError, { level: 'ERROR' });
  t.regex(String(flagError?.['msg']), /web\.listen-address/);
});
