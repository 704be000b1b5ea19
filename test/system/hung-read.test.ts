/**
 * Reads that never return, as from a hung NFS mount or /proc/<pid> of a process stuck in D
 * state: a FUSE file system (test/helpers/hanging-read-fuse.py) serves a procfs copy whose
 * <pid>/stat reads hang, and a textfile directory with a file whose read hangs; its statfs
 * hangs too, as a dead NFS server's does (so the exporter must not statfs --path.procfs). The real
 * exporter must keep answering: the hung reads take at most the gate's slots of libuv's thread
 * pool (never the exporter's own metrics or other collectors), each hung file is read once,
 * /-/healthy and /-/ready say the pool is saturated, everything recovers once the reads return,
 * and SIGTERM ends the process within a bound while they do not. The tree is not a live procfs
 * (it is reached through /proc/<pid>/root of the FUSE daemon), so every file of it goes through
 * the gate: while the gate is saturated, the loadavg collector reading the same tree is refused
 * at once, as the processes collector is, rather than waited for.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import test, { type ExecutionContext } from 'ava';
import { valueOf } from '../helpers/collect.js';
import { type ExporterProcess, OUR_MAIN, freePort, startExporter } from '../helpers/exporters.js';
import { type FuseMount, BOUND_MS, mainThreadEnded, mountHangingFuse } from '../helpers/fuse.js';
import { waitFor } from '../helpers/wait.js';

/** /proc/self/stat of this process, as pid `pid` (a valid stat line for the processes collector). */
function statLine(pid: number): string {
  const own = readFileSync('/proc/self/stat', 'utf8');
  return `${pid} (hung) S ${own.slice(own.lastIndexOf(')') + 4)}`;
}

const HUNG_PIDS = [10, 11, 12, 13];

/** The tree: a procfs whose pids 10-13 hang on reading their stat, and a textfile directory with a hanging file. */
function tree(): Record<string, string | { hang: string }> {
  const files: Record<string, string | { hang: string }> = {
    'proc/loadavg': '0.10 0.20 0.30 1/100 4242\n',
    'proc/sys/kernel/pid_max': '4194304\n',
    'proc/sys/kernel/threads-max': '100000\n',
    'proc/20/stat': statLine(20),
    'proc/20/task/20/stat': statLine(20),
    'textfile/ok.prom': 'ok_metric 1\n',
    'textfile/hang.prom': { hang: 'hang_metric 1\n' },
    'config.yml': { hang: 'modules: {}\n' },
  };
  for (const pid of HUNG_PIDS) {
    files[`proc/${pid}/stat`] = { hang: statLine(pid) };
    files[`proc/${pid}/task/${pid}/stat`] = statLine(pid);
  }
  return files;
}

async function mountTree(t: ExecutionContext): Promise<FuseMount | undefined> {
  return mountHangingFuse(t, 'hanging-read-fuse.py', (dir, releaseFile) => {
    const treeFile = `${dir}/tree.json`;
    writeFileSync(treeFile, JSON.stringify(tree()));
    return [treeFile, releaseFile];
  });
}

const LOADAVG_ONLY = ['--collector.disable-defaults', '--collector.loadavg'];

async function exporterOn(t: ExecutionContext, m: FuseMount): Promise<ExporterProcess> {
  const root = `/proc/${m.pid}/root${m.mountpoint}`;
  const e = await startExporter('ours', [
    ...LOADAVG_ONLY,
    '--collector.processes',
    '--collector.textfile',
    `--collector.textfile.directory=${root}/textfile`,
    `--path.procfs=${root}/proc`,
    '--scrape.collector-timeout=2s',
  ]);
  // The daemon first: while reads hang, the exporter process cannot fully end.
  t.teardown(async () => {
    await m.stop();
    await e.stop();
  });
  return e;
}

/** How often the daemon was asked to read each hanging file. */
function hungReads(m: FuseMount): Map<string, number> {
  const counts = new Map<string, number>();
  for (const l of m.output().split('\n')) if (l.startsWith('read ')) counts.set(l.slice(5), (counts.get(l.slice(5)) ?? 0) + 1);
  return counts;
}

async function timedScrape(e: ExporterProcess, urlPath = '/metrics'): Promise<{ text: string; ms: number }> {
  const start = performance.now();
  const text = await e.scrape(urlPath, { timeoutMs: 10_000 });
  return { text, ms: performance.now() - start };
}

const success = (text: string, collector: string) => valueOf(text, `node_scrape_collector_success{collector="${collector}"}`);

test('reads that never return hold at most the gate\'s threads; scrapes and health go on, and recover', async (t) => {
  const m = await mountTree(t);
  if (!m) return;
  const e = await exporterOn(t, m);

  // 1. The first scrape meets the hung reads and still answers at its deadline.
  const first = await timedScrape(e);
  t.true(first.ms < 4000, `first scrape took ${first.ms} ms`);
  t.truthy(valueOf(first.text, 'process_virtual_memory_max_bytes'), 'the exporter\'s own metrics are not read through the pool');

  // 2. Once the reads have hung for 5 s, every slot is stuck: health says so.
  await waitFor('/-/healthy to answer 503', async () => (await e.get('/-/healthy')).status === 503, 15_000);
  const healthy = await e.get('/-/healthy');
  t.regex(healthy.text, /^Unhealthy: I\/O thread pool saturated: all 3 slots hold file reads that have not returned for over 5\.0s \(oldest: \S+\/proc\/1[0-3]\/stat, \d+\.\ds\)\n$/);
  const ready = await e.get('/-/ready');
  t.is(ready.status, 503);
  t.regex(ready.text, /^Not ready: I\/O thread pool saturated/);

  // 3. Meanwhile scrapes answer at once: the saturated pool and the hung textfile directory
  // (stuck 5 s after its read began, a moment apart from the pool's reads) are refused, not waited for.
  await waitFor('the textfile read to be stuck', () => e.output.includes('reporting it as failed until it does'), 5000);
  for (let i = 0; i < 3; i++) {
    const s = await timedScrape(e);
    t.true(s.ms < 1500, `scrape while saturated took ${s.ms} ms`);
    t.is(success(s.text, 'processes'), 0);
    t.is(success(s.text, 'loadavg'), 0);
    t.is(success(s.text, 'textfile'), 1);
    t.is(valueOf(s.text, 'node_textfile_scrape_error'), 1);
    t.truthy(valueOf(s.text, 'process_resident_memory_bytes'));
  }
  const filtered = await timedScrape(e, '/metrics?collect[]=loadavg');
  t.true(filtered.ms < 1500);
  t.is(success(filtered.text, 'loadavg'), 0);
  // Refused, not waited for: a hung file is not read again, and a saturated gate takes no more reads.
  t.regex(e.output, /collector=processes .*err="(an earlier read of \S+\/proc\/1[0-3]\/stat has not returned for \d+\.\ds; not reading it again until it does|I\/O thread pool saturated: )/);
  // Each hung file was read once: no second thread was sunk into it, and only 3 pool threads in all.
  const reads = hungReads(m);
  t.true([...reads.values()].every((n) => n === 1), JSON.stringify([...reads]));
  const procReads = [...reads.keys()].filter((k) => k.startsWith('/proc/'));
  t.true(procReads.length <= 3, `hung procfs reads: ${procReads.join(', ')}`);
  t.deepEqual([...reads.keys()].filter((k) => k.startsWith('/textfile/')), ['/textfile/hang.prom']);

  // 4. The reads return: health and the collectors recover.
  await m.release();
  await waitFor('/-/healthy to answer 200', async () => (await e.get('/-/healthy')).status === 200, BOUND_MS);
  await waitFor('the processes collector to succeed', async () => success((await timedScrape(e)).text, 'processes') === 1, 15_000);
  const after = await timedScrape(e);
  t.is(valueOf(after.text, 'node_processes_pids'), 5);
  t.is(valueOf(after.text, 'node_load1'), 0.1);
  t.is(valueOf(after.text, 'hang_metric'), 1);
  t.is(valueOf(after.text, 'node_textfile_scrape_error'), 0);
  t.is((await e.get('/-/ready')).status, 200);
});

test('SIGTERM ends the process within a bound while reads do not return', async (t) => {
  const m = await mountTree(t);
  if (!m) return;
  const e = await exporterOn(t, m);
  await timedScrape(e);
  await waitFor('/-/healthy to answer 503', async () => (await e.get('/-/healthy')).status === 503, 15_000);
  e.child.kill('SIGTERM');
  // No request is in flight: shutdown waits 1 s for the thread pool, then ends by signal.
  const state = await mainThreadEnded(e.pid, 5000);
  t.true(state === undefined || state === 'Z', `main thread state after SIGTERM: ${state}`);
  await waitFor('the exit log line', () => e.output.includes('ending the process by signal'), 3000).catch(() => undefined);
  t.regex(e.output, /msg="file system requests have not returned; ending the process by signal, as a normal exit would wait for them" pending="FSReqCallback x\d" signal=SIGTERM exit_code=0/);
  await m.stop();
  const exit = await e.waitExit(BOUND_MS);
  t.deepEqual(exit, { code: null, signal: 'SIGTERM' });
});

test('a config file whose read never returns stops start-up after 10 s, saying so, instead of hanging silently', async (t) => {
  const m = await mountTree(t);
  if (!m) return;
  const config = `/proc/${m.pid}/root${m.mountpoint}/config.yml`;
  const child = spawn(process.execPath, [OUR_MAIN, `--web.listen-address=127.0.0.1:${await freePort()}`, ...LOADAVG_ONLY, `--config.file=${config}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const closed = new Promise<NodeJS.Signals | null>((resolve) => child.once('close', (_code, signal) => resolve(signal)));
  t.teardown(() => {
    child.kill('SIGKILL');
  });
  await waitFor('the start-up error', () => stderr.includes('did not finish'), 15_000);
  t.regex(stderr, new RegExp(`level=ERROR msg="invalid config: ${config}: cannot read the config file: the read did not finish within 10 s \\(a hung mount\\?\\)"`));
  t.false(stderr.includes('Listening on'));
  // The read still hangs, so the process ends by signal rather than wait for it.
  const state = await mainThreadEnded(child.pid as number, 5000);
  t.true(state === undefined || state === 'Z', `main thread state: ${state}; stderr:\n${stderr}`);
  await m.stop();
  t.is(await closed, 'SIGTERM');
});
