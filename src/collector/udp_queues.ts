import { desc } from '../exposition/model.js';
import { parseIpSockets } from '../procfs/ip-sockets.js';
import type { CollectorFactory } from './collector.js';
import { NoDataError } from '../hostfs/errors.js';

const queues = desc('node_udp_queues', 'Number of allocated memory in the kernel for UDP datagrams in bytes.', 'gauge', ['queue', 'ip']);

const parseUdp = (text: string) => parseIpSockets(text, 'udp');

export const udpQueuesCollector: CollectorFactory = {
  name: 'udp_queues',
  defaultEnabled: true,
  create: ({ host, host: { paths }, log }) => ({
    async update(sink, signal) {
      // Both files are parsed before anything is added; each is absent when its IP version is off.
      const [v4, v6] = await Promise.all([
        host.parseFileIfExists(paths.proc('net', 'udp'), parseUdp, signal),
        host.parseFileIfExists(paths.proc('net', 'udp6'), parseUdp, signal),
      ]);
      for (const [ip, sockets] of [['v4', v4], ['v6', v6]] as const) {
        if (!sockets) {
          log.debug(`not collecting ip${ip} based metrics`);
          continue;
        }
        let tx = 0;
        let rx = 0;
        for (const s of sockets) {
          tx += s.txQueue;
          rx += s.rxQueue;
        }
        sink.add(queues, tx, 'tx', ip);
        sink.add(queues, rx, 'rx', ip);
      }
      if (!v4 && !v6) throw new NoDataError(`neither ${paths.proc('net', 'udp')} nor udp6 exists`);
    },
  }),
};
