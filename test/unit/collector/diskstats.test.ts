import test from 'ava';
import { existsSync } from 'node:fs';
import { allFlags } from '../../../src/options.js';
import { diskstatsCollector } from '../../../src/collector/diskstats.js';
import { MetricSink } from '../../../src/collector/sink.js';
import { writeText } from '../../../src/exposition/text.js';
import { parseFlags } from '../../../src/cli/flags.js';
import { createLogger } from '../../../src/lib/log.js';
import { HostPaths } from '../../../src/hostfs/paths.js';
import { parseDiskstats } from '../../../src/procfs/diskstats.js';
import { parseUdevProperties, udevBlockDeviceFile } from '../../../src/hostfs/udev.js';
import { collect, fixture, testContext, valueOf } from '../../helpers/collect.js';

const basic = fixture('diskstats', 'basic');
const basicArgs = ['--path.procfs', `${basic}/proc`, '--path.sysfs', `${basic}/sys`, '--path.udev.data', `${basic}/udev/data`];
const scrape = (args: string[]) => collect(['diskstats'], args, [diskstatsCollector]);
const devicesOf = (text: string, metric: string): string[] =>
  [...text.matchAll(new RegExp(`^${metric}\\{device="([^"]+)"\\}`, 'gm'))].map((m) => m[1] as string);

test('parseDiskstats reads ids and all 17 counters of a 5.5+ kernel line', (t) => {
  t.deepEqual(parseDiskstats('   8       0 sda 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17\n'), [
    { major: 8, minor: 0, device: 'sda', stats: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17] },
  ]);
});

test('parseDiskstats keeps 11 to 17 counters, drops shorter lines and ignores fields past the 17th', (t) => {
  const counts = (text: string) => parseDiskstats(text).map((d) => [d.device, d.stats.length]);
  const eleven = '1 2 3 4 5 6 7 8 9 10 11';
  t.deepEqual(counts(`8 0 sda ${eleven}\n8 16 sdb ${eleven} 12 13 14 15\n8 32 sdc ${eleven} 12\n`), [
    ['sda', 11],
    ['sdb', 15],
    ['sdc', 12],
  ]);
  // Fields 21 and on are not even checked, as procfs' Sscanf stops after 20.
  t.deepEqual(parseDiskstats(`8 0 sda ${eleven} 12 13 14 15 16 17 18 junk`)[0]?.stats.length, 17);
  // 2.6 partition lines (4 counters), a cut line and blank lines are left out, not errors.
  t.deepEqual(counts('8 1 sda1 10 30 50 70\n8 0 sda 1 2 3\n\n   \n'), []);
  t.deepEqual(parseDiskstats(''), []);
});

test('parseDiskstats rejects a non-numeric field, even on a line too short to keep', (t) => {
  t.throws(() => parseDiskstats('8 0 sda 1 2 3 4 5 6 7 8 9 10 11\n8 16 sdb 1 2 x 4 5 6 7 8 9 10 11\n'), {
    message: 'line 2 field 6: expected an unsigned integer, got "x"',
  });
  t.throws(() => parseDiskstats('8 0 sda 1 -2'), { message: /line 1 field 5/ });
  t.throws(() => parseDiskstats('eight 0 sda 1 2 3 4 5 6 7 8 9 10 11'), { message: /line 1 field 1/ });
});

test('parseUdevProperties keeps E: lines verbatim and skips the other record types', (t) => {
  const props = parseUdevProperties(
    'S:disk/by-id/x\nI:123\nE:ID_MODEL=Samsung SSD 970\r\nE:DM_UUID=LVM-a=b\nE:EMPTY=\nE:NO_EQUALS\nG:systemd\nE:ID_MODEL=second\n',
  );
  t.deepEqual([...props], [
    ['ID_MODEL', 'second'],
    ['DM_UUID', 'LVM-a=b'],
    ['EMPTY', ''],
  ]);
  t.is(udevBlockDeviceFile('/run/udev/data', 259, 0), '/run/udev/data/b259:0');
});

test('diskstats serves the 17 counters in node_exporter units: bytes = sectors x 512, seconds = ms / 1000', async (t) => {
  const r = await scrape(basicArgs);
  t.is(r.success['diskstats'], 1);
  const sda = (name: string) => valueOf(r.text, `node_disk_${name}{device="sda"}`);
  // 8 0 sda 120345 3456 9876543 45678 234567 12345 8765432 98765 2 123456 156789 3456 12 1234567 2345 45678 3456
  t.is(sda('reads_completed_total'), 120345);
  t.is(sda('reads_merged_total'), 3456);
  t.is(sda('read_bytes_total'), 9876543 * 512);
  t.is(sda('read_time_seconds_total'), 45678 * 0.001);
  t.is(sda('writes_completed_total'), 234567);
  t.is(sda('writes_merged_total'), 12345);
  t.is(sda('written_bytes_total'), 8765432 * 512);
  t.is(sda('write_time_seconds_total'), 98765 * 0.001);
  t.is(sda('io_now'), 2);
  t.is(sda('io_time_seconds_total'), 123456 * 0.001);
  t.is(sda('io_time_weighted_seconds_total'), 156789 * 0.001);
  t.is(sda('discards_completed_total'), 3456);
  t.is(sda('discards_merged_total'), 12);
  t.is(sda('discarded_sectors_total'), 1234567, 'discards stay in sectors');
  t.is(sda('discard_time_seconds_total'), 2345 * 0.001);
  t.is(sda('flush_requests_total'), 45678);
  t.is(sda('flush_requests_time_seconds_total'), 3456 * 0.001);
  // Byte for byte what node_exporter 1.5 writes for this line: ms x 0.001 (not ms / 1000) in float64.
  t.regex(r.text, /^node_disk_read_bytes_total\{device="sda"\} 5\.056790016e\+09$/m);
  t.regex(r.text, /^node_disk_read_time_seconds_total\{device="sda"\} 45\.678000000000004$/m);
  t.regex(r.text, /^node_disk_io_time_weighted_seconds_total\{device="sda"\} 156\.78900000000002$/m);
  t.regex(r.text, /^node_disk_io_time_weighted_seconds_total\{device="vda"\} 27\.77$/m);
});

test('diskstats HELP and TYPE lines are node_exporter\'s', async (t) => {
  const { text } = await scrape(basicArgs);
  const helpType = (name: string, help: string, type: string) =>
    t.true(text.includes(`# HELP node_disk_${name} ${help}\n# TYPE node_disk_${name} ${type}\n`), name);
  helpType('reads_completed_total', 'The total number of reads completed successfully.', 'counter');
  helpType('writes_merged_total', 'The number of writes merged.', 'counter');
  helpType('write_time_seconds_total', 'This is the total number of seconds spent by all writes.', 'counter');
  helpType('io_now', 'The number of I/Os currently in progress.', 'gauge');
  helpType('io_time_weighted_seconds_total', 'The weighted # of seconds spent doing I/Os.', 'counter');
  helpType('flush_requests_total', 'The total number of flush requests completed successfully', 'counter');
  helpType('info', 'Info of /sys/block/<block_device>.', 'gauge');
  helpType('filesystem_info', 'Info about disk filesystem.', 'gauge');
  helpType('device_mapper_info', 'Info about disk device mapper.', 'gauge');
  helpType('ata_rotation_rate_rpm', 'ATA disk rotation rate in RPMs (0 for SSDs).', 'gauge');
});

test('the default exclude drops partitions, loop, ram and zram devices', async (t) => {
  const { text } = await scrape(basicArgs);
  // mmcblk0p1 is not matched by node_exporter's default either.
  t.deepEqual(devicesOf(text, 'node_disk_reads_completed_total'), ['dm-0', 'mmcblk0', 'mmcblk0p1', 'nvme0n1', 'sda', 'sdb', 'vda']);
});

test('device-include replaces the default exclude; device-exclude replaces it too', async (t) => {
  const included = await scrape([...basicArgs, '--collector.diskstats.device-include=^(nvme|loop)']);
  t.deepEqual(devicesOf(included.text, 'node_disk_io_now'), ['loop0', 'nvme0n1', 'nvme0n1p1']);
  const excluded = await scrape([...basicArgs, '--collector.diskstats.device-exclude=^(sd|dm-|mmcblk|nvme)']);
  t.deepEqual(devicesOf(excluded.text, 'node_disk_io_now'), ['loop0', 'ram0', 'vda', 'zram0']);
  await t.throwsAsync(scrape([...basicArgs, '--collector.diskstats.device-include=a', '--collector.diskstats.device-exclude=b']), {
    message: /mutually exclusive/,
  });
});

test('node_disk_info takes its labels from udev and sysfs, with node_exporter\'s serial fallbacks', async (t) => {
  const { text } = await scrape(basicArgs);
  const info = (labels: string) => valueOf(text, `node_disk_info{${labels}}`);
  t.is(
    info('device="sda",major="8",minor="0",model="Samsung_SSD_860_EVO_1TB",path="pci-0000:00:17.0-ata-1.0",revision="RVT04B6Q",rotational="0",serial="S3Z9NB0KA12345B",wwn="0x5002538e4a123456"'),
    1,
  );
  // SCSI_IDENT_SERIAL wins over ID_SERIAL_SHORT; rotational 1 from sys/block/sdb/queue/rotational.
  t.is(
    info('device="sdb",major="8",minor="16",model="ST4000NM0035-1V4107",path="pci-0000:00:17.0-ata-2.0",revision="TNC3",rotational="1",serial="ZC1ABCDE0000C9461XYZ",wwn="0x5000c500a1b2c3d4"'),
    1,
  );
  // virtio: only ID_SERIAL.
  t.is(info('device="vda",major="254",minor="0",model="",path="pci-0000:00:05.0",revision="",rotational="1",serial="vol-0a1b2c3d",wwn=""'), 1);
  t.is(
    info('device="nvme0n1",major="259",minor="0",model="Samsung SSD 970 EVO Plus 500GB",path="pci-0000:01:00.0-nvme-1",revision="2B2QEXM7",rotational="0",serial="S4EVNF0M123456A",wwn="eui.0025385b71b12345"'),
    1,
  );
  // No udev file and no queue/rotational: empty labels and rotational "0".
  t.is(info('device="mmcblk0",major="179",minor="0",model="",path="",revision="",rotational="0",serial="",wwn=""'), 1);
});

test('filesystem, device-mapper and ATA series appear when udev has their keys', async (t) => {
  const r = await scrape(basicArgs);
  t.is(
    valueOf(r.text, 'node_disk_filesystem_info{device="dm-0",type="ext4",usage="filesystem",uuid="0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",version="1.0"}'),
    1,
  );
  t.is(
    valueOf(r.text, 'node_disk_device_mapper_info{device="dm-0",lv_layer="",lv_name="root",name="vg0-root",uuid="LVM-Ab12Cd34Ef56Gh78Ij90Kl12Mn34Op56Qr78St90Uv12Wx34Yz56Ab78Cd90Ef12",vg_name="vg0"}'),
    1,
  );
  t.deepEqual(devicesOf(r.text, 'node_disk_filesystem_info'), [], 'sdb has ID_FS_TYPE= empty: no series');
  t.is(valueOf(r.text, 'node_disk_ata_write_cache{device="sda"}'), 1);
  t.is(valueOf(r.text, 'node_disk_ata_write_cache_enabled{device="sdb"}'), 0);
  t.is(valueOf(r.text, 'node_disk_ata_rotation_rate_rpm{device="sda"}'), 0);
  // sdb's rotation rate is "unknown": skipped and logged, the scrape still succeeds.
  t.is(valueOf(r.text, 'node_disk_ata_rotation_rate_rpm{device="sdb"}'), undefined);
  t.true(r.logs.some((l) => l.includes('level=ERROR') && l.includes('Failed to parse ATA value')));
  t.is(r.success['diskstats'], 1);
  t.deepEqual(devicesOf(r.text, 'node_disk_ata_write_cache'), ['sda', 'sdb'], 'no ATA series without ID_ATA');
});

test('older kernels: only as many series as the line has counters', async (t) => {
  const r = await scrape(['--path.procfs', fixture('diskstats', 'field-counts', 'proc'), '--path.sysfs', `${basic}/sys`]);
  t.is(r.success['diskstats'], 1);
  const series = (device: string) => r.text.split('\n').filter((l) => l.startsWith('node_disk_') && l.includes(`{device="${device}"}`)).length;
  t.is(series('sda'), 11, '4.4-style line: no discard or flush series');
  t.is(series('sdc'), 12);
  t.is(series('sdb'), 15, '4.18-style line: discards, no flushes');
  t.is(series('sdd'), 17, 'fields past the 17th are ignored');
  t.is(valueOf(r.text, 'node_disk_discards_completed_total{device="sda"}'), undefined);
  t.is(valueOf(r.text, 'node_disk_discard_time_seconds_total{device="sdb"}'), 1.5);
  t.is(valueOf(r.text, 'node_disk_flush_requests_time_seconds_total{device="sdd"}'), 1.7);
  t.false(r.text.includes('device="sda1"'), 'a 4-counter partition line is skipped');
  t.false(r.text.includes('device="sde"'), 'a cut line is skipped');
});

test('an unreadable --path.udev.data is reported once at start and leaves the udev labels empty', async (t) => {
  const logs: string[] = [];
  const flags = parseFlags(allFlags([diskstatsCollector]), ['--path.udev.data', fixture('does-not-exist')]);
  const collector = diskstatsCollector.create(
    testContext({
      paths: new HostPaths(`${basic}/proc`, `${basic}/sys`),
      flags,
      log: createLogger('debug', 'logfmt', (line) => logs.push(line)),
    }),
  );
  const sinks = [new MetricSink(), new MetricSink()];
  for (const sink of sinks) await collector.update(sink, new AbortController().signal);
  t.is(logs.filter((l) => l.includes('level=ERROR') && l.includes('Failed to open directory, disabling udev device properties')).length, 1);
  const text = writeText([...(sinks[1] as MetricSink).entries()]);
  t.is(valueOf(text, 'node_disk_info{device="sda",major="8",minor="0",model="",path="",revision="",rotational="0",serial="",wwn=""}'), 1);
  t.false(text.includes('node_disk_ata_'));
  t.false(text.includes('node_disk_filesystem_info'));
});

test('the default udev data directory missing (normal in a container) is said once at info, not as an error', async (t) => {
  const logs: string[] = [];
  const collector = diskstatsCollector.create(
    testContext({
      paths: new HostPaths(`${basic}/proc`, `${basic}/sys`),
      flags: parseFlags(allFlags([diskstatsCollector]), []),
      log: createLogger('debug', 'logfmt', (line) => logs.push(line)),
    }),
  );
  for (let i = 0; i < 2; i++) await collector.update(new MetricSink(), new AbortController().signal);
  t.false(logs.some((l) => l.includes('level=ERROR')), logs.join('\n'));
  const said = logs.filter((l) => l.includes('No udev data (normal in a container)'));
  // Where udev runs, the default directory is there and nothing is said.
  if (existsSync('/run/udev/data')) t.is(said.length, 0);
  else t.deepEqual(said.map((l) => /level=(\w+)/.exec(l)?.[1]), ['INFO']);
});

test('malformed diskstats gives success 0 and no disk series; empty gives nothing; missing is no data', async (t) => {
  const bad = await scrape(['--path.procfs', fixture('diskstats', 'malformed', 'proc'), '--path.sysfs', `${basic}/sys`]);
  t.is(bad.success['diskstats'], 0);
  t.false(bad.text.includes('node_disk_'));
  t.true(bad.logs.some((l) => l.includes('collector failed') && l.includes('line 2 field 8')));
  // A machine without block devices has an empty file: nothing to report, not an error.
  const empty = await scrape(['--path.procfs', fixture('diskstats', 'empty', 'proc'), '--path.sysfs', `${basic}/sys`]);
  t.is(empty.success['diskstats'], 1);
  t.false(empty.text.includes('node_disk_'));
  const missing = await scrape(['--path.procfs', fixture('does-not-exist'), '--path.sysfs', `${basic}/sys`]);
  t.is(missing.success['diskstats'], 0);
  t.true(missing.logs.some((l) => l.includes('level=DEBUG') && l.includes('collector returned no data')));
});
