import test from 'ava';
import { arpCollector } from '../../../src/collector/arp.js';
import { parseArpEntries } from '../../../src/procfs/arp.js';
import { collect, fixture } from '../../helpers/collect.js';

const scrape = (scenario: string, ...argv: string[]) =>
  collect(['arp'], ['--path.procfs', fixture('arp', scenario), ...argv], [arpCollector]);

const samples = (text: string) => text.split('\n').filter((l) => l.startsWith('node_arp_entries'));

const HEADER = 'IP address       HW type     Flags       HW address            Mask     Device\n';

test('parseArpEntries counts entries per device, incomplete ones included', (t) => {
  const text =
    HEADER +
    '192.168.1.1      0x1         0x2         52:54:00:12:34:56     *        eth0\n' +
    '192.168.1.77     0x1         0x0         00:00:00:00:00:00     *        eth0\n' +
    '10.1.0.5         0x20        0x2         80:00:00:48:fe:80:00:00:00:00:00:00:f4:52:14:03:00:7b:cb:a1     *        ib0\n';
  t.deepEqual(Object.fromEntries(parseArpEntries(text)), { eth0: 2, ib0: 1 });
  t.is(parseArpEntries(HEADER).size, 0);
});

test('parseArpEntries rejects a missing header, short lines, bad flags and bad addresses', (t) => {
  t.throws(() => parseArpEntries(''), { message: /expected the header line, got ""/ });
  t.throws(() => parseArpEntries(HEADER + '10.0.0.9  0x1  0x2  02:42:ac:11:00:09\n'), { message: /expected "IP type flags hw-address mask device"/ });
  t.throws(() => parseArpEntries(HEADER + '10.0.0.9  0x1  two  02:42:ac:11:00:09  *  eth0\n'), { message: /expected "IP type/ });
  t.throws(() => parseArpEntries(HEADER + '10.0.0.9  0x1  0x2  02:42:ac:11:00  *  eth0 extra\n'), { message: /expected "IP type/ });
  t.throws(() => parseArpEntries(HEADER + 'fe80::1  0x1  0x2  02:42:ac:11:00:09  *  eth0\n'), { message: /expected "IP type/ });
});

test('arp serves node_arp_entries per device', async (t) => {
  const r = await scrape('modern');
  t.is(r.success['arp'], 1);
  t.deepEqual(samples(r.text), [
    'node_arp_entries{device="br-0123456789ab"} 1',
    'node_arp_entries{device="docker0"} 1',
    'node_arp_entries{device="eth0"} 3',
  ]);
  t.regex(r.text, /# HELP node_arp_entries ARP entries by device\n# TYPE node_arp_entries gauge\n/);
  const none = await scrape('no-neighbours');
  t.is(none.success['arp'], 1);
  t.deepEqual(samples(none.text), []);
});

test('arp device include/exclude flags filter devices; --no-collector.arp.netlink is accepted', async (t) => {
  const excluded = await scrape('modern', '--collector.arp.device-exclude=^(docker|br-)');
  t.deepEqual(samples(excluded.text), ['node_arp_entries{device="eth0"} 3']);
  const included = await scrape('modern', '--collector.arp.device-include=^br', '--no-collector.arp.netlink');
  t.deepEqual(samples(included.text), ['node_arp_entries{device="br-0123456789ab"} 1']);
  await t.throwsAsync(() => scrape('modern', '--collector.arp.device-include=a', '--collector.arp.device-exclude=b'), {
    message: /mutually exclusive/,
  });
});

test('malformed arp files give success 0 and no series; a missing one is "no data"', async (t) => {
  for (const scenario of ['short-line', 'bad-flags', 'empty']) {
    const r = await scrape(scenario);
    t.is(r.success['arp'], 0, scenario);
    t.deepEqual(samples(r.text), [], scenario);
    t.true(r.logs.some((l) => l.includes('collector failed') && l.includes('arp')), scenario);
  }
  const missing = await scrape('does-not-exist');
  t.is(missing.success['arp'], 0);
  t.true(missing.logs.some((l) => l.includes('level=DEBUG') && l.includes('collector returned no data')));
});
