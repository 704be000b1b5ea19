import test from 'ava';

import { createLogger } from '../../../src/lib/log.js';
import { Refresher, type RefresherOptions } from '../../../src/platform/refresher.js';
import { deferred, sleep } from '../../helpers/platform.js';
import { NoDataError } from '../../../src/hostfs/errors.js';

function options(over: Partial<RefresherOptions> = {}): RefresherOptions & { logs: string[] } {
  const logs: string[] = [];
  return { what: 'fake call', retryMs: 5, timeoutMs: 1000, log: createLogger('debug', 'logfmt', (l) => logs.push(l)), logs, ...over };
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 2000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

test('the first call starts in the constructor; current throws NoDataError until it settles', async (t) => {
  const first = deferred<number>();
  let calls = 0;
  const r = new Refresher(() => (calls++, first.promise), options({ intervalMs: 1000 }));
  t.teardown(() => r.close());
  t.is(calls, 1);
  t.throws(() => r.current, { instanceOf: NoDataError, message: 'waiting for the first fake call' });
  first.resolve(42);
  await r.idle();
  t.is(r.current, 42);
});

test('calls never overlap: the next starts intervalMs after the previous settled', async (t) => {
  let running = 0;
  let maxRunning = 0;
  let calls = 0;
  const r = new Refresher(async () => {
    calls++;
    running++;
    maxRunning = Math.max(maxRunning, running);
    await sleep(15);
    running--;
    return calls;
  }, options({ intervalMs: 1 }));
  t.teardown(() => r.close());
  await until(() => calls >= 4, '4 calls');
  t.is(maxRunning, 1);
});

test('a call that outlives its timeout fails the value, and the next call waits for it', async (t) => {
  const hung = deferred<string>();
  let calls = 0;
  const opts = options({ intervalMs: 1, retryMs: 1, timeoutMs: 20 });
  const r = new Refresher(() => {
    calls++;
    return calls === 1 ? hung.promise : Promise.resolve(`call ${calls}`);
  }, opts);
  t.teardown(() => r.close());
  await until(() => opts.logs.some((l) => l.includes('timed out after 20ms')), 'the timeout');
  t.throws(() => r.current, { message: 'fake call failed: fake call timed out after 20ms' });
  await sleep(30);
  t.is(calls, 1, 'no second call while the first one hangs');
  hung.resolve('late');
  await until(() => calls >= 2, 'the next call');
  await until(() => {
    try {
      return r.current.startsWith('call ');
    } catch {
      return false;
    }
  }, 'a fresh value');
  t.not(r.current, 'late', 'a result that came after the timeout is not served');
});

test('a synchronous throw is a failed call, not an exception out of the constructor', async (t) => {
  const opts = options();
  const r = new Refresher<number>(() => {
    throw new TypeError('si is not a function');
  }, opts);
  t.teardown(() => r.close());
  await r.idle();
  t.throws(() => r.current, { message: /fake call failed: si is not a function/ });
  t.true(opts.logs.some((l) => l.includes('level=WARN') && l.includes('msg="fake call failed"')));
});

test('once-only values are not fetched again after success, but failures are retried', async (t) => {
  let calls = 0;
  const r = new Refresher(async () => {
    calls++;
    if (calls < 3) throw new Error('not yet');
    return 'ok';
  }, options({ retryMs: 2 }));
  t.teardown(() => r.close());
  await until(() => calls === 3, '3 calls');
  await sleep(30);
  t.is(calls, 3);
  t.is(r.current, 'ok');
});

test('close() stops the timer without waiting for a hung call', async (t) => {
  const hung = deferred<number>();
  let calls = 0;
  const r = new Refresher(() => (calls++, hung.promise), options({ intervalMs: 1 }));
  r.close();
  hung.resolve(1);
  await sleep(20);
  t.is(calls, 1);
});
