import test from 'ava';
import { silentLogger, createLogger } from '../../../src/lib/log.js';
import { DEFAULT_DURATION_BUCKETS, parseDurationBuckets } from '../../../src/uptime/buckets.js';
import { type SchedulerOptions, UptimeScheduler } from '../../../src/uptime/scheduler.js';
import { checksFrom, closeMovingClock, FakeProbers, ManualClock, result } from '../../helpers/uptime.js';

function setup(opts: Partial<SchedulerOptions> = {}) {
  const clock = new ManualClock();
  const probers = new FakeProbers(clock);
  const logs: string[] = [];
  const scheduler = new UptimeScheduler({
    maxConcurrency: 16,
    buckets: DEFAULT_DURATION_BUCKETS,
    runnerFor: probers.runnerFor,
    log: createLogger('debug', 'logfmt', (l) => logs.push(l)),
    clock,
    closeTimeoutMs: 50,
    ...opts,
  });
  return { clock, probers, scheduler, logs };
}

function metricsOf(scheduler: UptimeScheduler, target: string) {
  const view = scheduler.checks().find((c) => c.target === target);
  if (!view) throw new Error(`no check for ${target}`);
  return view.metrics;
}

const ONE_HTTP = `checks:
  - {protocol: http, target: "http://127.0.0.1:1/a", interval: 10s, timeout: 2s}
`;

test('the first run comes at a random offset within the interval, then at a fixed rate', async (t) => {
  const { clock, probers, scheduler } = setup();
  probers.autoResult = () => result();
  clock.randoms.push(0.25);
  scheduler.apply(checksFrom(ONE_HTTP));
  await clock.advance(2499);
  t.is(probers.runs.length, 0, 'nothing before the offset');
  await clock.advance(1);
  t.deepEqual(probers.runs.map((r) => r.startedAt), [2500]);
  await clock.advance(30_000);
  t.deepEqual(probers.runs.map((r) => r.startedAt), [2500, 12_500, 22_500, 32_500]);
  t.is(metricsOf(scheduler, 'http://127.0.0.1:1/a').checks, 4);
  await scheduler.close();
});

test('offsets differ per check and each lies within its own interval', async (t) => {
  const { clock, probers, scheduler } = setup();
  probers.autoResult = () => result();
  clock.randoms.push(0, 0.999, 0.5);
  scheduler.apply(
    checksFrom(`checks:
  - {protocol: http, target: "http://127.0.0.1:1/a", interval: 10s}
  - {protocol: http, target: "http://127.0.0.1:1/b", interval: 10s}
  - {protocol: icmp, target: 127.0.0.1, interval: 4s}
`),
  );
  await clock.advance(10_000);
  const first = (target: string) => probers.runsOf(target)[0]?.startedAt;
  t.is(first('http://127.0.0.1:1/a'), 0);
  t.is(first('http://127.0.0.1:1/b'), 9990);
  t.is(first('127.0.0.1'), 2000);
  await scheduler.close();
});

test('a run is aborted at its timeout and counted as a timeout failure', async (t) => {
  const { clock, probers, scheduler } = setup();
  clock.randoms.push(0);
  scheduler.apply(checksFrom(ONE_HTTP));
  await clock.advance(0);
  const [run] = probers.runs;
  t.false(run!.signal.aborted);
  await clock.advance(1999);
  t.false(run!.signal.aborted, 'not before the timeout');
  await clock.advance(1);
  t.true(run!.signal.aborted, 'aborted at 2s');
  const m = metricsOf(scheduler, 'http://127.0.0.1:1/a');
  t.is(m.checks, 1);
  t.is(m.successes, 0);
  t.is(m.failures.timeout, 1);
  t.is(m.last?.success, false);
  t.is(scheduler.running, 0);
  await scheduler.close();
});

test('a run still going when the next is due is skipped and counted, never overlapped', async (t) => {
  // A prober that ignores its abort signal: the scheduler writes the run off 1s past the timeout.
  const { clock, probers, scheduler, logs } = setup({ abandonAfterMs: 9000 });
  probers.ignoreAbort = true;
  clock.randoms.push(0);
  scheduler.apply(checksFrom(ONE_HTTP));
  await clock.advance(10_000);
  t.is(probers.runs.length, 1, 'the run due at 10s did not start');
  const m = metricsOf(scheduler, 'http://127.0.0.1:1/a');
  t.is(m.skipped, 1);
  t.is(probers.maxInFlightPerTarget, 1);
  await clock.advance(1000); // 11s = timeout 2s + 9s: written off.
  t.is(m.failures.timeout, 1);
  t.true(logs.some((l) => l.includes('did not stop at its deadline')));
  await clock.advance(9000); // due at 20s: runs again
  t.is(probers.runs.length, 2);
  t.is(m.skipped, 1);
  // The written-off prober resolving late changes nothing.
  probers.runs[0]!.resolve(result());
  await clock.advance(0);
  t.is(m.checks, 1);
  t.is(m.successes, 0);
  await closeMovingClock(scheduler, clock);
});

test('runs slept through by a stalled process are counted as skipped', async (t) => {
  const { clock, probers, scheduler } = setup();
  probers.autoResult = () => result();
  clock.randoms.push(0);
  scheduler.apply(checksFrom(ONE_HTTP));
  await clock.advance(0);
  clock.stall(35_000); // due at 10, 20, 30 s: the timer fires at 35 s
  await clock.advance(0);
  const m = metricsOf(scheduler, 'http://127.0.0.1:1/a');
  t.is(m.skipped, 2, 'the runs at 10s and 20s were missed; the one for 30s runs late');
  t.is(m.checks, 2);
  await clock.advance(4999);
  t.is(m.checks, 2, 'the schedule stays on the 10s grid');
  await clock.advance(1);
  t.is(m.checks, 3);
  await scheduler.close();
});

test('the global concurrency limit holds and waiting runs start in order as slots free', async (t) => {
  const { clock, probers, scheduler } = setup({ maxConcurrency: 2 });
  for (let i = 0; i < 5; i++) clock.randoms.push(i / 100);
  scheduler.apply(
    checksFrom(`checks:\n${[0, 1, 2, 3, 4].map((i) => `  - {protocol: http, target: "http://127.0.0.1:1/${i}", interval: 10s, timeout: 5s}`).join('\n')}\n`),
  );
  await clock.advance(500);
  t.is(scheduler.running, 2);
  t.is(scheduler.queued, 3);
  t.deepEqual(probers.runs.map((r) => r.check.target), ['http://127.0.0.1:1/0', 'http://127.0.0.1:1/1']);
  probers.runs[1]!.resolve(result());
  await clock.advance(0);
  t.deepEqual(probers.pending().map((r) => r.check.target), ['http://127.0.0.1:1/0', 'http://127.0.0.1:1/2']);
  // The timeout starts when the run starts, not while it waits for a slot.
  t.is(probers.runs[2]!.startedAt, 500);
  for (const r of probers.pending()) r.resolve(result());
  await clock.advance(0);
  for (const r of probers.pending()) r.resolve(result());
  await clock.advance(0);
  t.is(probers.runs.length, 5);
  t.is(probers.maxInFlight, 2);
  t.is(scheduler.queued, 0);
  await scheduler.close();
});

test('a run waiting for a slot when its next run is due is skipped', async (t) => {
  const { clock, probers, scheduler } = setup({ maxConcurrency: 1, abandonAfterMs: 60_000 });
  probers.ignoreAbort = true;
  clock.randoms.push(0, 0.01);
  scheduler.apply(
    checksFrom(`checks:
  - {protocol: http, target: "http://127.0.0.1:1/hog", interval: 100s, timeout: 50s}
  - {protocol: http, target: "http://127.0.0.1:1/waits", interval: 10s, timeout: 2s}
`),
  );
  await clock.advance(25_000);
  const waits = metricsOf(scheduler, 'http://127.0.0.1:1/waits');
  t.is(probers.runsOf('http://127.0.0.1:1/waits').length, 0);
  t.is(waits.skipped, 2, 'due at 10.1s and 20.1s while the one due at 0.1s still waits');
  t.is(scheduler.queued, 1, 'one waiting run per check at most');
  probers.runs[0]!.resolve(result());
  await clock.advance(0);
  t.is(probers.runsOf('http://127.0.0.1:1/waits').length, 1);
  await closeMovingClock(scheduler, clock);
});

test('results update counters, the histogram and the last-result state', async (t) => {
  const { clock, probers, scheduler } = setup({ buckets: [0.1, 1] });
  clock.randoms.push(0);
  scheduler.apply(checksFrom(ONE_HTTP));
  const m = metricsOf(scheduler, 'http://127.0.0.1:1/a');
  t.is(m.createdSeconds, 1_700_000_000);
  t.is(m.last, undefined);
  t.is(m.lastSuccessSeconds, undefined);
  const phases = { resolve: 0.001, connect: 0.002, tls: 0.003, processing: 0.004, transfer: 0.005 };
  const http = { statusCode: 200, phases, contentLength: 2, uncompressedBodyLength: 2, redirects: 0, ssl: true, httpVersion: 1.1, certExpiryTimestamp: 1_800_000_000, failedDueToRegex: false };
  const outcomes = [
    result({ durationSeconds: 0.05, http }),
    result({ durationSeconds: 0.5, http }),
    result({ success: false, reason: 'status_code', durationSeconds: 0.02, http: { ...http, statusCode: 500, certExpiryTimestamp: 1_800_000_100 } }),
    result({ durationSeconds: 3, http: { ...http, certExpiryTimestamp: 1_800_000_200 } }),
    result({ success: false, reason: 'connect', durationSeconds: 0.001, http: { ...http, statusCode: 0, ssl: false, certExpiryTimestamp: undefined } }),
  ];
  for (const outcome of outcomes) {
    await clock.advance(0);
    probers.pending()[0]!.resolve(outcome);
    await clock.advance(10_000);
  }
  t.is(m.checks, 5);
  t.is(m.successes, 3);
  t.is(m.failures.status_code, 1);
  t.is(m.failures.connect, 1);
  t.is(m.failures.timeout, 0);
  t.deepEqual(m.bucketCounts, [1, 1, 1], 'successes only: 0.05 | 0.5 | 3');
  t.true(Math.abs(m.durationSum - 3.55) < 1e-9);
  t.is(m.lastSuccessSeconds, 1_700_000_030, 'the success completed at 30s');
  t.is(m.last?.success, false);
  t.is(m.last?.http?.statusCode, 0);
  t.is(m.certExpirySeconds, 1_800_000_200, 'kept from the last handshake through the connect failure');
  await scheduler.close();
});

test('a prober that rejects counts as reason error and the schedule goes on', async (t) => {
  const clock = new ManualClock();
  const logs: string[] = [];
  clock.randoms.push(0);
  let calls = 0;
  const scheduler = new UptimeScheduler({
    maxConcurrency: 1,
    buckets: [1],
    runnerFor: () => async () => {
      calls++;
      throw new Error('boom');
    },
    log: createLogger('debug', 'logfmt', (l) => logs.push(l)),
    clock,
  });
  scheduler.apply(checksFrom(ONE_HTTP));
  await clock.advance(10_000);
  t.is(calls, 2);
  t.is(scheduler.checks()[0]!.metrics.failures.error, 2);
  t.true(logs.some((l) => l.includes('check failed unexpectedly') && l.includes('boom')));
  await scheduler.close();
});

test('reload keeps counters and schedule of unchanged checks, drops removed ones, starts new ones at an offset', async (t) => {
  const { clock, probers, scheduler } = setup();
  probers.autoResult = () => result();
  clock.randoms.push(0, 0.5, 0.1, 0.1);
  scheduler.apply(
    checksFrom(`checks:
  - {protocol: http, target: "http://127.0.0.1:1/keep", interval: 10s}
  - {protocol: http, target: "http://127.0.0.1:1/keep", name: named, interval: 10s}
  - {protocol: http, target: "http://127.0.0.1:1/gone", interval: 10s}
`),
  );
  await clock.advance(25_000);
  const keep = metricsOf(scheduler, 'http://127.0.0.1:1/keep');
  t.is(keep.checks, 3);
  const named = scheduler.checks().find((c) => c.name === 'named')!.metrics;
  t.is(named.checks, 3, 'at 5, 15 and 25 s');
  const summary = scheduler.apply(
    checksFrom(`checks:
  - {protocol: http, target: "http://127.0.0.1:1/keep", interval: 10s}
  - {protocol: http, target: "http://127.0.0.1:1/keep", name: named, interval: 10s}
  - {protocol: icmp, target: 127.0.0.1, interval: 10s}
`),
  );
  t.deepEqual(summary, { added: 1, changed: 0, unchanged: 2, removed: 1 });
  t.deepEqual(
    scheduler.checks().map((c) => [c.name, c.protocol, c.target]),
    [
      ['', 'http', 'http://127.0.0.1:1/keep'],
      ['', 'icmp', '127.0.0.1'],
      ['named', 'http', 'http://127.0.0.1:1/keep'],
    ],
    'exposition order; the removed check is gone',
  );
  t.is(metricsOf(scheduler, 'http://127.0.0.1:1/keep'), keep, 'same state object');
  const before = probers.runs.length;
  await clock.advance(5000); // 30s: keep is due (grid 0,10,20,30); named at 35; icmp at 25+1=26
  const started = probers.runs.slice(before).map((r) => `${r.check.target}@${r.startedAt}`);
  t.deepEqual(started, ['127.0.0.1@26000', 'http://127.0.0.1:1/keep@30000']);
  t.is(keep.checks, 4);
  t.is(probers.runsOf('http://127.0.0.1:1/gone').length, 3, 'no run after removal');
  await scheduler.close();
});

test('reload with changed options keeps counters; a new interval restarts the schedule', async (t) => {
  const { clock, probers, scheduler } = setup();
  probers.autoResult = (check) => result({ success: check.protocol === 'http' && check.method === 'HEAD' });
  clock.randoms.push(0);
  scheduler.apply(checksFrom(ONE_HTTP));
  await clock.advance(10_000);
  const m = metricsOf(scheduler, 'http://127.0.0.1:1/a');
  t.is(m.checks, 2);
  t.is(m.successes, 0);
  const summary = scheduler.apply(checksFrom(`checks:\n  - {protocol: http, target: "http://127.0.0.1:1/a", interval: 10s, timeout: 2s, method: HEAD}\n`));
  t.deepEqual(summary, { added: 0, changed: 1, unchanged: 0, removed: 0 });
  await clock.advance(10_000);
  t.is(metricsOf(scheduler, 'http://127.0.0.1:1/a'), m);
  t.is(m.checks, 3);
  t.is(m.successes, 1, 'the new options apply from the next run, on the old schedule');
  clock.randoms.push(0.5);
  scheduler.apply(checksFrom(`checks:\n  - {protocol: http, target: "http://127.0.0.1:1/a", interval: 4s, method: HEAD}\n`));
  const before = probers.runs.length;
  await clock.advance(7000);
  t.deepEqual(probers.runs.slice(before).map((r) => r.startedAt), [22_000, 26_000]);
  t.is(m.checks, 5);
  await scheduler.close();
});

test('a run in flight for a removed check is aborted and its result dropped', async (t) => {
  const { clock, probers, scheduler } = setup();
  clock.randoms.push(0);
  scheduler.apply(checksFrom(ONE_HTTP));
  await clock.advance(0);
  const [run] = probers.runs;
  const state = metricsOf(scheduler, 'http://127.0.0.1:1/a');
  scheduler.apply([]);
  t.true(run!.signal.aborted);
  await clock.advance(0);
  t.is(state.checks, 0);
  t.deepEqual(scheduler.checks(), []);
  t.is(scheduler.running, 0);
  await scheduler.close();
});

test('close() aborts runs in flight, waits for them and stops every timer', async (t) => {
  const { clock, probers, scheduler } = setup();
  clock.randoms.push(0, 0);
  scheduler.apply(
    checksFrom(`checks:
  - {protocol: http, target: "http://127.0.0.1:1/a", interval: 10s}
  - {protocol: icmp, target: 127.0.0.1, interval: 10s}
`),
  );
  await clock.advance(0);
  t.is(probers.pending().length, 2);
  await scheduler.close();
  t.true(probers.runs.every((r) => r.signal.aborted && r.settled));
  t.is(clock.pendingTimers, 0);
  t.deepEqual(scheduler.checks(), []);
  await clock.advance(60_000);
  t.is(probers.runs.length, 2);
  scheduler.apply(checksFrom(ONE_HTTP));
  t.deepEqual(scheduler.checks(), [], 'a reload after close does nothing');
  await scheduler.close();
});

test('close() gives up on a prober that never settles after its bound', async (t) => {
  const clock = new ManualClock();
  clock.randoms.push(0);
  const scheduler = new UptimeScheduler({
    maxConcurrency: 1,
    buckets: [1],
    runnerFor: () => () => new Promise(() => {}),
    log: silentLogger,
    clock,
    closeTimeoutMs: 100,
  });
  scheduler.apply(checksFrom(ONE_HTTP));
  await clock.advance(0);
  // The bound runs on the scheduler's clock, like every other timer of it.
  const started = clock.now();
  let closed = false;
  const closing = scheduler.close().then(() => (closed = true));
  await clock.advance(99);
  t.false(closed, 'still waiting before the bound');
  await clock.advance(1);
  await closing;
  const waited = clock.now() - started;
  t.true(waited >= 90 && waited < 2000, `waited ${waited} ms`);
});

test('the scheduler rejects a concurrency below 1', (t) => {
  t.throws(() => new UptimeScheduler({ maxConcurrency: 0, buckets: [1], runnerFor: () => async () => result(), log: silentLogger }), { message: /at least 1/ });
});

test('parseDurationBuckets sorts and validates', (t) => {
  t.deepEqual(parseDurationBuckets('1, 0.05,0.3'), [0.05, 0.3, 1]);
  t.deepEqual(parseDurationBuckets('2.5'), [2.5]);
  t.throws(() => parseDurationBuckets(''), { message: /at least one bucket/ });
  t.throws(() => parseDurationBuckets('0.1,,1'), { message: /bucket "" is not a number/ });
  t.throws(() => parseDurationBuckets('0.1,x'), { message: /bucket "x" is not a number of seconds above 0/ });
  t.throws(() => parseDurationBuckets('0,1'), { message: /bucket "0"/ });
  t.throws(() => parseDurationBuckets('-1'), { message: /bucket "-1"/ });
  t.throws(() => parseDurationBuckets('1,Infinity'), { message: /bucket "Infinity"/ });
  t.throws(() => parseDurationBuckets('1,0.5,1'), { message: /bucket 1 is given twice/ });
  // Each bucket is a series per check: 30 at most keeps 1000 checks within 53,000 series.
  const upTo = (n: number) => Array.from({ length: n }, (_, i) => (i + 1) / 10).join(',');
  t.is(parseDurationBuckets(upTo(30)).length, 30);
  t.throws(() => parseDurationBuckets(upTo(31)), { message: '31 buckets, more than the 30 supported' });
  t.deepEqual([...DEFAULT_DURATION_BUCKETS].filter((b) => [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10].includes(b)), [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);
});
