import test from 'ava';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HostFs } from '../../../src/hostfs/host-fs.js';
import { KernelFileReader, isLiveKernelFs } from '../../../src/hostfs/kernel-file.js';
import { cannotRunHere } from '../../helpers/skip.js';

const decode = (buf: Buffer, length: number): string => buf.toString('utf8', 0, length);
const HOLD = { hold: true, wholeInOneRead: false };

function tempDir(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'kernel-file-test-'));
}

test('only live procfs and sysfs mounts count as kernel file systems whose fds may be held', (t) => {
  t.true(isLiveKernelFs('/proc'));
  t.true(isLiveKernelFs('/sys'));
  t.false(isLiveKernelFs(tempDir()), 'a copied tree could have its files replaced under a held fd');
  t.false(isLiveKernelFs('/no/such/dir'));
  // Another process's root (a FUSE tree in its mount namespace, say) is not ours to judge.
  t.false(isLiveKernelFs(`/proc/${process.pid}/root/proc`));
  t.false(isLiveKernelFs(`/proc/self/cwd`));
  t.true(isLiveKernelFs(`/proc/${process.pid}/task`));
});

test('liveness is told from the mount table, not by statfs of the path (which can hang): the deepest, last mount wins', (t) => {
  const mountinfo = [
    '1 0 8:1 / / rw - ext4 /dev/sda1 rw',
    '2 1 0:5 / /host/proc rw - proc proc rw',
    '3 1 0:6 / /host/sys rw - sysfs sysfs rw',
    '4 3 0:7 / /host/sys/fs/cgroup rw - cgroup2 cgroup2 rw',
    '5 1 0:40 / /mnt/nfs rw - nfs4 server:/export rw',
    '6 1 0:41 / /snap\\040shot rw - tmpfs tmpfs rw',
    '7 1 0:42 / /over/proc rw - proc proc rw',
    '8 7 0:43 / /over/proc rw - tmpfs tmpfs rw',
  ].join('\n');
  t.true(isLiveKernelFs('/host/proc', mountinfo));
  t.true(isLiveKernelFs('/host/proc/', mountinfo));
  t.true(isLiveKernelFs('/host/sys/fs/cgroup/x', mountinfo));
  t.false(isLiveKernelFs('/host/procfs', mountinfo), 'a sibling with a longer name is not below the mount');
  t.false(isLiveKernelFs('/mnt/nfs/proc', mountinfo));
  t.false(isLiveKernelFs('/snap shot/proc', mountinfo));
  t.false(isLiveKernelFs('/over/proc', mountinfo), 'a tmpfs mounted over a procfs hides it');
  t.false(isLiveKernelFs('/host/proc', 'not a mountinfo line'));
});

test('a held fd is re-read from the start on every read and sees the new contents', (t) => {
  const file = path.join(tempDir(), 'value');
  const reader = new KernelFileReader();
  writeFileSync(file, 'first, longer contents\n');
  t.is(reader.read(file, HOLD, decode), 'first, longer contents\n');
  writeFileSync(file, 'second\n');
  t.is(reader.read(file, HOLD, decode), 'second\n', 'not appended to, not read from the old offset');
  t.is(reader.heldCount, 1);
  reader.closeAll();
  t.is(reader.heldCount, 0);
});

test('files larger than the buffer are read whole, and a later small file still reads right', (t) => {
  const dir = tempDir();
  const big = path.join(dir, 'big');
  const small = path.join(dir, 'small');
  const text = 'line of text\n'.repeat(20_000);
  writeFileSync(big, text);
  writeFileSync(small, 'x\n');
  const reader = new KernelFileReader();
  t.is(reader.read(big, { hold: false, wholeInOneRead: false }, decode), text);
  t.is(reader.read(small, { hold: false, wholeInOneRead: false }, decode), 'x\n');
  t.is(reader.heldCount, 0, 'hold: false closes the fd');
});

test('an error that is the file\'s answer keeps the fd; the next read asks the same fd again', (t) => {
  // Reading a directory fails with EISDIR on every read, like `carrier` on a down interface.
  const dir = tempDir();
  const reader = new KernelFileReader();
  t.throws(() => reader.read(dir, HOLD, decode), { code: 'EISDIR' });
  t.is(reader.heldCount, 1);
  t.throws(() => reader.read(dir, HOLD, decode), { code: 'EISDIR' });
  t.is(reader.heldCount, 1);
});

test('a missing file is not held and reports ENOENT, again while missing, and is read once it appears', (t) => {
  const file = path.join(tempDir(), 'appears-later');
  const reader = new KernelFileReader();
  t.throws(() => reader.read(file, HOLD, decode), { code: 'ENOENT' });
  t.is(reader.heldCount, 0);
  const again = t.throws(() => reader.read(file, HOLD, decode), { code: 'ENOENT' });
  t.regex(again?.message ?? '', /no such file or directory, open '.*appears-later'/);
  writeFileSync(file, 'here now\n');
  t.is(reader.read(file, HOLD, decode), 'here now\n', 'a file remembered as missing is looked for again');
  rmSync(file);
  t.throws(() => reader.read(file, { hold: false, wholeInOneRead: false }, decode), { code: 'ENOENT' });
});

test('at most maxHeld fds are kept; further files are still read', (t) => {
  const dir = tempDir();
  const reader = new KernelFileReader({ maxHeld: 2 });
  for (const name of ['a', 'b', 'c']) writeFileSync(path.join(dir, name), `${name}\n`);
  for (const name of ['a', 'b', 'c']) t.is(reader.read(path.join(dir, name), HOLD, decode), `${name}\n`);
  t.is(reader.heldCount, 2);
});

test('fds not read for idleCloseMs are closed', (t) => {
  const dir = tempDir();
  let now = 1_000_000;
  const reader = new KernelFileReader({ idleCloseMs: 60_000, now: () => now });
  writeFileSync(path.join(dir, 'a'), 'a\n');
  writeFileSync(path.join(dir, 'b'), 'b\n');
  reader.read(path.join(dir, 'a'), HOLD, decode);
  now += 30_000;
  reader.read(path.join(dir, 'b'), HOLD, decode);
  t.is(reader.heldCount, 2);
  now += 31_000; // a idle for 61 s, b for 31 s
  reader.read(path.join(dir, 'b'), HOLD, decode);
  t.is(reader.heldCount, 1, 'a was closed, b kept');
});

test('through io: live kernel files are held and still read fresh values', async (t) => {
  const host = new HostFs();
  t.teardown(() => host.close());
  const first = await host.readText('/proc/uptime');
  t.true(host.heldKernelFileCount() > 0, '/proc/uptime is held open');
  await new Promise((resolve) => setTimeout(resolve, 30));
  const second = await host.readText('/proc/uptime');
  t.not(second, first, 'the uptime moved on, so the held fd was read afresh');
});

test('each HostFs holds its own fds, and close() gives them back; a later read opens the file again', async (t) => {
  const host = new HostFs();
  const other = new HostFs();
  t.teardown(() => other.close());
  await host.readText('/proc/loadavg');
  t.true(host.heldKernelFileCount() > 0);
  t.is(other.heldKernelFileCount(), 0);
  host.close();
  t.is(host.heldKernelFileCount(), 0);
  await host.readText('/proc/loadavg');
  t.true(host.heldKernelFileCount() > 0);
  host.close();
});

/** A cgroup v1 hierarchy or the v2 root where a test may create a child, or undefined. */
function writableCgroupRoot(): string | undefined {
  for (const dir of ['/sys/fs/cgroup/pids', '/sys/fs/cgroup/memory', '/sys/fs/cgroup/unified', '/sys/fs/cgroup']) {
    if (!existsSync(path.join(dir, 'cgroup.procs'))) continue;
    const probe = path.join(dir, `kernel-file-probe-${process.pid}`);
    try {
      mkdirSync(probe);
      rmdirSync(probe);
      return dir;
    } catch {
      // Not ours to write (not root, or a read-only mount): try the next.
    }
  }
  return undefined;
}

test('a held kernfs file whose directory is removed reports ENOENT, not stale data', (t) => {
  const root = writableCgroupRoot();
  if (!root) {
    cannotRunHere(t, 'no writable cgroup hierarchy here (needs root and a cgroup mount) to remove a kernfs directory under a held fd');
    return;
  }
  const dir = path.join(root, `kernel-file-test-${process.pid}`);
  mkdirSync(dir);
  const file = path.join(dir, 'cgroup.procs');
  const reader = new KernelFileReader();
  try {
    t.is(reader.read(file, HOLD, decode), '', 'a new cgroup has no processes');
    t.is(reader.heldCount, 1);
  } finally {
    rmdirSync(dir);
  }
  t.throws(() => reader.read(file, HOLD, decode), { code: 'ENOENT' }, 'the held fd answered ENODEV and the fresh open ENOENT');
  t.is(reader.heldCount, 0);
});

test('readAsync holds the fd, re-reads it from the start, and shares one fd between concurrent reads', async (t) => {
  const file = path.join(tempDir(), 'speed');
  writeFileSync(file, '10000\n');
  const reader = new KernelFileReader();
  const [a, b] = await Promise.all([reader.readAsync(file, true), reader.readAsync(file, true)]);
  t.is(a.toString(), '10000\n');
  t.is(b.toString(), '10000\n');
  t.is(reader.heldCount, 1, 'two concurrent first reads end up with one held fd');
  writeFileSync(file, '25000\n');
  t.is((await reader.readAsync(file, true)).toString(), '25000\n');
  const big = 'y'.repeat(20_000);
  writeFileSync(file, big);
  t.is((await reader.readAsync(file, false)).toString(), big, 'read on past one chunk to EOF');
});

test('readAsync: closing while a read is in flight lets the read finish on its fd', async (t) => {
  const file = path.join(tempDir(), 'duplex');
  writeFileSync(file, 'full\n');
  const reader = new KernelFileReader();
  await reader.readAsync(file, true);
  const inFlight = reader.readAsync(file, true);
  reader.closeAll();
  t.is(reader.heldCount, 0);
  t.is((await inFlight).toString(), 'full\n', 'the fd was not closed under the read');
  t.is((await reader.readAsync(file, true)).toString(), 'full\n', 'and a later read opens it again');
});

test('readAsync: a missing file reports ENOENT, beyond maxHeld files are still read, an aborted signal rejects', async (t) => {
  const dir = tempDir();
  const reader = new KernelFileReader({ maxHeld: 1 });
  await t.throwsAsync(reader.readAsync(path.join(dir, 'missing'), true), { code: 'ENOENT' });
  await t.throwsAsync(reader.readAsync(path.join(dir, 'missing'), true), { code: 'ENOENT' });
  for (const name of ['a', 'b']) writeFileSync(path.join(dir, name), `${name}\n`);
  t.is((await reader.readAsync(path.join(dir, 'a'), true)).toString(), 'a\n');
  t.is((await reader.readAsync(path.join(dir, 'b'), true)).toString(), 'b\n');
  t.is(reader.heldCount, 1);
  const controller = new AbortController();
  controller.abort(new Error('deadline'));
  await t.throwsAsync(reader.readAsync(path.join(dir, 'a'), true, controller.signal), { message: 'deadline' });
});

test('retainProcesses closes the held /proc/<pid> files of the PIDs not kept, and only those', async (t) => {
  const host = new HostFs();
  t.teardown(() => host.close());
  const own = String(process.pid);
  const parent = String(process.ppid);
  await host.readText(host.paths.proc(own, 'stat'));
  await host.readText(host.paths.proc(own, 'status'));
  await host.readText(host.paths.proc(parent, 'stat'));
  t.is(host.heldProcessFileCount(), 3);
  host.retainProcesses(new Set([own, '1']));
  t.is(host.heldProcessFileCount(), 2, "the parent's stat is closed");
  host.retainProcesses(new Set([parent]));
  t.is(host.heldProcessFileCount(), 0);
  // A later read opens it again.
  await host.readText(host.paths.proc(own, 'stat'));
  t.is(host.heldProcessFileCount(), 1);
});

test('a held mountinfo is read whole (past a page, as the kernel hands it a page at a time) and sees mounts made after it was opened', async (t) => {
  const dir = tempDir();
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  let child: ChildProcess;
  try {
    child = spawn('unshare', ['--mount', '--propagation', 'private', 'sleep', '60'], { stdio: 'ignore' });
    await new Promise<void>((resolve, reject) => child.once('spawn', resolve).once('error', reject));
  } catch (err) {
    cannotRunHere(t, `unshare could not run (${(err as Error).message}); it makes a mount namespace of our own`);
    return;
  }
  t.teardown(() => child.kill('SIGKILL'));
  const pid = String(child.pid);
  const mountinfo = `/proc/${pid}/mountinfo`;
  // unshare has made the namespace once its mountinfo differs from ours (it execs sleep after).
  for (let i = 0; i < 100 && readFileSync(mountinfo, 'utf8') === readFileSync('/proc/self/mountinfo', 'utf8'); i++) await new Promise((r) => setTimeout(r, 20));
  const mount = (where: string): void => {
    execFileSync('nsenter', ['-t', pid, '-m', 'mount', '-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', where]);
  };
  const host = new HostFs();
  t.teardown(() => host.close());
  const before = (await host.readBytes(mountinfo)).toString();
  t.is(host.heldProcessFileCount(), 1, 'its fd is held');
  // 40 mounts under a long path: well past the 4 kB page the kernel fills per read.
  const deep = path.join(dir, 'm'.repeat(120));
  const points = Array.from({ length: 40 }, (_, i) => path.join(deep, `point-${i}`));
  for (const p of points) mkdirSync(p, { recursive: true });
  try {
    for (const p of points) mount(p);
  } catch (err) {
    cannotRunHere(t, `nsenter could not mount in the test's namespace (${(err as Error).message})`);
    return;
  }
  const after = (await host.readBytes(mountinfo)).toString();
  t.is(host.heldProcessFileCount(), 1, 'the same fd');
  t.true(after.length > 8192, `${after.length} bytes`);
  t.is(after, readFileSync(mountinfo, 'utf8'), 'the whole table, as a fresh open reads it');
  for (const p of points) t.true(after.includes(` ${p} `), p);
  t.false(before.includes(deep));
});
