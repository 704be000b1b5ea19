/**
 * statfs of mount points through libuv's pool behind the host's I/O gate (src/statfs/mount-statfs.ts):
 * real statfs(2) for answers and errors; a substitute statfs that hangs until the test lets it
 * return, for the stuck-mount watchdog, the budget and the concurrency bound.
 */
import test from 'ava';
import { type BigIntStatsFs, statfsSync } from 'node:fs';
import { HostFs } from '../../../src/hostfs/host-fs.js';
import { createLogger } from '../../../src/lib/log.js';
import { MountStatfs, type StatfsOutcome } from '../../../src/statfs/mount-statfs.js';
import { waitFor } from '../../helpers/wait.js';

const FAKE_STATS = { type: 0n, bsize: 512n, blocks: 10n, bfree: 4n, bavail: 3n, files: 7n, ffree: 6n } as BigIntStatsFs;
const OK_FAKE: StatfsOutcome = { kind: 'ok', stats: { bsize: 512, blocks: 10, bfree: 4, bavail: 3, files: 7, ffree: 6 } };

/** A statfs whose paths starting with "hang" answer only when released; counts its calls by path. */
class FakeStatfs {
  readonly calls = new Map<string, number>();
  private readonly hung = new Map<string, () => void>();
  readonly statfs = (path: string): Promise<BigIntStatsFs> => {
    this.calls.set(path, (this.calls.get(path) ?? 0) + 1);
    if (!path.startsWith('hang')) return Promise.resolve(FAKE_STATS);
    return new Promise((resolve) => this.hung.set(path, () => resolve(FAKE_STATS)));
  };
  release(path: string): void {
    this.hung.get(path)?.();
    this.hung.delete(path);
  }
  releaseAll(): void {
    for (const path of [...this.hung.keys()]) this.release(path);
  }
}

function setUp(opts: { mountTimeoutMs: number; concurrency?: number; slots?: number; fake?: FakeStatfs }) {
  const logs: string[] = [];
  const host = new HostFs(undefined, { slots: opts.slots ?? 3 });
  const statfs = new MountStatfs({
    host,
    mountTimeoutMs: opts.mountTimeoutMs,
    concurrency: opts.concurrency ?? 4,
    log: createLogger('debug', 'logfmt', (l) => logs.push(l)),
    statfs: opts.fake?.statfs,
  });
  return { host, statfs, logs };
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const value = await fn();
  return [value, performance.now() - start];
}

test('statfsAll answers each distinct path once, as statfs(2) does, with Go error text', async (t) => {
  const { statfs, host } = setUp({ mountTimeoutMs: 5000 });
  const result = await statfs.statfsAll(['/', '/', '/nonexistent-mount-statfs-test', '/etc/hostname'], 10_000);
  t.deepEqual([...result.keys()], ['/', '/nonexistent-mount-statfs-test', '/etc/hostname']);
  const root = result.get('/');
  const real = statfsSync('/');
  t.is(root?.kind, 'ok');
  if (root?.kind === 'ok') {
    t.is(root.stats.bsize, real.bsize);
    t.is(root.stats.blocks, real.blocks);
    t.is(root.stats.files, real.files);
  }
  t.deepEqual(result.get('/nonexistent-mount-statfs-test'), { kind: 'error', error: 'no such file or directory' });
  t.is(result.get('/etc/hostname')?.kind, 'ok', 'statfs of a file gives its file system');
  t.is(statfs.running, 0);
  t.like(host.status(), { running: 0, queued: 0 });
});

test('a hung call is answered as a timeout, becomes stuck, is not asked again, and recovers', async (t) => {
  const fake = new FakeStatfs();
  const { statfs, host, logs } = setUp({ mountTimeoutMs: 200, fake });
  t.teardown(() => fake.releaseAll());

  const [first, firstMs] = await timed(() => statfs.statfsAll(['hang', 'a', 'b'], 100));
  t.deepEqual(first.get('hang'), { kind: 'timeout' });
  t.deepEqual(first.get('a'), OK_FAKE, 'other paths are served while one hangs');
  t.deepEqual(first.get('b'), OK_FAKE);
  t.true(firstMs < 1000, `first answer took ${firstMs} ms`);

  // Before the mount timeout, a second scrape waits for the same call rather than asking again.
  const [joined] = await timed(() => statfs.statfsAll(['hang'], 50));
  t.deepEqual(joined.get('hang'), { kind: 'timeout' });
  t.is(fake.calls.get('hang'), 1);

  await waitFor('the hung path to be stuck', () => logs.some((l) => l.includes('reporting the mount as stuck')));
  t.true(statfs.isStuck('hang'));
  t.true(logs.some((l) => l.includes('level=WARN') && l.includes('path=hang') && l.includes('mount_timeout_seconds=0.2')));
  t.deepEqual(host.status().stuck.map((s) => s.key), ['hang'], 'the gate sees the call stuck after the mount timeout');
  const [second, secondMs] = await timed(() => statfs.statfsAll(['hang', 'a'], 3000));
  t.deepEqual(second.get('hang'), { kind: 'timeout' });
  t.deepEqual(second.get('a'), OK_FAKE);
  t.true(secondMs < 1000, `a stuck path is answered at once, not after the budget (${secondMs} ms)`);
  t.is(fake.calls.get('hang'), 1, 'the stuck path was not asked a second time');

  fake.release('hang');
  await waitFor('the recovery to be logged', () => logs.some((l) => l.includes('level=INFO') && l.includes('the mount has recovered')));
  t.false(statfs.isStuck('hang'));
  const third = await statfs.statfsAll(['hang-not', 'a'], 2000);
  t.deepEqual(third.get('a'), OK_FAKE);
  t.is(statfs.running, 1, 'only the new hung call runs');
  fake.release('hang-not');
  const fourth = statfs.statfsAll(['hang'], 2000);
  await waitFor('the recovered path to be asked again', () => fake.calls.get('hang') === 2);
  fake.release('hang');
  t.deepEqual((await fourth).get('hang'), OK_FAKE);
});

test('calls run at most `concurrency` at once, fewer than the gate has slots, stuck ones included', async (t) => {
  const fake = new FakeStatfs();
  // Three gate slots: statfs takes at most two, so one is always left to other reads.
  const { statfs, host } = setUp({ mountTimeoutMs: 100, concurrency: 4, slots: 3, fake });
  t.teardown(() => fake.releaseAll());
  const first = await statfs.statfsAll(['hang1', 'hang2', 'a'], 300);
  t.deepEqual([...first.values()].map((o) => o.kind), ['timeout', 'timeout', 'timeout'], 'a waits for a turn behind two hung calls');
  t.is(fake.calls.get('a'), undefined);
  t.is(statfs.running, 2);
  t.like(host.status(), { running: 2, saturated: false });
  fake.release('hang1');
  await waitFor('the first hung call to return', () => statfs.running === 1);
  t.deepEqual((await statfs.statfsAll(['a'], 1000)).get('a'), OK_FAKE, 'served once a turn is free');

  // --collector.filesystem.stat-workers=1: one at a time.
  const one = setUp({ mountTimeoutMs: 100, concurrency: 1, slots: 3, fake });
  const serial = await one.statfs.statfsAll(['hang3', 'b'], 200);
  t.deepEqual(serial.get('b'), { kind: 'timeout' });
  t.is(fake.calls.get('b'), undefined);
  fake.release('hang3');
  await waitFor('the hung call to return', () => one.statfs.running === 0);
  t.deepEqual((await one.statfs.statfsAll(['b'], 1000)).get('b'), OK_FAKE);
});

test('a statfs that fails unexpectedly is reported as its error, not thrown', async (t) => {
  const { statfs } = setUp({
    mountTimeoutMs: 1000,
    fake: Object.assign(new FakeStatfs(), {
      statfs: () => Promise.reject(Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES', errno: -13 })),
    }),
  });
  t.deepEqual((await statfs.statfsAll(['/x'], 1000)).get('/x'), { kind: 'error', error: 'permission denied' });
});
