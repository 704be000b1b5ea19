/**
 * The demo without Docker, end to end (loadtest/demo.mjs): the sample server, the exporter in
 * the server's PID namespace (as root), a real Prometheus scraping both every second, a quiet
 * baseline, a burst from real ab at the server's CPU-cost endpoint, and the CPU peak read back
 * from Prometheus' HTTP API. Everything on loopback; the demo bounds every wait and stops all
 * it started.
 */
import test from 'ava';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO_ROOT, isExecutable, requireBinary, runWithInput } from '../helpers/exporters.js';

const PROMETHEUS_BIN = process.env['PROMETHEUS'] ?? '/usr/bin/prometheus';
const AB_BIN = '/usr/bin/ab';
const CPU_QUERY = 'sum(rate(node_cpu_seconds_total{mode!="idle"}[10s]))';

interface DemoResult {
  query: string;
  namespace: boolean;
  tool: string;
  baseline: number;
  peak: number;
  rise: number;
  needed: number;
  clear: boolean;
  series: { t: number; v: number }[];
  servedCount: number;
  phases: { name: string; start: number; end: number }[];
  loadSummary: string;
  /** sum(rate(namedprocess_namegroup_cpu_seconds_total{groupname="server"}[10s])) over the run, as the sidecar saw it. */
  serverGroup: { t: number; v: number }[];
}

test('demo: a load burst from ab shows as a clear CPU peak in Prometheus', async (t) => {
  t.timeout(420_000);
  if (!requireBinary(t, PROMETHEUS_BIN, 'prometheus') || !requireBinary(t, AB_BIN, 'ab (Debian: apache2-utils)')) return;
  const dir = mkdtempSync(path.join(tmpdir(), 'demo-test-'));
  try {
    const json = path.join(dir, 'demo.json');
    const svg = path.join(dir, 'cpu-peak.svg');
    const r = await runWithInput(process.execPath, [path.join(REPO_ROOT, 'loadtest/demo.mjs'), '--tool', 'ab', '--json', json, '--svg', svg], '', 400_000);
    t.log(r.stdout);
    t.is(r.code, 0, `${r.stdout}\n${r.stderr}`);

    const result = JSON.parse(readFileSync(json, 'utf8')) as DemoResult;
    t.is(result.query, CPU_QUERY);
    t.is(result.tool, 'ab');
    // As root the exporter runs inside the server's PID namespace, as in the Compose stack.
    t.is(result.namespace, process.getuid?.() === 0 && isExecutable('/usr/bin/unshare') && isExecutable('/usr/bin/nsenter'));
    t.true(result.clear);
    t.true(result.needed >= 0.25, 'a rise of a quarter CPU at least');
    t.true(result.peak - result.baseline >= result.needed, `baseline ${result.baseline}, peak ${result.peak}, needed ${result.needed}`);
    t.deepEqual(
      result.phases.map((p) => p.name),
      ['baseline', 'load', 'cool-down'],
    );
    // One sample a second over the whole run, from the real Prometheus.
    const span = (result.phases.at(-1)?.end ?? 0) - (result.phases[0]?.start ?? 0);
    t.true(result.series.length >= span - 2, `${result.series.length} samples over ${span.toFixed(0)} s`);
    // The requests ab made are the ones the server counted on its own /metrics (scraped by Prometheus).
    // The server's own process group, as the sidecar saw it: other processes on the machine do
    // not disturb it. ab -c 4 at 20 ms a request keeps the server's one event loop near one CPU.
    const serverLoad = result.serverGroup.filter((s) => result.phases.some((p) => p.name === 'load' && s.t >= p.start && s.t <= p.end + 3));
    const serverPeak = Math.max(0, ...serverLoad.map((s) => s.v));
    t.true(serverPeak >= 0.5, `the server's process group peaked at ${serverPeak.toFixed(2)} CPUs under load`);
    const serverQuiet = result.serverGroup.filter((s) => result.phases.some((p) => p.name === 'baseline' && s.t >= p.end - 3 && s.t <= p.end));
    t.true(serverQuiet.length > 0 && Math.max(...serverQuiet.map((s) => s.v)) < 0.2, 'the server is quiet before the load');
    const complete = Number(/^requests +(\d+) complete, 0 errors/m.exec(result.loadSummary)?.[1]);
    t.true(complete > 0, result.loadSummary);
    // ab stops at its time limit with up to -c (4) requests in flight: the server finished those too.
    const extra = result.servedCount - complete;
    t.true(extra >= 0 && extra <= 4, `server counted ${result.servedCount}, ab ${complete}`);

    t.regex(r.stdout, /^baseline \(median, quiet\) +\d+\.\d{3} CPUs/m);
    t.regex(r.stdout, /^peak \(max, under load\) +\d+\.\d{3} CPUs/m);
    t.regex(r.stdout, /^ phase {2} ?b+l+c+/m, 'the text chart marks the phases');
    t.true(existsSync(svg));
    const picture = readFileSync(svg, 'utf8');
    t.regex(picture, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    t.regex(picture, /<polyline points="[\d., ]+"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
