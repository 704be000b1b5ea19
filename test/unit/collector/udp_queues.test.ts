import test from 'ava';
import { udpQueuesCollector } from '../../../src/collector/udp_queues.js';
import { parseIpSockets } from '../../../src/procfs/ip-sockets.js';
import { collect, fixture } from '../../helpers/collect.js';

const scrape = (scenario: string) => collect(['udp_queues'], ['--path.procfs', fixture('udp_queues', scenario)], [udpQueuesCollector]);

const samples = (text: string) => text.split('\n').filter((l) => l.startsWith('node_udp_queues'));

const HEADER = '   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n';
const LINE = '  117: 3500007F:0035 00000000:0000 07 00000200:00001000 00:00000000 00000000   101        0 18301 2 0000000000000000 3\n';

test('parseIpSockets reads state and hex queues of UDP lines, IPv4 and IPv6', (t) => {
  t.deepEqual(parseIpSockets(HEADER + LINE, 'udp'), [{ state: 7, txQueue: 512, rxQueue: 4096 }]);
  const v6 = '  371: 000080FE00000000FF005450B6FA45FE:0222 00000000000000000000000000000000:0000 07 0000000A:00000000 00:00000000 00000000     0        0 18302 2 0000000000000000 0\n';
  t.deepEqual(parseIpSockets(HEADER + v6, 'udp'), [{ state: 7, txQueue: 10, rxQueue: 0 }]);
  t.deepEqual(parseIpSockets(HEADER, 'udp'), []);
});

test('parseIpSockets rejects a missing header, short lines, a missing drops column and bad fields', (t) => {
  t.throws(() => parseIpSockets('', 'udp'), { message: /expected the header line, got ""/ });
  t.throws(() => parseIpSockets(LINE, 'udp'), { message: /expected the header line/ });
  const withoutDrops = LINE.replace(/ 3\n$/, '\n').replace(' 2 0000000000000000', '');
  t.throws(() => parseIpSockets(HEADER + withoutDrops, 'udp'), { message: /10 columns, expected at least 13/ });
  t.throws(() => parseIpSockets(HEADER + LINE.replace('00000200:00001000', '00000200-00001000'), 'udp'), { message: /bad tx_queue:rx_queue/ });
  t.throws(() => parseIpSockets(HEADER + LINE.replace('00000200:00001000', '1:2:3'), 'udp'), { message: /bad tx_queue:rx_queue/ });
  t.throws(() => parseIpSockets(HEADER + LINE.replace('00001000', '0000100G'), 'udp'), { message: /rx_queue: expected a hexadecimal number, got "0000100G"/ });
  t.throws(() => parseIpSockets(HEADER + LINE.replace('3500007F:0035', '3500007F'), 'udp'), { message: /bad address/ });
  t.throws(() => parseIpSockets(HEADER + LINE.replace('117:', '117'), 'udp'), { message: /bad slot number/ });
  t.throws(() => parseIpSockets(HEADER + LINE.replace('18301', 'inode'), 'udp'), { message: /inode: expected an unsigned integer/ });
});

test('udp_queues sums the tx and rx queues of udp and udp6', async (t) => {
  const r = await scrape('modern');
  t.is(r.success['udp_queues'], 1);
  t.deepEqual(samples(r.text), [
    'node_udp_queues{ip="v4",queue="rx"} 4864',
    'node_udp_queues{ip="v4",queue="tx"} 576',
    'node_udp_queues{ip="v6",queue="rx"} 9216',
    'node_udp_queues{ip="v6",queue="tx"} 16',
  ]);
  t.regex(r.text, /# HELP node_udp_queues Number of allocated memory in the kernel for UDP datagrams in bytes\.\n# TYPE node_udp_queues gauge\n/);
});

test('udp_queues: no udp6 (IPv6 disabled) serves v4 only; no sockets serves zeros', async (t) => {
  const v4 = await scrape('ipv4-only');
  t.is(v4.success['udp_queues'], 1);
  t.deepEqual(samples(v4.text), ['node_udp_queues{ip="v4",queue="rx"} 4864', 'node_udp_queues{ip="v4",queue="tx"} 576']);
  const idle = await scrape('idle');
  t.deepEqual(samples(idle.text), [
    'node_udp_queues{ip="v4",queue="rx"} 0',
    'node_udp_queues{ip="v4",queue="tx"} 0',
    'node_udp_queues{ip="v6",queue="rx"} 0',
    'node_udp_queues{ip="v6",queue="tx"} 0',
  ]);
});

test('malformed udp files give success 0 and no series; no files is "no data"', async (t) => {
  for (const scenario of ['no-colon', 'truncated', 'non-hex', 'empty']) {
    const r = await scrape(scenario);
    t.is(r.success['udp_queues'], 0, scenario);
    t.deepEqual(samples(r.text), [], scenario);
    t.true(r.logs.some((l) => l.includes('collector failed') && l.includes('udp_queues')), scenario);
  }
  const missing = await scrape('does-not-exist');
  t.is(missing.success['udp_queues'], 0);
  t.true(missing.logs.some((l) => l.includes('level=DEBUG') && l.includes('collector returned no data')));
});
