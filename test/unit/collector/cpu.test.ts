import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'ava';
import { allFlags } from '../../../src/options.js';
import type { Collector } from '../../../src/collector/collector.js';
import { cpuCollector, updateCpuCache } from '../../../src/collector/cpu.js';
import { MetricSink } from '../../../src/collector/sink.js';
import { parseFlags } from '../../../src/cli/flags.js';
import { createLogger, silentLogger } from '../../../src/lib/log.js';
import { HostPaths } from '../../../src/hostfs/paths.js';
import { type CpuTimes, parseStat } from '../../../src/procfs/stat.js';
import { collect, fixture, testContext, valueOf } from '../../helpers/collect.js';

const seconds = (cpu: string, mode: string): string => `node_cpu_seconds_total{cpu="${cpu}",mode="${mode}"}`;
const guest = (cpu: string, mode: string): string => `node_cpu_guest_seconds_total{cpu="${cpu}",mode="${mode}"}`;
const seriesCount = (text: string, name: string): number => text.split('\n').filter((l) => l.startsWith(name + '{')).length;

test('cpu serves all 8 modes per cpuN line in seconds, with node_exporter HELP and TYPE', async (t) => {
  const r = await collect(['cpu'], ['--path.procfs', fixture('cpu', 'modern')], [cpuCollector]);
  t.is(r.success['cpu'], 1);
  t.regex(r.text, /# HELP node_cpu_seconds_total Seconds the CPUs spent in each mode.\n# TYPE node_cpu_seconds_total counter\n/);
  t.regex(
    r.text,
    /# HELP node_cpu_guest_seconds_total Seconds the CPUs spent in guests \(VMs\) for each mode.\n# TYPE node_cpu_guest_seconds_total counter\n/,
  );
  // The aggregate `cpu` line is not exported: 3 CPUs × 8 modes, 3 × 2 guest modes.
  t.is(seriesCount(r.text, 'node_cpu_seconds_total'), 24);
  t.is(seriesCount(r.text, 'node_cpu_guest_seconds_total'), 6);
  t.false(r.text.includes('cpu=""'));
  const cpu0 = { user: 640.12, nice: 3, system: 240.2, idle: 49367.11, iowait: 26.5, irq: 0, softirq: 10.03, steal: 3.21 };
  for (const [mode, value] of Object.entries(cpu0)) t.is(valueOf(r.text, seconds('0', mode)), value, mode);
  t.is(valueOf(r.text, seconds('10', 'user')), 1234.56);
  t.is(valueOf(r.text, seconds('10', 'irq')), 0.03);
  t.is(valueOf(r.text, guest('0', 'user')), 7);
  t.is(valueOf(r.text, guest('0', 'nice')), 0.25);
  t.is(valueOf(r.text, guest('10', 'user')), 8.9);
  t.is(valueOf(r.text, guest('1', 'nice')), 0);
});

test('--no-collector.cpu.guest drops node_cpu_guest_seconds_total only', async (t) => {
  const r = await collect(['cpu'], ['--path.procfs', fixture('cpu', 'modern'), '--no-collector.cpu.guest'], [cpuCollector]);
  t.is(r.success['cpu'], 1);
  t.false(r.text.includes('node_cpu_guest_seconds_total'));
  t.is(seriesCount(r.text, 'node_cpu_seconds_total'), 24);
});

test('cpu reads older kernels\' shorter lines, the missing modes as 0', async (t) => {
  const r = await collect(['cpu'], ['--path.procfs', fixture('cpu', 'old-kernels')], [cpuCollector]);
  t.is(r.success['cpu'], 1);
  t.is(seriesCount(r.text, 'node_cpu_seconds_total'), 32);
  t.is(valueOf(r.text, seconds('0', 'idle')), 400);
  t.is(valueOf(r.text, seconds('0', 'iowait')), 0);
  t.is(valueOf(r.text, seconds('1', 'softirq')), 0.7);
  t.is(valueOf(r.text, seconds('1', 'steal')), 0);
  t.is(valueOf(r.text, seconds('2', 'steal')), 0.8);
  t.is(valueOf(r.text, guest('2', 'user')), 0);
  t.is(valueOf(r.text, guest('3', 'user')), 0.9);
  t.is(valueOf(r.text, guest('3', 'nice')), 0);
});

test('malformed, empty or missing /proc/stat gives cpu success 0 and no series', async (t) => {
  for (const dir of ['non-numeric', 'bad-cpu-name', 'truncated', 'empty', 'does-not-exist']) {
    const r = await collect(['cpu'], ['--path.procfs', fixture('cpu', dir)], [cpuCollector]);
    t.is(r.success['cpu'], 0, dir);
    t.false(r.text.includes('node_cpu_seconds_total'), dir);
    t.true(r.logs.some((l) => l.includes('collector failed') && l.includes('cpu')), dir);
  }
});

// The monotonic guard, fed parsed texts directly.

const cpuLine = (n: number, user: number, idle: number, guestTime = 0): string => `cpu${n} ${user} 0 100 ${idle} 0 0 0 0 ${guestTime} 0`;
const statOf = (...lines: string[]): Map<number, CpuTimes> => parseStat(lines.join('\n') + '\n').cpus;

test('the guard keeps a counter that went backwards and resumes when it passes the old value', (t) => {
  const logs: string[] = [];
  const log = createLogger('debug', 'logfmt', (l) => logs.push(l));
  const cache = new Map<number, CpuTimes>();
  updateCpuCache(cache, statOf(cpuLine(0, 1000, 50000, 40)), log);
  updateCpuCache(cache, statOf(cpuLine(0, 990, 49900, 39)), log);
  t.is(cache.get(0)?.user, 10);
  t.is(cache.get(0)?.idle, 500, 'idle 1 s back is kept, not a hotplug');
  t.is(cache.get(0)?.guest, 0.4);
  t.is(cache.get(0)?.system, 1);
  t.true(logs.some((l) => l.includes('level=DEBUG') && l.includes('CPU user counter jumped backwards') && l.includes('old_value=10 new_value=9.9')));
  updateCpuCache(cache, statOf(cpuLine(0, 1010, 50100, 41)), log);
  t.is(cache.get(0)?.user, 10.1);
  t.is(cache.get(0)?.idle, 501);
  t.is(cache.get(0)?.guest, 0.41);
});

test('the guard resets a CPU whose idle time fell by 3 s or more (hotplug), and not by less', (t) => {
  const logs: string[] = [];
  const log = createLogger('debug', 'logfmt', (l) => logs.push(l));
  const cache = new Map<number, CpuTimes>();
  updateCpuCache(cache, statOf(cpuLine(0, 1000, 50000), cpuLine(1, 1000, 50000)), log);
  // cpu0: idle back exactly 3 s -> reset to the new, lower values; cpu1: 2.99 s back -> kept.
  updateCpuCache(cache, statOf(cpuLine(0, 5, 49700), cpuLine(1, 5, 49701)), log);
  t.is(cache.get(0)?.user, 0.05);
  t.is(cache.get(0)?.idle, 497);
  t.is(cache.get(1)?.user, 10);
  t.is(cache.get(1)?.idle, 500);
  t.true(logs.some((l) => l.includes('possible hotplug event, resetting CPU stats') && l.includes('cpu=0')));
  t.false(logs.some((l) => l.includes('possible hotplug event') && l.includes('cpu=1')));
});

test('the guard forgets CPUs that disappear, so one coming back starts afresh', (t) => {
  const cache = new Map<number, CpuTimes>();
  updateCpuCache(cache, statOf(cpuLine(0, 100, 1000), cpuLine(1, 200, 1000), cpuLine(2, 300, 1000)), silentLogger);
  updateCpuCache(cache, statOf(cpuLine(0, 101, 1001), cpuLine(2, 301, 1001)), silentLogger);
  t.deepEqual([...cache.keys()].sort(), [0, 2]);
  // cpu1 is back with lower counters (1 s of idle less, not a hotplug jump): no stale value held.
  updateCpuCache(cache, statOf(cpuLine(0, 102, 1002), cpuLine(1, 50, 900), cpuLine(2, 302, 1002)), silentLogger);
  t.is(cache.get(1)?.user, 0.5);
  t.is(cache.get(1)?.idle, 9);
  // Replacing one CPU by another at the same count still drops the old one.
  updateCpuCache(cache, statOf(cpuLine(0, 103, 1003), cpuLine(1, 51, 901), cpuLine(3, 1, 1)), silentLogger);
  t.deepEqual([...cache.keys()].sort(), [0, 1, 3]);
});

// The same guard through the collector: one instance, successive /proc/stat texts.

async function scrape(collector: Collector): Promise<Map<string, number>> {
  const sink = new MetricSink();
  await collector.update(sink, new AbortController().signal);
  const values = new Map<string, number>();
  for (const family of sink.entries()) {
    for (const s of family.samples) values.set(`${family.desc.name}/${s.labels['cpu']}/${s.labels['mode']}`, s.value);
  }
  return values;
}

test('the collector keeps its cache between scrapes and across a failed scrape', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'cpu-guard-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const statFile = path.join(dir, 'stat');
  const flags = parseFlags(allFlags([cpuCollector]), []);
  const collector = cpuCollector.create(testContext({ paths: new HostPaths(dir), flags, log: silentLogger }));

  await writeFile(statFile, `cpu  0 0 0 0\n${cpuLine(0, 1000, 50000, 30)}\n${cpuLine(1, 1000, 50000)}\n`);
  let v = await scrape(collector);
  t.is(v.get('node_cpu_seconds_total/0/user'), 10);
  t.is(v.get('node_cpu_guest_seconds_total/0/user'), 0.3);
  t.is(v.size, 2 * 8 + 2 * 2);

  await writeFile(statFile, `cpu0 990 0 100 49900 0 0 0 0 29 0\n`);
  v = await scrape(collector);
  t.is(v.get('node_cpu_seconds_total/0/user'), 10);
  t.is(v.get('node_cpu_seconds_total/0/idle'), 500);
  t.is(v.get('node_cpu_guest_seconds_total/0/user'), 0.3);
  t.false(v.has('node_cpu_seconds_total/1/user'), 'cpu1 disappeared');

  await writeFile(statFile, 'cpu0 1 2 x\n');
  await t.throwsAsync(scrape(collector), { message: /cpu0 system: expected a number/ });

  await writeFile(statFile, `${cpuLine(0, 995, 49950)}\n`);
  v = await scrape(collector);
  t.is(v.get('node_cpu_seconds_total/0/user'), 10, 'the failed scrape did not clear the cache');
  t.is(v.get('node_cpu_seconds_total/0/idle'), 500);
});
