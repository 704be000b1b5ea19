/**
 * The gate in front of libuv's thread pool (src/hostfs/io-gate.ts), with operations that are promises
 * the test settles itself, and a clock the test moves: which run, which wait, which are refused
 * at once, and what status() reports.
 */
import test from 'ava';
import { IoGate, IoGateError, threadPoolSize } from '../../../src/hostfs/io-gate.js';

/** An operation that ends when the test says so, recording that it started. */
class Op {
  started = false;
  private finish!: (value: string) => void;
  readonly done: Promise<string>;
  constructor(readonly name: string) {
    this.done = new Promise((resolve) => (this.finish = resolve));
  }
  run = (): Promise<string> => {
    this.started = true;
    return this.done;
  };
  end(): void {
    this.finish(this.name);
  }
}

function gate(slots: number, stuckAfterMs = 1000) {
  let now = 1_000_000;
  const g = new IoGate({ slots, stuckAfterMs, maxWaitMs: 60_000, now: () => now });
  return { g, advance: (ms: number) => (now += ms) };
}

const tick = () => new Promise((r) => setImmediate(r));

test('at most `slots` operations run at once; waiting ones start as slots free', async (t) => {
  const { g } = gate(2);
  const ops = ['a', 'b', 'c'].map((n) => new Op(n));
  const results = ops.map((op) => g.run(op.name, undefined, op.run));
  await tick();
  t.deepEqual(ops.map((o) => o.started), [true, true, false]);
  t.like(g.status(), { running: 2, queued: 1, saturated: false });
  ops[0]?.end();
  await tick();
  t.true(ops[2]?.started, 'the third starts once the first has returned');
  ops[1]?.end();
  ops[2]?.end();
  t.deepEqual(await Promise.all(results), ['a', 'b', 'c']);
  t.like(g.status(), { running: 0, queued: 0 });
});

test('a file whose read is stuck is refused at once, others still run', async (t) => {
  const { g, advance } = gate(3);
  const hung = new Op('/proc/42/cmdline');
  void g.run(hung.name, undefined, hung.run);
  advance(999);
  const early = new Op('again');
  const earlyRun = g.run(hung.name, undefined, early.run);
  t.true(early.started, 'not stuck yet: a second read of the same file may run');
  early.end();
  await earlyRun;
  advance(1);
  const err = await t.throwsAsync(g.run(hung.name, undefined, new Op('third').run), { instanceOf: IoGateError });
  t.is(err?.code, 'EIOSTUCK');
  t.regex(err?.message ?? '', /an earlier read of \/proc\/42\/cmdline has not returned for 1.0s/);
  const other = new Op('/proc/43/cmdline');
  const otherRun = g.run(other.name, undefined, other.run);
  other.end();
  t.is(await otherRun, '/proc/43/cmdline');
  t.deepEqual(g.status().stuck, [{ key: '/proc/42/cmdline', seconds: 1 }]);
  hung.end();
  await tick();
  t.deepEqual(g.status().stuck, []);
  const after = new Op('after');
  const afterRun = g.run(hung.name, undefined, after.run);
  after.end();
  t.is(await afterRun, 'after', 'read again once the stuck read has returned');
});

test('every slot stuck: the gate is saturated, refuses at once, fails waiting operations, and recovers', async (t) => {
  const { g, advance } = gate(2, 50);
  const hung = [new Op('x'), new Op('y')];
  for (const op of hung) void g.run(op.name, undefined, op.run);
  const waiting = g.run('z', undefined, new Op('z').run);
  t.is(g.status().queued, 1);
  advance(50);
  // The waiting one is refused when the last slot becomes stuck (a real, unref'd timer of 50 ms:
  // the test keeps the process alive meanwhile).
  const keepAlive = setTimeout(() => undefined, 5000);
  const err = await t.throwsAsync(waiting, { instanceOf: IoGateError });
  clearTimeout(keepAlive);
  t.is(err?.code, 'EIOSATURATED');
  const status = g.status();
  t.true(status.saturated);
  t.deepEqual(status.stuck.map((s) => s.key), ['x', 'y']);
  t.regex(g.problem() ?? '', /^I\/O thread pool saturated: all 2 slots hold file reads that have not returned for over 0.1s \(oldest: x, 0.1s\)$/);
  const refused = await t.throwsAsync(g.run('w', undefined, new Op('w').run), { instanceOf: IoGateError });
  t.is(refused?.code, 'EIOSATURATED');
  hung[0]?.end();
  await tick();
  t.false(g.status().saturated);
  t.is(g.problem(), undefined);
  const next = new Op('w');
  const nextRun = g.run('w', undefined, next.run);
  next.end();
  t.is(await nextRun, 'w');
});

test('an aborted caller is answered at once; its operation keeps its slot until it returns', async (t) => {
  const { g } = gate(1);
  const controller = new AbortController();
  const slow = new Op('slow');
  const slowRun = g.run('slow', controller.signal, slow.run);
  const queued = new Op('queued');
  const queuedRun = g.run('queued', controller.signal, queued.run);
  controller.abort(new Error('deadline'));
  await t.throwsAsync(slowRun, { message: 'deadline' });
  await t.throwsAsync(queuedRun, { message: 'deadline' });
  t.like(g.status(), { running: 1, queued: 0 });
  t.false(queued.started, 'a waiting operation whose caller gave up never starts');
  slow.end();
  await tick();
  t.like(g.status(), { running: 0 });
});

test('many operations on one signal add one abort listener, not one each', async (t) => {
  const { g } = gate(3);
  const controller = new AbortController();
  const warnings: Error[] = [];
  const onWarning = (w: Error) => warnings.push(w);
  process.on('warning', onWarning);
  t.teardown(() => process.off('warning', onWarning));
  const ops = Array.from({ length: 40 }, (_, i) => new Op(String(i)));
  const runs = ops.map((op) => g.run(op.name, controller.signal, op.run));
  for (let i = 0; i < 40; i++) {
    await tick();
    for (const op of ops) if (op.started) op.end();
  }
  t.is((await Promise.all(runs)).length, 40);
  await tick();
  t.deepEqual(warnings.map((w) => w.message), []);
});

test('the pool size follows UV_THREADPOOL_SIZE as libuv reads it', (t) => {
  t.is(threadPoolSize({}), 4);
  t.is(threadPoolSize({ UV_THREADPOOL_SIZE: '16' }), 16);
  t.is(threadPoolSize({ UV_THREADPOOL_SIZE: '5000' }), 1024);
  t.is(threadPoolSize({ UV_THREADPOOL_SIZE: 'x' }), 4);
});

test('an operation run with its own stuck timeout is stuck after that one; others keep the gate\'s', async (t) => {
  const { g, advance } = gate(3, 1000);
  const statfs = new Op('/mnt/nfs');
  void g.run(statfs.name, undefined, statfs.run, 200);
  const read = new Op('/proc/42/io');
  void g.run(read.name, undefined, read.run);
  advance(199);
  t.deepEqual(g.status().stuck, []);
  advance(1);
  t.deepEqual(g.status().stuck.map((s) => s.key), ['/mnt/nfs'], 'past its own 200 ms, not the gate\'s 1 s');
  const again = await t.throwsAsync(g.run('/mnt/nfs', undefined, new Op('again').run, 200), { instanceOf: IoGateError });
  t.is(again?.code, 'EIOSTUCK');
  const second = new Op('second');
  const secondRun = g.run('/proc/42/io', undefined, second.run);
  t.true(second.started, 'the read with the gate\'s timeout is not stuck yet');
  second.end();
  await secondRun;
  advance(800);
  t.deepEqual(g.status().stuck.map((s) => s.key), ['/mnt/nfs', '/proc/42/io']);
  statfs.end();
  read.end();
  await tick();
  t.like(g.status(), { running: 0, stuck: [] });
});

test('saturation by operations with a shorter stuck timeout says that timeout', async (t) => {
  const { g, advance } = gate(1, 5000);
  const hung = new Op('/mnt/nfs');
  void g.run(hung.name, undefined, hung.run, 1000);
  advance(1500);
  t.regex(g.problem() ?? '', /^I\/O thread pool saturated: all 1 slots hold file reads that have not returned for over 1\.0s \(oldest: \/mnt\/nfs, 1\.5s\)$/);
  hung.end();
  await tick();
  t.is(g.problem(), undefined);
});
