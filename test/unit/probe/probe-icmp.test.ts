import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import test from 'ava';
import { silentLogger } from '../../../src/lib/log.js';
import { ProbeEnvironment } from '../../../src/probe/environment.js';
import { parsePingOutput, pingCommand, probeIcmp } from '../../../src/probe/icmp.js';
import { PingDetection } from '../../../src/probe/ping-detection.js';
import type { IcmpProbeOptions, ProbeResult } from '../../../src/probe/types.js';
import { BUILD_ROOT, createNetns, requireNetns, runNode } from '../../helpers/netns.js';

/** One per test worker, as one per process in the exporter: the ping is detected once. */
const env = new ProbeEnvironment();
const V4: IcmpProbeOptions = { preferredIpProtocol: 'ip4', ipProtocolFallback: true, count: 1, dontFragment: false };

// Output of iputils 20221126 with LC_ALL=C, as ping prints it.
const REPLY = `PING 127.0.0.1 (127.0.0.1) 56(84) bytes of data.
64 bytes from 127.0.0.1: icmp_seq=1 ttl=64 time=0.229 ms
64 bytes from 127.0.0.1: icmp_seq=2 ttl=64 time=0.051 ms

--- 127.0.0.1 ping statistics ---
2 packets transmitted, 2 received, 0% packet loss, time 1001ms
rtt min/avg/max/mdev = 0.051/0.140/0.229/0.089 ms
`;
const NO_REPLY = `PING 192.0.2.2 (192.0.2.2) 56(84) bytes of data.

--- 192.0.2.2 ping statistics ---
3 packets transmitted, 0 received, 100% packet loss, time 2036ms

`;
const HALF = `PING 192.0.2.9 (192.0.2.9) 56(84) bytes of data.
64 bytes from 192.0.2.9: icmp_seq=2 ttl=57 time=12.5 ms

--- 192.0.2.9 ping statistics ---
2 packets transmitted, 1 received, 50% packet loss, time 1002ms
rtt min/avg/max/mdev = 12.500/12.500/12.500/0.000 ms
`;

test('parsing: RTT and loss become numbers; TTL is read', (t) => {
  t.deepEqual(parsePingOutput('127.0.0.1', REPLY, 2), { alive: true, rttSeconds: 0.14 / 1000, packetLoss: 0, hopLimit: 64 });
  t.deepEqual(parsePingOutput('192.0.2.9', HALF, 2), { alive: true, rttSeconds: 12.5 / 1000, packetLoss: 0.5, hopLimit: 57 });
  t.deepEqual(parsePingOutput('192.0.2.2', NO_REPLY, 3), { alive: false, rttSeconds: 0, packetLoss: 1 });
});

test('parsing: error output, garbage and nothing do not throw', (t) => {
  t.deepEqual(parsePingOutput('127.0.0.1', 'ping: connect: Network is unreachable\n', 1), { alive: false, rttSeconds: 0, packetLoss: 1 });
  t.deepEqual(parsePingOutput('127.0.0.1', '', 1), { alive: false, rttSeconds: 0, packetLoss: 1 });
  t.deepEqual(parsePingOutput('127.0.0.1', 'x\na=b=c=d\n', 1), { alive: false, rttSeconds: 0, packetLoss: 1 });
  t.deepEqual(parsePingOutput('127.0.0.1', 'ping:\n', 1), { alive: false, rttSeconds: 0, packetLoss: 1 });
});

test('the command: the package conventions, count, reply wait from the budget, TTL and DF', (t) => {
  const v4 = pingCommand('127.0.0.1', false, { ...V4, count: 3, timeoutSeconds: 4.2, ttl: 9, dontFragment: true, payloadSize: 100 }, true);
  t.is(v4.file, 'ping');
  t.deepEqual(v4.args, ['-n', '-W', '3', '-c', '3', '-s', '100', '-t', '9', '-M', 'do', '127.0.0.1']);
  t.is(v4.replyWaitSeconds, 3);
  // No -w: ping would keep sending until the deadline.
  t.false(v4.args.includes('-w'));
  const short = pingCommand('127.0.0.1', false, { ...V4, timeoutSeconds: 0.4 }, true);
  t.deepEqual(short.args, ['-n', '-W', '1', '-c', '1', '-s', '56', '127.0.0.1']);
  t.is(pingCommand('127.0.0.1', false, V4, true).replyWaitSeconds, 10);
});

test('the command: IPv6 then IPv4 with the same options do not leak v6 (the package mutates its config)', (t) => {
  const options = { ...V4, preferredIpProtocol: 'ip6' as const };
  t.is(pingCommand('::1', true, options, true).file, 'ping6');
  t.is(pingCommand('127.0.0.1', false, options, true).file, 'ping');
  // Without ping6 on PATH, iputils ping takes -6; DF is IPv4 only.
  const noPing6 = pingCommand('::1', true, { ...options, dontFragment: true }, false);
  t.is(noPing6.file, 'ping');
  t.true(noPing6.args.includes('-6'));
  t.false(noPing6.args.includes('-M'));
});

test('ping is detected as usable here', async (t) => {
  const found = await new PingDetection().availability();
  t.true(found.usable, found.problem);
  t.regex(found.version ?? '', /iputils/);
});

test('ICMP to 127.0.0.1 succeeds with phases, loss and hop limit', async (t) => {
  // The one-time detection is not part of what this test times.
  await env.ping.availability();
  const r = await probeIcmp('127.0.0.1', V4, AbortSignal.timeout(15_000), silentLogger, env);
  t.true(r.success, JSON.stringify(r));
  t.is(r.ipProtocol, 4);
  t.is(r.ipAddress, '127.0.0.1');
  t.is(r.icmp?.packetLoss, 0);
  t.is(r.icmp?.replyHopLimit, 64);
  const phases = r.icmp?.phases;
  t.true((phases?.rtt ?? -1) >= 0 && (phases?.rtt ?? 1) < 1, JSON.stringify(r));
  t.true((phases?.setup ?? 0) > 0, JSON.stringify(r));
  t.is(phases?.resolve, r.dnsLookupSeconds);
  t.true(r.durationSeconds < 5);
});

test('ICMP to ::1 over IPv6', async (t) => {
  const r = await probeIcmp('::1', { ...V4, preferredIpProtocol: 'ip6' }, AbortSignal.timeout(15_000), silentLogger, env);
  t.true(r.success, JSON.stringify(r));
  t.is(r.ipProtocol, 6);
});

test('ICMP to a name under .invalid: dns', async (t) => {
  const r = await probeIcmp('no-such-host.invalid', V4, AbortSignal.timeout(15_000), silentLogger, env);
  t.is(r.reason, 'dns');
  t.is(r.ipProtocol, 0);
});

test('an aborted signal: timeout at once', async (t) => {
  const r = await probeIcmp('127.0.0.1', V4, AbortSignal.abort(), silentLogger, env);
  t.is(r.reason, 'timeout');
});

interface ChildProbe {
  result: ProbeResult;
  ms: number;
  detection: { usable: boolean; problem?: string };
}

/** Runs probeIcmp in a child node (in a namespace, or with another PATH) and returns its result. */
async function probeInChild(target: string, options: IcmpProbeOptions, timeoutMs: number, opts: { netns?: string; env?: NodeJS.ProcessEnv } = {}): Promise<ChildProbe> {
  const icmp = pathToFileURL(path.join(BUILD_ROOT, 'src/probe/icmp.js')).href;
  const log = pathToFileURL(path.join(BUILD_ROOT, 'src/lib/log.js')).href;
  const environment = pathToFileURL(path.join(BUILD_ROOT, 'src/probe/environment.js')).href;
  const code = `
    import { probeIcmp, detectPing } from ${JSON.stringify(icmp)};
    import { silentLogger } from ${JSON.stringify(log)};
    import { ProbeEnvironment } from ${JSON.stringify(environment)};
    const started = Date.now();
    const result = await probeIcmp(${JSON.stringify(target)}, ${JSON.stringify(options)}, AbortSignal.timeout(${timeoutMs}), silentLogger, new ProbeEnvironment());
    const ms = Date.now() - started;
    console.log(JSON.stringify({ result, ms, detection: await detectPing() }));`;
  const run = await runNode(code, opts);
  if (run.code !== 0) throw new Error(`child failed (${run.code}): ${run.stderr}`);
  return JSON.parse(run.stdout) as ChildProbe;
}

test('ICMP with the loopback down (a private namespace): icmp_no_reply, at once', async (t) => {
  if (!requireNetns(t)) return;
  const ns = createNetns();
  try {
    const { result, ms, detection } = await probeInChild('127.0.0.1', V4, 5000, { netns: ns.name });
    t.false(result.success);
    t.is(result.reason, 'icmp_no_reply');
    t.is(result.icmp?.packetLoss, 1);
    t.is(result.icmp?.phases.rtt, 0);
    t.true(ms < 4000, `${ms} ms`);
    // The start-up check notices, but a down network is not a permission problem.
    t.true(detection.usable);
    t.regex(detection.problem ?? '', /127\.0\.0\.1 failed/);
  } finally {
    ns.delete();
  }
});

/** A namespace where 192.0.2.2 is routed into a veth whose peer is down: echo requests vanish there. */
function blackHoleNetns(): ReturnType<typeof createNetns> {
  const ns = createNetns();
  ns.sh(
    'ip link set lo up && ip link add v0 type veth peer name v1 && ip link set v0 up && ip addr add 192.0.2.1/24 dev v0 && ' +
      'ip neigh add 192.0.2.2 lladdr 02:00:00:00:00:02 dev v0 nud permanent',
  );
  return ns;
}

test('ICMP with no reply (a black hole in a private namespace): icmp_no_reply after the reply wait', async (t) => {
  if (!requireNetns(t)) return;
  const ns = blackHoleNetns();
  try {
    const { result, ms } = await probeInChild('192.0.2.2', { ...V4, timeoutSeconds: 1 }, 5000, { netns: ns.name });
    t.is(result.reason, 'icmp_no_reply');
    t.is(result.icmp?.packetLoss, 1);
    t.true(ms >= 900 && ms < 5000, `${ms} ms`);
  } finally {
    ns.delete();
  }
});

test('ICMP past the deadline: ping is killed and the reason is timeout', async (t) => {
  if (!requireNetns(t)) return;
  const ns = blackHoleNetns();
  try {
    const { result, ms } = await probeInChild('192.0.2.2', { ...V4, timeoutSeconds: 10 }, 300, { netns: ns.name });
    t.is(result.reason, 'timeout');
    t.true(ms < 4000, `${ms} ms`);
    t.deepEqual(ns.pids(), []);
  } finally {
    ns.delete();
  }
});

/** A directory holding a fake `ping` shell script, first on PATH for a child. */
function fakePing(script: string): { dir: string; env: NodeJS.ProcessEnv; cleanup: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fake-ping-'));
  for (const name of ['ping', 'ping6']) {
    writeFileSync(path.join(dir, name), `#!/bin/sh\n${script}\n`);
    chmodSync(path.join(dir, name), 0o755);
  }
  return {
    dir,
    env: { ...process.env, PATH: `${dir}:/usr/bin:/bin` },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

test('no ping on PATH: detection says so and probes fail with permission, not as down', async (t) => {
  const empty = mkdtempSync(path.join(os.tmpdir(), 'no-ping-'));
  try {
    const { result, detection } = await probeInChild('127.0.0.1', V4, 5000, { env: { ...process.env, PATH: empty } });
    t.false(detection.usable);
    t.regex(detection.problem ?? '', /no ping executable on PATH/);
    t.is(result.reason, 'permission');
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});

test('BusyBox ping is refused at detection', async (t) => {
  const fake = fakePing('echo "BusyBox v1.36.1 (2023-06-01) multi-call binary." >&2; echo "Usage: ping [OPTIONS] HOST" >&2; exit 1');
  try {
    const { result, detection } = await probeInChild('127.0.0.1', V4, 5000, { env: fake.env });
    t.false(detection.usable);
    t.regex(detection.problem ?? '', /BusyBox/);
    t.is(result.reason, 'permission');
  } finally {
    fake.cleanup();
  }
});

test('ping without the right to open an ICMP socket: permission, from detection', async (t) => {
  const fake = fakePing(
    'case "$*" in *-V*) echo "ping from iputils 20221126";; *) echo "ping: socket: Operation not permitted" >&2; exit 2;; esac',
  );
  try {
    const { result, detection } = await probeInChild('127.0.0.1', V4, 5000, { env: fake.env });
    t.false(detection.usable);
    t.regex(detection.problem ?? '', /ICMP socket.*cap_net_raw/);
    t.is(result.reason, 'permission');
  } finally {
    fake.cleanup();
  }
});

test('ping runs with LC_ALL=C whatever our locale; a probe refused by the kernel is permission', async (t) => {
  const out = path.join(os.tmpdir(), `ping-env-${process.pid}.txt`);
  const fake = fakePing(
    [
      `echo "LC_ALL=$LC_ALL LANG=$LANG" >> ${out}`,
      'case "$*" in',
      '  *-V*) echo "ping from iputils 20221126";;',
      '  *127.0.0.1*) printf "PING 127.0.0.1 (127.0.0.1) 56(84) bytes of data.\\n64 bytes from 127.0.0.1: icmp_seq=1 ttl=64 time=0.050 ms\\n\\n--- 127.0.0.1 ping statistics ---\\n1 packets transmitted, 1 received, 0%% packet loss, time 0ms\\nrtt min/avg/max/mdev = 0.050/0.050/0.050/0.000 ms\\n";;',
      '  *) echo "ping: socket: Permission denied" >&2; exit 2;;',
      'esac',
    ].join('\n'),
  );
  try {
    const { result, detection } = await probeInChild('127.0.0.2', V4, 5000, { env: { ...fake.env, LC_ALL: 'de_DE.UTF-8', LANG: 'de_DE.UTF-8' } });
    t.true(detection.usable);
    t.is(result.reason, 'permission');
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    t.true(lines.length >= 3);
    for (const line of lines) t.is(line, 'LC_ALL=C LANG=C');
  } finally {
    fake.cleanup();
    rmSync(out, { force: true });
  }
});

test('a ping that hangs and ignores SIGTERM is killed at the deadline', async (t) => {
  const fake = fakePing('case "$*" in *-V*) echo "ping from iputils 20221126";; *127.0.0.1*) exit 0;; *) trap "" TERM INT; exec sleep 30;; esac');
  try {
    const { result, ms } = await probeInChild('127.0.0.3', V4, 400, { env: fake.env });
    t.is(result.reason, 'timeout');
    t.true(ms < 4000, `${ms} ms`);
  } finally {
    fake.cleanup();
  }
});
