import { desc } from '../exposition/model.js';
import { parseIpSockets, type IpSocket } from '../procfs/ip-sockets.js';
import type { CollectorFactory } from './collector.js';

const connectionStates = desc('node_tcp_connection_states', 'Number of connection states.', 'gauge', ['state']);

/** node_exporter's names for the kernel's TCP states (include/net/tcp_states.h), by number. */
const STATE_NAMES = ['', 'established', 'syn_sent', 'syn_recv', 'fin_wait1', 'fin_wait2', 'time_wait', 'close', 'close_wait', 'last_ack', 'listen', 'closing'];

const parseTcp = (text: string) => parseIpSockets(text, 'tcp');

/**
 * Counts sockets per state plus the summed queues, as node_exporter's netlink (inet_diag) dump
 * does, from /proc/net/tcp{,6} instead: Node.js has no netlink sockets. Only states that occur
 * are served, and the queue sums only when there is a socket at all, as in node_exporter.
 */
export function countTcpStates(sockets: readonly IpSocket[]): Map<string, number> {
  const counts = new Map<string, number>();
  const bump = (state: string, by: number) => counts.set(state, (counts.get(state) ?? 0) + by);
  for (const s of sockets) {
    bump('tx_queued_bytes', s.txQueue);
    bump('rx_queued_bytes', s.rxQueue);
    bump(STATE_NAMES[s.state] || 'unknown', 1);
  }
  return counts;
}

export const tcpstatCollector: CollectorFactory = {
  name: 'tcpstat',
  defaultEnabled: false,
  create: ({ host, host: { paths } }) => ({
    async update(sink, signal) {
      const [v4, v6] = await Promise.all([
        host.parseFileOrNoData(paths.proc('net', 'tcp'), parseTcp, signal),
        host.parseFileIfExists(paths.proc('net', 'tcp6'), parseTcp, signal), // absent when IPv6 is disabled
      ]);
      for (const [state, value] of countTcpStates([...v4, ...(v6 ?? [])])) sink.add(connectionStates, value, state);
    },
  }),
};
