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
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import {
  type ExporterKind,
  type ExporterProcess,
  isExecutable,
  NODE_EXPORTER_BIN,
  REPO_ROOT,
  nodeExporterCollectors,
  registeredCollectors,
  startExporter,
} from '../test/helpers/exporters.js';
import { onlyCollectorsArgs } from '../test/helpers/proc-copy.js';
import { positiveIntOption } from './options.js';

/** Jiffies per second in /proc/<pid>/stat: Linux's USER_HZ, 100 on every mainstream architecture. */
const USER_HZ = 100;
const MB = 1024 * 1024;
/** RSS "grows" if it rises by more than either of these between the checkpoint and the end. */
const GROWTH_TOLERANCE_BYTES = 5 * MB;
const GROWTH_TOLERANCE_RATIO = 0.1;
const RSS_LIMIT_BYTES = 60 * MB;

const SCRAPES = positiveIntOption('scrape-bench', 'scrapes', 'BENCH_SCRAPES', 10_000);
const ROUND_MS = positiveIntOption('scrape-bench', 'round-ms', 'BENCH_ROUND_MS', 1000);
const MAX_SECONDS = positiveIntOption('scrape-bench', 'max-seconds', 'BENCH_MAX_SECONDS', 900);
/** The early RSS reading: scrape 1,000 of 10,000 (a tenth of the run when fewer are asked for). */
const CHECKPOINT = Math.max(1, Math.min(1000, Math.floor(SCRAPES / 10)));

interface Memory {
  readonly rss: number;
  readonly hwm: number;
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
  end: Memory | undefined;

  constructor(
    readonly label: string,
    readonly exporter: ExporterProcess,
  ) {}

  get done(): boolean {
    return this.scrapes >= SCRAPES;
  }

  async scrapeOnce(): Promise<void> {
    const started = process.hrtime.bigint();
    const res = await this.exporter.get('/metrics', { agent: this.agent, timeoutMs: 10_000 });
    this.latenciesMs.push(Number(process.hrtime.bigint() - started) / 1e6);
    this.scrapes++;
    this.lastBodyBytes = res.body.length;
    if (res.status !== 200 || !res.text.endsWith('\n')) this.failures++;
    if (this.scrapes === CHECKPOINT) this.atCheckpoint = memory(this.exporter.pid);
    if (this.scrapes === SCRAPES) this.atTarget = memory(this.exporter.pid);
  }

  /** Scrapes back to back for `ms` milliseconds. */
  async turn(ms: number): Promise<void> {
    const until = Date.now() + ms;
    while (Date.now() < until) await this.scrapeOnce();
  }
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

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

function fmt(n: number | undefined, digits = 2): string {
  return n === undefined || Number.isNaN(n) ? '-' : n.toFixed(digits);
}

async function main(): Promise<void> {
  if (!isExecutable(NODE_EXPORTER_BIN)) {
    process.stderr.write(`scrape-bench: node_exporter not found at ${NODE_EXPORTER_BIN} (set NODE_EXPORTER_BIN)\n`);
    process.exit(2);
  }
  const theirs = nodeExporterCollectors();
  const collectors = registeredCollectors()
    .filter((c) => c.defaultEnabled && theirs.has(c.name))
    .map((c) => c.name);
  const extraArgs = (process.env['BENCH_EXTRA_ARGS'] ?? '').split(' ').filter((a) => a !== '');
  const args = [...onlyCollectorsArgs(collectors), ...extraArgs];
  console.log(`collectors: ${collectors.join(', ')}${extraArgs.length > 0 ? `; extra flags: ${extraArgs.join(' ')}` : ''}`);
  console.log(`scrapes per exporter: ${SCRAPES}, RSS checkpoint at scrape ${CHECKPOINT}, ${ROUND_MS} ms turns, limit ${MAX_SECONDS} s`);

  const started: ExporterProcess[] = [];
  const stopAll = (): Promise<unknown> => Promise.all(started.map((p) => p.stop().catch(() => undefined)));
  process.once('SIGINT', () => void stopAll().then(() => process.exit(130)));
  try {
    const start = async (kind: ExporterKind): Promise<ExporterProcess> => {
      const p = await startExporter(kind, args);
      started.push(p);
      return p;
    };
    const targets = [new Target('ours', await start('ours')), new Target('node_exporter', await start('node_exporter'))];
    for (const t of targets) t.cpuAtStart = cpuMs(t.exporter.pid);

    const deadline = Date.now() + MAX_SECONDS * 1000;
    let round = 0;
    while (targets.some((t) => !t.done) && Date.now() < deadline) {
      // Same duration for both in every round; who goes first alternates.
      const order = round % 2 === 0 ? targets : [...targets].reverse();
      for (const t of order) await t.turn(ROUND_MS);
      round++;
    }
    for (const t of targets) {
      t.cpuAtEnd = cpuMs(t.exporter.pid);
      t.end = memory(t.exporter.pid);
    }
    const timedOut = targets.some((t) => !t.done);
    report(targets as [Target, Target], round, timedOut);
  } finally {
    await stopAll();
  }
}

function report([ours, ne]: [Target, Target], rounds: number, timedOut: boolean): void {
  const stats = (t: Target) => {
    const sorted = [...t.latenciesMs].sort((a, b) => a - b);
    return {
      p50: percentile(sorted, 50),
      p99: percentile(sorted, 99),
      cpuPerScrape: (t.cpuAtEnd - t.cpuAtStart) / t.scrapes,
    };
  };
  const a = stats(ours);
  const b = stats(ne);
  const mb = (m: number | undefined): number | undefined => (m === undefined ? undefined : m / MB);
  const rows: [string, number | undefined, number | undefined, number][] = [
    ['scrapes', ours.scrapes, ne.scrapes, 0],
    ['failed scrapes', ours.failures, ne.failures, 0],
    ['body bytes', ours.lastBodyBytes, ne.lastBodyBytes, 0],
    ['latency p50 (ms)', a.p50, b.p50, 3],
    ['latency p99 (ms)', a.p99, b.p99, 3],
    ['CPU ms per scrape', a.cpuPerScrape, b.cpuPerScrape, 3],
    [`VmRSS at scrape ${CHECKPOINT} (MB)`, mb(ours.atCheckpoint?.rss), mb(ne.atCheckpoint?.rss), 1],
    [`VmHWM at scrape ${CHECKPOINT} (MB)`, mb(ours.atCheckpoint?.hwm), mb(ne.atCheckpoint?.hwm), 1],
    [`VmRSS at scrape ${SCRAPES} (MB)`, mb(ours.atTarget?.rss), mb(ne.atTarget?.rss), 1],
    [`VmHWM at scrape ${SCRAPES} (MB)`, mb(ours.atTarget?.hwm), mb(ne.atTarget?.hwm), 1],
    ['VmRSS at the end (MB)', mb(ours.end?.rss), mb(ne.end?.rss), 1],
  ];
  console.log(`\n${rounds} rounds${timedOut ? ' (stopped by the time limit before every target was reached)' : ''}\n`);
  console.log(`${'metric'.padEnd(30)}${'ours'.padStart(14)}${'node_exporter'.padStart(16)}${'ours/ne'.padStart(10)}`);
  for (const [name, x, y, digits] of rows) {
    const ratio = x !== undefined && y !== undefined && y !== 0 ? fmt(x / y) : '-';
    console.log(`${name.padEnd(30)}${fmt(x, digits).padStart(14)}${fmt(y, digits).padStart(16)}${ratio.padStart(10)}`);
  }

  const checks: [string, boolean][] = [];
  checks.push([`every scrape of ours answered 200 and complete (${ours.failures} failed)`, ours.failures === 0]);
  checks.push([`${SCRAPES} scrapes reached by both within ${MAX_SECONDS} s`, !timedOut]);
  checks.push([`our p50 ${fmt(a.p50, 3)} ms <= node_exporter's p50 ${fmt(b.p50, 3)} ms`, a.p50 <= b.p50]);
  const peak = ours.end?.hwm ?? Infinity;
  checks.push([`our peak RSS (VmHWM) ${fmt(peak / MB, 1)} MB < ${RSS_LIMIT_BYTES / MB} MB`, peak < RSS_LIMIT_BYTES]);
  const early = ours.atCheckpoint?.rss;
  const late = ours.atTarget?.rss;
  if (early === undefined || late === undefined) {
    checks.push(['RSS readings at both checkpoints', false]);
  } else {
    const growth = late - early;
    const growing = growth > GROWTH_TOLERANCE_BYTES || growth > early * GROWTH_TOLERANCE_RATIO;
    checks.push([
      `our RSS not growing from scrape ${CHECKPOINT} to ${SCRAPES}: ${growth >= 0 ? '+' : ''}${fmt(growth / MB, 1)} MB ` +
        `(limit +${GROWTH_TOLERANCE_BYTES / MB} MB and +${GROWTH_TOLERANCE_RATIO * 100}%)`,
      !growing,
    ]);
  }
  console.log(
    `\nRSS floor of the runtime: Node.js ${process.version} idle ${fmt(idleRss([]), 1)} MB; ` +
      `with express and prom-client loaded ${fmt(idleRss(['express', 'prom-client']), 1)} MB`,
  );
  console.log('');
  for (const [what, ok] of checks) console.log(`${ok ? 'PASS' : 'FAIL'}  ${what}`);
  if (checks.some(([, ok]) => !ok)) process.exitCode = 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`scrape-bench: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exitCode = 1;
});
