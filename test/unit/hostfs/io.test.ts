import test from 'ava';
import { statSync } from 'node:fs';
import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { HostFs } from '../../../src/hostfs/host-fs.js';
import { HostPaths } from '../../../src/hostfs/paths.js';
import { fifoWithLateWriter } from '../../helpers/fifo.js';

test('readText reads small and multi-chunk files, through either path', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'io-test-'));
  await mkdir(path.join(dir, '42'));
  const big = 'x'.repeat(20_000) + '\n';
  await writeFile(path.join(dir, 'stat'), 'cpu 1 2 3\n');
  await writeFile(path.join(dir, '42', 'stat'), big);
  await writeFile(path.join(dir, 'empty'), '');
  const host = new HostFs(new HostPaths(dir, path.join(dir, 'sys')));
  t.teardown(() => host.close());
  t.is(await host.readText(path.join(dir, 'stat')), 'cpu 1 2 3\n');
  t.is(await host.readText(path.join(dir, '42', 'stat')), big, 'per-pid files take the pooled path and read past one chunk');
  t.is((await host.readBytes(path.join(dir, 'empty'))).length, 0);
  t.is(await host.readTextIfExists(path.join(dir, 'missing')), undefined);
  t.is(await host.readTextIfExists(path.join(dir, '42', 'missing')), undefined);
  await writeFile(path.join(dir, '42', 'n'), '17\n');
  t.is(await host.readUintIfExists(path.join(dir, '42', 'n')), 17);
  await writeFile(path.join(dir, '42', 'bad'), 'x\n');
  await t.throwsAsync(host.readUintIfExists(path.join(dir, '42', 'bad')), { message: /parsing .*bad: bad: expected an unsigned integer/ });
});

test('an aborted read rejects instead of reading on', async (t) => {
  const controller = new AbortController();
  controller.abort(new Error('deadline'));
  const host = new HostFs();
  await t.throwsAsync(host.readText('/etc/hostname', controller.signal), { message: 'deadline' });
});

async function elapsed<T>(p: Promise<T>): Promise<{ ms: number; outcome: PromiseSettledResult<T> }> {
  const start = performance.now();
  const [outcome] = await Promise.allSettled([p]);
  return { ms: performance.now() - start, outcome: outcome as PromiseSettledResult<T> };
}

test.serial('a FIFO in a copied procfs tree is refused at once, never waited on', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'io-test-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await mkdir(path.join(dir, '42'));
  // Without O_NONBLOCK, open(2) would wait for these writers: 3 s.
  fifoWithLateWriter(t, path.join(dir, 'loadavg'), 3000);
  fifoWithLateWriter(t, path.join(dir, '42', 'stat'), 3000);
  const host = new HostFs(new HostPaths(dir, path.join(dir, 'sys')));
  t.teardown(() => host.close());
  for (const file of [path.join(dir, 'loadavg'), path.join(dir, '42', 'stat')]) {
    const { ms, outcome } = await elapsed(host.readText(file));
    t.is(outcome.status, 'rejected', `${file} was read: ${JSON.stringify(outcome)}`);
    if (outcome.status === 'rejected') {
      t.is((outcome.reason as NodeJS.ErrnoException).code, 'EFTYPE');
      t.is((outcome.reason as Error).message, `EFTYPE: not a regular file (FIFO), open '${file}'`);
    }
    t.true(ms < 1000, `${file}: ${ms} ms`);
  }
});

test('readUserFile reads a regular file and its mtime; refuses a FIFO, a directory, /dev/zero and a file over the limit', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'io-test-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const host = new HostFs();
  const regular = path.join(dir, 'config.yml');
  await writeFile(regular, 'x'.repeat(1000));
  const read = await host.readUserFile(regular, { maxBytes: 1000 });
  t.is(read.bytes.toString(), 'x'.repeat(1000));
  t.is(read.mtimeSeconds, Math.floor(statSync(regular).mtimeMs / 1000));
  await host.checkUserFile(regular);

  const fifo = path.join(dir, 'fifo.yml');
  fifoWithLateWriter(t, fifo, 3000);
  const zero = path.join(dir, 'zero.yml');
  await symlink('/dev/zero', zero);
  const refusals: [string, number, string][] = [
    [fifo, 1 << 20, `EFTYPE: not a regular file (FIFO), open '${fifo}'`],
    [dir, 1 << 20, `EISDIR: not a regular file (directory), open '${dir}'`],
    [zero, 1 << 20, `EFTYPE: not a regular file (character device), open '${zero}'`],
    [regular, 999, `EFBIG: larger than the limit of 999 bytes, read '${regular}'`],
  ];
  for (const [file, maxBytes, message] of refusals) {
    const { ms, outcome } = await elapsed(host.readUserFile(file, { maxBytes }));
    t.is(outcome.status === 'rejected' ? (outcome.reason as Error).message : 'read', message);
    t.true(ms < 1000, `${file}: ${ms} ms`);
  }
  await t.throwsAsync(host.checkUserFile(fifo), { code: 'EFTYPE' });
  await t.throwsAsync(host.readUserFile(path.join(dir, 'missing'), { maxBytes: 10 }), { code: 'ENOENT' });
});

test('isDirectory: a directory yes; a missing path, a file or a path through a file no; on the live /sys and a copied tree', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'io-isdir-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await mkdir(path.join(dir, 'sys', 'cpu0'), { recursive: true });
  await writeFile(path.join(dir, 'sys', 'file'), 'x\n');
  const copied = new HostFs(new HostPaths(dir, path.join(dir, 'sys')));
  t.teardown(() => copied.close());
  t.true(await copied.isDirectory(path.join(dir, 'sys', 'cpu0')));
  t.false(await copied.isDirectory(path.join(dir, 'sys', 'cpu1')));
  t.false(await copied.isDirectory(path.join(dir, 'sys', 'file')));
  t.false(await copied.isDirectory(path.join(dir, 'sys', 'file', 'below')), 'ENOTDIR is a no');
  const live = new HostFs();
  t.teardown(() => live.close());
  t.true(await live.isDirectory('/sys/devices/system/cpu/cpu0'));
  t.false(await live.isDirectory('/sys/devices/system/cpu/cpu0/no-such-dir'));
  t.false(await live.isDirectory('/sys/devices/system/cpu/online'));
});
