import test from 'ava';
import { netstatCollector } from '../../../src/collector/netstat.js';
import { parseNetstat, parseSnmp6 } from '../../../src/procfs/netstat.js';
import { collect, fixture, valueOf } from '../../helpers/collect.js';

const scrape = (scenario: string, ...argv: string[]) =>
  collect(['netstat'], ['--path.procfs', fixture('netstat', scenario), ...argv], [netstatCollector]);

const seriesNames = (text: string) =>
  text
    .split('\n')
    .filter((l) => l.startsWith('node_netstat_'))
    .map((l) => l.split(' ')[0]);

test('parseNetstat pairs each header line with its value line', (t) => {
  t.deepEqual(parseNetstat('Tcp: RtoMin MaxConn CurrEstab\nTcp: 200 -1 7\n\nUdp: InDatagrams\nUdp: 18446744073709551615\n'), [
    { protocol: 'Tcp', field: 'RtoMin', value: 200 },
    { protocol: 'Tcp', field: 'MaxConn', value: -1 },
    { protocol: 'Tcp', field: 'CurrEstab', value: 7 },
    { protocol: 'Udp', field: 'InDatagrams', value: 18446744073709551615 },
  ]);
});

test('parseNetstat rejects unpaired, mismatched, non-numeric and empty input', (t) => {
  t.throws(() => parseNetstat('Tcp: A B\nTcp: 1 2\nUdp: C\n'), { message: /header line without a value line: "Udp: C"/ });
  t.throws(() => parseNetstat('Tcp: A B\nTcp: 1\n'), { message: /Tcp: has 2 names but 1 values/ });
  t.throws(() => parseNetstat('Tcp: A B\nUdp: 1 2\n'), { message: /values of Tcp: follow a line for "Udp:"/ });
  t.throws(() => parseNetstat('Tcp A B\nTcp 1 2\n'), { message: /expected "Proto: name \.\.\."/ });
  t.throws(() => parseNetstat('Tcp: A B\nTcp: 1 2x\n'), { message: /Tcp B: expected an integer, got "2x"/ });
  t.throws(() => parseNetstat(''), { message: /no statistics/ });
});

test('parseSnmp6 splits names after the first "6" and skips names without one', (t) => {
  t.deepEqual(parseSnmp6('Ip6InReceives    \t5\nUdpLite6InErrors 2\nIcmp6OutType133 9\nSomething 4\n'), [
    { protocol: 'Ip6', field: 'InReceives', value: 5 },
    { protocol: 'UdpLite6', field: 'InErrors', value: 2 },
    { protocol: 'Icmp6', field: 'OutType133', value: 9 },
  ]);
  t.throws(() => parseSnmp6('Ip6InReceives\n'), { message: /expected "name value", got "Ip6InReceives"/ });
  t.throws(() => parseSnmp6('Ip6InReceives 1 2\n'), { message: /expected "name value"/ });
  t.throws(() => parseSnmp6('Ip6InReceives many\n'), { message: /Ip6InReceives: expected an integer/ });
  t.throws(() => parseSnmp6(''), { message: /no statistics/ });
});

test('netstat serves the default fields of netstat, snmp and snmp6 as untyped', async (t) => {
  const r = await scrape('modern');
  t.is(r.success['netstat'], 1);
  t.deepEqual(seriesNames(r.text), [
    'node_netstat_Icmp6_InErrors', 'node_netstat_Icmp6_InMsgs', 'node_netstat_Icmp6_OutMsgs',
    'node_netstat_Icmp_InErrors', 'node_netstat_Icmp_InMsgs', 'node_netstat_Icmp_OutMsgs',
    'node_netstat_Ip6_InOctets', 'node_netstat_Ip6_OutOctets', 'node_netstat_IpExt_InOctets', 'node_netstat_IpExt_OutOctets',
    'node_netstat_Ip_Forwarding',
    'node_netstat_TcpExt_ListenDrops', 'node_netstat_TcpExt_ListenOverflows', 'node_netstat_TcpExt_SyncookiesFailed',
    'node_netstat_TcpExt_SyncookiesRecv', 'node_netstat_TcpExt_SyncookiesSent', 'node_netstat_TcpExt_TCPOFOQueue',
    'node_netstat_TcpExt_TCPRcvQDrop', 'node_netstat_TcpExt_TCPSynRetrans', 'node_netstat_TcpExt_TCPTimeouts',
    'node_netstat_Tcp_ActiveOpens', 'node_netstat_Tcp_CurrEstab', 'node_netstat_Tcp_InErrs', 'node_netstat_Tcp_InSegs',
    'node_netstat_Tcp_OutRsts', 'node_netstat_Tcp_OutSegs', 'node_netstat_Tcp_PassiveOpens', 'node_netstat_Tcp_RetransSegs',
    'node_netstat_Udp6_InDatagrams', 'node_netstat_Udp6_InErrors', 'node_netstat_Udp6_NoPorts', 'node_netstat_Udp6_OutDatagrams',
    'node_netstat_Udp6_RcvbufErrors', 'node_netstat_Udp6_SndbufErrors', 'node_netstat_UdpLite6_InErrors',
    'node_netstat_UdpLite_InErrors', 'node_netstat_Udp_InDatagrams', 'node_netstat_Udp_InErrors', 'node_netstat_Udp_NoPorts',
    'node_netstat_Udp_OutDatagrams', 'node_netstat_Udp_RcvbufErrors', 'node_netstat_Udp_SndbufErrors',
  ]);
  t.is(valueOf(r.text, 'node_netstat_TcpExt_ListenOverflows'), 17);
  t.is(valueOf(r.text, 'node_netstat_TcpExt_TCPOFOQueue'), 1234);
  t.is(valueOf(r.text, 'node_netstat_Tcp_CurrEstab'), 12);
  t.is(valueOf(r.text, 'node_netstat_Icmp6_OutMsgs'), 22);
  // Go float formatting of large counters, 2^64-1 included.
  t.regex(r.text, /\nnode_netstat_IpExt_InOctets 1\.84268529e\+11\n/);
  t.regex(r.text, /\nnode_netstat_Ip6_InOctets 1\.8446744073709552e\+19\n/);
  t.regex(r.text, /# HELP node_netstat_TcpExt_TCPSynRetrans Statistic TcpExtTCPSynRetrans\.\n# TYPE node_netstat_TcpExt_TCPSynRetrans untyped\n/);
  t.regex(r.text, /# HELP node_netstat_Ip6_InOctets Statistic Ip6InOctets\.\n/);
  t.false(r.text.includes('node_netstat_Tcp_MaxConn'), 'MaxConn is not in the default regex');
});

test('--collector.netstat.fields selects fields by an unanchored regex over Proto_Field', async (t) => {
  const r = await scrape('modern', '--collector.netstat.fields=^Tcp_(MaxConn|RtoMin)$');
  t.deepEqual(seriesNames(r.text), ['node_netstat_Tcp_MaxConn', 'node_netstat_Tcp_RtoMin']);
  t.is(valueOf(r.text, 'node_netstat_Tcp_MaxConn'), -1);
  const all = await scrape('modern', '--collector.netstat.fields=.*');
  t.is(seriesNames(all.text).length, 402); // as many as node_exporter 1.5 serves from this fixture
  t.is(valueOf(all.text, 'node_netstat_IcmpMsg_InType3'), 1);
});

test('an older kernel without IPv6 (no snmp6) still serves netstat and snmp', async (t) => {
  const r = await scrape('old-kernel-no-ipv6');
  t.is(r.success['netstat'], 1);
  t.is(seriesNames(r.text).length, 24);
  t.is(valueOf(r.text, 'node_netstat_Udp_SndbufErrors'), 16);
  t.is(valueOf(r.text, 'node_netstat_IpExt_OutOctets'), 2000);
  t.false(r.text.includes('Ip6_'));
});

test('malformed netstat files give success 0 and no series', async (t) => {
  for (const scenario of ['short-values', 'non-numeric', 'empty', 'truncated-snmp6']) {
    const r = await scrape(scenario);
    t.is(r.success['netstat'], 0, scenario);
    t.deepEqual(seriesNames(r.text), [], scenario);
    t.true(r.logs.some((l) => l.includes('collector failed') && l.includes('netstat')), scenario);
  }
});

test('a missing netstat or snmp file is "no data", logged at debug', async (t) => {
  for (const scenario of ['no-snmp', 'does-not-exist']) {
    const r = await scrape(scenario);
    t.is(r.success['netstat'], 0, scenario);
    t.true(r.logs.some((l) => l.includes('level=DEBUG') && l.includes('collector returned no data')), scenario);
    t.false(r.logs.some((l) => l.includes('collector failed')), scenario);
  }
});
