/**
 * node_exporter's command lines start this exporter (issue 13, part 3): every flag the installed
 * node_exporter lists in --help is accepted; the ones this exporter does not implement are named
 * in one warning; enabling a collector it does not have says that it produces nothing; the
 * argument lists of real deployments start it and it serves; bad values of flags it does
 * implement still exit 2 naming the flag; --web.systemd-socket serves the socket systemd passes.
 */
import { execFileSync, spawn } from 'node:child_process';
import test from 'ava';
import { collectorFactories } from '../../src/collectors.js';
import { parseFlags } from '../../src/cli/flags.js';
import { allFlags, ignoredFlagsGiven, withNodeExporterFlags } from '../../src/options.js';
import { probeFlags } from '../../src/server/probe-routes.js';
import { freePort, httpGet, NODE_EXPORTER_BIN, OUR_MAIN, requireBinary, runToExit, startExporter } from '../helpers/exporters.js';
import { sleep } from '../helpers/wait.js';

const specs = withNodeExporterFlags([...allFlags(collectorFactories), ...probeFlags]);

/** Each flag of node_exporter's --help as `--name` (booleans) or `--name=<its default>`. */
function nodeExporterHelpFlags(): string[] {
  const help = execFileSync(NODE_EXPORTER_BIN, ['--help'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const flags: string[] = [];
  for (const line of help.split('\n')) {
    const m = /^\s+--(?:\[no-\])?([a-zA-Z0-9._-]+)(?:=("(?:[^"\\]|\\.)*"|\S+))?/.exec(line);
    if (!m || ['help', 'help-long', 'version'].includes(m[1] as string)) continue;
    const value = m[2] === undefined ? undefined : m[2].startsWith('"') ? (JSON.parse(m[2]) as string) : m[2];
    // A placeholder (COLLECTOR.ARP.DEVICE-INCLUDE) stands for "no default": any valid value does.
    flags.push(value === undefined ? `--${m[1]}` : `--${m[1]}=${/^[A-Z][A-Z0-9._-]*$/.test(value) ? 'x' : value}`);
  }
  return flags;
}

test("every flag in the installed node_exporter's --help is accepted", (t) => {
  if (!requireBinary(t, NODE_EXPORTER_BIN, "Debian's node_exporter")) return;
  const flags = nodeExporterHelpFlags();
  t.true(flags.length > 100, `node_exporter lists ${flags.length} flags`);
  const refused: string[] = [];
  for (const flag of flags) {
    try {
      parseFlags(specs, [flag]);
    } catch (err) {
      refused.push(`${flag}: ${(err as Error).message}`);
    }
  }
  t.deepEqual(refused, []);
  // --web.config.file is implemented, not ignored: it is no hidden compatibility flag.
  t.true(specs.some((s) => s.name === 'web.config.file' && s.hidden !== true));
});

test('ignored flags are listed once; enabling an absent collector is told apart from disabling one', (t) => {
  const flags = parseFlags(specs, ['--no-collector.wifi', '--collector.systemd', '--collector.systemd.unit-include', '.+', '--collector.cpu', '--no-collector.btrfs']);
  t.deepEqual(ignoredFlagsGiven(specs, flags), {
    flags: ['--collector.btrfs', '--collector.systemd', '--collector.wifi', '--collector.systemd.unit-include'],
    absentCollectors: ['systemd'],
  });
  t.deepEqual(ignoredFlagsGiven(specs, parseFlags(specs, ['--collector.cpu'])), { flags: [], absentCollectors: [] });
});

/** Deployments' argument lists, their paths pointed at this machine and their listen address left to the test. */
const DEPLOYMENTS: Record<string, string[]> = {
  // kube-prometheus's node-exporter DaemonSet (manifests/nodeExporter-daemonset.yaml).
  'kube-prometheus': [
    '--path.sysfs=/sys',
    '--path.rootfs=/',
    '--path.udev.data=/run/udev/data',
    '--no-collector.wifi',
    '--no-collector.hwmon',
    '--no-collector.btrfs',
    '--collector.filesystem.mount-points-exclude=^/(dev|proc|sys|run/k3s/containerd/.+|var/lib/docker/.+|var/lib/kubelet/pods/.+)($|/)',
    '--collector.netclass.ignored-devices=^(veth.*|[a-f0-9]{15})$',
    '--collector.netdev.device-exclude=^(veth.*|[a-f0-9]{15})$',
    '--runtime.gomaxprocs=1',
  ],
  // The prometheus-community node-exporter chart's DaemonSet, with commonly set extraArgs.
  'prometheus-community chart': [
    '--path.procfs=/proc',
    '--path.sysfs=/sys',
    '--path.rootfs=/',
    '--path.udev.data=/run/udev/data',
    '--collector.filesystem.mount-points-exclude=^/(dev|proc|sys|var/lib/docker/.+|var/lib/kubelet/.+)($|/)',
    '--collector.filesystem.fs-types-exclude=^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs|iso9660|mqueue|nsfs|overlay|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs|squashfs|sysfs|tracefs)$',
    '--no-collector.nfs',
    '--no-collector.nfsd',
    '--collector.systemd',
  ],
};

for (const [name, args] of Object.entries(DEPLOYMENTS)) {
  test(`${name}'s node-exporter arguments start the exporter, which serves node metrics`, async (t) => {
    const e = await startExporter('ours', args);
    try {
      const text = await e.scrape();
      t.regex(text, /^node_cpu_seconds_total\{cpu="0",mode="idle"\} /m);
      t.regex(text, /^node_filesystem_size_bytes\{/m);
      const warnings = e.output.split('\n').filter((l) => l.includes('level=WARN') && l.includes('node_exporter flags'));
      t.is(warnings.length, 1, e.output);
      for (const a of args.filter((x) => /^--(no-)?collector\.(wifi|btrfs|nfs|nfsd|systemd)$/.test(x))) {
        t.true(warnings[0]?.includes(a.replace('--no-', '--')), `${a} is named: ${warnings[0]}`);
      }
      t.is(/enabled collectors that this exporter does not have produce nothing" collectors=systemd/.test(e.output), args.includes('--collector.systemd'));
    } finally {
      await e.stop();
    }
  });
}

test('bad values of flags this exporter implements still exit 2 naming the flag', async (t) => {
  for (const [arg, flag] of [
    ['--collector.netdev.device-exclude=(', 'collector.netdev.device-exclude'],
    ['--web.max-requests=many', 'web.max-requests'],
    ['--runtime.gomaxprocs=-1', 'runtime.gomaxprocs'],
  ] as const) {
    const r = await runToExit('ours', [arg]);
    t.is(r.code, 2, arg);
    t.true(r.stderr.includes(`--${flag}`), r.stderr);
  }
});

test('--web.systemd-socket serves the socket passed as fd 3 (LISTEN_PID, LISTEN_FDS); without one it says so and exits 1', async (t) => {
  const port = await freePort();
  // Python binds the socket and execs node in the same process, so LISTEN_PID is node's pid,
  // as systemd arranges it.
  const activate = [
    'import os, socket, sys',
    's = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)',
    `s.bind(("127.0.0.1", ${port})); s.listen(16)`,
    'os.dup2(s.fileno(), 3); os.set_inheritable(3, True)',
    'os.environ["LISTEN_PID"] = str(os.getpid()); os.environ["LISTEN_FDS"] = "1"',
    `os.execvp("node", ["node", ${JSON.stringify(OUR_MAIN)}, "--web.systemd-socket", "--collector.disable-defaults", "--collector.loadavg"])`,
  ].join('\n');
  const child = spawn('python3', ['-c', activate], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  try {
    let res;
    for (let i = 0; i < 100 && res === undefined; i++) {
      res = await httpGet(port, '/metrics', { timeoutMs: 1000 }).catch(() => undefined);
      if (res === undefined) await sleep(100);
    }
    t.is(res?.status, 200, output);
    t.regex(res?.text ?? '', /^node_load1 /m);
    t.regex(output, /msg="Listening on the socket systemd passed" fd=3/);
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('close', resolve));
  }
  const none = await runToExit('ours', ['--web.systemd-socket']);
  t.is(none.code, 1);
  t.regex(none.stderr, /--web.systemd-socket: no socket activation file descriptors found/);
});
