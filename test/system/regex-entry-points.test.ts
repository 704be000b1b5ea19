/**
 * Every way a user regex gets in (the config file's process_names, a --collector.* flag,
 * --probe.allowed-targets, blackbox body and header regexes), fed a catastrophic pattern and the
 * input that sets it off. JavaScript's RegExp backtracks for tens of seconds to hours on each
 * (with the event loop, and so /metrics and /-/healthy, stuck); RE2 answers in milliseconds.
 * The bounds leave room for a loaded 2-core machine, far below what backtracking takes.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { cgroupCollector } from '../../src/collector/cgroup.js';
import { netdevCollector } from '../../src/collector/netdev.js';
import { parseFlags } from '../../src/cli/flags.js';
import { probeFlags } from '../../src/server/probe-routes.js';
import { targetPolicyFromFlags } from '../../src/probe/target-policy.js';
import { collect } from '../helpers/collect.js';
import { httpGet, startExporter } from '../helpers/exporters.js';
import { byName, parseExposition } from '../helpers/exposition-parse.js';
import { get, probePath, startProbeApp } from '../helpers/probe-app.js';

/** `(a+)+$` backtracks 2^n times on n a's that are not at the end. */
const EXPONENTIAL = '(a+)+$';
const A_RUN = 'a'.repeat(32) + '!';
/** The README's example; quadratic on a command line full of "node". */
const README_EXAMPLE = 'node .*server\\.js';
const NODE_RUN = Array.from({ length: 60_000 }, () => 'node');

async function tempDir(t: import('ava').ExecutionContext): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'regex-entry-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A node process that idles for a minute with the given extra arguments (killed at teardown). */
function idleProcess(t: import('ava').ExecutionContext, args: readonly string[]): ChildProcess {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)', ...args], { stdio: 'ignore' });
  t.teardown(() => {
    child.kill('SIGKILL');
  });
  return child;
}

/** Resolves once /proc shows `child`'s command line (it is empty for a moment after fork). */
async function commandLineVisible(child: ChildProcess): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const text = await readFile(`/proc/${child.pid}/cmdline`, 'utf8').catch(() => '');
    if (text.includes('setTimeout')) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`pid ${child.pid} never showed its command line`);
}

test('process_names regexes: a real scrape with hostile command lines answers, and /-/healthy too', async (t) => {
  const dir = await tempDir(t);
  const config = path.join(dir, 'sidecar.yml');
  await writeFile(
    config,
    [
      'process_names:',
      `  - name: "server-{{.Matches.port}}"`,
      `    cmdline: ['${README_EXAMPLE} --port=(?P<port>\\d+)']`,
      `  - name: hostile`,
      `    cmdline: ['${EXPONENTIAL}']`,
      '',
    ].join('\n'),
  );
  const hostile = [idleProcess(t, NODE_RUN), idleProcess(t, [A_RUN])];
  const server = idleProcess(t, ['server.js', '--port=8123']);
  await Promise.all([...hostile, server].map(commandLineVisible));
  const exporter = await startExporter('ours', [`--config.file=${config}`, '--collector.disable-defaults', '--collector.process_groups']);
  t.teardown(() => exporter.stop());

  const started = Date.now();
  const [metrics, healthy] = await Promise.all([
    httpGet(exporter.port, '/metrics', { timeoutMs: 15_000 }),
    // Sent while the scrape runs: it must not wait for the matching.
    new Promise((resolve) => setTimeout(resolve, 50)).then(() => httpGet(exporter.port, '/-/healthy', { timeoutMs: 15_000 }).then((r) => ({ ...r, ms: Date.now() - started }))),
  ]);
  const metricsMs = Date.now() - started;
  t.is(metrics.status, 200);
  t.is(healthy.status, 200);
  t.true(metricsMs < 5000, `/metrics took ${metricsMs} ms`);
  t.true(healthy.ms < 5000, `/-/healthy took ${healthy.ms} ms`);
  // The matching did run: the named group filled the template, and the hostile processes were there.
  t.regex(metrics.text, /namedprocess_namegroup_num_procs\{groupname="server-8123"\} 1\n/);
  t.true(hostile.every((c) => c.exitCode === null && c.signalCode === null));
});

test('--collector.* regex flags: an exclude on a long device name, a pid-match on a long command line', async (t) => {
  const dir = await tempDir(t);
  await mkdir(path.join(dir, 'proc', 'net'), { recursive: true });
  await mkdir(path.join(dir, 'sys'), { recursive: true });
  const counters = ' 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16';
  await writeFile(
    path.join(dir, 'proc', 'net', 'dev'),
    'Inter-|   Receive                                                |  Transmit\n' +
      ' face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n' +
      `${A_RUN}:${counters}\n  aaaa:${counters}\n`,
  );
  let started = performance.now();
  const netdev = await collect(['netdev'], ['--path.procfs', `${dir}/proc`, '--path.sysfs', `${dir}/sys`, `--collector.netdev.device-exclude=${EXPONENTIAL}`], [netdevCollector]);
  const netdevMs = performance.now() - started;
  t.is(netdev.success['netdev'], 1);
  t.deepEqual([...netdev.text.matchAll(/^node_network_receive_bytes_total\{device="([^"]+)"\}/gm)].map((m) => m[1]), [A_RUN], 'aaaa excluded, the other kept');
  t.true(netdevMs < 2000, `netdev took ${netdevMs} ms`);

  const hostile = idleProcess(t, NODE_RUN);
  await commandLineVisible(hostile);
  started = performance.now();
  await collect(['cgroup'], [`--collector.cgroup.pid-match=${README_EXAMPLE}`], [cgroupCollector]);
  const cgroupMs = performance.now() - started;
  t.true(cgroupMs < 5000, `cgroup took ${cgroupMs} ms`);
  t.is(hostile.exitCode, null);
});

test('--probe.allowed-targets: a catastrophic allow-list answers 403 at once', async (t) => {
  const flags = parseFlags(probeFlags, ['--probe.allowed-targets=http://(a+)+\\.example\\.com/.*']);
  const app = await startProbeApp('modules: {http_2xx: {prober: http}}', { policy: targetPolicyFromFlags(flags) });
  t.teardown(() => app.close());
  const denied = await get(app.port, probePath({ target: `http://${'a'.repeat(32)}.example.org/` }));
  t.is(denied.status, 403);
  t.true(denied.ms < 2000, `${denied.ms} ms`);
});

test('blackbox body and header regexes: a catastrophic pattern on a 1 MiB body and a long header', async (t) => {
  const body = 'a'.repeat(1 << 20) + '!';
  const target = http.createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain', 'X-Run': A_RUN }).end(body);
  });
  await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => {
    target.closeAllConnections();
    target.close(() => resolve());
  }));
  const app = await startProbeApp(
    [
      'modules:',
      '  regexes:',
      '    prober: http',
      '    http:',
      '      preferred_ip_protocol: ip4',
      `      fail_if_body_matches_regexp: ['${EXPONENTIAL}']`,
      `      fail_if_header_matches: [{header: X-Run, regexp: '${EXPONENTIAL}'}]`,
      '',
    ].join('\n'),
  );
  t.teardown(() => app.close());
  const answer = await get(app.port, probePath({ target: `http://127.0.0.1:${(target.address() as AddressInfo).port}/`, module: 'regexes' }));
  t.is(answer.status, 200);
  const families = byName(parseExposition(answer.text));
  t.is(families.get('probe_success')?.samples[0]?.value, 1, 'neither regex matches: both end in "!"');
  t.is(families.get('probe_http_uncompressed_body_length')?.samples[0]?.value, body.length);
  t.true(answer.ms < 3000, `${answer.ms} ms`);
});
