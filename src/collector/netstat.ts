import { desc } from '../exposition/model.js';
import { defineFlag } from '../cli/flags.js';
import { parseNetstat, parseSnmp6, type NetStatistic } from '../procfs/netstat.js';
import type { CollectorFactory } from './collector.js';
import { NoDataError } from '../hostfs/errors.js';


/** node_exporter 1.12's default; 1.5 lacks TCPOFOQueue and TCPRcvQDrop, which dashboard 1860 plots. */
const DEFAULT_FIELDS =
  '^(.*_(InErrors|InErrs)|Ip_Forwarding|Ip(6|Ext)_(InOctets|OutOctets)|Icmp6?_(InMsgs|OutMsgs)|TcpExt_(Listen.*|Syncookies.*|TCPSynRetrans|TCPTimeouts|TCPOFOQueue|TCPRcvQDrop)|Tcp_(ActiveOpens|InSegs|OutSegs|OutRsts|PassiveOpens|RetransSegs|CurrEstab)|Udp6?_(InDatagrams|OutDatagrams|NoPorts|RcvbufErrors|SndbufErrors))$';

const FIELDS_FLAG = defineFlag({ name: 'collector.netstat.fields', kind: 'regex', default: DEFAULT_FIELDS, help: 'Regexp of fields to return for netstat collector.' });

export const netstatCollector: CollectorFactory = {
  name: 'netstat',
  defaultEnabled: true,
  flags: [FIELDS_FLAG],
  create: ({ host, host: { paths }, flags }) => {
    const fieldPattern = flags.get(FIELDS_FLAG);
    const read = (file: string, parse: (text: string) => NetStatistic[], signal: AbortSignal) =>
      host.parseFileIfExists(paths.proc('net', file), parse, signal);
    return {
      async update(sink, signal) {
        // All three files are parsed in full before anything is added, so a corrupt one fails
        // the scrape whatever the field filter keeps.
        const [netstat, snmp, snmp6] = await Promise.all([
          read('netstat', parseNetstat, signal),
          read('snmp', parseNetstat, signal),
          read('snmp6', parseSnmp6, signal), // absent when IPv6 is disabled
        ]);
        if (!netstat || !snmp) throw new NoDataError(`${paths.proc('net', netstat ? 'snmp' : 'netstat')} does not exist`);
        // Keyed like node_exporter's merged map, so a repeated name is served once (the last).
        const byKey = new Map<string, NetStatistic>();
        for (const stat of [...netstat, ...snmp, ...(snmp6 ?? [])]) byKey.set(`${stat.protocol}_${stat.field}`, stat);
        for (const [key, { protocol, field, value }] of byKey) {
          if (!fieldPattern.test(key)) continue;
          sink.add(desc(`node_netstat_${key}`, `Statistic ${protocol}${field}.`, 'untyped'), value);
        }
      },
    };
  },
};
