import test from 'ava';
import { countTcpStates, tcpstatCollector } from '../../../src/collector/tcpstat.js';
import { parseIpSockets } from '../../../src/procfs/ip-sockets.js';
import { collect, fixture } from '../../helpers/collect.js';

const scrape = (scenario: string) => collect(['tcpstat'], ['--path.procfs', fixture('tcpstat', scenario)], [tcpstatCollector]);

const samples = (text: string) => text.split('\n').filter((l) => l.startsWith('node_tcp_connection_states'));

test('parseIpSockets reads TCP lines, including TIME_WAIT lines that end early', (t) => {
  const header = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
  const listen = '   0: 0100007F:0CEA 00000000:0000 0A 00000000:00000005 00:00000000 00000000     0        0 21035 1 0000000000000000 100 0 0 10 0\n';
  const timeWait = '   3: 0100007F:9041 0100007F:D1E4 06 00000000:00000000 03:00000784 00000000     0        0 0 3 0000000000000000\n';
  t.deepEqual(parseIpSockets(header + listen + timeWait, 'tcp'), [
    { state: 10, txQueue: 0, rxQueue: 5 },
    { state: 6, txQueue: 0, rxQueue: 0 },
  ]);
  t.throws(() => parseIpSockets(header + '   3: 0100007F:9041 0100007F:D1E4 06\n', 'tcp'), { message: /4 columns, expected at least 10/ });
});

test('countTcpStates uses node_exporter state names and sums the queues', (t) => {
  const counts = countTcpStates([
    { state: 1, txQueue: 10, rxQueue: 1 },
    { state: 1, txQueue: 5, rxQueue: 0 },
    { state: 11, txQueue: 0, rxQueue: 2 },
    { state: 12, txQueue: 0, rxQueue: 0 },
  ]);
  t.deepEqual(Object.fromEntries(counts), { established: 2, closing: 1, unknown: 1, tx_queued_bytes: 15, rx_queued_bytes: 3 });
  t.deepEqual(countTcpStates([]).size, 0);
});

test('tcpstat counts tcp and tcp6 sockets by state', async (t) => {
  const r = await scrape('modern');
  t.is(r.success['tcpstat'], 1);
  t.deepEqual(samples(r.text), [
    'node_tcp_connection_states{state="close_wait"} 1',
    'node_tcp_connection_states{state="established"} 2',
    'node_tcp_connection_states{state="fin_wait2"} 1',
    'node_tcp_connection_states{state="last_ack"} 1',
    'node_tcp_connection_states{state="listen"} 3',
    'node_tcp_connection_states{state="rx_queued_bytes"} 291',
    'node_tcp_connection_states{state="syn_recv"} 1',
    'node_tcp_connection_states{state="time_wait"} 2',
    'node_tcp_connection_states{state="tx_queued_bytes"} 538',
  ]);
  t.regex(r.text, /# HELP node_tcp_connection_states Number of connection states\.\n# TYPE node_tcp_connection_states gauge\n/);
});

test('tcpstat without tcp6 counts IPv4 only; no sockets gives no series but success', async (t) => {
  const v4 = await scrape('ipv4-only');
  t.is(v4.success['tcpstat'], 1);
  t.true(samples(v4.text).includes('node_tcp_connection_states{state="established"} 1'));
  t.true(samples(v4.text).includes('node_tcp_connection_states{state="tx_queued_bytes"} 448'));
  t.false(v4.text.includes('last_ack'));
  const none = await scrape('no-sockets');
  t.is(none.success['tcpstat'], 1);
  t.deepEqual(samples(none.text), []);
  const odd = await scrape('odd-state');
  t.true(samples(odd.text).includes('node_tcp_connection_states{state="unknown"} 1'));
});

test('malformed tcp files give success 0 and no series; a missing tcp is "no data"', async (t) => {
  for (const scenario of ['short-line', 'bad-address', 'empty']) {
    const r = await scrape(scenario);
    t.is(r.success['tcpstat'], 0, scenario);
    t.deepEqual(samples(r.text), [], scenario);
    t.true(r.logs.some((l) => l.includes('collector failed') && l.includes('tcpstat')), scenario);
  }
  const missing = await scrape('does-not-exist');
  t.is(missing.success['tcpstat'], 0);
  t.true(missing.logs.some((l) => l.includes('level=DEBUG') && l.includes('collector returned no data')));
});

test('tcpstat is disabled by default, as in node_exporter', (t) => {
  t.false(tcpstatCollector.defaultEnabled);
});
