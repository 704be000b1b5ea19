/**
 * The per-process caches on the live /proc, with real processes: an exec (new comm, new
 * command line, same PID and start time) moves the process to its new group at the next
 * scrape, and once it exits its group is gone; a /proc/<pid> file read through a held fd
 * never serves the values of a process that exited. test/unit/process/process-cache.test.ts
 * covers a reused PID and a cgroup move on a copied tree.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { HostFs } from '../../src/hostfs/host-fs.js';
import { ProcessTable } from '../../src/process/table.js';
import { groupNames, groupsScraper } from '../helpers/process-groups.js';

const WAIT_MS = 5000;

async function comm(pid: number): Promise<string | undefined> {
  return readFile(`/proc/${pid}/comm`, 'utf8').then(
    (text) => text.trim(),
    () => undefined,
  );
}

/** Polls (every 20 ms, at most WAIT_MS) until `check` holds. */
async function waitFor(t: ExecutionContext, what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  t.fail(`timed out waiting for ${what}`);
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));
}

/** Names of at most 15 bytes (the kernel's comm), unique to this run: symlinks to sh and sleep. */
async function commands(t: ExecutionContext) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'process-cache-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const tag = randomBytes(3).toString('hex');
  const first = `pcfirst-${tag}`;
  const second = `pcsecond-${tag}`;
  await symlink('/bin/sh', path.join(dir, first));
  await symlink('/bin/sleep', path.join(dir, second));
  return { dir, first, second };
}

test('a real exec moves the process to its new group at the next scrape; its exit removes the group', async (t) => {
  const { dir, first, second } = await commands(t);
  const child = spawn(path.join(dir, first), ['-c', `read line; exec ${path.join(dir, second)} 30`], { stdio: ['pipe', 'ignore', 'ignore'] });
  t.teardown(() => {
    child.kill('SIGKILL');
  });
  const pid = child.pid as number;
  await waitFor(t, `${first} to run`, async () => (await comm(pid)) === first);

  const config = `process_names:\n  - name: "{{.Comm}}"\n    comm: [${first}, ${second}]\n`;
  const scraper = groupsScraper({ procfs: '/proc', config });
  t.teardown(() => scraper.close());
  const before = await scraper.scrape();
  t.is(before.success, 1, before.logs.join('\n'));
  t.deepEqual(groupNames(before.text), [first]);

  child.stdin?.end('go\n');
  await waitFor(t, `the exec into ${second}`, async () => (await comm(pid)) === second);
  const after = await scraper.scrape();
  t.deepEqual(groupNames(after.text), [second]);
  t.regex(after.text, new RegExp(`^namedprocess_namegroup_num_procs\\{groupname="${second}"\\} 1$`, 'm'));

  child.kill('SIGTERM');
  await exited(child);
  const gone = await scraper.scrape();
  t.deepEqual(groupNames(gone.text), []);
});

test('a held /proc/<pid> file of a process that exited is not read again: the read fails as for a missing process', async (t) => {
  const { dir, second } = await commands(t);
  const child = spawn(path.join(dir, second), ['30'], { stdio: 'ignore' });
  t.teardown(() => {
    child.kill('SIGKILL');
  });
  const pid = child.pid as number;
  await waitFor(t, `${second} to run`, async () => (await comm(pid)) === second);

  const host = new HostFs();
  t.teardown(() => host.close());
  const signal = new AbortController().signal;
  const { entries } = await ProcessTable.of(host).list(signal);
  t.true(entries.some((e) => e.pid === String(pid) && 'stat' in e && e.stat.comm === second));
  const file = host.paths.proc(String(pid), 'status');
  const heldBefore = host.heldProcessFileCount();
  t.regex(await host.readText(file, signal), new RegExp(`^Name:\\s+${second}$`, 'm'));
  t.true(host.heldProcessFileCount() > heldBefore, 'its status is held open');

  child.kill('SIGKILL');
  await exited(child);
  const error = await t.throwsAsync(host.readText(file, signal));
  t.true(['ENOENT', 'ESRCH'].includes((error as NodeJS.ErrnoException).code as string), String(error));

  // The next listing closes the held fds of processes no longer listed.
  const { entries: later } = await ProcessTable.of(host).list(signal);
  t.false(later.some((e) => e.pid === String(pid) && 'stat' in e));
});
