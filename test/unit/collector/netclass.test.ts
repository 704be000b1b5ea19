import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { netclassCollector } from '../../../src/collector/netclass.js';
import { isUnreadableAttribute, parseNetClassInterface, parseSysfsInt } from '../../../src/sysfs/netclass.js';
import { MetricSink } from '../../../src/collector/sink.js';
import { allFlags } from '../../../src/options.js';
import { writeText } from '../../../src/exposition/text.js';
import { parseFlags } from '../../../src/cli/flags.js';
import { silentLogger } from '../../../src/lib/log.js';
import { HostPaths } from '../../../src/hostfs/paths.js';
import { collect, fixture, testContext, valueOf } from '../../helpers/collect.js';

const basic = fixture('netclass', 'basic', 'sys');
const scrape = (args: string[]) => collect(['netclass'], args, [netclassCollector]);
const devicesOf = (text: string, metric: string): string[] =>
  [...text.matchAll(new RegExp(`^${metric}\\{device="([^"]+)"\\}`, 'gm'))].map((m) => m[1] as string);

test('parseSysfsInt reads integers as Go\'s ParseInt(s, 0, 64) does', (t) => {
  t.is(parseSysfsInt('0x1003', 'flags'), 4099);
  t.is(parseSysfsInt('0X0', 'dev_id'), 0);
  t.is(parseSysfsInt('-1', 'speed'), -1);
  t.is(parseSysfsInt('+25000', 'speed'), 25000);
  t.is(parseSysfsInt('010', 'x'), 8, 'a leading 0 is octal');
  t.is(parseSysfsInt('0o17', 'x'), 15);
  t.is(parseSysfsInt('0b101', 'x'), 5);
  t.is(parseSysfsInt('0', 'x'), 0);
  t.is(parseSysfsInt('-9223372036854775808', 'x'), -9223372036854775808);
  t.throws(() => parseSysfsInt('9223372036854775808', 'carrier_changes'), { message: /out of the int64 range/ });
  t.is(parseSysfsInt('1_000', 'x'), 1000, 'Go allows underscores between digits in base 0');
  t.is(parseSysfsInt('0x_10', 'x'), 16);
  for (const bad of ['', '9k', '0x', '08', '1.5', ' 1', '1__0', '1_', '_1', '--1']) {
    t.throws(() => parseSysfsInt(bad, 'mtu'), { message: /^mtu: expected an integer/ }, JSON.stringify(bad));
  }
});

test('parseNetClassInterface trims values; missing text is "" and missing integers absent', (t) => {
  const iface = parseNetClassInterface(new Map([['operstate', 'up\n'], ['mtu', '1500\n'], ['flags', '0x1003\n'], ['phys_port_id', 'x']]));
  t.deepEqual(iface, {
    text: { address: '', broadcast: '', duplex: '', ifalias: '', operstate: 'up' },
    ints: { flags: 4099, mtu: 1500 },
  });
  t.throws(() => parseNetClassInterface(new Map([['mtu', '9k\n']])), { message: 'mtu: expected an integer, got "9k"' });
});

test('isUnreadableAttribute skips what procfs skips and nothing else', (t) => {
  for (const code of ['ENOENT', 'EACCES', 'EPERM', 'EINVAL', 'EOPNOTSUPP', 'ENOTSUP']) t.true(isUnreadableAttribute({ code }), code);
  for (const code of ['EIO', 'ENODEV', 'EAGAIN', undefined]) t.false(isUnreadableAttribute({ code }), String(code));
});

test('netclass serves every property of an interface with node_exporter\'s names, types and help', async (t) => {
  const r = await scrape(['--path.sysfs', basic]);
  t.is(r.success['netclass'], 1);
  const eth0 = (name: string) => valueOf(r.text, `node_network_${name}{device="eth0"}`);
  const expected: Record<string, number> = {
    up: 1,
    address_assign_type: 0,
    carrier: 1,
    carrier_changes_total: 4,
    carrier_up_changes_total: 2,
    carrier_down_changes_total: 2,
    device_id: 0,
    dormant: 0,
    flags: 4099,
    iface_id: 2,
    iface_link: 2,
    iface_link_mode: 0,
    mtu_bytes: 9000,
    name_assign_type: 4,
    net_dev_group: 0,
    protocol_type: 1,
    transmit_queue_length: 1000,
    speed_bytes: 1250000000,
  };
  for (const [name, value] of Object.entries(expected)) t.is(eth0(name), value, name);
  t.is(r.text.split('\n').filter((l) => l.startsWith('node_network_') && l.includes('device="eth0"')).length, 19, 'the above plus info');
  t.is(
    valueOf(
      r.text,
      'node_network_info{address="3c:ec:ef:12:34:56",adminstate="up",broadcast="ff:ff:ff:ff:ff:ff",device="eth0",duplex="full",ifalias="uplink to core-sw1 port 12",operstate="up"}',
    ),
    1,
  );
  const helpType = (name: string, help: string, type: string) =>
    t.true(r.text.includes(`# HELP node_network_${name} ${help}\n# TYPE node_network_${name} ${type}\n`), name);
  helpType('up', "Value is 1 if operstate is 'up', 0 otherwise.", 'gauge');
  helpType('info', 'Non-numeric data from /sys/class/net/<iface>, value is always 1.', 'gauge');
  helpType('mtu_bytes', 'Network device property: mtu_bytes', 'gauge');
  helpType('speed_bytes', 'Network device property: speed_bytes', 'gauge');
  helpType('carrier_changes_total', 'Network device property: carrier_changes_total', 'counter');
  helpType('carrier_down_changes_total', 'Network device property: carrier_down_changes_total', 'counter');
});

test('interfaces are the non-regular entries of class/net, symlinks followed', async (t) => {
  const { text } = await scrape(['--path.sysfs', basic]);
  // ens3 is a symlink into devices/; bonding_masters is a regular file.
  t.deepEqual(devicesOf(text, 'node_network_up'), ['ens3', 'eth0', 'lo', 'tun0', 'wlan0']);
  t.is(valueOf(text, 'node_network_mtu_bytes{device="ens3"}'), 1500);
});

test('unreadable attributes are skipped; adminstate follows IFF_UP and is "unknown" without flags', async (t) => {
  const { text } = await scrape(['--path.sysfs', basic]);
  // lo: no speed or duplex (EINVAL on a real kernel); operstate "unknown" is not up.
  t.is(valueOf(text, 'node_network_speed_bytes{device="lo"}'), undefined);
  t.is(valueOf(text, 'node_network_up{device="lo"}'), 0);
  t.is(valueOf(text, 'node_network_protocol_type{device="lo"}'), 772);
  t.is(
    valueOf(text, 'node_network_info{address="00:00:00:00:00:00",adminstate="up",broadcast="00:00:00:00:00:00",device="lo",duplex="",ifalias="",operstate="unknown"}'),
    1,
  );
  // wlan0 is down: no carrier, dormant or speed; flags 0x1002 lack IFF_UP.
  for (const name of ['carrier', 'dormant', 'speed_bytes']) t.is(valueOf(text, `node_network_${name}{device="wlan0"}`), undefined, name);
  t.regex(text, /^node_network_info\{[^}]*adminstate="down"[^}]*device="wlan0"/m);
  t.is(valueOf(text, 'node_network_carrier_changes_total{device="wlan0"}'), 7);
  // tun0 has no flags file.
  t.is(valueOf(text, 'node_network_flags{device="tun0"}'), undefined);
  t.is(valueOf(text, 'node_network_info{address="",adminstate="unknown",broadcast="",device="tun0",duplex="",ifalias="",operstate="unknown"}'), 1);
});

test('ifalias is cut at 128 bytes, as procfs\' single 128-byte read cuts it', async (t) => {
  const { text } = await scrape(['--path.sysfs', basic]);
  const alias = /^node_network_info\{[^}]*device="wlan0"[^}]*ifalias="([^"]*)"/m.exec(text)?.[1];
  t.is(alias, 'office access point wlan, moved from the 2.4 GHz band to 5 GHz after the interference reports of march; see ticket NET-4821 for');
  t.is(Buffer.byteLength(alias ?? ''), 127, '128 bytes less the space trimmed at the end');
});

test('speed -1 gives -125000 unless --collector.netclass.ignore-invalid-speed', async (t) => {
  const byDefault = await scrape(['--path.sysfs', basic]);
  t.is(valueOf(byDefault.text, 'node_network_speed_bytes{device="ens3"}'), -125000);
  const ignoring = await scrape(['--path.sysfs', basic, '--collector.netclass.ignore-invalid-speed']);
  t.is(valueOf(ignoring.text, 'node_network_speed_bytes{device="ens3"}'), undefined);
  t.is(valueOf(ignoring.text, 'node_network_speed_bytes{device="eth0"}'), 1250000000);
});

test('--collector.netclass.ignored-devices drops matching interfaces', async (t) => {
  const r = await scrape(['--path.sysfs', basic, '--collector.netclass.ignored-devices', '^(lo|tun.*)$']);
  t.deepEqual(devicesOf(r.text, 'node_network_up'), ['ens3', 'eth0', 'wlan0']);
  t.false(r.text.includes('device="lo"'));
});

test('a malformed attribute gives success 0 and no netclass series; a missing class/net is no data', async (t) => {
  const bad = await scrape(['--path.sysfs', fixture('netclass', 'malformed', 'sys')]);
  t.is(bad.success['netclass'], 0);
  t.false(bad.text.includes('node_network_'));
  t.true(bad.logs.some((l) => l.includes('collector failed') && l.includes('class/net/eth0: mtu: expected an integer')));
  const missing = await scrape(['--path.sysfs', fixture('does-not-exist')]);
  t.is(missing.success['netclass'], 0);
  t.true(missing.logs.some((l) => l.includes('level=DEBUG') && l.includes('collector returned no data')));
});

test('this machine\'s /sys, where some attributes fail with EINVAL or EOPNOTSUPP, scrapes cleanly', async (t) => {
  if (!existsSync('/sys/class/net/lo')) {
    t.pass('no /sys/class/net here');
    return;
  }
  const r = await scrape([]);
  t.is(r.success['netclass'], 1);
  t.not(valueOf(r.text, 'node_network_mtu_bytes{device="lo"}'), undefined);
});

test('an interface replaced under the same name is listed afresh; a vanished attribute drops out without an error', async (t) => {
  const sys = mkdtempSync(path.join(os.tmpdir(), 'netclass-relist-'));
  const dir = path.join(sys, 'class', 'net', 'veth9');
  mkdirSync(dir, { recursive: true });
  const write = (name: string, value: string): void => writeFileSync(path.join(dir, name), `${value}\n`);
  write('ifindex', '5');
  write('mtu', '1500');
  write('operstate', 'up');
  const flags = parseFlags(allFlags([netclassCollector]), ['--path.sysfs', sys]);
  const collector = netclassCollector.create(testContext({ paths: new HostPaths('/proc', sys, '/'), flags, log: silentLogger }));
  const scrape = async (): Promise<string> => {
    const sink = new MetricSink();
    await collector.update(sink, new AbortController().signal);
    return writeText(sink.entries());
  };
  const first = await scrape();
  t.is(valueOf(first, 'node_network_mtu_bytes{device="veth9"}'), 1500);
  t.is(valueOf(first, 'node_network_carrier{device="veth9"}'), undefined);

  // Another device under the same name (a container restarted): new ifindex, more attributes.
  write('ifindex', '6');
  write('carrier', '1');
  const second = await scrape();
  t.is(valueOf(second, 'node_network_iface_id{device="veth9"}'), 6);
  t.is(valueOf(second, 'node_network_carrier{device="veth9"}'), 1, 'the new device\'s files were listed');

  rmSync(path.join(dir, 'mtu'));
  const third = await scrape();
  t.is(valueOf(third, 'node_network_mtu_bytes{device="veth9"}'), undefined);
  t.is(valueOf(third, 'node_network_carrier{device="veth9"}'), 1);
});
