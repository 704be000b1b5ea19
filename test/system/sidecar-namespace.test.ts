/**
 * The sidecar shape, for real: a CPU-burning web server runs in its own PID namespace with its
 * own /proc (`unshare --pid --fork --mount-proc`), and the exporter is started inside that same
 * PID and mount namespace (`nsenter --target <init> --pid --mount`), as Compose's
 * `pid: "service:pause"` on both or Kubernetes' `shareProcessNamespace: true` would place it. The
 * exporter must see the server's processes (and count their CPU), and nothing outside.
 * Root only (unshare needs CAP_SYS_ADMIN); skipped, with the reason, otherwise.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { valueOf } from '../helpers/collect.js';
import { freePort, httpGet, OUR_MAIN, REPO_ROOT, registeredCollectors } from '../helpers/exporters.js';
import { groupNames, groupsScraper } from '../helpers/process-groups.js';
import { cannotRunHere } from '../helpers/skip.js';

const BURN_SERVER = path.join(REPO_ROOT, 'test/helpers/burn-server.mjs');
const WORKERS = 2;
const OUTSIDE_MARKER = 'sidecar-ns-outside-marker';
const CONFIG = `
process_names:
  - name: burn
    cmdline: ['burn-server\\.mjs']
  - name: outside
    cmdline: ['^${OUTSIDE_MARKER}']
  - name: "{{.Comm}}"
    cmdline: ['.+']
`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` every 50 ms until it returns a value, or gives undefined after `timeoutMs`. */
async function waitFor<T>(timeoutMs: number, check: () => Promise<T | undefined> | T | undefined): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await check();
    if (value !== undefined) return value;
    await sleep(50);
  }
  return undefined;
}

/** A child's output, kept (bounded) for failure messages. */
function output(child: ChildProcess): () => string {
  let text = '';
  const keep = (chunk: Buffer) => {
    if (text.length < 65536) text += chunk.toString('utf8');
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  // Not installed, for example: reported in the output rather than thrown.
  child.on('error', (err) => (text += `${err.message}\n`));
  return () => text;
}

/** The host pid of the process whose parent is `ppid` (unshare's child: the namespace's init). */
async function childOf(ppid: number): Promise<number | undefined> {
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => '');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[1]) === ppid) return Number(name);
  }
  return undefined;
}

async function kill(child: ChildProcess | undefined, t: ExecutionContext): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  if ((await Promise.race([exited.then(() => true), sleep(5000).then(() => false)])) === false) t.log(`pid ${child.pid} did not exit`);
}

function cpuSeconds(text: string, group: string): number {
  const mode = (m: string) => valueOf(text, `namedprocess_namegroup_cpu_seconds_total{groupname="${group}",mode="${m}"}`) ?? NaN;
  return mode('user') + mode('system');
}

test('inside the server PID namespace the exporter sees the server (and its CPU), nothing outside', async (t) => {
  if (process.getuid?.() !== 0) {
    cannotRunHere(t, 'needs root (unshare --pid needs CAP_SYS_ADMIN); .ci/run runs as root');
    return;
  }
  if (!registeredCollectors().some((c) => c.name === 'process_groups')) {
    t.fail('process_groups is not registered in src/collectors.ts, so build/src/main.js cannot enable it');
    return;
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sidecar-ns-'));
  const configFile = path.join(dir, 'process-groups.yml');
  await writeFile(configFile, CONFIG);
  let unshare: ChildProcess | undefined;
  let exporter: ChildProcess | undefined;
  let outside: ChildProcess | undefined;
  let nsInit: number | undefined;
  t.teardown(async () => {
    // Killing the namespace's init kills everything in the namespace (the exporter too).
    if (nsInit !== undefined) {
      try {
        process.kill(nsInit, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    await kill(exporter, t);
    await kill(unshare, t);
    await kill(outside, t);
    await rm(dir, { recursive: true, force: true });
  });

  // A process outside the namespace that the rules would match.
  outside = spawn('sleep', ['120'], { argv0: OUTSIDE_MARKER, stdio: 'ignore' });
  output(outside);
  const outsidePid = outside.pid as number;
  await waitFor(5000, async () => ((await readFile(`/proc/${outsidePid}/cmdline`, 'utf8').catch(() => '')).startsWith(OUTSIDE_MARKER) ? true : undefined));
  const onHost = await groupsScraper({ procfs: '/proc', config: CONFIG }).scrape();
  t.is(valueOf(onHost.text, 'namedprocess_namegroup_num_procs{groupname="outside"}'), 1, 'the host sees the outside process');

  const serverPort = await freePort();
  unshare = spawn('unshare', ['--pid', '--fork', '--mount-proc', process.execPath, BURN_SERVER, String(serverPort), String(WORKERS)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const unshareOutput = output(unshare);
  const listening = await waitFor(15_000, () => (unshareOutput().includes(`listening ${serverPort}`) ? true : unshare?.exitCode !== null ? false : undefined));
  if (listening !== true) {
    cannotRunHere(t, `unshare --pid --fork --mount-proc did not start the server: ${unshareOutput().trim() || 'no output'}`);
    return;
  }
  nsInit = await waitFor(5000, () => childOf(unshare?.pid as number));
  if (nsInit === undefined) {
    t.fail('cannot find the namespace init (the child of unshare)');
    return;
  }

  const exporterPort = await freePort();
  exporter = spawn(
    'nsenter',
    [
      '--target',
      String(nsInit),
      '--pid',
      '--mount',
      process.execPath,
      OUR_MAIN,
      `--web.listen-address=127.0.0.1:${exporterPort}`,
      '--collector.disable-defaults',
      '--collector.process_groups',
      `--config.file=${configFile}`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const exporterOutput = output(exporter);
  const scrape = async () => {
    const res = await httpGet(exporterPort, '/metrics', { timeoutMs: 10_000 });
    if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${res.text.slice(0, 300)}`);
    return res.text;
  };
  const first = await waitFor(15_000, () => (exporter?.exitCode !== null ? 'exited' : scrape().catch(() => undefined)));
  if (first === undefined || first === 'exited') {
    t.fail(`the exporter in the namespace did not answer: ${exporterOutput()}`);
    return;
  }

  // What the exporter sees: the server (primary + workers) and itself. Not the host's processes.
  t.deepEqual(groupNames(first), ['burn', 'node'], first.split('\n').filter((l) => l.includes('num_procs')).join('\n'));
  t.is(valueOf(first, 'namedprocess_namegroup_num_procs{groupname="burn"}'), 1 + WORKERS);
  t.is(valueOf(first, 'namedprocess_namegroup_num_procs{groupname="node"}'), 1, 'only the exporter itself');
  t.is(valueOf(first, 'node_scrape_collector_success{collector="process_groups"}'), 1);

  // The server works; its group's CPU counter rises by about what the requests burned.
  const before = cpuSeconds(first, 'burn');
  const requests = 30;
  const burnMs = 40;
  for (let i = 0; i < requests; i += 2) {
    await Promise.all([0, 1].map(() => httpGet(serverPort, `/?ms=${burnMs}`, { timeoutMs: 5000 })));
  }
  const second = await scrape();
  const burned = cpuSeconds(second, 'burn') - before;
  t.log(`burn group CPU: ${before} s, then ${before + burned} s after ${(requests * burnMs) / 1000} s of requests`);
  t.true(burned >= (0.5 * requests * burnMs) / 1000, `CPU rose by ${burned} s`);
  t.is(valueOf(second, 'namedprocess_namegroup_num_procs{groupname="burn"}'), 1 + WORKERS);
  t.is(valueOf(second, 'namedprocess_namegroup_num_procs{groupname="outside"}'), undefined);
});
