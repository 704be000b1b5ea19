/**
 * What the config file may be and hold, and how reloads behave under load: only a regular file
 * of at most 1 MiB is read, lists are capped, every failure is a ConfigError, parsing happens
 * off the event loop, and reloads of an unchanged file or floods of reloads cost nothing.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { parseConfigText } from '../../src/config/file.js';
import { ConfigError, loadConfigFile, parseConfig } from '../../src/config/load.js';
import { MAX_CONFIG_ENTRIES, MAX_CONFIG_FILE_BYTES } from '../../src/config/limits.js';
import { ConfigStore } from '../../src/config/store.js';
import { HostFs } from '../../src/hostfs/host-fs.js';

const FILE = 'sidecar.yml';
/** Reads the config files, as the exporter's own HostFs does. */
const host = new HostFs();

async function tempFile(t: ExecutionContext, text: string | Buffer): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'config-limits-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'sidecar.yml');
  await writeFile(file, text);
  return file;
}

/** Fails instead of hanging when `promise` does not settle in time (a FIFO read blocks for ever). */
function within<T>(ms: number, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still pending after ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

const rules = (n: number) => 'process_names:\n' + Array.from({ length: n }, (_, i) => `  - {name: g${i}, comm: [c${i}]}\n`).join('');
const checks = (n: number) => 'checks:\n' + Array.from({ length: n }, (_, i) => `  - {protocol: http, target: "http://127.0.0.1:1/${i}", interval: 1h}\n`).join('');
const modules = (n: number) => 'modules:\n' + Array.from({ length: n }, (_, i) => `  m${i}: {prober: icmp}\n`).join('');

test('lists longer than supported are refused, naming the file, the key, the count and the limit', (t) => {
  t.is(MAX_CONFIG_ENTRIES.process_names.max, 1000);
  t.is(MAX_CONFIG_ENTRIES.checks.max, 1000);
  t.is(MAX_CONFIG_ENTRIES.modules.max, 1000);
  t.is(parseConfig(rules(1000) + checks(1000) + modules(1000), FILE).checks.length, 1000);
  t.throws(() => parseConfig(rules(1001), FILE), {
    instanceOf: ConfigError,
    message: 'sidecar.yml: process_names: 1001 rules, more than the 1000 supported (line 1, column 1)',
  });
  t.throws(() => parseConfig(`modules: {}\n${checks(1001)}`, FILE), {
    instanceOf: ConfigError,
    message: 'sidecar.yml: checks: 1001 checks, more than the 1000 supported (line 2, column 1)',
  });
  t.throws(() => parseConfig(modules(1001), FILE), { instanceOf: ConfigError, message: /^sidecar\.yml: modules: 1001 modules, more than the 1000 supported/ });
  // An alias counts what it stands for.
  t.throws(() => parseConfig(`x: &all\n${rules(1001).slice('process_names:\n'.length)}process_names: *all\n`, FILE), { message: /process_names: 1001 rules/ });
});

test('an alias bomb is a ConfigError (exit status 2 at start-up), not a crash of the parser', (t) => {
  const levels = ['a: &a [x,x,x,x,x,x,x,x,x,x]'];
  for (let i = 1; i <= 8; i++) levels.push(`l${i}: &l${i} [${Array(10).fill(i === 1 ? '*a' : `*l${i - 1}`).join(',')}]`);
  t.throws(() => parseConfig(levels.join('\n'), FILE), { instanceOf: ConfigError, message: /^sidecar\.yml: invalid YAML: Excessive alias count/ });
});

test('only a regular file of at most 1 MiB is read: a FIFO, a device, a directory or a larger file is refused at once', async (t) => {
  const file = await tempFile(t, '');
  const dir = path.dirname(file);
  const fifo = path.join(dir, 'fifo.yml');
  execFileSync('mkfifo', [fifo]);
  const refused = async (name: string, message: RegExp) => {
    const err = await within(5000, loadConfigFile(name, host).then(() => new Error('accepted'), (e: unknown) => e as Error));
    t.true(err instanceof ConfigError, `${name}: ${err.message}`);
    t.regex(err.message, message);
  };
  await refused(fifo, /fifo\.yml: cannot read the config file: it is a named pipe \(FIFO\), not a regular file$/);
  await refused('/dev/zero', /^\/dev\/zero: cannot read the config file: it is a character device, not a regular file$/);
  await mkdir(path.join(dir, 'conf.d'));
  await refused(path.join(dir, 'conf.d'), /conf\.d: cannot read the config file: it is a directory, not a regular file$/);

  t.is(MAX_CONFIG_FILE_BYTES, 1024 * 1024);
  const comment = (bytes: number) => '#'.repeat(bytes - 1) + '\n';
  await writeFile(file, comment(MAX_CONFIG_FILE_BYTES + 1));
  await refused(file, /sidecar\.yml: the config file is larger than 1048576 bytes \(1 MiB\), the most supported$/);
  await writeFile(file, comment(MAX_CONFIG_FILE_BYTES));
  t.deepEqual(await loadConfigFile(file, host), { process_names: [], checks: [], modules: {} }, 'exactly 1 MiB is fine');

  await writeFile(file, Buffer.from([0x63, 0x68, 0x65, 0x63, 0x6b, 0x73, 0x3a, 0x20, 0xff, 0x0a]));
  await refused(file, /sidecar\.yml: cannot read the config file: it is not UTF-8 text$/);
});

test('the config parsed in the worker thread is the one parseConfig gives, regexes included', async (t) => {
  const text = "process_names:\n  - name: 'app-{{.Matches.svc}}'\n    cmdline: ['--service=(?P<svc>\\w+)']\nchecks:\n  - {protocol: http, target: 'http://127.0.0.1:1/', fail_if_body_matches_regexp: ['err(or)?']}\n";
  const file = await tempFile(t, text);
  const loaded = await loadConfigFile(file, host);
  // Regexes compare by source (their JSON); that they work is checked below.
  const asJson = (config: unknown) => JSON.parse(JSON.stringify(config)) as unknown;
  t.deepEqual(asJson(loaded), asJson(parseConfig(text, file)));
  t.is(loaded.process_names[0]?.cmdline?.[0]?.namedMatches('x --service=billing')?.get('svc'), 'billing');
  const check = loaded.checks[0];
  t.true(check?.protocol === 'http' && check.fail_if_body_matches_regexp[0]?.test('an error here'));
});

test('a parse that outlasts its deadline or its heap is stopped and the file refused', async (t) => {
  // This exhausts the 128 MB heap after about 2.5 s on an idle machine.
  const deep = `x: ${'['.repeat(400_000)}\n`;
  const started = performance.now();
  await t.throwsAsync(parseConfigText(deep, FILE, { heapMb: 128, timeoutMs: 200 }), {
    instanceOf: ConfigError,
    message: 'sidecar.yml: parsing the config file took longer than 0.2 s; it is refused',
  });
  t.true(performance.now() - started < 5000, 'refused at the deadline, not when the parse ends');
  await t.throwsAsync(parseConfigText(deep, FILE, { heapMb: 16, timeoutMs: 60_000 }), {
    instanceOf: ConfigError,
    message: 'sidecar.yml: the config file needs more than 16 MB of memory to parse (too large or too deeply nested); it is refused',
  });
});

test('reloading an unchanged file parses nothing and notifies nobody', async (t) => {
  const file = await tempFile(t, checks(2));
  const store = await ConfigStore.open(file, host);
  let notified = 0;
  store.onChange(() => notified++);
  const before = store.current;
  for (let i = 0; i < 3; i++) t.is(await store.reload(), before);
  t.is(notified, 0);
  t.is(store.current, before);
  await t.notThrowsAsync(store.reload(), 'the reload succeeded');

  await writeFile(file, checks(3));
  t.is((await store.reload()).checks.length, 3);
  t.is(notified, 1, 'a changed file is applied');
});

test('reloads run one at a time: requests that arrive meanwhile share one next reload, which reads the file again', async (t) => {
  const file = await tempFile(t, checks(1));
  const store = await ConfigStore.open(file, host);
  const applied: number[] = [];
  store.onChange((config) => applied.push(config.checks.length));

  await writeFile(file, checks(2));
  const burst = Array.from({ length: 10 }, () => store.reload());
  const results = await Promise.all(burst);
  t.true(results.every((r) => r === results[0]), 'one parse for the whole burst');
  t.deepEqual(applied, [2]);

  await writeFile(file, checks(3));
  const first = store.reload();
  await new Promise((resolve) => setImmediate(resolve)); // The first has started: it read the file.
  await writeFile(file, checks(4));
  const later = [store.reload(), store.reload(), store.reload()];
  t.is(later[0], later[1]);
  t.is(later[1], later[2]);
  t.not(later[0], first);
  await Promise.all([first, ...later]);
  t.is(store.current.checks.length, 4, 'the queued reload read the file after the running one');
  t.true(applied.length <= 3 && applied.at(-1) === 4, `applied ${applied.join(',')}`);
});

/** The largest config allowed: every list at its limit, dense, filled up to 1 MiB with comments. */
function largestAllowed(): string {
  let text = rules(1000).replace(/comm: \[c(\d+)\]/g, "comm: [c$1, d$1], cmdline: ['^/usr/sbin/c$1 .*master']");
  text += checks(1000).replace(/interval: 1h/g, 'interval: 1h, headers: {Host: site.example}, fail_if_body_not_matches_regexp: [ok]');
  text += modules(1000).replace(/\{prober: icmp\}/g, '{prober: http, http: {valid_status_codes: [200], headers: {Accept: text/html}, fail_if_body_matches_regexp: [error]}}');
  const line = '# padding up to the size limit\n';
  return text + line.repeat(Math.floor((MAX_CONFIG_FILE_BYTES - text.length) / line.length));
}

// Serial: AVA runs serial tests before the others, so no other test of this file holds the event loop meanwhile.
test.serial('a reload of the largest allowed file is parsed off the event loop: timers keep firing', async (t) => {
  const file = await tempFile(t, '');
  const store = await ConfigStore.open(file, host);
  const text = largestAllowed();
  t.true(text.length <= MAX_CONFIG_FILE_BYTES && text.length > MAX_CONFIG_FILE_BYTES - 100);
  await writeFile(file, text);
  // The longest gap between ticks of a 5 ms timer (monitorEventLoopDelay misreads in AVA's worker threads).
  let longestStallMs = 0;
  let lastTick = performance.now();
  const ticker = setInterval(() => {
    const now = performance.now();
    longestStallMs = Math.max(longestStallMs, now - lastTick - 5);
    lastTick = now;
  }, 5);
  const started = performance.now();
  const config = await store.reload();
  const took = performance.now() - started;
  // A stall shows when the delayed tick finally comes: give it the chance.
  await new Promise((resolve) => setTimeout(resolve, 50));
  clearInterval(ticker);
  t.is(config.process_names.length, 1000);
  t.is(config.checks.length, 1000);
  t.is(Object.keys(config.modules).length, 1000);
  t.log(`reload took ${took.toFixed(0)} ms; the event loop stalled at most ${longestStallMs.toFixed(1)} ms`);
  // On the event loop the parse would stall it for nearly all of the reload (about 1 s here).
  t.true(longestStallMs < took / 4, `stalled ${longestStallMs.toFixed(1)} ms of a ${took.toFixed(0)} ms reload`);
});
