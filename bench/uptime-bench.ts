/**
 * Uptime scheduler benchmark: the exporter checks N HTTP targets (paths on one local server on
 * 127.0.0.1) every I seconds for T seconds, scraped every 15 s as Prometheus would. Prints
 * checks per second, the exporter's CPU per check (its own process_cpu_seconds_total, read
 * through the scrape), the slowest scrape, and PASS/FAIL for: no check overlapped itself, and
 * the completed checks are within 5% of the runs due (each check's random first offset is
 * accounted for by counting from its uptime_check_created_timestamp_seconds). Exits 1 on FAIL.
 *
 * Run: npx tsc && node build/bench/uptime-bench.js
 * Options (argument or environment variable):
 *   --targets=N    UPTIME_BENCH_TARGETS    number of targets (default 500)
 *   --interval=S   UPTIME_BENCH_INTERVAL   check interval in seconds (default 5)
 *   --duration=S   UPTIME_BENCH_DURATION   measured time in seconds (default 30)
 *   UPTIME_BENCH_EXTRA_ARGS   extra exporter flags, space-separated (e.g. "--checks.max-concurrency=32")
 */
import { runUptimeScale } from '../test/helpers/uptime-scale.js';
import { positiveIntOption } from './options.js';

const TARGETS = positiveIntOption('uptime-bench', 'targets', 'UPTIME_BENCH_TARGETS', 500);
const INTERVAL = positiveIntOption('uptime-bench', 'interval', 'UPTIME_BENCH_INTERVAL', 5);
const DURATION = positiveIntOption('uptime-bench', 'duration', 'UPTIME_BENCH_DURATION', 30);
const EXTRA_ARGS = (process.env['UPTIME_BENCH_EXTRA_ARGS'] ?? '').split(/\s+/).filter(Boolean);

async function main(): Promise<void> {
  process.stdout.write(`uptime-bench: ${TARGETS} HTTP targets on 127.0.0.1, every ${INTERVAL}s, for ${DURATION}s${EXTRA_ARGS.length ? `, flags ${EXTRA_ARGS.join(' ')}` : ''}\n`);
  const r = await runUptimeScale({ targets: TARGETS, intervalSeconds: INTERVAL, durationSeconds: DURATION, scrapeEverySeconds: 15, extraArgs: EXTRA_ARGS });
  const deviation = (r.checks - r.expected) / r.expected;
  const rows: [string, string][] = [
    ['targets', String(r.targets)],
    ['checks completed', `${r.checks} (${r.successes} successful, ${r.skipped} skipped)`],
    ['runs due', `${r.expected.toFixed(1)} (deviation ${(deviation * 100).toFixed(2)}%)`],
    ['checks per second', (r.checksWindow / r.wallSecondsWindow).toFixed(1)],
    ['exporter CPU', `${(r.cpuSecondsWindow * 1000).toFixed(0)} ms over ${r.wallSecondsWindow.toFixed(1)} s (${((r.cpuSecondsWindow / r.wallSecondsWindow) * 100).toFixed(1)}% of a core)`],
    ['CPU per check', `${((r.cpuSecondsWindow * 1000) / Math.max(1, r.checksWindow)).toFixed(3)} ms`],
    ['slowest scrape', `${r.maxScrapeMs.toFixed(0)} ms`],
    ['most requests of one target at once', String(r.maxInFlightPerTarget)],
  ];
  for (const [k, v] of rows) process.stdout.write(`  ${k.padEnd(38)} ${v}\n`);
  const checks: [string, boolean][] = [
    ['no check overlapped itself', r.maxInFlightPerTarget <= 1],
    ['checks within 5% of the runs due', Math.abs(deviation) <= 0.05],
    ['every target exported', r.targets === TARGETS],
    ['exporter CPU reported', Number.isFinite(r.cpuSecondsTotal) && r.cpuSecondsTotal > 0],
  ];
  let failed = false;
  for (const [what, ok] of checks) {
    process.stdout.write(`${ok ? 'PASS' : 'FAIL'} ${what}\n`);
    failed ||= !ok;
  }
  process.exit(failed ? 1 : 0);
}

main().catch((err: unknown) => {
  process.stderr.write(`uptime-bench: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
