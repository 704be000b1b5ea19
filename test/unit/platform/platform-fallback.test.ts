import test from 'ava';
import type os from 'node:os';
import { fallbackCpuCollector } from '../../../src/platform/fallback-cpu.js';
import { dmiLabelsFromSystemInformation, fallbackDmiCollector } from '../../../src/platform/fallback-dmi.js';
import { fallbackFilesystemCollector } from '../../../src/platform/fallback-filesystem.js';
import { fallbackLoadavgCollector } from '../../../src/platform/fallback-loadavg.js';
import { fallbackMeminfoCollector } from '../../../src/platform/fallback-meminfo.js';
import { fallbackNetdevCollector } from '../../../src/platform/fallback-netdev.js';
import { createFallbackCollectorFactories, fallbackCollectorFactories } from '../../../src/platform/fallback-registry.js';
import type { BaseboardData, BiosData, ChassisData, FsSizeData, MemData, NetworkStatsData, SystemData } from '../../../src/platform/system-info.js';
import { valueOf } from '../../helpers/collect.js';
import { Harness, deferred, fakeDeps, fakeSi, sleep } from '../../helpers/platform.js';

const cpuTimes = (user: number, nice: number, sys: number, idle: number, irq: number): os.CpuInfo => ({
  model: 'Apple M2',
  speed: 2400,
  times: { user, nice, sys, idle, irq },
});

const MEM: MemData = {
  total: 17179869184,
  free: 1073741824,
  used: 16106127360,
  active: 8589934592,
  available: 6442450944,
  buffcache: 0,
  buffers: 0,
  cached: 0,
  slab: 0,
  reclaimable: 0,
  swaptotal: 2147483648,
  swapused: 536870912,
  swapfree: 1610612736,
  writeback: null,
  dirty: null,
};

test('the registry has the Linux collectors\' names, sorted, and creating it calls nothing', (t) => {
  // fakeDeps fails any systeminformation or os call; building the factories must make none.
  const factories = createFallbackCollectorFactories(fakeDeps());
  t.deepEqual(
    factories.map((f) => f.name),
    ['cpu', 'dmi', 'filesystem', 'host_cpu', 'loadavg', 'meminfo', 'netdev'],
  );
  t.true(factories.every((f) => f.defaultEnabled));
  t.deepEqual(
    fallbackCollectorFactories.map((f) => f.name),
    factories.map((f) => f.name),
  );
});

test('cpu: os.cpus() milliseconds become node_cpu_seconds_total seconds, with macOS modes', async (t) => {
  const os = { cpus: () => [cpuTimes(152340, 10, 80120, 9876543, 0), cpuTimes(1, 0, 2, 3, 0)], loadavg: () => [0, 0, 0] };
  const h = new Harness(fallbackCpuCollector(fakeDeps({ os, platform: 'darwin' })));
  const s = await h.scrape();
  t.is(s.success, 1);
  t.regex(s.text, /^# HELP node_cpu_seconds_total Seconds the CPUs spent in each mode.\n# TYPE node_cpu_seconds_total counter\n/);
  t.is(valueOf(s.text, 'node_cpu_seconds_total{cpu="0",mode="user"}'), 152.34);
  t.is(valueOf(s.text, 'node_cpu_seconds_total{cpu="0",mode="nice"}'), 0.01);
  t.is(valueOf(s.text, 'node_cpu_seconds_total{cpu="0",mode="system"}'), 80.12);
  t.is(valueOf(s.text, 'node_cpu_seconds_total{cpu="0",mode="idle"}'), 9876.543);
  t.is(valueOf(s.text, 'node_cpu_seconds_total{cpu="1",mode="idle"}'), 0.003);
  t.false(s.text.includes('mode="irq"'));
  t.is(s.text.split('\n').filter((l) => l.startsWith('node_cpu_seconds_total{')).length, 8);
});

test('cpu: Windows adds the irq mode; no CPUs listed is no data', async (t) => {
  const win = new Harness(
    fallbackCpuCollector(fakeDeps({ os: { cpus: () => [cpuTimes(1000, 0, 2000, 3000, 250)], loadavg: () => [] }, platform: 'win32' })),
  );
  t.is(valueOf((await win.scrape()).text, 'node_cpu_seconds_total{cpu="0",mode="irq"}'), 0.25);
  const none = new Harness(fallbackCpuCollector(fakeDeps({ os: { cpus: () => [], loadavg: () => [] } })));
  const s = await none.scrape();
  t.is(s.success, 0);
  t.false(none.logs.some((l) => l.includes('level=ERROR')));
});

test('loadavg: os.loadavg() on macOS; Windows, which has none, reports no data instead of zeros', async (t) => {
  const mac = new Harness(fallbackLoadavgCollector(fakeDeps({ os: { cpus: () => [], loadavg: () => [1.5, 0.25, 0.03] } })));
  const s = await mac.scrape();
  t.is(s.success, 1);
  t.is(valueOf(s.text, 'node_load1'), 1.5);
  t.is(valueOf(s.text, 'node_load5'), 0.25);
  t.is(valueOf(s.text, 'node_load15'), 0.03);
  t.regex(s.text, /# HELP node_load15 15m load average.\n# TYPE node_load15 gauge\n/);

  const win = new Harness(fallbackLoadavgCollector(fakeDeps({ os: { cpus: () => [], loadavg: () => [0, 0, 0] }, platform: 'win32' })));
  const w = await win.scrape();
  t.is(w.success, 0);
  t.false(w.text.includes('node_load1'));

  const short = new Harness(fallbackLoadavgCollector(fakeDeps({ os: { cpus: () => [], loadavg: () => [1] } })));
  t.is((await short.scrape()).success, 0);
  t.true(short.logs.some((l) => l.includes('collector failed') && l.includes('fewer than 3')));
});

test('meminfo: success 0 until the first refresh lands, then the Linux names with mem() bytes', async (t) => {
  const first = deferred<MemData>();
  let calls = 0;
  const h = new Harness(
    fallbackMeminfoCollector(
      fakeDeps({
        si: fakeSi({
          mem: () => {
            calls++;
            return first.promise;
          },
        }),
      }),
    ),
  );
  t.teardown(() => h.close());
  // The refresh starts when the collector is created, not at the scrape.
  t.is(calls, 1);
  const before = await h.scrape();
  t.is(before.success, 0);
  t.is(before.text, '');
  t.true(h.logs.some((l) => l.includes('level=DEBUG') && l.includes('waiting for the first systeminformation mem()')));
  t.false(h.logs.some((l) => l.includes('level=ERROR')));

  first.resolve(MEM);
  const after = await h.scrapeUntil((s) => s.success === 1);
  t.is(valueOf(after.text, 'node_memory_MemTotal_bytes'), 17179869184);
  t.is(valueOf(after.text, 'node_memory_MemFree_bytes'), 1073741824);
  t.is(valueOf(after.text, 'node_memory_MemAvailable_bytes'), 6442450944);
  t.is(valueOf(after.text, 'node_memory_SwapTotal_bytes'), 2147483648);
  t.is(valueOf(after.text, 'node_memory_SwapFree_bytes'), 1610612736);
  t.regex(after.text, /# HELP node_memory_MemAvailable_bytes Memory information field MemAvailable_bytes.\n# TYPE node_memory_MemAvailable_bytes gauge\n/);
  // Scrapes read the stored result: no call of their own.
  await h.scrape();
  await h.scrape();
  t.is(calls, 1);
});

test('meminfo: the values are refreshed on the timer, not by scrapes', async (t) => {
  let free = 0;
  let calls = 0;
  const h = new Harness(
    fallbackMeminfoCollector(
      fakeDeps({
        refreshMs: 10,
        si: fakeSi({
          mem: async () => {
            calls++;
            return { ...MEM, free: (free += 1000) };
          },
        }),
      }),
    ),
  );
  t.teardown(() => h.close());
  const s = await h.scrapeUntil((x) => (valueOf(x.text, 'node_memory_MemFree_bytes') ?? 0) >= 3000);
  t.is(s.success, 1);
  t.true(calls >= 3);
  await h.close();
  const stopped = calls;
  await sleep(50);
  t.is(calls, stopped, 'no refresh after close()');
});

test('meminfo: a failing mem() gives success 0 and log lines, never an exception; it recovers', async (t) => {
  let failing = true;
  const h = new Harness(
    fallbackMeminfoCollector(
      fakeDeps({
        refreshMs: 10,
        si: fakeSi({ mem: async () => (failing ? Promise.reject(new Error('vm_stat: command not found')) : MEM) }),
      }),
    ),
  );
  t.teardown(() => h.close());
  const s = await h.scrapeUntil((x) => h.logs.some((l) => l.includes('level=ERROR')) && x.success === 0);
  t.is(s.text, '');
  t.true(h.logs.some((l) => l.includes('level=WARN') && l.includes('systeminformation mem() failed') && l.includes('vm_stat: command not found')));
  t.true(h.logs.some((l) => l.includes('level=ERROR') && l.includes('collector failed') && l.includes('vm_stat')));
  // One warning per outage, however many refreshes fail.
  await sleep(50);
  t.is(h.logs.filter((l) => l.includes('level=WARN')).length, 1);
  failing = false;
  const ok = await h.scrapeUntil((x) => x.success === 1);
  t.is(valueOf(ok.text, 'node_memory_MemTotal_bytes'), 17179869184);
  t.true(h.logs.some((l) => l.includes('level=INFO') && l.includes('succeeded again')));
});

test('meminfo: mem() answering zeros (its way of failing) is a failure, not zero memory', async (t) => {
  const h = new Harness(fallbackMeminfoCollector(fakeDeps({ si: fakeSi({ mem: async () => ({ ...MEM, total: 0, free: 0 }) }) })));
  t.teardown(() => h.close());
  await h.scrapeUntil(() => h.logs.some((l) => l.includes('returned no total memory')));
  t.is((await h.scrape()).success, 0);
});

const FS: FsSizeData[] = [
  { fs: '/dev/disk3s1s1', type: 'apfs', size: 494384795648, used: 10234568704, available: 300000000000, use: 3.3, mount: '/', rw: false },
  { fs: '/dev/disk3s5', type: 'apfs', size: 494384795648, used: 180000000000, available: 300000000000, use: 37.5, mount: '/System/Volumes/Data', rw: true },
  { fs: 'devfs', type: 'devfs', size: 206336, used: 206336, available: 0, use: 100, mount: '/dev', rw: true },
  { fs: '/dev/disk3s5', type: 'apfs', size: 494384795648, used: 180000000000, available: 300000000000, use: 37.5, mount: '/System/Volumes/Data', rw: true },
  { fs: 'C:', type: 'NTFS', size: 1000, used: 400, available: 600, use: 40, mount: 'C:', rw: null },
];

test('filesystem: fsSize() as size/free/avail/readonly with node_exporter labels and macOS default excludes', async (t) => {
  const h = new Harness(fallbackFilesystemCollector(fakeDeps({ si: fakeSi({ fsSize: async () => FS }) })));
  t.teardown(() => h.close());
  const s = await h.scrapeUntil((x) => x.success === 1);
  const root = '{device="/dev/disk3s1s1",device_error="",fstype="apfs",mountpoint="/"}';
  t.is(valueOf(s.text, `node_filesystem_size_bytes${root}`), 494384795648);
  t.is(valueOf(s.text, `node_filesystem_free_bytes${root}`), 494384795648 - 10234568704);
  t.is(valueOf(s.text, `node_filesystem_avail_bytes${root}`), 300000000000);
  t.is(valueOf(s.text, `node_filesystem_readonly${root}`), 1);
  t.is(valueOf(s.text, 'node_filesystem_readonly{device="/dev/disk3s5",device_error="",fstype="apfs",mountpoint="/System/Volumes/Data"}'), 0);
  // devfs on /dev is excluded by default; the repeated mount is served once; unknown rw has no readonly.
  t.false(s.text.includes('devfs'));
  t.is(s.text.split('\n').filter((l) => l.startsWith('node_filesystem_size_bytes{')).length, 3);
  t.is(valueOf(s.text, 'node_filesystem_free_bytes{device="C:",device_error="",fstype="NTFS",mountpoint="C:"}'), 600);
  t.false(s.text.includes('node_filesystem_readonly{device="C:"'));
  t.regex(s.text, /# HELP node_filesystem_avail_bytes Filesystem space available to non-root users in bytes.\n/);
});

test('filesystem: the include flags work as on Linux; an empty list (df failed) is no data', async (t) => {
  const h = new Harness(fallbackFilesystemCollector(fakeDeps({ si: fakeSi({ fsSize: async () => FS }) })), [
    '--collector.filesystem.mount-points-include=^/$',
  ]);
  t.teardown(() => h.close());
  const s = await h.scrapeUntil((x) => x.success === 1);
  t.deepEqual(
    s.text.split('\n').filter((l) => l.startsWith('node_filesystem_size_bytes{')),
    ['node_filesystem_size_bytes{device="/dev/disk3s1s1",device_error="",fstype="apfs",mountpoint="/"} 4.94384795648e+11'],
  );
  const empty = new Harness(fallbackFilesystemCollector(fakeDeps({ si: fakeSi({ fsSize: async () => [] }) })));
  t.teardown(() => empty.close());
  await sleep(10);
  t.is((await empty.scrape()).success, 0);
});

const NET: NetworkStatsData[] = [
  { iface: 'en0', operstate: 'up', rx_bytes: 123456789, rx_dropped: 3, rx_errors: 1, tx_bytes: 9876543, tx_dropped: 4, tx_errors: 2, rx_sec: 0, tx_sec: 0, ms: 0 },
  { iface: 'lo0', operstate: 'unknown', rx_bytes: 5000, rx_dropped: 0, rx_errors: 0, tx_bytes: 5000, tx_dropped: 0, tx_errors: 0, rx_sec: 0, tx_sec: 0, ms: 0 },
  { iface: 'utun3', operstate: 'up', rx_bytes: Number.NaN, rx_dropped: 0, rx_errors: 0, tx_bytes: 77, tx_dropped: 0, tx_errors: 0, rx_sec: 0, tx_sec: 0, ms: 0 },
];

test('netdev: networkStats() counters per device; unparsable values left out; device filter flags', async (t) => {
  const h = new Harness(fallbackNetdevCollector(fakeDeps({ si: fakeSi({ networkStats: async () => NET }) })), [
    '--collector.netdev.device-exclude=^lo',
  ]);
  t.teardown(() => h.close());
  const s = await h.scrapeUntil((x) => x.success === 1);
  t.is(valueOf(s.text, 'node_network_receive_bytes_total{device="en0"}'), 123456789);
  t.is(valueOf(s.text, 'node_network_receive_errs_total{device="en0"}'), 1);
  t.is(valueOf(s.text, 'node_network_receive_drop_total{device="en0"}'), 3);
  t.is(valueOf(s.text, 'node_network_transmit_bytes_total{device="en0"}'), 9876543);
  t.is(valueOf(s.text, 'node_network_transmit_errs_total{device="en0"}'), 2);
  t.is(valueOf(s.text, 'node_network_transmit_drop_total{device="en0"}'), 4);
  t.false(s.text.includes('lo0'));
  t.is(valueOf(s.text, 'node_network_receive_bytes_total{device="utun3"}'), undefined);
  t.is(valueOf(s.text, 'node_network_transmit_bytes_total{device="utun3"}'), 77);
  t.false(s.text.includes('packets'));
  t.regex(s.text, /# HELP node_network_receive_bytes_total Network device statistic receive_bytes.\n# TYPE node_network_receive_bytes_total counter\n/);
});

const SYSTEM: SystemData = {
  manufacturer: 'Apple Inc.',
  model: 'Mac14,2',
  version: '1.0',
  serial: 'C02XK0AAJGH5',
  uuid: '5f0e1c2d-1a2b-4c3d-8e9f-0a1b2c3d4e5f',
  sku: '-',
  virtual: false,
};
const BIOS: BiosData = { vendor: 'Apple Inc.', version: 'iBoot-10151.81.1', releaseDate: '', revision: '' };
const BASEBOARD: BaseboardData = {
  manufacturer: 'Apple Inc.',
  model: 'Mac14,2',
  version: '',
  serial: 'C02XK0AAJGH5',
  assetTag: 'J413AP',
  memMax: null,
  memSlots: 0,
};
const CHASSIS: ChassisData = { manufacturer: 'Apple Inc.', model: 'Mac14,2', type: 'Notebook', version: '', serial: 'C02XK0AAJGH5', assetTag: 'J413AP', sku: 'P' };

test('dmi: systeminformation fields under node_exporter labels; unknown ("" or "-") left out', (t) => {
  const labels = dmiLabelsFromSystemInformation({ system: SYSTEM, bios: BIOS, baseboard: BASEBOARD, chassis: CHASSIS });
  t.deepEqual(Object.fromEntries(labels), {
    bios_vendor: 'Apple Inc.',
    bios_version: 'iBoot-10151.81.1',
    board_asset_tag: 'J413AP',
    board_name: 'Mac14,2',
    board_serial: 'C02XK0AAJGH5',
    board_vendor: 'Apple Inc.',
    chassis_asset_tag: 'J413AP',
    chassis_serial: 'C02XK0AAJGH5',
    chassis_vendor: 'Apple Inc.',
    product_name: 'Mac14,2',
    product_serial: 'C02XK0AAJGH5',
    product_uuid: '5f0e1c2d-1a2b-4c3d-8e9f-0a1b2c3d4e5f',
    product_version: '1.0',
    system_vendor: 'Apple Inc.',
  });
});

test('dmi: fetched once at start and served from then on; the series matches the Linux collector', async (t) => {
  const calls = { system: 0, bios: 0, baseboard: 0, chassis: 0 };
  const si = fakeSi({
    system: async () => (calls.system++, SYSTEM),
    bios: async () => (calls.bios++, BIOS),
    baseboard: async () => (calls.baseboard++, BASEBOARD),
    chassis: async () => (calls.chassis++, { ...CHASSIS, version: '  Rev 2 ' }),
  });
  const h = new Harness(fallbackDmiCollector(fakeDeps({ si, refreshMs: 1, staticRetryMs: 1 })));
  t.teardown(() => h.close());
  const s = await h.scrapeUntil((x) => x.success === 1);
  await sleep(20);
  await h.scrape();
  t.deepEqual(calls, { system: 1, bios: 1, baseboard: 1, chassis: 1 });
  t.regex(s.text, /^# HELP node_dmi_info A metric with a constant '1' value labeled by bios_date, .* if provided by DMI.\n# TYPE node_dmi_info gauge\n/);
  t.regex(s.text, /\nnode_dmi_info\{bios_vendor="Apple Inc\.",.*chassis_version="Rev 2",.*system_vendor="Apple Inc\."\} 1\n/);
});

test('dmi: a failed fetch is success 0 and is retried after staticRetryMs', async (t) => {
  let attempts = 0;
  const si = fakeSi({
    system: async () => {
      attempts++;
      if (attempts === 1) throw new Error('ioreg: not found');
      return SYSTEM;
    },
    bios: async () => BIOS,
    baseboard: async () => BASEBOARD,
    chassis: async () => CHASSIS,
  });
  const h = new Harness(fallbackDmiCollector(fakeDeps({ si, staticRetryMs: 20 })));
  t.teardown(() => h.close());
  await h.scrapeUntil(() => attempts >= 1 && h.logs.some((l) => l.includes('ioreg: not found')));
  const ok = await h.scrapeUntil((x) => x.success === 1);
  t.is(attempts, 2);
  t.regex(ok.text, /product_name="Mac14,2"/);
});
