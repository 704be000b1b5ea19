/** Flags kept only so node_exporter command lines keep working must not promise what they do not do. */
import test from 'ava';
import { allFlags } from '../../../src/options.js';
import { collectorFactories } from '../../../src/collectors.js';

test('every netlink flag says it is accepted and ignored (Node.js has no netlink sockets)', (t) => {
  const netlink = allFlags(collectorFactories).filter((f) => f.name.endsWith('.netlink'));
  t.deepEqual(netlink.map((f) => f.name).sort(), ['collector.arp.netlink', 'collector.netdev.netlink']);
  for (const flag of netlink) {
    t.regex(flag.help, /^Accepted for node_exporter compatibility and ignored: .* always come from \/proc\/net\//, flag.name);
  }
});
