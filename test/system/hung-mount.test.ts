/**
 * A mount whose statfs never returns (test/helpers/hanging-fuse.py, like an NFS server gone
 * away) must not stall the exporter: every scrape answers within its deadline, the first one
 * included; the mount is reported as device_error="mountpoint timeout" and not asked again
 * until its call returns; other mounts and other file reads go on; the process can still exit.
 *
 * The FUSE daemon runs in a private mount namespace (unshare), so no other process on the
 * machine (other tests, a node_exporter) ever sees the hung mount. The exporter reads that
 * namespace's mounts through a procfs whose 1/mountinfo is a copy of /proc/<daemon>/mountinfo,
 * and statfs's them under --path.rootfs=/proc/<daemon>/root.
 */
import test, { type ExecutionContext } from 'ava';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { allFlags } from '../../src/options.js';
import { filesystemCollector } from '../../src/collector/filesystem.js';
import { NodeCollector } from '../../src/collector/node-collector.js';
import { collectorFactories } from '../../src/collectors.js';
import { writeText } from '../../src/exposition/text.js';
import { parseFlags } from '../../src/cli/flags.js';
import { createLogger } from '../../src/lib/log.js';
import { HostPaths } from '../../src/hostfs/paths.js';
import { testContext } from '../helpers/collect.js';
import { REPO_ROOT, startExporter } from '../helpers/exporters.js';
import { type ParsedSample, byName, parseExposition } from '../helpers/exposition-parse.js';
import { BOUND_MS, type FuseMount, boundedWait, mainThreadEnded, mountHangingFuse } from '../helpers/fuse.js';
import { sleep, waitFor } from '../helpers/wait.js';

interface HangingMount extends Pick<FuseMount, 'pid' | 'mountpoint' | 'release' | 'stop'> {
  /** A procfs whose 1/mountinfo lists the namespace's mounts, the hung one first. */
  readonly procfs: string;
  /** The namespace's root, as seen from here. */
  readonly rootfs: string;
  /** statfs calls the FUSE daemon has received. */
  statfsCalls(): number;
}

/** Mounts test/helpers/hanging-fuse.py, or returns undefined after logging why the test is skipped. */
async function mountHangingStatfs(t: ExecutionContext): Promise<HangingMount | undefined> {
  const fuse = await mountHangingFuse(t, 'hanging-fuse.py', (_dir, releaseFile) => [releaseFile]);
  if (!fuse) return undefined;
  const { pid, mountpoint } = fuse;
  // The namespace's mounts, the hung one first, so that its statfs hangs before the others run.
  const lines = readFileSync(`/proc/${pid}/mountinfo`, 'utf8').split('\n').filter(Boolean);
  const hung = lines.filter((l) => l.split(' ')[4] === mountpoint);
  if (hung.length !== 1) throw new Error(`${mountpoint} is not in /proc/${pid}/mountinfo:\n${lines.join('\n')}`);
  const procfs = path.join(fuse.dir, 'proc');
  await mkdir(path.join(procfs, '1'), { recursive: true });
  await writeFile(path.join(procfs, '1', 'mountinfo'), [...hung, ...lines.filter((l) => !hung.includes(l))].join('\n') + '\n');
  return {
    pid,
    mountpoint,
    procfs,
    rootfs: `/proc/${pid}/root`,
    statfsCalls: () => fuse.output().split('\n').filter((l) => l === 'statfs').length,
    release: fuse.release,
    stop: fuse.stop,
  };
}

function fuseLabels(m: HangingMount, deviceError: string): string {
  return `device=hangingfuse,device_error=${deviceError},fstype=fuse.hanging,mountpoint=${m.mountpoint}`;
}

function labelKey(s: ParsedSample): string {
  return Object.keys(s.labels)
    .sort()
    .map((k) => `${k}=${s.labels[k]}`)
    .join(',');
}

function values(text: string, metric: string): Map<string, number> {
  return new Map((byName(parseExposition(text)).get(metric)?.samples ?? []).map((s) => [labelKey(s), s.value]));
}

/** The root filesystem has its size series: healthy mounts are still served. */
function rootHasSize(text: string): boolean {
  return [...values(text, 'node_filesystem_size_bytes').keys()].some((k) => /^device=[^,]*,device_error=,fstype=[^,]*,mountpoint=\/$/.test(k));
}

test('scrapes answer within the deadline while a mount hangs, and the mount recovers', async (t) => {
  const m = await mountHangingStatfs(t);
  if (!m) return;
  const logs: string[] = [];
  const log = createLogger('debug', 'logfmt', (l) => logs.push(l));
  const flags = parseFlags(allFlags([filesystemCollector]), ['--collector.filesystem.mount-timeout=1s']);
  const collector = filesystemCollector.create(testContext({ paths: new HostPaths(m.procfs, '/sys', m.rootfs), flags, log }));
  t.teardown(() => collector.close?.());
  const node = new NodeCollector(new Map([['filesystem', collector]]), log);
  // The exporter starts a moment before Prometheus' first scrape.
  await sleep(1000);
  const deadlineMs = 3000;
  const scrape = async () => {
    const start = performance.now();
    const text = writeText(await node.collect(deadlineMs));
    return { text, ms: performance.now() - start };
  };

  // 1. The first scrape meets the hang, and still answers in time.
  const first = scrape();
  await waitFor('the FUSE daemon to receive a statfs', () => m.statfsCalls() === 1);
  // Meanwhile other file reads, more of them than libuv has threads, are not held up.
  const readStart = performance.now();
  await Promise.all(Array.from({ length: 16 }, () => readFile('/proc/loadavg', 'utf8')));
  const readMs = performance.now() - readStart;
  t.true(readMs < 1000, `16 reads of /proc/loadavg took ${readMs} ms during the hang`);
  const s1 = await first;
  t.true(s1.ms < deadlineMs, `first scrape took ${s1.ms} ms`);
  t.is(values(s1.text, 'node_scrape_collector_success').get('collector=filesystem'), 1);
  t.is(values(s1.text, 'node_filesystem_device_error').get(fuseLabels(m, 'mountpoint timeout')), 1);
  t.is(values(s1.text, 'node_filesystem_readonly').get(fuseLabels(m, 'mountpoint timeout')), 1, 'mounted ro');
  t.false(values(s1.text, 'node_filesystem_size_bytes').has(fuseLabels(m, 'mountpoint timeout')));
  t.true(rootHasSize(s1.text), 'the pool thread stuck on the first mount was bypassed for the others');

  // 2. Once the mount timeout has passed, the mount is stuck: reported at once, never re-asked.
  await waitFor('the mount to be marked stuck', () => logs.some((l) => l.includes('reporting the mount as stuck')));
  for (let i = 0; i < 2; i++) {
    const s = await scrape();
    t.true(s.ms < 1000, `scrape ${i + 2} took ${s.ms} ms; a stuck mount must not be waited for`);
    t.is(values(s.text, 'node_filesystem_device_error').get(fuseLabels(m, 'mountpoint timeout')), 1);
    t.true(rootHasSize(s.text));
  }
  t.is(m.statfsCalls(), 1, 'no second statfs of the stuck mount while the first has not returned');

  // 3. The hung call returns: the mount has recovered and is asked again.
  await m.release();
  await waitFor('the recovery to be logged', () => logs.some((l) => l.includes('the mount has recovered')));
  const s4 = await scrape();
  const ok = fuseLabels(m, '');
  t.is(values(s4.text, 'node_filesystem_device_error').get(ok), 0);
  t.is(values(s4.text, 'node_filesystem_size_bytes').get(ok), 1000 * 4096);
  t.is(values(s4.text, 'node_filesystem_free_bytes').get(ok), 250 * 4096);
  t.is(values(s4.text, 'node_filesystem_avail_bytes').get(ok), 200 * 4096);
  t.is(values(s4.text, 'node_filesystem_files').get(ok), 64);
  t.is(values(s4.text, 'node_filesystem_files_free').get(ok), 32);
  // The daemon reports each call on its stdout, which may reach us after the answer did.
  await waitFor('the daemon to report the second statfs', () => m.statfsCalls() >= 2);
  t.is(m.statfsCalls(), 2);
});

test('a process that calls process.exit() while a statfs hangs still exits', async (t) => {
  const m = await mountHangingStatfs(t);
  if (!m) return;
  const target = path.join(m.rootfs, m.mountpoint);
  const module = (file: string): string => JSON.stringify(pathToFileURL(path.join(REPO_ROOT, 'build/src', file)).href);
  // Hangs a statfs on libuv's pool, waits until it is stuck, then exits as an uncaught error
  // would (not through exitProcess): Node would join the hung pool thread.
  const script = `
    const { MountStatfs } = await import(${module('statfs/mount-statfs.js')});
    const { HostFs } = await import(${module('hostfs/host-fs.js')});
    const { createLogger } = await import(${module('lib/log.js')});
    const statfs = new MountStatfs({ host: new HostFs(), mountTimeoutMs: 200, concurrency: 4, log: createLogger('info', 'logfmt') });
    await statfs.statfsAll([${JSON.stringify(target)}], 100);
    while (!statfs.isStuck(${JSON.stringify(target)})) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 100));
    process.stdout.write('stuck\\n');
    process.exit(0);
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (output += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (output += c));
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('close', (_code, signal) => resolve(signal)));
  t.teardown(async () => {
    await m.stop();
    child.kill('SIGKILL');
  });

  await waitFor('the child to have a stuck statfs', () => output.includes('stuck') || child.exitCode !== null, 10_000).catch((err: Error) => {
    throw new Error(`${err.message}; output:\n${output}`);
  });
  t.true(output.includes('stuck'), output);
  // Node would join the hung pool thread forever; the main thread must end instead. The
  // kernel keeps the process until the FUSE request is aborted, so look at the main thread.
  const state = await mainThreadEnded(child.pid as number, 3000);
  t.true(state === undefined || state === 'Z', `main thread state ${state}; output:\n${output}`);
  // Written before the main thread ended; our end of the pipe may not have read it yet.
  await waitFor('the exit log line', () => output.includes('exiting while statfs calls are hung'), 3000).catch(() => undefined);
  t.regex(output, /exiting while statfs calls are hung/);
  // Killing the daemon aborts the hung request; then the process is gone, ended by its own signal.
  await m.stop();
  t.true(await boundedWait(exited, BOUND_MS), 'the process ended once the FUSE request was aborted');
  t.is(await exited, 'SIGTERM');
});

test('the real exporter process serves and shuts down while a mount hangs', async (t) => {
  if (!collectorFactories.some((f) => f.name === 'filesystem')) {
    t.fail('filesystem is not registered in src/collectors.ts, so build/src/main.js cannot enable it');
    return;
  }
  const m = await mountHangingStatfs(t);
  if (!m) return;
  const exporter = await startExporter('ours', [
    '--collector.disable-defaults',
    '--collector.filesystem',
    `--path.procfs=${m.procfs}`,
    `--path.rootfs=${m.rootfs}`,
    '--collector.filesystem.mount-timeout=500ms',
  ]);
  // The daemon first: while the statfs hangs, the exporter process cannot fully end.
  t.teardown(async () => {
    await m.stop();
    await exporter.stop();
  });
  for (let i = 0; i < 3; i++) {
    const start = performance.now();
    const text = await exporter.scrape('/metrics', { timeoutMs: 5000 });
    const ms = performance.now() - start;
    t.true(ms < 3000, `scrape ${i + 1} took ${ms} ms`);
    t.is(values(text, 'node_filesystem_device_error').get(fuseLabels(m, 'mountpoint timeout')), 1);
    t.true(rootHasSize(text));
    t.is(values(text, 'node_scrape_collector_success').get('collector=filesystem'), 1);
    await sleep(300);
  }
  t.is(m.statfsCalls(), 1);
  exporter.child.kill('SIGTERM');
  const state = await mainThreadEnded(exporter.pid, 3000);
  t.true(state === undefined || state === 'Z', `main thread state after SIGTERM: ${state}`);
  await m.stop();
  t.truthy(await exporter.waitExit(BOUND_MS), 'the exporter ended once the FUSE request was aborted');
});
