import test from 'ava';
import { statfsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '../../../src/lib/log.js';
import { StatfsPool, type StatfsOutcome } from '../../../src/statfs/statfs-pool.js';

/**
 * A stand-in for statfs-worker.js whose calls can hang like a dead NFS server: a path
 * "hang:<file>" blocks the worker thread until <file> exists (and counts its calls in
 * <file>.calls); "crash" throws; anything else answers fixed values at once. Like the real
 * worker, it says "ready" once loaded.
 */
const FAKE_WORKER = new URL(
  'data:text/javascript,' +
    encodeURIComponent(`
import { parentPort } from 'node:worker_threads';
import { appendFileSync, existsSync } from 'node:fs';
const nap = new Int32Array(new SharedArrayBuffer(4));
const stats = { bsize: 512, blocks: 10, bfree: 4, bavail: 3, files: 7, ffree: 6 };
parentPort.on('message', ({ id, path }) => {
  if (path === 'crash') throw new Error('fake worker crash');
  if (path.startsWith('hang:')) {
    const release = path.slice('hang:'.length);
    appendFileSync(release + '.calls', 'call\\n');
    while (!existsSync(release)) Atomics.wait(nap, 0, 0, 10);
  }
  parentPort.postMessage({ id, stats });
});
parentPort.postMessage({ ready: true });
`),
);

function newPool(opts: { workers: number; mountTimeoutMs: number; maxStuckWorkers?: number; workerUrl?: URL }) {
  const logs: string[] = [];
  const pool = new StatfsPool({ ...opts, log: createLogger('debug', 'logfmt', (l) => logs.push(l)) });
  return { pool, logs };
}

async function tempDir(t: { teardown(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'statfs-pool-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function waitFor(what: string, condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const value = await fn();
  return [value, performance.now() - start];
}

async function callCount(release: string): Promise<number> {
  try {
    return (await readFile(release + '.calls', 'utf8')).split('\n').filter(Boolean).length;
  } catch {
    return 0;
  }
}

const OK_FAKE: StatfsOutcome = { kind: 'ok', stats: { bsize: 512, blocks: 10, bfree: 4, bavail: 3, files: 7, ffree: 6 } };

test('statfsAll answers each distinct path once, with Go error text, from one worker', async (t) => {
  const { pool } = newPool({ workers: 4, mountTimeoutMs: 5000 });
  t.teardown(() => pool.close());
  const result = await pool.statfsAll(['/', '/', '/nonexistent-statfs-pool-test'], 10_000);
  t.deepEqual([...result.keys()], ['/', '/nonexistent-statfs-pool-test']);
  const root = result.get('/');
  const host = statfsSync('/');
  t.is(root?.kind, 'ok');
  if (root?.kind === 'ok') {
    t.is(root.stats.bsize, host.bsize);
    t.is(root.stats.blocks, host.blocks);
    t.is(root.stats.files, host.files);
  }
  t.deepEqual(result.get('/nonexistent-statfs-pool-test'), { kind: 'error', error: 'no such file or directory' });
  // A scrape's worth of fast calls does not need more than one worker thread.
  const many = await pool.statfsAll(['/', '/tmp', '/proc', '/sys', '/dev', '/nonexistent-2'], 10_000);
  t.is(many.size, 6);
  t.deepEqual(pool.counts, { idle: 1, running: 0, stuck: 0, queued: 0 });
});

test('a hung call is answered as a timeout, becomes stuck, is not asked again, and recovers', async (t) => {
  const dir = await tempDir(t);
  const release = path.join(dir, 'release');
  const hang = `hang:${release}`;
  const { pool, logs } = newPool({ workers: 2, mountTimeoutMs: 100, workerUrl: FAKE_WORKER });
  t.teardown(async () => {
    await writeFile(release, '');
    pool.close();
  });

  // Budgets are generous: worker threads start slowly on a loaded machine.
  const [first, firstMs] = await timed(() => pool.statfsAll([hang, 'a', 'b'], 1500));
  t.deepEqual(first.get(hang), { kind: 'timeout' });
  t.deepEqual(first.get('a'), OK_FAKE, 'other paths are served while one hangs');
  t.deepEqual(first.get('b'), OK_FAKE);
  t.true(firstMs < 2500, `first answer took ${firstMs} ms`);

  await waitFor('the hung path to be stuck', () => pool.isStuck(hang));
  t.true(logs.some((l) => l.includes('level=WARN') && l.includes('reporting the mount as stuck')));
  const [second, secondMs] = await timed(() => pool.statfsAll([hang, 'a'], 3000));
  t.deepEqual(second.get(hang), { kind: 'timeout' });
  t.deepEqual(second.get('a'), OK_FAKE);
  t.true(secondMs < 1500, `a stuck path is answered at once, not after the budget (${secondMs} ms)`);
  t.is(await callCount(release), 1, 'the stuck path was not asked a second time');
  t.like(pool.counts, { stuck: 1 });

  await writeFile(release, '');
  await waitFor('the stuck call to return', () => !pool.isStuck(hang));
  t.true(logs.some((l) => l.includes('level=INFO') && l.includes('the mount has recovered')));
  const third = await pool.statfsAll([hang], 2000);
  t.deepEqual(third.get(hang), OK_FAKE);
  t.is(await callCount(release), 2, 'asked again once recovered');
  t.like(pool.counts, { stuck: 0, running: 0, queued: 0 });
  t.true(pool.counts.idle <= 2, 'no more healthy workers than the pool size');
});

test('stuck workers are replaced up to the cap; past it, waiting paths time out until one recovers', async (t) => {
  const dir = await tempDir(t);
  const release1 = path.join(dir, 'release1');
  const release2 = path.join(dir, 'release2');
  const { pool, logs } = newPool({ workers: 1, mountTimeoutMs: 50, maxStuckWorkers: 1, workerUrl: FAKE_WORKER });
  t.teardown(async () => {
    await Promise.all([writeFile(release1, ''), writeFile(release2, '')]);
    pool.close();
  });

  await pool.statfsAll([`hang:${release1}`], 100);
  await waitFor('the first hang to be stuck', () => pool.isStuck(`hang:${release1}`));
  // The stuck worker is replaced: a second hang gets a worker of its own.
  await pool.statfsAll([`hang:${release2}`, 'a'], 100);
  await waitFor('the second hang to be stuck', () => pool.isStuck(`hang:${release2}`));
  t.is(await callCount(release1), 1);
  t.is(await callCount(release2), 1);
  // Two stuck workers (one healthy plus the cap of one): no more threads, so 'a' waits in vain.
  const blocked = await pool.statfsAll(['a'], 500);
  t.deepEqual(blocked.get('a'), { kind: 'timeout' });
  t.like(pool.counts, { stuck: 2, idle: 0 });
  t.true(logs.some((l) => l.includes('hung workers are no longer replaced')));

  await writeFile(release1, '');
  await waitFor('the first hang to recover', () => !pool.isStuck(`hang:${release1}`));
  const after = await pool.statfsAll(['a'], 2000);
  t.deepEqual(after.get('a'), OK_FAKE, 'the recovered worker serves again');
});

test('a worker thread that fails makes statfsAll reject instead of hanging', async (t) => {
  const missing = newPool({ workers: 1, mountTimeoutMs: 1000, workerUrl: new URL('file:///nonexistent/statfs-worker.js') });
  await t.throwsAsync(missing.pool.statfsAll(['/', '/tmp'], 5000), { message: /statfs worker failed/ });
  t.deepEqual(missing.pool.counts, { idle: 0, running: 0, stuck: 0, queued: 0 });

  const crashing = newPool({ workers: 1, mountTimeoutMs: 1000, workerUrl: FAKE_WORKER });
  t.teardown(() => crashing.pool.close());
  t.deepEqual((await crashing.pool.statfsAll(['a'], 5000)).get('a'), OK_FAKE);
  await t.throwsAsync(crashing.pool.statfsAll(['crash'], 5000), { message: /statfs worker failed: fake worker crash/ });
  // The pool goes on with a new worker.
  t.deepEqual((await crashing.pool.statfsAll(['b'], 5000)).get('b'), OK_FAKE);
});
