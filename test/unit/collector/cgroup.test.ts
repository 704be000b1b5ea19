import test from 'ava';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  cpuWeightToShares,
  parseBlkioServiceBytes,
  parseCfsQuota,
  parseCount,
  parseCpuMax,
  parseIoStat,
  parseKeyedValues,
  parseLimit,
  parseProcsCount,
  parseUeventDevname,
} from '../../../src/cgroup/files.js';
import { commandLine } from '../../../src/cgroup/discover.js';
import { type CgroupMount, cgroupPathsOf, cgroupTarget, dirIn, mapHierarchies, ownMounts, processMounts } from '../../../src/cgroup/layout.js';
import { parseProcCgroup } from '../../../src/cgroup/proc-cgroup.js';
import { cgroupCollector } from '../../../src/collector/cgroup.js';
import { MetricSink } from '../../../src/collector/sink.js';
import { parseFlags } from '../../../src/cli/flags.js';
import { createLogger } from '../../../src/lib/log.js';
import { HostPaths } from '../../../src/hostfs/paths.js';
import { parseMountinfo } from '../../../src/procfs/mountinfo.js';
import { collect, fixture, testContext, valueOf } from '../../helpers/collect.js';

const scrape = (tree: string, ...argv: string[]) =>
  collect(['cgroup'], ['--path.procfs', fixture('cgroup', tree, 'proc'), '--path.sysfs', fixture('cgroup', tree, 'sys'), ...argv], [cgroupCollector]);

/** Every series of one cgroup, as "name{labels} value" lines with the id label left out. */
function seriesOf(text: string, id: string): string[] {
  const label = `id="${id}"`;
  return text
    .split('\n')
    .filter((l) => !l.startsWith('#') && l.includes(label))
    .map((l) => l.replace(`,${label}`, '').replace(`{${label},`, '{').replace(`{${label}}`, ''))
    .sort();
}

// ---- /proc/<pid>/cgroup ----

test('parseProcCgroup reads v1 hierarchies, named ones and the v2 line', (t) => {
  const m = parseProcCgroup('12:pids:/docker/abc\n5:cpu,cpuacct:/docker/abc\n1:name=systemd:/docker/abc\n0::/docker/abc\n');
  t.deepEqual(m, {
    v1: [
      { controllers: ['pids'], path: '/docker/abc' },
      { controllers: ['cpu', 'cpuacct'], path: '/docker/abc' },
      { controllers: ['name=systemd'], path: '/docker/abc' },
    ],
    unified: '/docker/abc',
  });
  t.deepEqual(parseProcCgroup('0::/system.slice/nginx.service\n'), { v1: [], unified: '/system.slice/nginx.service' });
  t.deepEqual(parseProcCgroup('4:memory:/\n'), { v1: [{ controllers: ['memory'], path: '/' }] });
});

test('parseProcCgroup keeps colons inside a cgroup path', (t) => {
  t.deepEqual(parseProcCgroup('0::/kubepods/pod1/cri-containerd:abc\n'), { v1: [], unified: '/kubepods/pod1/cri-containerd:abc' });
});

test('parseProcCgroup rejects empty, truncated and malformed lines', (t) => {
  t.throws(() => parseProcCgroup(''), { message: /no cgroup lines/ });
  t.throws(() => parseProcCgroup('4:memory\n'), { message: /expected "id:controllers:path"/ });
  t.throws(() => parseProcCgroup('x:memory:/\n'), { message: /hierarchy id: expected an unsigned integer, got "x"/ });
  t.throws(() => parseProcCgroup('0::system.slice\n'), { message: /must start with "\/"/ });
  t.throws(() => parseProcCgroup('3::/\n'), { message: /hierarchy 3 has no controllers/ });
});

// ---- the hierarchy mapping ----

test('mapHierarchies finds co-mounted, separately mounted, unified and hybrid controllers', (t) => {
  t.deepEqual(mapHierarchies(['memory', 'cpu,cpuacct', 'pids', 'blkio', 'systemd'], undefined), {
    memory: { version: 1, mount: 'memory' },
    cpu: { version: 1, mount: 'cpu,cpuacct' },
    cpuacct: { version: 1, mount: 'cpu,cpuacct' },
    pids: { version: 1, mount: 'pids' },
    blkio: { version: 1, mount: 'blkio' },
  });
  // systemd hosts add cpu and cpuacct symlinks beside "cpu,cpuacct": the plain name is preferred.
  t.deepEqual(mapHierarchies(['cpu', 'cpu,cpuacct', 'cpuacct'], undefined).cpuacct, { version: 1, mount: 'cpuacct' });
  // Unified mode: entries are child cgroups, even one named "memory".
  const unified = mapHierarchies(['cgroup.controllers', 'memory', 'system.slice'], '');
  t.deepEqual(unified.memory, { version: 2, mount: '' });
  t.deepEqual(unified.blkio, { version: 2, mount: '' });
  // Hybrid: what is not bound to v1 comes from the unified mount.
  const hybrid = mapHierarchies(['cpu', 'cpuacct', 'memory', 'blkio', 'systemd', 'unified'], 'unified');
  t.deepEqual(hybrid.memory, { version: 1, mount: 'memory' });
  t.deepEqual(hybrid.pids, { version: 2, mount: 'unified' });
  t.deepEqual(mapHierarchies(['systemd'], undefined), {});
});

test('cgroupPathsOf gives each distinct path once, with the resource it was found through', (t) => {
  const hybrid = mapHierarchies(['cpu', 'cpuacct', 'memory', 'blkio', 'unified'], 'unified');
  const m = parseProcCgroup('5:blkio:/\n4:memory:/app/web\n2:cpuacct:/\n1:cpu:/\n0::/app/web\n');
  t.deepEqual([...cgroupPathsOf(m, hybrid)], [
    ['/app/web', 'memory'],
    ['/', 'cpu'],
  ]);
  const target = cgroupTarget('/app/web', 'memory', ownMounts('/cg', hybrid, () => '/'));
  t.deepEqual(target?.home, { version: 1, dir: '/cg/memory/app/web' });
  t.deepEqual(target?.dirs.pids, { version: 2, dir: '/cg/unified/app/web' });
  t.deepEqual(target?.dirs.cpu, { version: 1, dir: '/cg/cpu/app/web' });
  // Paths outside our namespace are listed too: where they can be read is decided by the mounts.
  t.deepEqual([...cgroupPathsOf(parseProcCgroup('0::/../sibling.scope\n'), mapHierarchies(['cgroup.controllers'], ''))], [['/../sibling.scope', 'memory']]);
});

test('dirIn: a cgroup at or below the top of a mount, never above or beside it', (t) => {
  const whole = { version: 2 as const, dir: '/sys/fs/cgroup', root: '/' };
  // A container's own cgroup at the top of its mount (the host's cgroup namespace, cgroup v1).
  const container = { version: 1 as const, dir: '/sys/fs/cgroup/memory', root: '/docker/abc' };
  // Another container's mount seen from a private namespace: its top climbs out of ours.
  const sibling = { version: 2 as const, dir: '/proc/7/root/sys/fs/cgroup', root: '/../server.scope' };
  const cases: [CgroupMount, string, string | undefined][] = [
    [whole, '/', '/sys/fs/cgroup'],
    [whole, '/system.slice/a.service', '/sys/fs/cgroup/system.slice/a.service'],
    // Outside our cgroup namespace: not in our mount, whatever the path says after the climb.
    [whole, '/../sibling.scope', undefined],
    [whole, '/a/../../b', undefined],
    [container, '/docker/abc', '/sys/fs/cgroup/memory'],
    [container, '/docker/abc/child', '/sys/fs/cgroup/memory/child'],
    [container, '/docker/abcd', undefined],
    [container, '/docker/def', undefined],
    [container, '/docker/abc/../def', undefined],
    [sibling, '/../server.scope', '/proc/7/root/sys/fs/cgroup'],
    [sibling, '/../server.scope/worker', '/proc/7/root/sys/fs/cgroup/worker'],
    [sibling, '/../other.scope', undefined],
  ];
  for (const [mount, cgroupPath, expected] of cases) t.is(dirIn(mount, cgroupPath), expected, `${mount.root} ${cgroupPath}`);
});

test('processMounts: a process\'s cgroup mounts for the hierarchies we read, at their place under its root', (t) => {
  const mountinfo = parseMountinfo(
    [
      '30 20 0:27 /../server.scope /sys/fs/cgroup ro,relatime - cgroup2 cgroup rw,nsdelegate',
      '40 20 0:32 /docker/abc /sys/fs/cgroup/memory ro,relatime - cgroup cgroup rw,memory',
      '41 20 0:29 /docker/abc /sys/fs/cgroup/cpu,cpuacct ro,relatime - cgroup cgroup rw,cpu,cpuacct',
      '42 20 0:31 /docker/abc /sys/fs/cgroup/cpuset ro,relatime - cgroup cgroup rw,cpuset',
      '50 20 0:40 / /proc rw,relatime - proc proc rw',
    ].join('\n'),
  );
  const under = (mountPoint: string) => `/proc/7/root${mountPoint}`;
  const v1 = processMounts(mountinfo, mapHierarchies(['memory', 'cpu,cpuacct', 'cpuset'], undefined), under);
  t.deepEqual(v1.memory, [{ version: 1, dir: '/proc/7/root/sys/fs/cgroup/memory', root: '/docker/abc' }]);
  t.deepEqual(v1.cpu, [{ version: 1, dir: '/proc/7/root/sys/fs/cgroup/cpu,cpuacct', root: '/docker/abc' }]);
  t.deepEqual(v1.cpuacct, v1.cpu);
  t.is(v1.pids, undefined); // Neither a v1 pids hierarchy nor, for us, a unified one.
  const v2 = processMounts(mountinfo, mapHierarchies(['cgroup.controllers'], ''), under);
  t.deepEqual(v2.memory, [{ version: 2, dir: '/proc/7/root/sys/fs/cgroup', root: '/../server.scope' }]);
  t.deepEqual(cgroupTarget('/../server.scope', 'memory', v2)?.home, { version: 2, dir: '/proc/7/root/sys/fs/cgroup' });
  t.is(cgroupTarget('/../other.scope', 'memory', v2), undefined);
});

// ---- file parsers ----

test('parseKeyedValues reads "key value" files and rejects broken lines', (t) => {
  t.deepEqual(parseKeyedValues('nr_periods 5\nnr_throttled 1\n\n'), new Map([['nr_periods', 5], ['nr_throttled', 1]]));
  t.deepEqual(parseKeyedValues(''), new Map());
  t.throws(() => parseKeyedValues('anon 1\nfile\n'), { message: /expected "key value", got "file"/ });
  t.throws(() => parseKeyedValues('anon 1 2\n'), { message: /expected "key value"/ });
  t.throws(() => parseKeyedValues('file twelve\n'), { message: /file: expected an unsigned integer, got "twelve"/ });
});

test('parseCount, parseLimit and parseCfsQuota convert the one-value files', (t) => {
  t.is(parseCount('104857600\n'), 104857600);
  t.throws(() => parseCount(''), { message: /expected an unsigned integer, got ""/ });
  t.throws(() => parseCount('-1\n'), { message: /expected an unsigned integer/ });
  t.is(parseLimit('max\n'), Infinity);
  t.is(parseLimit('536870912\n'), 536870912);
  t.throws(() => parseLimit('unlimited\n'), { message: /limit: expected an unsigned integer, got "unlimited"/ });
  t.is(parseCfsQuota('-1\n'), undefined);
  t.is(parseCfsQuota('50000\n'), 50000);
  t.throws(() => parseCfsQuota('half\n'), { message: /cfs_quota_us: expected an integer/ });
});

test('parseCpuMax reads "quota period", with "max" for no quota', (t) => {
  t.deepEqual(parseCpuMax('150000 100000\n'), { quotaMicros: 150000, periodMicros: 100000 });
  t.deepEqual(parseCpuMax('max 100000\n'), { quotaMicros: undefined, periodMicros: 100000 });
  t.throws(() => parseCpuMax('150000\n'), { message: /expected "quota period", got "150000"/ });
  t.throws(() => parseCpuMax('max max\n'), { message: /period: expected an unsigned integer/ });
});

test('parseIoStat reads bytes per device and ignores other keys', (t) => {
  t.deepEqual(parseIoStat('8:0 rbytes=10 wbytes=20 rios=1 wios=2 dbytes=0 dios=0 cost.usage=5\n259:1 rios=1\n'), [
    { major: 8, minor: 0, readBytes: 10, writeBytes: 20 },
    { major: 259, minor: 1, readBytes: 0, writeBytes: 0 },
  ]);
  t.deepEqual(parseIoStat(''), []);
  t.throws(() => parseIoStat('8:0 rbytes=1 wbytes\n'), { message: /expected "key=value", got "wbytes"/ });
  t.throws(() => parseIoStat('sda rbytes=1\n'), { message: /expected a device "major:minor", got "sda"/ });
  t.throws(() => parseIoStat('8:0 rbytes=x\n'), { message: /rbytes: expected an unsigned integer/ });
});

test('parseBlkioServiceBytes reads Read and Write per device and skips the closing Total', (t) => {
  t.deepEqual(parseBlkioServiceBytes('8:16 Read 4096\n8:16 Write 8192\n8:16 Sync 1\n8:16 Total 12288\n8:0 Read 5\nTotal 12293\n'), [
    { major: 8, minor: 16, readBytes: 4096, writeBytes: 8192 },
    { major: 8, minor: 0, readBytes: 5, writeBytes: 0 },
  ]);
  t.deepEqual(parseBlkioServiceBytes('Total 0\n'), []);
  t.throws(() => parseBlkioServiceBytes('8:16 Read\n'), { message: /expected "major:minor operation bytes"/ });
  t.throws(() => parseBlkioServiceBytes('8:16 Read lots\n'), { message: /8:16 Read: expected an unsigned integer/ });
});

test('parseProcsCount, parseUeventDevname and cpuWeightToShares', (t) => {
  t.is(parseProcsCount('1\n7\n9\n'), 3);
  t.is(parseProcsCount(''), 0);
  t.throws(() => parseProcsCount('1\nx\n'), { message: /pid: expected an unsigned integer/ });
  t.is(parseUeventDevname('MAJOR=8\nMINOR=0\nDEVNAME=sda\n'), 'sda');
  t.is(parseUeventDevname('MAJOR=8\n'), undefined);
  // cAdvisor's mapping: weight 1 → 2, 100 (the default) → 2597, 10000 → 262144.
  t.is(cpuWeightToShares(1), 2);
  t.is(cpuWeightToShares(100), 2597);
  t.is(cpuWeightToShares(10000), 262144);
  t.throws(() => cpuWeightToShares(0), { message: /out of range/ });
});

test('commandLine turns NUL separators into spaces, as process-exporter matches', (t) => {
  t.is(commandLine('/usr/bin/app\0--flag=1\0'), '/usr/bin/app --flag=1');
  t.is(commandLine('nginx: worker process'), 'nginx: worker process');
});

// ---- the collector on fixture trees ----

test('v2: a limited cgroup, with every conversion checked', async (t) => {
  const r = await scrape('v2');
  t.is(r.success['cgroup'], 1);
  t.deepEqual(seriesOf(r.text, '/system.slice/nginx.service'), [
    'container_cpu_cfs_periods_total 5000',
    'container_cpu_cfs_throttled_periods_total 250',
    'container_cpu_cfs_throttled_seconds_total 1.234567', // throttled_usec
    'container_cpu_system_seconds_total 23.456789',
    'container_cpu_usage_seconds_total{cpu="total"} 123.456789',
    'container_cpu_user_seconds_total 100',
    'container_fs_reads_bytes_total{device="/dev/sda"} 1.048576e+06',
    'container_fs_reads_bytes_total{device="253:1"} 4096', // no uevent: major:minor
    'container_fs_writes_bytes_total{device="/dev/sda"} 2.097152e+06',
    'container_fs_writes_bytes_total{device="253:1"} 0',
    'container_memory_cache 4.194304e+07',
    'container_memory_events_high_total 3',
    'container_memory_events_max_total 7',
    'container_memory_mapped_file 8.388608e+06',
    'container_memory_max_usage_bytes 2.097152e+08',
    'container_memory_rss 5.24288e+07',
    'container_memory_swap 4096',
    'container_memory_usage_bytes 1.048576e+08',
    'container_memory_working_set_bytes 8.388608e+07', // current − inactive_file
    'container_oom_events_total 1', // oom_kill, not oom
    'container_processes 2',
    'container_spec_cpu_limit_cores 1.5',
    'container_spec_cpu_period 100000',
    'container_spec_cpu_quota 150000',
    'container_spec_cpu_shares 2597', // cpu.weight 100
    'container_spec_memory_limit_bytes 5.36870912e+08',
    'container_spec_memory_reservation_limit_bytes 6.7108864e+07', // memory.min
    'container_spec_memory_swap_limit_bytes 0', // "max"
    'container_threads 5',
    'container_threads_max 100',
  ]);
});

test('v2: no limits ("max") and the cpu controller off', async (t) => {
  const r = await scrape('v2');
  const sidecar = seriesOf(r.text, '/system.slice/sidecar.service');
  t.true(sidecar.includes('container_spec_memory_limit_bytes 0'));
  t.true(sidecar.includes('container_threads_max 0')); // "infinity if value is zero"
  t.true(sidecar.includes('container_spec_cpu_shares 262144'));
  t.true(sidecar.includes('container_spec_cpu_period 100000'));
  // Without a quota cAdvisor exports neither the quota nor the throttling counters.
  t.false(sidecar.some((s) => /cfs|cpu_quota|limit_cores/.test(s)));
  t.deepEqual(seriesOf(r.text, '/init.scope'), [
    'container_cpu_system_seconds_total 0.5',
    'container_cpu_usage_seconds_total{cpu="total"} 1.5',
    'container_cpu_user_seconds_total 1',
    'container_memory_cache 8.192e+06',
    'container_memory_mapped_file 1.024e+06',
    'container_memory_rss 4.096e+06',
    'container_memory_usage_bytes 1.2345678e+07',
    'container_memory_working_set_bytes 0', // inactive_file > usage: floor at 0
    'container_processes 1',
    'container_spec_memory_limit_bytes 0',
  ]);
});

test('v2: kernel threads and exited processes are skipped', async (t) => {
  const r = await scrape('v2');
  const ids = new Set([...r.text.matchAll(/id="([^"]*)"/g)].map((m) => m[1]));
  t.deepEqual([...ids].sort(), ['/init.scope', '/system.slice/nginx.service', '/system.slice/sidecar.service']);
});

test('cgroups that cannot be read, and the cap, are said once at warn, then at debug', async (t) => {
  const logs: string[] = [];
  const log = createLogger('debug', 'logfmt', (line) => logs.push(line));
  const scrapeTwice = async (tree: string, ...argv: string[]) => {
    const paths = new HostPaths(fixture('cgroup', tree, 'proc'), fixture('cgroup', tree, 'sys'));
    const flags = parseFlags(cgroupCollector.flags ?? [], argv);
    const collector = cgroupCollector.create(testContext({ paths, flags, log }));
    for (let i = 0; i < 2; i++) await collector.update(new MetricSink(), new AbortController().signal);
  };
  const levels = (text: string) => logs.filter((l) => l.includes(text)).map((l) => /level=(\w+)/.exec(l)?.[1]);
  await scrapeTwice('v2', '--collector.cgroup.max-cgroups', '1');
  t.deepEqual(levels('more than 1 cgroups found'), ['WARN', 'DEBUG']);
  // pause's cgroup is outside our namespace, and its mount namespace has no cgroup mount.
  await scrapeTwice('v2-sidecar');
  t.deepEqual(levels('nor their own mounts hold'), ['WARN', 'DEBUG']);
  t.true(logs.some((l) => l.includes('nor their own mounts hold') && l.includes('cgroups=1')));
});

test('v2 sidecar: the server\'s container, outside our cgroup namespace, read through its /proc/<pid>/root', async (t) => {
  const r = await scrape('v2-sidecar');
  t.is(r.success['cgroup'], 1, r.logs.join('\n'));
  const ids = new Set([...r.text.matchAll(/id="([^"]*)"/g)].map((m) => m[1]));
  t.deepEqual([...ids].sort(), ['/', '/../docker-server.scope']);
  t.deepEqual(seriesOf(r.text, '/../docker-server.scope'), [
    'container_cpu_cfs_periods_total 900',
    'container_cpu_cfs_throttled_periods_total 45',
    'container_cpu_cfs_throttled_seconds_total 2.5',
    'container_cpu_system_seconds_total 5',
    'container_cpu_usage_seconds_total{cpu="total"} 30',
    'container_cpu_user_seconds_total 25',
    'container_memory_cache 2.097152e+07',
    'container_memory_events_high_total 0',
    'container_memory_events_max_total 4',
    'container_memory_mapped_file 2.097152e+06',
    'container_memory_rss 8.388608e+07',
    'container_memory_usage_bytes 1.048576e+08',
    'container_memory_working_set_bytes 9.437184e+07',
    'container_oom_events_total 1',
    'container_processes 1',
    'container_spec_cpu_limit_cores 1.5',
    'container_spec_cpu_period 100000',
    'container_spec_cpu_quota 150000',
    'container_spec_memory_limit_bytes 2.68435456e+08',
    'container_threads 11',
    'container_threads_max 4096',
  ]);
  // Our own container, at the top of our namespace: no limits.
  t.true(seriesOf(r.text, '/').includes('container_spec_memory_limit_bytes 0'));
  t.false(seriesOf(r.text, '/').some((s) => s.startsWith('container_spec_cpu_quota')));
  // --collector.cgroup.pid-match on the server's command line: the server's container only.
  const server = await scrape('v2-sidecar', '--collector.cgroup.pid-match', 'dist/main\\.js');
  t.deepEqual([...new Set([...server.text.matchAll(/id="([^"]*)"/g)].map((m) => m[1]))], ['/../docker-server.scope']);
});

test('v1 with the host\'s cgroup namespace (Docker and podman on cgroup v1): our mount shows our own container, another is read through its process', async (t) => {
  // Our mountinfo must name the tree's own absolute paths, so the tree is written here.
  const tree = await mkdtemp(path.join(os.tmpdir(), 'cgroup-v1-hostns-'));
  t.teardown(() => rm(tree, { recursive: true, force: true }));
  const put = async (file: string, text: string) => {
    await mkdir(path.dirname(path.join(tree, file)), { recursive: true });
    await writeFile(path.join(tree, file), text);
  };
  const ownMemory = path.join(tree, 'sys/fs/cgroup/memory');
  await put('proc/self/mountinfo', `250 246 0:32 /libpod_parent/libpod-sidecar ${ownMemory} ro,relatime - cgroup cgroup rw,memory\n`);
  await put('sys/fs/cgroup/memory/memory.limit_in_bytes', '9223372036854771712\n');
  await put('sys/fs/cgroup/memory/memory.usage_in_bytes', '41943040\n');
  await put('sys/fs/cgroup/memory/cgroup.procs', '32\n');
  await put('proc/32/cmdline', 'node\0build/src/main.js\0');
  await put('proc/32/cgroup', '4:memory:/libpod_parent/libpod-sidecar\n');
  await put('proc/6/cmdline', 'node\0dist/main.js\0');
  await put('proc/6/cgroup', '4:memory:/libpod_parent/libpod-server\n');
  await put('proc/6/mountinfo', '195 194 0:32 /libpod_parent/libpod-server /sys/fs/cgroup/memory ro,relatime - cgroup cgroup rw,memory\n');
  await put('proc/6/root/sys/fs/cgroup/memory/memory.limit_in_bytes', '268435456\n');
  await put('proc/6/root/sys/fs/cgroup/memory/memory.usage_in_bytes', '73400320\n');
  await put('proc/6/root/sys/fs/cgroup/memory/cgroup.procs', '6\n');
  const r = await collect(['cgroup'], ['--path.procfs', path.join(tree, 'proc'), '--path.sysfs', path.join(tree, 'sys')], [cgroupCollector]);
  t.is(r.success['cgroup'], 1, r.logs.join('\n'));
  t.is(valueOf(r.text, 'container_spec_memory_limit_bytes{id="/libpod_parent/libpod-server"}'), 268435456);
  t.is(valueOf(r.text, 'container_memory_usage_bytes{id="/libpod_parent/libpod-server"}'), 73400320);
  t.is(valueOf(r.text, 'container_spec_memory_limit_bytes{id="/libpod_parent/libpod-sidecar"}'), 0);
  t.is(valueOf(r.text, 'container_memory_usage_bytes{id="/libpod_parent/libpod-sidecar"}'), 41943040);
});

test('the HELP and TYPE lines are cAdvisor\'s', async (t) => {
  const r = await scrape('v2');
  t.regex(r.text, /# HELP container_cpu_usage_seconds_total Cumulative cpu time consumed in seconds.\n# TYPE container_cpu_usage_seconds_total counter\n/);
  t.regex(
    r.text,
    /# HELP container_memory_usage_bytes Current memory usage in bytes, including all memory regardless of when it was accessed\n# TYPE container_memory_usage_bytes gauge\n/,
  );
  t.regex(r.text, /# HELP container_spec_memory_limit_bytes Memory limit for the container.\n# TYPE container_spec_memory_limit_bytes gauge\n/);
  t.regex(r.text, /# HELP container_oom_events_total Count of out of memory events observed for the container\n# TYPE container_oom_events_total counter\n/);
  t.regex(r.text, /# HELP container_cpu_cfs_throttled_seconds_total Total time duration the container has been throttled.\n# TYPE container_cpu_cfs_throttled_seconds_total counter\n/);
  t.regex(r.text, /# TYPE container_fs_reads_bytes_total counter\n/);
  t.regex(r.text, /# TYPE container_threads_max gauge\n/);
});

test('--collector.cgroup.pid-match picks cgroups by command line', async (t) => {
  const r = await scrape('v2', '--collector.cgroup.pid-match', 'nginx: (master|worker)');
  t.is(r.success['cgroup'], 1);
  const ids = new Set([...r.text.matchAll(/id="([^"]*)"/g)].map((m) => m[1]));
  t.deepEqual([...ids], ['/system.slice/nginx.service']);
  // The NUL-separated arguments are matched as one space-separated line.
  const sidecar = await scrape('v2', '--collector.cgroup.pid-match', 'sidecar-exporter --config\\.file=');
  t.deepEqual([...new Set([...sidecar.text.matchAll(/id="([^"]*)"/g)].map((m) => m[1]))], ['/system.slice/sidecar.service']);
});

test('--collector.cgroup.max-cgroups caps the cgroups (lowest PIDs first) and logs it', async (t) => {
  const r = await scrape('v2', '--collector.cgroup.max-cgroups', '2');
  t.is(r.success['cgroup'], 1);
  const ids = new Set([...r.text.matchAll(/id="([^"]*)"/g)].map((m) => m[1]));
  t.deepEqual([...ids].sort(), ['/init.scope', '/system.slice/nginx.service']);
  t.true(r.logs.some((l) => l.includes('level=WARN') && l.includes('more than 2 cgroups found') && l.includes('collector.cgroup.max-cgroups')));
  const unCapped = await scrape('v2');
  t.false(unCapped.logs.some((l) => l.includes('cgroups found')));
});

test('v1: co-mounted cpu,cpuacct, hierarchical memory.stat, blkio throttle fallback', async (t) => {
  const r = await scrape('v1');
  t.is(r.success['cgroup'], 1);
  t.deepEqual(seriesOf(r.text, '/docker/abc'), [
    'container_cpu_cfs_periods_total 1000',
    'container_cpu_cfs_throttled_periods_total 40',
    'container_cpu_cfs_throttled_seconds_total 2.5', // throttled_time ns
    'container_cpu_system_seconds_total 12.34', // cpuacct.stat ticks / 100
    'container_cpu_usage_seconds_total{cpu="total"} 987.654321', // cpuacct.usage ns
    'container_cpu_user_seconds_total 50',
    'container_fs_reads_bytes_total{device="/dev/sdb"} 4096',
    'container_fs_writes_bytes_total{device="/dev/sdb"} 8192',
    'container_memory_cache 1.34217728e+08', // total_cache
    'container_memory_failcnt 3',
    'container_memory_mapped_file 1.6777216e+07',
    'container_memory_max_usage_bytes 3e+08',
    'container_memory_rss 1.00663296e+08', // total_rss
    'container_memory_swap 8192', // total_swap
    'container_memory_usage_bytes 2.68435456e+08',
    'container_memory_working_set_bytes 2.01326592e+08', // usage − total_inactive_file
    'container_oom_events_total 2', // memory.oom_control oom_kill
    'container_processes 3',
    'container_spec_cpu_limit_cores 0.5',
    'container_spec_cpu_period 100000',
    'container_spec_cpu_quota 50000',
    'container_spec_cpu_shares 512',
    'container_spec_memory_limit_bytes 1.073741824e+09',
    'container_spec_memory_reservation_limit_bytes 0', // 9223372036854771712: unlimited
    'container_spec_memory_swap_limit_bytes 2.147483648e+09', // memsw: memory + swap
    'container_threads 12',
    'container_threads_max 0', // pids.max "max"
  ]);
});

test('v1: an older kernel without oom_kill, swap accounting or cpuacct.stat, and no pids cgroup', async (t) => {
  const r = await scrape('v1');
  t.deepEqual(seriesOf(r.text, '/docker/def'), [
    'container_cpu_system_seconds_total 1.5', // cpuacct.usage_sys ns
    'container_cpu_usage_seconds_total{cpu="total"} 4.5',
    'container_cpu_user_seconds_total 3',
    'container_memory_cache 10000', // use_hierarchy 0: the flat keys
    'container_memory_failcnt 0',
    'container_memory_mapped_file 0',
    'container_memory_rss 30000',
    'container_memory_usage_bytes 50000',
    'container_memory_working_set_bytes 0', // cAdvisor always subtracts total_inactive_file on v1
    'container_processes 1',
    'container_spec_cpu_period 100000',
    'container_spec_cpu_shares 1024',
    'container_spec_memory_limit_bytes 0',
  ]);
});

test('hybrid: memory from v1, pids from the unified mount, the root cgroup through cpu', async (t) => {
  const r = await scrape('hybrid');
  t.is(r.success['cgroup'], 1);
  // The processes are in memory:/app/web but cpu:/ and cpuacct:/ — two cgroups, as cAdvisor sees them.
  t.deepEqual(seriesOf(r.text, '/app/web'), [
    'container_memory_cache 552960',
    'container_memory_failcnt 0',
    'container_memory_mapped_file 0',
    'container_memory_rss 1.703936e+06',
    'container_memory_swap 0',
    'container_memory_usage_bytes 3.530752e+06',
    'container_memory_working_set_bytes 3.514368e+06',
    'container_processes 2',
    'container_spec_memory_limit_bytes 2.68435456e+08',
    'container_threads 9',
    'container_threads_max 512',
  ]);
  t.deepEqual(seriesOf(r.text, '/'), [
    'container_cpu_system_seconds_total 1212.16',
    'container_cpu_usage_seconds_total{cpu="total"} 3207.583623663',
    'container_cpu_user_seconds_total 1995.42',
    'container_memory_cache 1e+09',
    'container_memory_mapped_file 0',
    'container_memory_rss 1.5e+09',
    'container_memory_swap 0',
    'container_memory_usage_bytes 3e+09',
    'container_memory_working_set_bytes 2.5e+09',
    'container_processes 3', // cgroup.procs of the cpu hierarchy, which found it
    'container_spec_cpu_period 100000',
    'container_spec_cpu_shares 1024',
    'container_spec_memory_limit_bytes 0',
  ]);
});

const MALFORMED: ReadonlyArray<readonly [string, RegExp]> = [
  ['bad-proc-cgroup', /proc\/1\/cgroup: expected "id:controllers:path"/],
  ['proc-cgroup-relative-path', /proc\/2\/cgroup: cgroup path must start with "\/"/],
  ['bad-memory-stat', /bad-memory-stat\/memory.stat: file: expected an unsigned integer, got "twelve"/],
  ['truncated-memory-stat', /truncated-memory-stat\/memory.stat: expected "key value", got "file"/],
  ['empty-memory-current', /empty-memory-current\/memory.current: value: expected an unsigned integer, got ""/],
  ['truncated-cpu-max', /truncated-cpu-max\/cpu.max: expected "quota period", got "150000"/],
  ['bad-cpu-stat', /bad-cpu-stat\/cpu.stat: usage_usec: expected an unsigned integer, got "-5"/],
  ['bad-io-stat', /bad-io-stat\/io.stat: expected "key=value", got "wbytes"/],
  ['bad-pids-max', /bad-pids-max\/pids.max: limit: expected an unsigned integer, got "unlimited"/],
];

for (const [name, message] of MALFORMED) {
  test(`malformed: ${name} gives success 0 and says which file is broken`, async (t) => {
    const r = await scrape('malformed', '--collector.cgroup.pid-match', `^/usr/bin/${name}$`);
    t.is(r.success['cgroup'], 0);
    const failure = r.logs.find((l) => l.includes('collector failed') && l.includes('collector=cgroup'));
    t.truthy(failure, r.logs.join('\n'));
    t.regex((failure as string).replaceAll('\\"', '"'), message);
  });
}

test('no cgroup filesystem, or nothing mounted in it, is no data (success 0, debug log)', async (t) => {
  const missing = await collect(
    ['cgroup'],
    ['--path.procfs', fixture('cgroup', 'v2', 'proc'), '--path.sysfs', fixture('cgroup', 'does-not-exist')],
    [cgroupCollector],
  );
  t.is(missing.success['cgroup'], 0);
  t.true(missing.logs.some((l) => l.includes('level=DEBUG') && l.includes('no cgroup filesystem at')));
  const sys = await mkdtemp(path.join(os.tmpdir(), 'cgroup-empty-'));
  t.teardown(() => rm(sys, { recursive: true, force: true }));
  await mkdir(path.join(sys, 'fs', 'cgroup'), { recursive: true });
  const empty = await collect(['cgroup'], ['--path.procfs', fixture('cgroup', 'v2', 'proc'), '--path.sysfs', sys], [cgroupCollector]);
  t.is(empty.success['cgroup'], 0);
  t.true(empty.logs.some((l) => l.includes('level=DEBUG') && l.includes('no cgroup hierarchy is mounted')));
});

test('a pid-match that matches nothing is a successful empty scrape', async (t) => {
  const r = await scrape('v2', '--collector.cgroup.pid-match', 'no-such-program');
  t.is(r.success['cgroup'], 1);
  t.false(r.text.includes('container_'));
});

test('the combined fixture tree has a well-formed cgroup', async (t) => {
  const r = await collect(
    ['cgroup'],
    ['--path.procfs', fixture('tree', 'proc'), '--path.sysfs', fixture('tree', 'sys')],
    [cgroupCollector],
  );
  t.is(r.success['cgroup'], 1);
  t.is(valueOf(r.text, 'container_spec_cpu_limit_cores{id="/system.slice/nginx.service"}'), 2);
  t.is(valueOf(r.text, 'container_memory_working_set_bytes{id="/system.slice/nginx.service"}'), 83886080);
});
