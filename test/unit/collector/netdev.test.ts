import test from 'ava';
import { netdevCollector } from '../../../src/collector/netdev.js';
import { NET_DEV_COUNTERS, parseNetDev } from '../../../src/procfs/netdev.js';
import { collect, fixture, valueOf } from '../../helpers/collect.js';

const HEADER =
  'Inter-|   Receive                                                |  Transmit\n' +
  ' face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n';
const basic = fixture('netdev', 'basic');
const treeArgs = (dir: string) => ['--path.procfs', `${dir}/proc`, '--path.sysfs', `${dir}/sys`];
const scrape = (args: string[]) => collect(['netdev'], args, [netdevCollector]);
const devicesOf = (text: string, metric: string): string[] =>
  [...text.matchAll(new RegExp(`^${metric}\\{device="([^"]+)"\\}`, 'gm'))].map((m) => m[1] as string);

test('parseNetDev names the 16 columns after the header, per interface', (t) => {
  const devices = parseNetDev(`${HEADER}  eth0: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\nveth1a2b3c4:0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 99 17\n`);
  t.deepEqual([...devices.keys()], ['eth0', 'veth1a2b3c4']);
  t.deepEqual(devices.get('eth0'), {
    receive_bytes: 1,
    receive_packets: 2,
    receive_errs: 3,
    receive_drop: 4,
    receive_fifo: 5,
    receive_frame: 6,
    receive_compressed: 7,
    receive_multicast: 8,
    transmit_bytes: 9,
    transmit_packets: 10,
    transmit_errs: 11,
    transmit_drop: 12,
    transmit_fifo: 13,
    transmit_colls: 14,
    transmit_carrier: 15,
    transmit_compressed: 16,
  });
  // A name running into its counters, and a 17th column, which is ignored.
  t.is(devices.get('veth1a2b3c4')?.transmit_compressed, 99);
  t.is(NET_DEV_COUNTERS.length, 16);
});

test('parseNetDev: header only is no interfaces; a repeated name keeps its last line', (t) => {
  t.deepEqual(parseNetDev(HEADER).size, 0);
  const twice = parseNetDev(`${HEADER}lo: ${'1 '.repeat(16)}\nlo: ${'2 '.repeat(16)}\n`);
  t.is(twice.size, 1);
  t.is(twice.get('lo')?.receive_bytes, 2);
});

test('parseNetDev rejects short, non-numeric, nameless, colonless and header-less input', (t) => {
  t.throws(() => parseNetDev(`${HEADER}lo: ${'0 '.repeat(15)}\n`), { message: 'line 3: expected 16 counters for lo, got 15' });
  t.throws(() => parseNetDev(`${HEADER}lo: ${'0 '.repeat(15)}x\n`), { message: 'lo transmit_compressed: expected an unsigned integer, got "x"' });
  t.throws(() => parseNetDev(`${HEADER}lo: -1 ${'0 '.repeat(15)}\n`), { message: /lo receive_bytes/ });
  t.throws(() => parseNetDev(`${HEADER}  : ${'0 '.repeat(16)}\n`), { message: 'line 3: empty interface name' });
  t.throws(() => parseNetDev(`${HEADER}lo ${'0 '.repeat(16)}\n`), { message: /line 3: missing colon/ });
  t.throws(() => parseNetDev(`${HEADER}\n`), { message: /line 3: missing colon/ });
  t.throws(() => parseNetDev(''), { message: 'missing the two header lines' });
  t.throws(() => parseNetDev(HEADER.split('\n')[0] as string), { message: 'missing the two header lines' });
});

test('netdev serves the 16 legacy counters plus receive_nohandler from sysfs', async (t) => {
  const r = await scrape(treeArgs(basic));
  t.is(r.success['netdev'], 1);
  // eth0: 98765432101 87654321 12 34 5 6 7 8910 | 12345678901 23456789 1 2 3 4 5 6
  const eth0 = (key: string) => valueOf(r.text, `node_network_${key}_total{device="eth0"}`);
  const expected: Record<string, number> = {
    receive_bytes: 98765432101,
    receive_packets: 87654321,
    receive_errs: 12,
    receive_drop: 34,
    receive_fifo: 5,
    receive_frame: 6,
    receive_compressed: 7,
    receive_multicast: 8910,
    transmit_bytes: 12345678901,
    transmit_packets: 23456789,
    transmit_errs: 1,
    transmit_drop: 2,
    transmit_fifo: 3,
    transmit_colls: 4,
    transmit_carrier: 5,
    transmit_compressed: 6,
    receive_nohandler: 314,
  };
  for (const [key, value] of Object.entries(expected)) t.is(eth0(key), value, key);
  t.regex(r.text, /^node_network_receive_bytes_total\{device="eth0"\} 9\.8765432101e\+10$/m);
  t.true(
    r.text.includes(
      '# HELP node_network_transmit_colls_total Network device statistic transmit_colls.\n# TYPE node_network_transmit_colls_total counter\n',
    ),
  );
  t.true(
    r.text.includes(
      '# HELP node_network_receive_nohandler_total Network device statistic receive_nohandler.\n# TYPE node_network_receive_nohandler_total counter\n',
    ),
  );
  // No default exclude (Debian's 1.5 package adds ^lo$; upstream has none).
  t.deepEqual(devicesOf(r.text, 'node_network_receive_bytes_total'), ['docker0', 'eth0', 'lo', 'veth1a2b3c4', 'wlan0']);
  // wlan0 has no statistics/rx_nohandler (kernels before 4.6): no series rather than a 0.
  t.deepEqual(devicesOf(r.text, 'node_network_receive_nohandler_total'), ['docker0', 'eth0', 'lo', 'veth1a2b3c4']);
  t.is(r.text.split('\n').filter((l) => l.startsWith('node_network_') && l.includes('device="eth0"')).length, 17);
});

test('device-include and device-exclude filter interfaces, and are mutually exclusive', async (t) => {
  const included = await scrape([...treeArgs(basic), '--collector.netdev.device-include=^(eth|wlan)']);
  t.deepEqual(devicesOf(included.text, 'node_network_transmit_bytes_total'), ['eth0', 'wlan0']);
  t.deepEqual(devicesOf(included.text, 'node_network_receive_nohandler_total'), ['eth0']);
  const excluded = await scrape([...treeArgs(basic), '--collector.netdev.device-exclude=^(veth.*|[a-z0-9]+@if\\d+|lo)$']);
  t.deepEqual(devicesOf(excluded.text, 'node_network_transmit_bytes_total'), ['docker0', 'eth0', 'wlan0']);
  await t.throwsAsync(scrape([...treeArgs(basic), '--collector.netdev.device-include=a', '--collector.netdev.device-exclude=b']), {
    message: /mutually exclusive/,
  });
});

test('--no-collector.netdev.netlink is accepted, as manifests written for node_exporter pass it', async (t) => {
  const r = await scrape([...treeArgs(basic), '--no-collector.netdev.netlink']);
  t.is(r.success['netdev'], 1);
  t.is(valueOf(r.text, 'node_network_receive_packets_total{device="lo"}'), 21745);
});

test('malformed, short, empty or missing /proc/net/dev gives success 0 and no series', async (t) => {
  for (const tree of ['malformed', 'short-line', 'empty']) {
    const r = await scrape(treeArgs(fixture('netdev', tree)));
    t.is(r.success['netdev'], 0, tree);
    t.false(r.text.includes('node_network_'), tree);
    t.true(r.logs.some((l) => l.includes('collector failed') && l.includes('net/dev')), tree);
  }
  const missing = await scrape(treeArgs(fixture('does-not-exist')));
  t.is(missing.success['netdev'], 0);
  t.true(missing.logs.some((l) => l.includes('level=DEBUG') && l.includes('collector returned no data')));
});

test('a malformed rx_nohandler fails the scrape instead of serving a wrong counter', async (t) => {
  const r = await scrape(treeArgs(fixture('netdev', 'bad-nohandler')));
  t.is(r.success['netdev'], 0);
  t.true(r.logs.some((l) => l.includes('collector failed') && l.includes('rx_nohandler: expected an unsigned integer, got \\"lots\\"')));
});
