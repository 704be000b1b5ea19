#!/usr/bin/env node
// @ts-check
/**
 * The Compose demo without Docker: the sample server, sidecar-exporter beside it (inside the
 * server's PID namespace when run as root, which is what sharing it in Compose does), and a
 * real Prometheus scraping both every second, all on loopback. It measures a quiet baseline,
 * runs a load burst at the server's CPU-cost endpoint, asks Prometheus for
 *
 *   sum(rate(node_cpu_seconds_total{mode!="idle"}[10s]))
 *
 * over the run, prints a text chart with the baseline and peak, writes the chart as SVG, and
 * exits 1 if the peak under load is not clearly above the baseline.
 *
 *   npm ci && node loadtest/demo.mjs [--baseline 15] [--load 15] [--cooldown 8]
 *        [--concurrency 4] [--cpu-ms 20] [--min-rise 0.25] [--tool ab|node]
 *        [--svg FILE] [--json FILE] [--no-namespace]
 *
 * Needs: `prometheus` on PATH (Debian: prometheus) or PROMETHEUS=/path/to/prometheus, and ab
 * (apache2-utils) unless --tool node. Every wait has a deadline; every child is stopped on exit.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { ensureServerBuilt } from './build-server.mjs';
import { svgChart, textChart } from './chart.mjs';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const EXPORTER_MAIN = join(REPO, 'build/src/main.js');
const CPU_QUERY = 'sum(rate(node_cpu_seconds_total{mode!="idle"}[10s]))';
const SERVER_GROUP_QUERY = 'sum(rate(namedprocess_namegroup_cpu_seconds_total{groupname="server"}[10s]))';
/** The server's CPU as it reports it itself (prom-client's process metrics). */
const SERVER_SELF_QUERY = 'rate(process_cpu_seconds_total{job="server"}[10s])';

/** How many times a baseline with no room for a peak is measured before the demo goes on. */
const BASELINE_ATTEMPTS = 4;

class DemoError extends Error {}

/** @param {readonly string[]} argv */
function parseArgs(argv) {
  const opts = {
    baseline: 15,
    load: 15,
    cooldown: 8,
    concurrency: 4,
    cpuMs: 20,
    minRise: 0.25,
    tool: /** @type {'ab' | 'node'} */ (commandExists('ab') ? 'ab' : 'node'),
    svg: join(REPO, 'build/demo/cpu-peak.svg'),
    json: /** @type {string | undefined} */ (undefined),
    namespace: true,
  };
  /** @type {Record<string, ['baseline' | 'load' | 'cooldown' | 'concurrency' | 'cpuMs' | 'minRise', number, number]>} */
  const numeric = {
    '--baseline': ['baseline', 5, 120],
    '--load': ['load', 5, 120],
    '--cooldown': ['cooldown', 0, 60],
    '--concurrency': ['concurrency', 1, 64],
    '--cpu-ms': ['cpuMs', 1, 1000],
    '--min-rise': ['minRise', 0, 64],
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = /** @type {string} */ (argv[i]);
    const spec = numeric[arg];
    if (spec) {
      const [key, min, max] = spec;
      const value = Number(argv[++i]);
      if (!Number.isFinite(value) || value < min || value > max) throw new DemoError(`${arg} must be a number from ${min} to ${max}`);
      opts[key] = value;
    } else if (arg === '--tool') {
      const tool = argv[++i];
      if (tool !== 'ab' && tool !== 'node') throw new DemoError('--tool must be ab or node');
      opts.tool = tool;
    } else if (arg === '--svg' || arg === '--json') {
      const file = argv[++i];
      if (!file) throw new DemoError(`${arg} needs a file name`);
      opts[arg === '--svg' ? 'svg' : 'json'] = resolve(file);
    } else if (arg === '--no-namespace') {
      opts.namespace = false;
    } else {
      throw new DemoError(`unknown argument ${arg} (see the comment at the top of loadtest/demo.mjs)`);
    }
  }
  return opts;
}

/** @param {string} name */
function commandExists(name) {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

/** A free TCP port on 127.0.0.1 (the OS picks; the listener is closed at once). */
function freePort() {
  return /** @type {Promise<number>} */ (
    new Promise((resolvePort, reject) => {
      const srv = createServer();
      srv.once('error', reject);
      srv.listen(0, '127.0.0.1', () => {
        const addr = srv.address();
        srv.close(() => (addr && typeof addr === 'object' ? resolvePort(addr.port) : reject(new Error('no port'))));
      });
    })
  );
}

/**
 * Polls `probe` until it returns a value other than undefined, or fails after `ms`.
 * @template T
 * @param {string} what
 * @param {number} ms
 * @param {() => Promise<T | undefined> | T | undefined} probe
 * @returns {Promise<T>}
 */
async function waitFor(what, ms, probe) {
  const deadline = Date.now() + ms;
  for (let attempt = 0; Date.now() < deadline; attempt++) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch {
      // not yet
    }
    await sleep(Math.min(500, 50 * 2 ** attempt));
  }
  throw new DemoError(`timed out after ${ms / 1000} s waiting for ${what}`);
}

/** Children started by the demo, stopped in reverse order on the way out. */
class Children {
  constructor(/** @type {string} */ logDir) {
    this.logDir = logDir;
    /** @type {{ name: string, child: import('node:child_process').ChildProcess, signalPid?: () => number | undefined }[]} */
    this.list = [];
  }

  /**
   * @param {string} name
   * @param {string} command
   * @param {readonly string[]} args
   */
  start(name, command, args) {
    const log = createWriteStream(join(this.logDir, `${name}.log`));
    const child = spawn(command, args, { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.pipe(log, { end: false });
    child.stderr?.pipe(log, { end: false });
    child.once('error', (err) => log.write(`spawn failed: ${err.message}\n`));
    const entry = { name, child };
    this.list.push(entry);
    return entry;
  }

  /** @param {string} name */
  logTail(name) {
    try {
      return readFileSync(join(this.logDir, `${name}.log`), 'utf8').split('\n').slice(-15).join('\n');
    } catch {
      return '';
    }
  }

  async stopAll() {
    for (const { child, signalPid } of [...this.list].reverse()) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      const exited = new Promise((r) => child.once('exit', r));
      // The server under unshare is its namespace's PID 1: signal it directly (its exit then
      // ends everything else in the namespace, the exporter included).
      const inner = signalPid?.();
      try {
        if (inner) process.kill(inner, 'SIGTERM');
        child.kill('SIGTERM');
      } catch {
        // already gone
      }
      const stopped = await Promise.race([exited.then(() => true), sleep(5000).then(() => false)]);
      if (!stopped) {
        if (inner) safeKill(inner, 'SIGKILL');
        child.kill('SIGKILL');
        await Promise.race([exited, sleep(2000)]);
      }
    }
  }
}

/** @param {number} pid @param {NodeJS.Signals} signal */
function safeKill(pid, signal) {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/** The PID (as seen from here) of the only child of `pid`, or undefined while it has none. */
function onlyChildOf(/** @type {number} */ pid) {
  try {
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    return children.length === 1 ? Number(children[0]) : undefined;
  } catch {
    return undefined;
  }
}

/** The exporter's config for the demo: sidecar.yml's rules, with loopback targets. */
function exporterConfig(/** @type {number} */ serverPort) {
  return `# Generated by loadtest/demo.mjs (the Compose stack uses sidecar.yml)
process_names:
  - name: server
    cmdline: ['loadtest/server/main\\.js']
  - name: sidecar-exporter
    cmdline: ['build/src/main\\.js']
checks:
  - name: server-hello
    protocol: http
    target: http://127.0.0.1:${serverPort}/helloWorld
    interval: 2s
    timeout: 1s
  - name: loopback-ping
    protocol: icmp
    target: 127.0.0.1
    interval: 5s
    timeout: 2s
modules:
  http_2xx:
    prober: http
    timeout: 5s
`;
}

/** Prometheus' config for the demo: every second, both jobs, loopback only. */
function prometheusConfig(/** @type {number} */ exporterPort, /** @type {number} */ serverPort) {
  return `# Generated by loadtest/demo.mjs (the Compose stack uses prometheus.yml)
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: sidecar
    static_configs:
      - targets: ['127.0.0.1:${exporterPort}']
  - job_name: server
    static_configs:
      - targets: ['127.0.0.1:${serverPort}']
`;
}

/**
 * @param {string} base
 * @param {string} path
 * @param {Record<string, string | number>} params
 */
async function promApi(base, path, params) {
  const url = new URL(path, base);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, String(v));
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  const body = /** @type {{ status: string, error?: string, data: any }} */ (await res.json());
  if (body.status !== 'success') throw new DemoError(`Prometheus ${path}: ${body.error ?? res.status}`);
  return body.data;
}

/**
 * @param {string} base
 * @param {string} query
 * @param {number} start
 * @param {number} end
 * @returns {Promise<{ t: number, v: number }[]>}
 */
async function rangeQuery(base, query, start, end) {
  const data = await promApi(base, '/api/v1/query_range', { query, start, end, step: 1 });
  /** @type {[number, string][]} */
  const values = data.result[0]?.values ?? [];
  return values.map(([t, v]) => ({ t, v: Number(v) }));
}

/** @param {readonly number[]} xs */
function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? /** @type {number} */ (s[mid]) : (/** @type {number} */ (s[mid - 1]) + /** @type {number} */ (s[mid])) / 2;
}

/**
 * Baseline: median of the quiet phase. Peak: highest value while the load ran (plus two seconds,
 * as rate() trails). Clear: the peak is above the baseline by minRise CPUs and by half the
 * baseline, though never by more than half the CPUs the baseline left idle (a busy machine has
 * no room for more).
 * @param {readonly { t: number, v: number }[]} series
 * @param {{ baselineStart: number, loadStart: number, loadEnd: number }} times
 * @param {number} minRise
 * @param {number} cpus
 */
function judge(series, times, minRise, cpus) {
  const baselineValues = series.filter((s) => s.t >= times.baselineStart && s.t <= times.loadStart).map((s) => s.v);
  const loadValues = series.filter((s) => s.t > times.loadStart && s.t <= times.loadEnd + 2).map((s) => s.v);
  const baseline = median(baselineValues);
  const peak = loadValues.length ? Math.max(...loadValues) : NaN;
  const needed = Math.max(minRise, Math.min(baseline * 0.5, (cpus - baseline) * 0.5));
  const clear = Number.isFinite(baseline) && Number.isFinite(peak) && peak - baseline >= needed;
  return { baseline, peak, rise: peak - baseline, needed, clear, baselineSamples: baselineValues.length, loadSamples: loadValues.length };
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const prometheusBin = process.env.PROMETHEUS ?? 'prometheus';
  if (!process.env.PROMETHEUS && !commandExists('prometheus')) throw new DemoError('prometheus not found on PATH (Debian: apt-get install prometheus), or set PROMETHEUS=/path/to/prometheus');
  if (!existsSync(EXPORTER_MAIN)) throw new DemoError('build/src/main.js is missing: run `npm ci` (or `npx tsc`) at the repository root first');
  const serverMain = ensureServerBuilt();

  const isRoot = process.getuid?.() === 0;
  const useNamespace = opts.namespace && isRoot && commandExists('unshare') && commandExists('nsenter');
  const work = mkdtempSync(join(tmpdir(), 'sidecar-demo-'));
  const children = new Children(work);
  // Ctrl-C (or a test runner's SIGTERM) ends the current wait; `finally` then stops everyone.
  const interrupt = new AbortController();
  process.once('SIGINT', () => interrupt.abort());
  process.once('SIGTERM', () => interrupt.abort());
  const pause = (/** @type {number} */ ms) =>
    sleep(ms, undefined, { signal: interrupt.signal }).catch(() => {
      throw new DemoError('interrupted');
    });

  try {
    const [serverPort, exporterPort, promPort] = [await freePort(), await freePort(), await freePort()];
    const say = (/** @type {string} */ line) => process.stdout.write(`demo: ${line}\n`);

    // 1. The server, as PID 1 of a new PID namespace with its own /proc when we may.
    const serverArgs = [serverMain, '--listen', `127.0.0.1:${serverPort}`];
    const server = useNamespace
      ? children.start('server', 'unshare', ['--pid', '--fork', '--mount-proc', '--kill-child', process.execPath, ...serverArgs])
      : children.start('server', process.execPath, serverArgs);
    const serverPid = useNamespace
      ? await waitFor('the server process under unshare', 10_000, () => (server.child.pid ? onlyChildOf(server.child.pid) : undefined))
      : server.child.pid;
    if (useNamespace) Object.assign(server, { signalPid: () => serverPid });
    await waitFor(`the server on 127.0.0.1:${serverPort}`, 15_000, async () => ((await fetch(`http://127.0.0.1:${serverPort}/helloWorld`)).ok ? true : undefined));
    say(`server on 127.0.0.1:${serverPort} (pid ${serverPid}${useNamespace ? ', PID 1 of its own PID namespace' : ''})`);

    // 2. The exporter, inside the server's PID and mount namespaces (its /proc shows only them).
    const configFile = join(work, 'sidecar.yml');
    writeFileSync(configFile, exporterConfig(serverPort));
    const exporterArgs = [EXPORTER_MAIN, `--web.listen-address=127.0.0.1:${exporterPort}`, `--config.file=${configFile}`];
    const exporter = useNamespace
      ? children.start('exporter', 'nsenter', [`--target=${serverPid}`, '--pid', '--mount', process.execPath, ...exporterArgs])
      : children.start('exporter', process.execPath, exporterArgs);
    await waitFor(`the exporter on 127.0.0.1:${exporterPort}`, 20_000, async () => {
      if (exporter.child.exitCode !== null) throw new DemoError(`the exporter exited with status ${exporter.child.exitCode}:\n${children.logTail('exporter')}`);
      return (await fetch(`http://127.0.0.1:${exporterPort}/-/ready`)).ok ? true : undefined;
    }).catch((err) => {
      throw err instanceof DemoError && err.message.startsWith('the exporter exited') ? err : new DemoError(`${err.message}\n${children.logTail('exporter')}`);
    });
    say(`sidecar-exporter on 127.0.0.1:${exporterPort}${useNamespace ? ` (nsenter --target ${serverPid} --pid --mount)` : ''}`);

    // 3. Prometheus, scraping both every second.
    const promConfig = join(work, 'prometheus.yml');
    writeFileSync(promConfig, prometheusConfig(exporterPort, serverPort));
    const promBase = `http://127.0.0.1:${promPort}`;
    children.start('prometheus', prometheusBin, [
      `--config.file=${promConfig}`,
      `--storage.tsdb.path=${join(work, 'data')}`,
      `--web.listen-address=127.0.0.1:${promPort}`,
      '--log.level=warn',
    ]);
    await waitFor(`Prometheus on ${promBase}`, 30_000, async () => ((await fetch(`${promBase}/-/ready`)).ok ? true : undefined)).catch((err) => {
      throw new DemoError(`${err.message}\n${children.logTail('prometheus')}`);
    });
    await waitFor('the first CPU rate from Prometheus', 30_000, async () => {
      const data = await promApi(promBase, '/api/v1/query', { query: CPU_QUERY });
      return data.result.length > 0 ? true : undefined;
    });
    say(`Prometheus on ${promBase}, scraping every 1 s`);

    // 4. Settle (the first rate windows hold everyone's start-up), then the quiet baseline.
    await pause(10_000);
    // A baseline with no room left for a peak (other work holding every CPU) proves nothing:
    // measure it again, a bounded number of times, before giving up on a quiet machine.
    const cpus = availableParallelism();
    let baselineStart = 0;
    for (let attempt = 1; attempt <= BASELINE_ATTEMPTS; attempt++) {
      baselineStart = Date.now() / 1000;
      say(`measuring a quiet baseline for ${opts.baseline} s`);
      await pause(opts.baseline * 1000);
      const quiet = median((await rangeQuery(promBase, CPU_QUERY, Math.floor(baselineStart), Math.ceil(Date.now() / 1000))).map((s) => s.v));
      if (!(quiet > cpus - 2 * opts.minRise) || attempt === BASELINE_ATTEMPTS) break;
      say(`the machine is busy (${quiet.toFixed(2)} of ${cpus} CPUs in use before any load); measuring again (${attempt}/${BASELINE_ATTEMPTS - 1})`);
    }

    // 5. The load burst at the CPU-cost endpoint.
    const target = `http://127.0.0.1:${serverPort}/cpu?ms=${opts.cpuMs}`;
    const loadStart = Date.now() / 1000;
    say(`load: ${opts.tool === 'ab' ? 'loadtest/ab.sh' : 'loadtest/load.mjs'} -c ${opts.concurrency} -t ${opts.load} ${target}`);
    const loadCmd = opts.tool === 'ab' ? ['bash', [join(REPO, 'loadtest/ab.sh')]] : [process.execPath, [join(REPO, 'loadtest/load.mjs')]];
    const load = spawnSync(/** @type {string} */ (loadCmd[0]), [.../** @type {string[]} */ (loadCmd[1]), '-c', String(opts.concurrency), '-t', String(opts.load), target], {
      encoding: 'utf8',
      timeout: (opts.load + 30) * 1000,
    });
    const loadEnd = Date.now() / 1000;
    if (load.status !== 0) throw new DemoError(`the load run failed (status ${load.status}):\n${load.stdout}${load.stderr}`);
    process.stdout.write(load.stdout.replace(/^(?=.)/gm, '  '));

    say(`cool-down for ${opts.cooldown} s`);
    await pause(opts.cooldown * 1000);
    const end = Date.now() / 1000;

    // 6. Ask Prometheus for the series over the run, and judge it.
    const series = await rangeQuery(promBase, CPU_QUERY, Math.ceil(baselineStart), Math.floor(end));
    const serverGroup = await rangeQuery(promBase, SERVER_GROUP_QUERY, Math.ceil(baselineStart), Math.floor(end)).catch(() => []);
    const serverSelf = await rangeQuery(promBase, SERVER_SELF_QUERY, Math.ceil(baselineStart), Math.floor(end)).catch(() => []);
    // Only the load calls /cpu, so the counter's last value is the number of requests it made.
    const served = await promApi(promBase, '/api/v1/query', { query: 'sum(http_requests_total{job="server",route="/cpu"})' });
    const verdict = judge(series, { baselineStart, loadStart, loadEnd }, opts.minRise, cpus);
    const phases = [
      { name: 'baseline', start: baselineStart, end: loadStart },
      { name: 'load', start: loadStart, end: loadEnd },
      { name: 'cool-down', start: loadEnd, end },
    ];

    process.stdout.write(`\n${CPU_QUERY}  (CPUs busy, host-wide)\n`);
    process.stdout.write(`${textChart(series, phases)}\n\n`);
    const f = (/** @type {number} */ v) => v.toFixed(3);
    process.stdout.write(`baseline (median, quiet)   ${f(verdict.baseline)} CPUs  (${verdict.baselineSamples} samples)\n`);
    process.stdout.write(`peak (max, under load)     ${f(verdict.peak)} CPUs  (${verdict.loadSamples} samples)\n`);
    process.stdout.write(`rise                       ${f(verdict.rise)} CPUs  (needed ${f(verdict.needed)})\n`);
    if (serverGroup.length) {
      process.stdout.write(`server process group peak  ${f(Math.max(...serverGroup.map((s) => s.v)))} CPUs  (${SERVER_GROUP_QUERY})\n`);
    }
    if (serverSelf.length) {
      process.stdout.write(`server's own CPU peak      ${f(Math.max(...serverSelf.map((s) => s.v)))} CPUs  (${SERVER_SELF_QUERY})\n`);
    }
    const servedCount = Number(served.result[0]?.value?.[1] ?? NaN);
    process.stdout.write(`/cpu requests the server counted (its own /metrics): ${Number.isFinite(servedCount) ? Math.round(servedCount) : 'none'}\n`);

    const subtitle = `baseline ${f(verdict.baseline)} → peak ${f(verdict.peak)} CPUs; ${opts.tool} -c ${opts.concurrency} on /cpu?ms=${opts.cpuMs}; Prometheus scraping every 1 s`;
    const svg = svgChart(
      [
        { label: `host (sidecar-exporter): ${CPU_QUERY}`, samples: series },
        ...(serverGroup.length ? [{ label: 'server process group (sidecar-exporter): namedprocess_namegroup_cpu_seconds_total', samples: serverGroup }] : []),
        ...(serverSelf.length ? [{ label: "server's own /metrics: process_cpu_seconds_total", samples: serverSelf }] : []),
      ],
      phases,
      { title: 'CPU peak under load, as Prometheus saw it', subtitle, yLabel: 'CPUs busy', markers: [{ label: 'baseline', value: verdict.baseline }] },
    );
    mkdirSync(dirname(opts.svg), { recursive: true });
    writeFileSync(opts.svg, svg);
    process.stdout.write(`chart written to ${opts.svg}\n`);
    if (opts.json) {
      writeFileSync(
        opts.json,
        `${JSON.stringify({ query: CPU_QUERY, namespace: useNamespace, tool: opts.tool, ...verdict, series, serverGroup, serverSelf, servedCount, phases, loadSummary: load.stdout }, null, 2)}\n`,
      );
    }
    if (!verdict.clear) {
      process.stdout.write(`FAIL: the peak under load is not clearly above the baseline (rise ${f(verdict.rise)} < ${f(verdict.needed)} CPUs)\n`);
      return 1;
    }
    process.stdout.write('OK: the load shows as a clear CPU peak\n');
    return 0;
  } finally {
    await children.stopAll();
    rmSync(work, { recursive: true, force: true });
  }
}

try {
  process.exitCode = await main();
} catch (err) {
  process.stderr.write(`demo: ${err instanceof DemoError ? err.message : err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = err instanceof DemoError ? 1 : 3;
}
