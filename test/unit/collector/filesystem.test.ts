import test from 'ava';
import { statfsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { filesystemCollector } from '../../../src/collector/filesystem.js';
import { collect, fixture } from '../../helpers/collect.js';
import { NODE_EXPORTER_BIN, requireBinary, startExporter } from '../../helpers/exporters.js';
import { type ParsedSample, byName, parseExposition } from '../../helpers/exposition-parse.js';

const BASIC = ['--path.procfs', fixture('filesystem/basic/proc'), '--path.rootfs', fixture('filesystem/basic/root')];

function scrapeFs(argv: readonly string[]) {
  return collect(['filesystem'], argv, [filesystemCollector]);
}

/** `label=value,...` → value for one family of a scrape, sorted by labels (deepEqual compares in order). */
function series(text: string, metric: string): Map<string, number> {
  const family = byName(parseExposition(text)).get(metric);
  return sorted(new Map((family?.samples ?? []).map((s) => [labelKey(s), s.value])));
}

function sorted(m: Map<string, number>): Map<string, number> {
  return new Map([...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function labelKey(s: ParsedSample): string {
  return Object.entries(s.labels)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

function mountpoints(text: string): string[] {
  const family = byName(parseExposition(text)).get('node_filesystem_device_error');
  return [...new Set((family?.samples ?? []).map((s) => s.labels['mountpoint'] as string))].sort();
}

test('statfs of each mount under --path.rootfs, with help, labels and conversions', async (t) => {
  const r = await scrapeFs(BASIC);
  t.is(r.success['filesystem'], 1);
  t.false(r.logs.some((l) => l.includes('collected twice')), 'the duplicate /data mount is reported once');

  for (const [name, help] of [
    ['node_filesystem_size_bytes', 'Filesystem size in bytes.'],
    ['node_filesystem_free_bytes', 'Filesystem free space in bytes.'],
    ['node_filesystem_avail_bytes', 'Filesystem space available to non-root users in bytes.'],
    ['node_filesystem_files', 'Filesystem total file nodes.'],
    ['node_filesystem_files_free', 'Filesystem total free file nodes.'],
    ['node_filesystem_readonly', 'Filesystem read-only status.'],
    ['node_filesystem_device_error', 'Whether an error occurred while getting statistics for the given device.'],
    ['node_filesystem_mount_info', 'Filesystem mount information.'],
  ]) {
    t.true(r.text.includes(`# HELP ${name} ${help}\n# TYPE ${name} gauge\n`), name);
  }

  // Every mount not excluded by default, the ones statfs cannot reach included.
  t.deepEqual(mountpoints(r.text), ['/', '/backup', '/data', '/mnt/nfs-home', '/run', '/srv/not-a-dir/image', '/with space']);

  t.deepEqual(
    series(r.text, 'node_filesystem_device_error'),
    sorted(new Map([
      ['device=/dev/sda1,device_error=,fstype=ext4,mountpoint=/', 0],
      ['device=/dev/sdd1,device_error=no such file or directory,fstype=ext4,mountpoint=/backup', 1],
      ['device=/dev/sdb1,device_error=,fstype=xfs,mountpoint=/data', 0],
      ['device=fileserver:/export/home,device_error=no such file or directory,fstype=nfs4,mountpoint=/mnt/nfs-home', 1],
      ['device=tmpfs,device_error=no such file or directory,fstype=tmpfs,mountpoint=/run', 1],
      ['device=/dev/loop3,device_error=not a directory,fstype=ext4,mountpoint=/srv/not-a-dir/image', 1],
      ['device=/dev/sdc1,device_error=,fstype=ext4,mountpoint=/with space', 0],
    ])),
  );
  // "ro" in the mount options (/with space) or the super options (/backup: ro,emergency_ro).
  t.deepEqual(
    series(r.text, 'node_filesystem_readonly'),
    sorted(new Map([
      ['device=/dev/sda1,device_error=,fstype=ext4,mountpoint=/', 0],
      ['device=/dev/sdd1,device_error=no such file or directory,fstype=ext4,mountpoint=/backup', 1],
      ['device=/dev/sdb1,device_error=,fstype=xfs,mountpoint=/data', 0],
      ['device=fileserver:/export/home,device_error=no such file or directory,fstype=nfs4,mountpoint=/mnt/nfs-home', 0],
      ['device=tmpfs,device_error=no such file or directory,fstype=tmpfs,mountpoint=/run', 0],
      ['device=/dev/loop3,device_error=not a directory,fstype=ext4,mountpoint=/srv/not-a-dir/image', 0],
      ['device=/dev/sdc1,device_error=,fstype=ext4,mountpoint=/with space', 1],
    ])),
  );
  t.deepEqual(
    series(r.text, 'node_filesystem_mount_info'),
    sorted(new Map([
      ['device=/dev/sda1,major=8,minor=1,mountpoint=/', 1],
      ['device=/dev/sdb1,major=8,minor=17,mountpoint=/data', 1],
      ['device=/dev/sdc1,major=8,minor=33,mountpoint=/with space', 1],
    ])),
    'mount_info only for mounts statfs answered',
  );

  // The fixture directories are on the host's disk: compare with a statfs made here.
  const host = statfsSync(fixture('filesystem/basic/root'));
  const ok = (mp: string, dev: string, type: string) => `device=${dev},device_error=,fstype=${type},mountpoint=${mp}`;
  for (const key of [ok('/', '/dev/sda1', 'ext4'), ok('/data', '/dev/sdb1', 'xfs'), ok('/with space', '/dev/sdc1', 'ext4')]) {
    t.is(series(r.text, 'node_filesystem_size_bytes').get(key), host.blocks * host.bsize, key);
    t.is(series(r.text, 'node_filesystem_files').get(key), host.files, key);
    const free = series(r.text, 'node_filesystem_free_bytes').get(key) as number;
    const avail = series(r.text, 'node_filesystem_avail_bytes').get(key) as number;
    t.true(Math.abs(free - host.bfree * host.bsize) <= 0.01 * host.blocks * host.bsize, `free ${key}`);
    t.true(Math.abs(avail - host.bavail * host.bsize) <= 0.01 * host.blocks * host.bsize, `avail ${key}`);
    t.true(series(r.text, 'node_filesystem_files_free').has(key));
  }
  // Failed mounts give only device_error and readonly.
  t.is(series(r.text, 'node_filesystem_size_bytes').size, 3);
  t.is(series(r.text, 'node_filesystem_files_free').size, 3);
});

test('mountpoints under --path.rootfs are reported as host paths and filtered as such', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'fs-rootfs-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const root = path.join(dir, 'host root');
  await mkdir(path.join(root, 'data'), { recursive: true });
  await mkdir(path.join(dir, 'proc', '1'), { recursive: true });
  const escaped = (p: string) => p.replace(/ /g, '\\040');
  await writeFile(
    path.join(dir, 'proc', '1', 'mountinfo'),
    [
      `22 1 8:1 / ${escaped(root)} rw - ext4 /dev/sda1 rw`,
      `23 22 8:17 / ${escaped(root)}/data rw - xfs /dev/sdb1 rw`,
      `24 22 0:31 / ${escaped(root)}/dev/shm rw - tmpfs tmpfs rw`,
      `25 1 0:30 / /elsewhere rw - tmpfs tmpfs rw`,
      '',
    ].join('\n'),
  );
  const r = await scrapeFs(['--path.procfs', path.join(dir, 'proc'), '--path.rootfs', root]);
  t.is(r.success['filesystem'], 1);
  // /dev/shm is excluded by its host path; /elsewhere is outside the rootfs, so statfs'd under it.
  t.deepEqual(mountpoints(r.text), ['/', '/data', '/elsewhere']);
  const size = series(r.text, 'node_filesystem_size_bytes');
  const host = statfsSync(root);
  t.is(size.get('device=/dev/sda1,device_error=,fstype=ext4,mountpoint=/'), host.blocks * host.bsize);
  t.is(size.get('device=/dev/sdb1,device_error=,fstype=xfs,mountpoint=/data'), host.blocks * host.bsize);
  t.is(
    series(r.text, 'node_filesystem_device_error').get('device=tmpfs,device_error=no such file or directory,fstype=tmpfs,mountpoint=/elsewhere'),
    1,
  );
});

test('include and exclude flags replace the default filters', async (t) => {
  const include = await scrapeFs([...BASIC, '--collector.filesystem.mount-points-include', '^/(data|run/credentials/.+)$']);
  t.deepEqual(mountpoints(include.text), ['/data', '/run/credentials/systemd-sysusers.service'], 'the default mount exclude is dropped');

  const fsExclude = await scrapeFs([...BASIC, '--collector.filesystem.fs-types-exclude', '^(ext4|xfs)$']);
  t.deepEqual(mountpoints(fsExclude.text), ['/mnt/nfs-home', '/run', '/snap/core20/2105']);

  const fsInclude = await scrapeFs([...BASIC, '--collector.filesystem.fs-types-include', '^nfs4$']);
  t.deepEqual(mountpoints(fsInclude.text), ['/mnt/nfs-home']);

  await t.throwsAsync(
    scrapeFs([...BASIC, '--collector.filesystem.fs-types-include', 'x', '--collector.filesystem.fs-types-exclude', 'y']),
    { message: /mutually exclusive/ },
  );
});

test('the deprecated ignored-mount-points flag still works, with a warning', async (t) => {
  const r = await scrapeFs([...BASIC, '--collector.filesystem.ignored-mount-points', '^/(data|run|proc|sys|dev)($|/)']);
  t.deepEqual(mountpoints(r.text), ['/', '/backup', '/mnt/nfs-home', '/srv/not-a-dir/image', '/with space']);
  t.true(r.logs.some((l) => l.includes('level=WARN') && l.includes('ignored-mount-points is DEPRECATED')));
  await t.throwsAsync(
    scrapeFs([...BASIC, '--collector.filesystem.ignored-fs-types', 'x', '--collector.filesystem.fs-types-exclude', 'y']),
    { message: /ignored-fs-types and --collector.filesystem.fs-types-exclude are mutually exclusive/ },
  );
});

test('falls back to self/mountinfo when pid 1 is hidden; no mountinfo at all is "no data"', async (t) => {
  const self = await scrapeFs(['--path.procfs', fixture('filesystem/self-only/proc'), '--path.rootfs', fixture('filesystem/basic/root')]);
  t.is(self.success['filesystem'], 1);
  t.deepEqual(mountpoints(self.text), ['/mnt/from-self']);
  t.true(self.logs.some((l) => l.includes('falling back to self mounts')));

  const none = await scrapeFs(['--path.procfs', fixture('filesystem/does-not-exist')]);
  t.is(none.success['filesystem'], 0);
  t.true(none.logs.some((l) => l.includes('level=DEBUG') && l.includes('collector returned no data')));
});

test('malformed mountinfo gives success 0 and no filesystem series', async (t) => {
  for (const name of ['malformed', 'bad-device']) {
    const r = await scrapeFs(['--path.procfs', fixture('filesystem', name, 'proc'), '--path.rootfs', fixture('filesystem/basic/root')]);
    t.is(r.success['filesystem'], 0, name);
    t.false(r.text.includes('node_filesystem_'), name);
    t.true(r.logs.some((l) => l.includes('collector failed') && l.includes('parsing mountinfo: line')), name);
  }
});

test('a mount timeout of zero is refused at start-up', async (t) => {
  await t.throwsAsync(scrapeFs([...BASIC, '--collector.filesystem.mount-timeout', '0s']), { message: /mount-timeout must be above 0/ });
});

test('on this machine, the values are within 1% of node_exporter\'s', async (t) => {
  if (!requireBinary(t, NODE_EXPORTER_BIN, 'node_exporter')) return;
  // Debian's node_exporter has its own default excludes: give both the same (ours are upstream's).
  const spec = (name: string) => filesystemCollector.flags?.find((f) => f.name === name)?.default as string;
  const excludes = [
    `--collector.filesystem.mount-points-exclude=${spec('collector.filesystem.mount-points-exclude')}`,
    `--collector.filesystem.fs-types-exclude=${spec('collector.filesystem.fs-types-exclude')}`,
  ];
  const theirs = await startExporter('node_exporter', ['--collector.disable-defaults', '--collector.filesystem', ...excludes]);
  t.teardown(() => theirs.stop());
  const [theirText, ours] = await Promise.all([theirs.scrape(), scrapeFs([])]);
  t.is(ours.success['filesystem'], 1);
  const theirFamilies = byName(parseExposition(theirText));
  const ourFamilies = byName(parseExposition(ours.text));
  const mountKey = (s: ParsedSample) => `${s.labels['device']} ${s.labels['mountpoint']} ${s.labels['fstype']}`;
  let compared = 0;
  for (const name of ['size_bytes', 'free_bytes', 'avail_bytes', 'files', 'files_free', 'readonly', 'device_error']) {
    const metric = `node_filesystem_${name}`;
    const want = new Map((theirFamilies.get(metric)?.samples ?? []).map((s) => [mountKey(s), s.value]));
    const got = new Map((ourFamilies.get(metric)?.samples ?? []).map((s) => [mountKey(s), s.value]));
    t.deepEqual([...got.keys()].sort(), [...want.keys()].sort(), `${metric}: the same mounts`);
    for (const [key, value] of want) {
      const ourValue = got.get(key) as number;
      t.true(Math.abs(ourValue - value) <= Math.abs(value) * 0.01, `${metric} ${key}: ours ${ourValue}, node_exporter ${value}`);
      compared++;
    }
  }
  t.true(compared > 0, 'node_exporter reported at least one filesystem');
  t.log(`compared ${compared} values over ${theirFamilies.get('node_filesystem_device_error')?.samples.length} mounts`);
});
