/**
 * /probe's icmp probes run one ping process each, so they are capped (--probe.icmp.max-concurrency).
 * The ping here is a stand-in put first on this test worker's PATH: it answers like iputils ping
 * after 0.3 s and logs when each run starts and ends, so the log shows how many ran at once.
 */
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { parseFlags } from '../../../src/cli/flags.js';
import { Slots } from '../../../src/probe/slots.js';
import { probeFlags, probeRoutesFromFlags } from '../../../src/server/probe-routes.js';
import { byName, parseExposition } from '../../helpers/exposition-parse.js';
import { get, probePath, startProbeApp, startProbeAppWith } from '../../helpers/probe-app.js';

let dir: string;
let runLog: string;
test.before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'icmp-slots-'));
  runLog = path.join(dir, 'runs.log');
  const script = `#!/bin/sh
for target; do :; done
if [ "$1" = "-V" ]; then echo "ping from iputils 20221126"; exit 0; fi
echo "start $$" >> '${runLog}'
sleep 0.3
echo "end $$" >> '${runLog}'
printf 'PING %s (%s) 56(84) bytes of data.\\n64 bytes from %s: icmp_seq=1 ttl=64 time=0.050 ms\\n\\n--- %s ping statistics ---\\n1 packets transmitted, 1 received, 0%% packet loss, time 0ms\\nrtt min/avg/max/mdev = 0.050/0.050/0.050/0.000 ms\\n' "$target" "$target" "$target" "$target"
`;
  await writeFile(path.join(dir, 'ping'), script);
  await chmod(path.join(dir, 'ping'), 0o755);
  // Each ava test file has its own worker and environment: this PATH is this file's only.
  process.env['PATH'] = `${dir}:${process.env['PATH'] ?? ''}`;
});
test.after.always(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The most runs of the stand-in that were going at once, from its start/end log. */
async function mostAtOnce(): Promise<number> {
  let running = 0;
  let most = 0;
  for (const line of (await readFile(runLog, 'utf8')).split('\n')) {
    if (line.startsWith('start ')) most = Math.max(most, ++running);
    else if (line.startsWith('end ')) running--;
  }
  return most;
}

test.serial('a burst of icmp probes runs at most --probe.icmp.max-concurrency pings at once, and every probe succeeds', async (t) => {
  const app = await startProbeApp('modules: {icmp: {prober: icmp, icmp: {preferred_ip_protocol: ip4}}}', { icmpMaxConcurrency: 3 });
  t.teardown(() => app.close());
  // The one-time detection of ping (which runs it once) is done before the log is read.
  await get(app.port, probePath({ target: '127.0.0.1', module: 'icmp' }));
  await writeFile(runLog, '');
  const answers = await Promise.all(Array.from({ length: 12 }, () => get(app.port, probePath({ target: '127.0.0.1', module: 'icmp' }))));
  for (const a of answers) {
    t.is(a.status, 200);
    t.is(byName(parseExposition(a.text)).get('probe_success')?.samples[0]?.value, 1);
  }
  const starts = (await readFile(runLog, 'utf8')).split('\n').filter((l) => l.startsWith('start ')).length;
  t.is(starts, 12);
  const most = await mostAtOnce();
  t.true(most <= 3, `${most} pings at once`);
  t.true(most > 1, 'the probes did overlap');
});

test.serial('routes built from the flags: --probe.icmp.max-concurrency reaches their slots', async (t) => {
  const routes = probeRoutesFromFlags(parseFlags(probeFlags, ['--probe.icmp.max-concurrency=2']));
  const app = await startProbeAppWith('modules: {icmp: {prober: icmp, icmp: {preferred_ip_protocol: ip4}}}', routes);
  t.teardown(() => app.close());
  await get(app.port, probePath({ target: '127.0.0.1', module: 'icmp' }));
  await writeFile(runLog, '');
  const answers = await Promise.all(Array.from({ length: 6 }, () => get(app.port, probePath({ target: '127.0.0.1', module: 'icmp' }))));
  for (const a of answers) t.is(byName(parseExposition(a.text)).get('probe_success')?.samples[0]?.value, 1);
  const most = await mostAtOnce();
  t.is(most, 2, `${most} pings at once`);
});

test('slots: granted in arrival order up to the limit, freed once per holder', async (t) => {
  const slots = new Slots(2);
  const never = new AbortController().signal;
  const first = await slots.acquire(never);
  const second = await slots.acquire(never);
  t.is(slots.inUse, 2);
  const order: string[] = [];
  const third = slots.acquire(never).then((release) => (order.push('third'), release));
  const fourth = slots.acquire(never).then((release) => (order.push('fourth'), release));
  await new Promise((resolve) => setImmediate(resolve));
  t.deepEqual(order, [], 'nothing granted while both slots are held');
  first?.();
  first?.();
  await new Promise((resolve) => setImmediate(resolve));
  t.deepEqual(order, ['third'], 'a second call of the same release frees nothing more');
  second?.();
  (await third)?.();
  (await fourth)?.();
  t.is(slots.inUse, 0);
});

test('slots: a waiter whose signal aborts gives up and leaves its place', async (t) => {
  const slots = new Slots(1);
  const never = new AbortController().signal;
  const held = await slots.acquire(never);
  const impatient = new AbortController();
  const gaveUp = slots.acquire(impatient.signal);
  const next = slots.acquire(never);
  impatient.abort();
  t.is(await gaveUp, undefined);
  held?.();
  const release = await next;
  t.is(slots.inUse, 1, 'the slot went to the next waiter, not to the one that left');
  release?.();
  t.is(await slots.acquire(AbortSignal.abort()), undefined);
  t.throws(() => new Slots(0), { message: /at least 1/ });
});
