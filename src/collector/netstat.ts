import { desc, type MetricDesc } from '../exposition/model.js';
import { defineFlag } from '../cli/flags.js';
import { netstatHeaderNames, parseNetstatTables, parseSnmp6Counters, splitSnmp6Name, type NetstatTable, type Snmp6Counters } from '../procfs/netstat.js';
import type { CollectorFactory } from './collector.js';
import { NoDataError } from '../hostfs/errors.js';
import { BoundedCache } from './bounded-cache.js';


/** node_exporter 1.12's default; 1.5 lacks TCPOFOQueue and TCPRcvQDrop, which dashboard 1860 plots. */
const DEFAULT_FIELDS =
  '^(.*_(InErrors|InErrs)|Ip_Forwarding|Ip(6|Ext)_(InOctets|OutOctets)|Icmp6?_(InMsgs|OutMsgs)|TcpExt_(Listen.*|Syncookies.*|TCPSynRetrans|TCPTimeouts|TCPOFOQueue|TCPRcvQDrop)|Tcp_(ActiveOpens|InSegs|OutSegs|OutRsts|PassiveOpens|RetransSegs|CurrEstab)|Udp6?_(InDatagrams|OutDatagrams|NoPorts|RcvbufErrors|SndbufErrors))$';

const FIELDS_FLAG = defineFlag({ name: 'collector.netstat.fields', kind: 'regex', default: DEFAULT_FIELDS, help: 'Regexp of fields to return for netstat collector.' });

/** Far more than the ~400 names a kernel prints, few enough to stay small. */
const CACHE_LIMIT = 4096;

export const netstatCollector: CollectorFactory = {
  name: 'netstat',
  defaultEnabled: true,
  flags: [FIELDS_FLAG],
  create: ({ host, host: { paths }, flags }) => {
    const fieldPattern = flags.get(FIELDS_FLAG);
    // The kernel prints the same names on every read, so whether a `Proto_Field` key passes the
    // filter, and its desc, are worked out once per key; null is a key the filter leaves out.
    // One desc per key also lets a key repeated across files be told apart by identity.
    const byKey = new BoundedCache<MetricDesc | null>(CACHE_LIMIT);
    const descOf = (protocol: string, field: string) =>
      byKey.get(`${protocol}_${field}`, (key) =>
        fieldPattern.test(key) ? desc(`node_netstat_${key}`, `Statistic ${protocol}${field}.`, 'untyped') : null,
      );
    // The same for all the columns of a netstat/snmp header line, and for an snmp6 name.
    const byHeader = new BoundedCache<ReadonlyArray<MetricDesc | null>>(CACHE_LIMIT);
    const headerDescs = (header: string) => {
      const protocol = header.slice(0, header.indexOf(':'));
      return netstatHeaderNames(header).map((field) => descOf(protocol, field));
    };
    const bySnmp6Name = new BoundedCache<MetricDesc | null>(CACHE_LIMIT);
    const snmp6Desc = (name: string) => {
      const { protocol, field } = splitSnmp6Name(name);
      return descOf(protocol, field);
    };
    // The last scrape's parse of each file: its names are reused while the kernel prints the same.
    let last: { netstat?: NetstatTable[]; snmp?: NetstatTable[]; snmp6?: Snmp6Counters } = {};
    const parseNetstat = (text: string) => parseNetstatTables(text, last.netstat);
    const parseSnmp = (text: string) => parseNetstatTables(text, last.snmp);
    const parseSnmp6 = (text: string) => parseSnmp6Counters(text, last.snmp6);
    return {
      async update(sink, signal) {
        // All three files are parsed in full before anything is added, so a corrupt one fails
        // the scrape whatever the field filter keeps.
        const [netstat, snmp, snmp6] = await Promise.all([
          host.parseFileIfExists(paths.proc('net', 'netstat'), parseNetstat, signal),
          host.parseFileIfExists(paths.proc('net', 'snmp'), parseSnmp, signal),
          host.parseFileIfExists(paths.proc('net', 'snmp6'), parseSnmp6, signal), // absent when IPv6 is disabled
        ]);
        last = { netstat, snmp, snmp6 };
        if (!netstat || !snmp) throw new NoDataError(`${paths.proc('net', netstat ? 'snmp' : 'netstat')} does not exist`);
        // Like node_exporter's merged map, a repeated key is served once (the last value).
        const served = new Map<MetricDesc, number>();
        const addTables = (tables: readonly NetstatTable[]) => {
          for (const { header, values } of tables) {
            const descs = byHeader.get(header, headerDescs);
            for (let j = 0; j < descs.length; j++) {
              const d = descs[j];
              if (d) served.set(d, values[j] as number);
            }
          }
        };
        addTables(netstat);
        addTables(snmp);
        if (snmp6) {
          const { names, values } = snmp6;
          for (let i = 0; i < names.length; i++) {
            const d = bySnmp6Name.get(names[i] as string, snmp6Desc);
            if (d) served.set(d, values[i] as number);
          }
        }
        served.forEach((value, d) => sink.add(d, value));
      },
    };
  },
};
