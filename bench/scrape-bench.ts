/**
 * Scrape benchmark, four exporters side by side on the live /proc in one run: ours with all
 * default collectors, ours with node_exporter's set (the default collectors both have),
 * Debian's node_exporter with its defaults, and Debian's process-exporter grouping every
 * process with a command line by comm (what our process groups do without a config). Each is
 * scraped over one keep-alive connection, in rounds of equal turns, until it has served the
 * target number of scrapes. Prints latency p50/p99, CPU per scrape, RSS at scrape 1,000 and at
 * the target, the share of one core at a 1 s scrape interval, then the ratios against the
 * targets (PASS/FAIL); exits 1 if a target fails.
 *
 * `--soak=MINUTES` instead runs ours with all defaults for that long, scraped once a second
 * while short-lived processes under changing names start and exit, and prints RSS each minute.
 *
 * Run: npm run bench  (tsc, then node build/bench/scrape-bench.js)
 * Options (argument or environment variable):
 *   --scrapes=N       BENCH_SCRAPES      scrapes per exporter (default 2000)
 *   --round-ms=N      BENCH_ROUND_MS     duration of each exporter's turn in a round (default 1000)
 *   --max-seconds=N   BENCH_MAX_SECONDS  give up after this long (default 900)
 *   --soak=MINUTES    BENCH_SOAK         the soak mode above
 *   BENCH_EXTRA_ARGS   extra flags for our two runs, space-separated, for diagnosis
 *   BENCH_NODE_FLAGS   Node flags for our two runs instead of the launcher's (main.js's first line)
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import {
  type ExporterProcess,
  freePort,
  httpGet,
  OUR_NODE_FLAGS,
  isExecutable,
  NODE_EXPORTER_BIN,
  REPO_ROOT,
  nodeExporterCollectors,
  registeredCollectors,
  startExporter,
} from '../test/helpers/exporters.js';
import { onlyCollectorsArgs } from '../test/helpers/proc-copy.js';
import { positiveIntOption } from './options.js';

const PROCESS_EXPORTER_BIN = process.env['PROCESS_EXPORTER_BIN'] ?? '/usr/bin/prometheus-process-exporter';
/** Jiffies per second in /proc/<pid>/stat: Linux's USER_HZ, 100 on every mainstream architecture. */
const USER_HZ = 100;
const MB = 1024 * 1024;
/** The issue's targets. */
const RSS_LIMIT_MB = 72;
const RSS_GROWTH_LIMIT_MB = 3;

const SCRAPES = positiveIntOption('scrape-bench', 'scrapes', 'BENCH_SCRAPES', 2000);
const ROUND_MS = positiveIntOption('scrape-bench', 'round-ms', 'BENCH_ROUND_MS', 1000);
const MAX_SECONDS = positiveIntOption('scrape-bench', 'max-seconds', 'BENCH_MAX_SECONDS', 900);
const SOAK_MINUTES = process.argv.some((a) => a.startsWith('--soak=')) || process.env['BENCH_SOAK'] ? positiveIntOption('scrape-bench', 'soak', 'BENCH_SOAK', 30) : undefined;
/** The early RSS reading: scrape 1,000 (half the run when fewer than 2,000 are asked for). */
const CHECKPOINT = Math.max(1, Math.min(1000, Math.floor(SCRAPES / 2)));

interface Memory {
  readonly rss: number;
  readonly hwm: number;
}

/** A running exporter: its pid, its port, and how to stop it. */
interface Running {
  readonly pid: number;
  readonly port: number;
  stop(): Promise<unknown>;
}

/** utime + stime of a process, in CPU milliseconds. */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may contain spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of the whole line, so 12 and 13 after "pid (comm) ".
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / USER_HZ;
}

function memory(pid: number): Memory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string): number => {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB$`, 'm').exec(status);
    if (!m) throw new Error(`/proc/${pid}/status has no ${key}`);
    return Number(m[1]) * 1024;
  };
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

class Target {
  readonly agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  readonly latenciesMs: number[] = [];
  scrapes = 0;
  failures = 0;
  lastBodyBytes = 0;
  cpuAtStart = 0;
  cpuAtEnd = 0;
  atCheckpoint: Memory | undefined;
  atTarget: Memory | undefined;

  constructor(
    readonly label: string,
    readonly exporter: Running,
  ) {}

  get done(): boolean {
    return this.scrapes >= SCRAPES;
  }

  async scrapeOnce(): Promise<void> {
    const started = process.hrtime.bigint();
    const res = await httpGet(this.exporter.port, '/metrics', { agent: this.agent, timeoutMs: 10_000 });
    this.latenciesMs.push(Number(process.hrtime.bigint() - started) / 1e6);
    this.scrapes++;
    this.lastBodyBytes = res.body.length;
    if (res.status !== 200 || !res.text.endsWith('\n')) this.failures++;
    if (this.scrapes === CHECKPOINT) this.atCheckpoint = memory(this.exporter.pid);
    if (this.scrapes === SCRAPES) {
      this.atTarget = memory(this.exporter.pid);
      this.cpuAtEnd = cpuMs(this.exporter.pid);
    }
  }

  /** Scrapes back to back for `ms` milliseconds, or until the target number of scrapes. */
  async turn(ms: number): Promise<void> {
    const until = Date.now() + ms;
    while (Date.now() < until && !this.done) await this.scrapeOnce();
  }
}

/** process-exporter grouping every process with a command line by comm, as our process groups do without a config. */
async function startProcessExporter(dir: string): Promise<Running> {
  const config = path.join(dir, 'process-exporter.yml');
  writeFileSync(config, "process_names:\n  - name: '{{.Comm}}'\n    cmdline: ['.+']\n");
  const port = await freePort();
  const child: ChildProcess = spawn(PROCESS_EXPORTER_BIN, ['-procfs', '/proc', '-config.path', config, '-web.listen-address', `127.0.0.1:${port}`], {
    stdio: 'ignore',
  });
  const stop = async () => {
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode === null ? child.once('exit', r) : r(undefined)));
  };
  for (let i = 0; i < 100; i++) {
    try {
      await httpGet(port, '/metrics', { timeoutMs: 2000 });
      return { pid: child.pid as number, port, stop };
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  await stop();
  throw new Error('process-exporter did not answer within 10 s');
}

/**
 * VmRSS of a Node.js process that only imports `modules` and idles: the floor under any
 * exporter written for this runtime with these libraries, printed beside the target.
 */
function idleRss(modules: readonly string[]): number {
  const script =
    `await Promise.all(${JSON.stringify(modules)}.map((m) => import(m)));` +
    "await new Promise((r) => setTimeout(r, 500));" +
    "process.stdout.write(/VmRSS:\\s+(\\d+)/.exec((await import('node:fs')).readFileSync('/proc/self/status', 'utf8'))[1]);";
  const kb = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 30_000 });
  return (Number(kb) * 1024) / MB;
}

/**
 * VmRSS of the smallest exporter on this runtime: express serving prom-client's default metrics,
 * after `scrapes` scrapes over one keep-alive connection, started with `nodeFlags`. Idle RSS
 * hides what serving costs: each scrape's garbage grows V8's young generation to its limit.
 */
async function scrapedFloorRss(nodeFlags: readonly string[], scrapes: number): Promise<number> {
  const port = await freePort();
  const script =
    "import express from 'express'; import client from 'prom-client';" +
    'const registry = new client.Registry(); client.collectDefaultMetrics({ register: registry });' +
    "express().get('/metrics', async (_req, res) => { res.type('text/plain').send(await registry.metrics()); })" +
    `.listen(${port}, '127.0.0.1');`;
  const child = spawn(process.execPath, [...nodeFlags, '--input-type=module', '-e', script], { cwd: REPO_ROOT, stdio: 'ignore' });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    for (let i = 0; ; i++) {
      const ok = await httpGet(port, '/metrics', { timeoutMs: 1000 }).then(() => true, () => false);
      if (ok) break;
      if (i >= 100) throw new Error('the floor server did not answer within 10 s');
      await new Promise((r) => setTimeout(r, 100));
    }
    for (let i = 0; i < scrapes; i++) await httpGet(port, '/metrics', { agent, timeoutMs: 10_000 });
    return memory(child.pid as number).rss;
  } finally {
    agent.destroy();
    child.kill('SIGKILL');
  }
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

function fmt(n: number | undefined, digits = 2): string {
  return n === undefined || Number.isNaN(n) ? '-' : n.toFixed(digits);
}

const asRunning = (p: ExporterProcess): Running => ({ pid: p.pid, port: p.port, stop: () => p.stop() });

async function main(): Promise<void> {
  for (const [bin, what] of [
    [NODE_EXPORTER_BIN, 'node_exporter (NODE_EXPORTER_BIN)'],
    [PROCESS_EXPORTER_BIN, 'process-exporter (PROCESS_EXPORTER_BIN)'],
  ] as const) {
    if (!isExecutable(bin)) {
      process.stderr.write(`scrape-bench: ${what} not found at ${bin}\n`);
      process.exit(2);
    }
  }
  const extraArgs = (process.env['BENCH_EXTRA_ARGS'] ?? '').split(' ').filter((a) => a !== '');
  const nodeFlags = process.env['BENCH_NODE_FLAGS']?.split(' ').filter((a) => a !== '') ?? OUR_NODE_FLAGS;
  if (nodeFlags !== OUR_NODE_FLAGS) console.log(`ours runs with Node flags "${nodeFlags.join(' ')}" (BENCH_NODE_FLAGS), not the launcher's`);
  const started: Running[] = [];
  const dir = mkdtempSync(path.join(os.tmpdir(), 'scrape-bench-'));
  const stopAll = async (): Promise<void> => {
    await Promise.all(started.map((p) => p.stop().catch(() => undefined)));
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('SIGINT', () => void stopAll().then(() => process.exit(130)));
  try {
    if (SOAK_MINUTES !== undefined) {
      const ours = asRunning(await startExporter('ours', extraArgs, { nodeFlags }));
      started.push(ours);
      await soak(ours, dir, SOAK_MINUTES);
      return;
    }
    const theirs = nodeExporterCollectors();
    const shared = registeredCollectors()
      .filter((c) => c.defaultEnabled && theirs.has(c.name))
      .map((c) => c.name);
    console.log(`node_exporter's set (ours): ${shared.join(', ')}${extraArgs.length > 0 ? `; extra flags for ours: ${extraArgs.join(' ')}` : ''}`);
    console.log(`scrapes per exporter: ${SCRAPES}, RSS checkpoint at scrape ${CHECKPOINT}, ${ROUND_MS} ms turns, limit ${MAX_SECONDS} s`);
    const start = async (label: string, run: () => Promise<Running>): Promise<Target> => {
      const p = await run();
      started.push(p);
      return new Target(label, p);
    };
    const targets = [
      await start('ours, all defaults', async () => asRunning(await startExporter('ours', extraArgs, { nodeFlags }))),
      await start("ours, node_exporter's set", async () => asRunning(await startExporter('ours', [...onlyCollectorsArgs(shared), ...extraArgs], { nodeFlags }))),
      await start('node_exporter, defaults', async () => asRunning(await startExporter('node_exporter', []))),
      await start('process-exporter', () => startProcessExporter(dir)),
    ];
    for (const t of targets) t.cpuAtStart = cpuMs(t.exporter.pid);
    const deadline = Date.now() + MAX_SECONDS * 1000;
    let round = 0;
    while (targets.some((t) => !t.done) && Date.now() < deadline) {
      // Same turn length for each in every round; the order rotates.
      for (let i = 0; i < targets.length; i++) await (targets[(i + round) % targets.length] as Target).turn(ROUND_MS);
      round++;
    }
    for (const t of targets) if (!t.done) t.cpuAtEnd = cpuMs(t.exporter.pid);
    await report(targets, round, targets.some((t) => !t.done));
  } finally {
    await stopAll();
  }
}

interface Figures {
  readonly p50: number;
  readonly p99: number;
  readonly cpu: number;
}

function figures(t: Target): Figures {
  const sorted = [...t.latenciesMs].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), cpu: (t.cpuAtEnd - t.cpuAtStart) / t.scrapes };
}

async function report(targets: Target[], rounds: number, timedOut: boolean): Promise<void> {
  const [all, neSet, ne, pe] = targets as [Target, Target, Target, Target];
  const f = new Map(targets.map((t) => [t, figures(t)]));
  const mb = (m: number | undefined) => (m === undefined ? undefined : m / MB);
  const rows: [string, (t: Target) => number | undefined, number][] = [
    ['scrapes', (t) => t.scrapes, 0],
    ['failed scrapes', (t) => t.failures, 0],
    ['body bytes', (t) => t.lastBodyBytes, 0],
    ['latency p50 (ms)', (t) => f.get(t)?.p50, 2],
    ['latency p99 (ms)', (t) => f.get(t)?.p99, 2],
    ['CPU ms per scrape', (t) => f.get(t)?.cpu, 2],
    ['core share at 1 s interval (%)', (t) => ((f.get(t)?.cpu ?? NaN) / 1000) * 100, 2],
    [`VmRSS at scrape ${CHECKPOINT} (MB)`, (t) => mb(t.atCheckpoint?.rss), 1],
    [`VmRSS at scrape ${SCRAPES} (MB)`, (t) => mb(t.atTarget?.rss), 1],
    [`VmHWM at scrape ${SCRAPES} (MB)`, (t) => mb(t.atTarget?.hwm), 1],
  ];
  console.log(`\n${rounds} rounds${timedOut ? ' (stopped by the time limit before every target was reached)' : ''}\n`);
  const w = 28;
  console.log('metric'.padEnd(32) + targets.map((t) => t.label.padStart(w)).join(''));
  for (const [name, value, digits] of rows) console.log(name.padEnd(32) + targets.map((t) => fmt(value(t), digits).padStart(w)).join(''));

  const fa = f.get(all) as Figures;
  const fs = f.get(neSet) as Figures;
  const fn = f.get(ne) as Figures;
  const fp = f.get(pe) as Figures;
  const checks: [string, boolean][] = [];
  checks.push([`every scrape of ours answered 200 and complete (${all.failures + neSet.failures} failed)`, all.failures + neSet.failures === 0]);
  checks.push([`${SCRAPES} scrapes reached by every exporter within ${MAX_SECONDS} s`, !timedOut]);
  const ratio = (what: string, x: number, y: number, limit: number) => checks.push([`${what}: ${fmt(x / y)} (limit ${limit})`, x / y <= limit]);
  ratio('CPU per scrape, ours all defaults / node_exporter defaults', fa.cpu, fn.cpu, 2);
  ratio('CPU per scrape, ours all defaults / (node_exporter + process-exporter)', fa.cpu, fn.cpu + fp.cpu, 0.5);
  ratio("CPU per scrape, ours node_exporter's set / node_exporter", fs.cpu, fn.cpu, 0.8);
  ratio("latency p50, ours node_exporter's set / node_exporter", fs.p50, fn.p50, 0.8);
  const late = all.atTarget?.rss;
  const early = all.atCheckpoint?.rss;
  checks.push([`RSS of ours, all defaults, at scrape ${SCRAPES}: ${fmt(mb(late), 1)} MB (limit ${RSS_LIMIT_MB})`, late !== undefined && late / MB <= RSS_LIMIT_MB]);
  if (early !== undefined && late !== undefined) {
    const growth = (late - early) / MB;
    checks.push([`RSS growth of ours, all defaults, scrape ${CHECKPOINT} to ${SCRAPES}: ${growth >= 0 ? '+' : ''}${fmt(growth, 1)} MB (limit ${RSS_GROWTH_LIMIT_MB})`, growth < RSS_GROWTH_LIMIT_MB]);
  }
  console.log(
    `\nRSS floor of the runtime: Node.js ${process.version} idle ${fmt(idleRss([]), 1)} MB; ` +
      `with express and prom-client loaded ${fmt(idleRss(['express', 'prom-client']), 1)} MB; ` +
      `express serving prom-client's default metrics after ${CHECKPOINT} scrapes ${fmt(mb(await scrapedFloorRss([], CHECKPOINT)), 1)} MB, ` +
      `with our launcher's flags (${OUR_NODE_FLAGS.join(' ')}) ${fmt(mb(await scrapedFloorRss(OUR_NODE_FLAGS, CHECKPOINT)), 1)} MB`,
  );
  console.log('');
  for (const [what, ok] of checks) console.log(`${ok ? 'PASS' : 'FAIL'}  ${what}`);
  if (checks.some(([, ok]) => !ok)) process.exitCode = 1;
}

/** Names the churn's processes take (symlinks to sleep, so comm differs): groups come and go. */
const CHURN_NAMES = 20;
/** A new short-lived process this often, each living CHURN_LIFE_MS. */
const CHURN_EVERY_MS = 250;
const CHURN_LIFE_MS = 1500;

/** Scrapes `ours` once a second for `minutes` while processes start and exit; prints RSS every minute. */
async function soak(ours: Running, dir: string, minutes: number): Promise<void> {
  const names = Array.from({ length: CHURN_NAMES }, (_, i) => {
    const file = path.join(dir, `churn-${i}`);
    symlinkSync('/bin/sleep', file);
    return file;
  });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const endAt = Date.now() + minutes * 60_000;
  let spawned = 0;
  const churn = setInterval(() => {
    const child = spawn(names[spawned++ % CHURN_NAMES] as string, [String(CHURN_LIFE_MS / 1000)], { stdio: 'ignore' });
    child.on('error', () => undefined);
  }, CHURN_EVERY_MS);
  console.log(`soak: ${minutes} min, one scrape a second, a process started every ${CHURN_EVERY_MS} ms (${CHURN_NAMES} names, ${CHURN_LIFE_MS} ms each)`);
  console.log('minute  scrapes  failed  VmRSS MB  VmHWM MB  CPU ms/scrape');
  let scrapes = 0;
  let failed = 0;
  const cpu0 = cpuMs(ours.pid);
  try {
    for (let minute = 1; minute <= minutes && Date.now() < endAt + 5000; minute++) {
      const until = Math.min(endAt, Date.now() + 60_000);
      while (Date.now() < until) {
        const next = Date.now() + 1000;
        const res = await httpGet(ours.port, '/metrics', { agent, timeoutMs: 10_000 }).catch(() => undefined);
        scrapes++;
        if (res?.status !== 200) failed++;
        await new Promise((r) => setTimeout(r, Math.max(0, next - Date.now())));
      }
      const m = memory(ours.pid);
      console.log(
        `${String(minute).padStart(6)}  ${String(scrapes).padStart(7)}  ${String(failed).padStart(6)}  ${fmt(m.rss / MB, 1).padStart(8)}  ` +
          `${fmt(m.hwm / MB, 1).padStart(8)}  ${fmt((cpuMs(ours.pid) - cpu0) / scrapes, 2).padStart(13)}`,
      );
    }
  } finally {
    clearInterval(churn);
  }
  if (failed > 0) process.exitCode = 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`scrape-bench: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exitCode = 1;
});
