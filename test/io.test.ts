import test from 'ava';
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { readBytes, readText, readTextIfExists, readUintIfExists, setKernelFsRoots } from '../src/io.js';

test('readText reads small and multi-chunk files, through either path', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'io-test-'));
  await mkdir(path.join(dir, '42'));
  const big = 'x'.repeat(20_000) + '\n';
  await writeFile(path.join(dir, 'stat'), 'cpu 1 2 3\n');
  await writeFile(path.join(dir, '42', 'stat'), big);
  await writeFile(path.join(dir, 'empty'), '');
  setKernelFsRoots(dir, path.join(dir, 'sys'));
  t.teardown(() => setKernelFsRoots('/proc', '/sys'));
  t.is(await readText(path.join(dir, 'stat')), 'cpu 1 2 3\n');
  t.is(await readText(path.join(dir, '42', 'stat')), big, 'per-pid files take the pooled path and read past one chunk');
  t.is((await readBytes(path.join(dir, 'empty'))).length, 0);
  t.is(await readTextIfExists(path.join(dir, 'missing')), undefined);
  t.is(await readTextIfExists(path.join(dir, '42', 'missing')), undefined);
  await writeFile(path.join(dir, '42', 'n'), '17\n');
  t.is(await readUintIfExists(path.join(dir, '42', 'n')), 17);
  await writeFile(path.join(dir, '42', 'bad'), 'x\n');
  await t.throwsAsync(readUintIfExists(path.join(dir, '42', 'bad')), { message: /parsing .*bad: bad: expected an unsigned integer/ });
});

test('an aborted read rejects instead of reading on', async (t) => {
  const controller = new AbortController();
  controller.abort(new Error('deadline'));
  await t.throwsAsync(readText('/etc/hostname', controller.signal), { message: 'deadline' });
});
