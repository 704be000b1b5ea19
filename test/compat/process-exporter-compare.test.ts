/**
 * Our process_groups against Debian's process-exporter (0.7.x), both running on this machine
 * with the same `process_names` file, scraped at about the same time. For groups that are
 * stable during the test (sleeping processes started by the test, and an idle multi-threaded
 * node process), every series we emit must be in process-exporter's output with the same
 * HELP and TYPE, counts must be equal, and CPU and memory within a small tolerance.
 * process-exporter also emits per-thread and proportional-memory series; those are not ours.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { freePort, httpGet, isExecutable, registeredCollectors, startExporter, type ExporterProcess } from '../helpers/exporters.js';
import { byName, parseExposition, type ParsedFamily, seriesKey } from '../helpers/exposition-parse.js';
import { cannotRunHere } from '../helpers/skip.js';

const PROCESS_EXPORTER_BIN = process.env['PROCESS_EXPORTER_BIN'] ?? '/usr/bin/prometheus-process-exporter';
const SLEEPER = 'pe-compare-sleeper';
const IDLE_NODE = 'pe-compare-idle-node';
const SLEEPERS = 3;
const CONFIG = `
process_names:
  - name: sleepers
    cmdline: ['^${SLEEPER} ']
  - name: idle-node
    cmdline: ['${IDLE_NODE}']
`;
const GROUPS = ['idle-node', 'sleepers'];

/** How two values may differ, per family. Anything not listed must be equal. */
const TOLERANCE: Readonly<Record<string, (ours: number, theirs: number) => boolean>> = {
  // Ticks of 10 ms, read at slightly different moments.
  namedprocess_namegroup_cpu_seconds_total: (a, b) => Math.abs(a - b) <= 0.05,
  namedprocess_namegroup_memory_bytes: (a, b) => Math.abs(a - b) <= Math.max(256 * 1024, 0.02 * Math.max(a, b)),
  // An idle node process still has the odd timer or GC wakeup between the two reads.
  namedprocess_namegroup_context_switches_total: (a, b) => Math.abs(a - b) <= Math.max(20, 0.05 * Math.max(a, b)),
  namedprocess_namegroup_minor_page_faults_total: (a, b) => Math.abs(a - b) <= Math.max(50, 0.02 * Math.max(a, b)),
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor<T>(timeoutMs: number, check: () => Promise<T | undefined>): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await check();
    if (value !== undefined) return value;
    await sleep(100);
  }
  return undefined;
}

async function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await Promise.race([exited, sleep(5000)]);
}

async function scrape(port: number): Promise<ParsedFamily[]> {
  const res = await httpGet(port, '/metrics', { timeoutMs: 10_000 });
  if (res.status !== 200) throw new Error(`port ${port}: HTTP ${res.status}`);
  return parseExposition(res.text);
}

function numProcs(families: readonly ParsedFamily[], group: string): number | undefined {
  return byName(families)
    .get('namedprocess_namegroup_num_procs')
    ?.samples.find((s) => s.labels['groupname'] === group)?.value;
}

/** Our additions in process-exporter's style, which it does not have: the server's restarts. */
const OURS_ONLY = new Set(['namedprocess_namegroup_restarts_total', 'namedprocess_namegroup_last_start_time_seconds']);

/** Differences between our namedprocess_* families and process-exporter's, for the stable groups. */
function compare(ours: readonly ParsedFamily[], theirs: readonly ParsedFamily[]): { differences: string[]; compared: number } {
  const theirFamilies = byName(theirs);
  const differences: string[] = [];
  let compared = 0;
  for (const family of ours) {
    if (!family.name.startsWith('namedprocess_') || OURS_ONLY.has(family.name)) continue;
    const their = theirFamilies.get(family.name);
    if (!their) {
      differences.push(`${family.name}: not emitted by process-exporter`);
      continue;
    }
    if (their.help !== family.help) differences.push(`${family.name}: HELP ${JSON.stringify(family.help)} vs ${JSON.stringify(their.help)}`);
    if (their.type !== family.type) differences.push(`${family.name}: TYPE ${family.type} vs ${their.type}`);
    const theirSamples = new Map(their.samples.map((s) => [seriesKey(s), s]));
    for (const sample of family.samples) {
      const group = sample.labels['groupname'];
      if (group === undefined || !GROUPS.includes(group)) continue;
      const key = seriesKey(sample);
      const theirSample = theirSamples.get(key);
      compared++;
      if (!theirSample) {
        differences.push(`${key}: not emitted by process-exporter`);
        continue;
      }
      const close = TOLERANCE[family.name] ?? ((a: number, b: number) => a === b);
      if (!close(sample.value, theirSample.value)) differences.push(`${key}: ours ${sample.value}, process-exporter ${theirSample.value}`);
    }
  }
  const groupsOf = (families: readonly ParsedFamily[]) =>
    [...new Set(byName(families).get('namedprocess_namegroup_num_procs')?.samples.map((s) => s.labels['groupname']) ?? [])].sort();
  if (JSON.stringify(groupsOf(ours)) !== JSON.stringify(groupsOf(theirs))) {
    differences.push(`groups: ours ${groupsOf(ours).join(',')}, process-exporter ${groupsOf(theirs).join(',')}`);
  }
  return { differences, compared };
}

test('process_groups agrees with process-exporter on the same processes and config', async (t) => {
  if (!isExecutable(PROCESS_EXPORTER_BIN)) {
    cannotRunHere(t, `process-exporter (${PROCESS_EXPORTER_BIN}) is not installed (Debian: apt-get install prometheus-process-exporter)`);
    return;
  }
  if (!registeredCollectors().some((c) => c.name === 'process_groups')) {
    t.fail('process_groups is not registered in src/collectors.ts, so build/src/main.js cannot enable it');
    return;
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pe-compare-'));
  const configFile = path.join(dir, 'process-names.yml');
  await writeFile(configFile, CONFIG);
  const children: ChildProcess[] = [];
  let ours: ExporterProcess | undefined;
  t.teardown(async () => {
    for (const child of children) await stop(child);
    await ours?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const theirPort = await freePort();
  let theirLog = '';
  const theirs = spawn(PROCESS_EXPORTER_BIN, ['-config.path', configFile, '-web.listen-address', `127.0.0.1:${theirPort}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.push(theirs);
  theirs.on('error', (err) => (theirLog += `${err.message}\n`));
  theirs.stderr?.on('data', (c: Buffer) => {
    if (theirLog.length < 65536) theirLog += c.toString('utf8');
  });
  if ((await waitFor(10_000, () => scrape(theirPort).then(() => true, () => (theirs.exitCode !== null ? false : undefined)))) !== true) {
    t.fail(`process-exporter did not start: ${theirLog}`);
    return;
  }
  ours = await startExporter('ours', ['--collector.disable-defaults', '--collector.process_groups', `--config.file=${configFile}`]);
  // Our first scrape is where counting starts for processes already running (process-exporter: its start).
  await ours.scrape();
  // process-exporter compares start times (whole-second boot time + ticks) with its own start:
  // start the processes well after that, so both count them from their start.
  await sleep(1500);
  for (let i = 0; i < SLEEPERS; i++) children.push(spawn('sleep', ['300'], { argv0: SLEEPER, stdio: 'ignore' }));
  children.push(spawn(process.execPath, ['-e', 'setInterval(() => {}, 1 << 30)', IDLE_NODE], { stdio: 'ignore' }));
  // A failed spawn shows up below as a missing process; it must not throw from an event.
  for (const child of children) child.on('error', (err) => t.log(`spawn failed: ${err.message}`));

  const oursPort = ours.port;
  const seen = await waitFor(15_000, async () => {
    const [a, b] = await Promise.all([scrape(oursPort), scrape(theirPort)]);
    const complete = (f: ParsedFamily[]) => numProcs(f, 'sleepers') === SLEEPERS && numProcs(f, 'idle-node') === 1;
    return complete(a) && complete(b) ? true : undefined;
  });
  if (!seen) {
    t.fail('the test processes did not show up in both exporters');
    return;
  }
  // Let node finish starting up (its page faults and CPU settle), then compare.
  await sleep(1000);
  let result: ReturnType<typeof compare> = { differences: ['not compared'], compared: 0 };
  // A thread can be caught running in one read and not the other: a few tries at most.
  for (let attempt = 1; attempt <= 3 && result.differences.length > 0; attempt++) {
    const [a, b] = await Promise.all([scrape(oursPort), scrape(theirPort)]);
    result = compare(a, b);
    if (result.differences.length > 0) t.log(`attempt ${attempt}:\n${result.differences.join('\n')}`);
  }
  t.deepEqual(result.differences, []);
  // 2 groups × 21 series each (num_procs, cpu ×2, memory ×3, fds ×2, io ×2, faults ×2, ctx ×2, threads, start, states ×5).
  t.is(result.compared, 42);
});
