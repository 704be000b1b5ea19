/**
 * node_exporter's powersupplyclass collector: numeric attributes of each supply under
 * /sys/class/power_supply as node_power_supply_<name>, and its text attributes as labels of
 * node_power_supply_info. Like node_exporter, one unparsable value fails the whole scrape.
 */
import { defineFlag } from '../cli/flags.js';
import path from 'node:path';
import { desc, type MetricDesc } from '../exposition/model.js';
import { type PowerSupply, parsePowerSupply } from '../sysfs/power-supply.js';
import type { CollectorFactory } from './collector.js';
import type { HostFs } from '../hostfs/host-fs.js';

const infoDesc = desc('node_power_supply_info', 'info of /sys/class/power_supply/<power_supply>.', 'gauge', ['power_supply']);

const valueDescs = new Map<string, MetricDesc>();
function valueDesc(metric: string): MetricDesc {
  let d = valueDescs.get(metric);
  if (!d) {
    d = desc(`node_power_supply_${metric}`, `${metric} value of /sys/class/power_supply/<power_supply>.`, 'gauge', ['power_supply']);
    valueDescs.set(metric, d);
  }
  return d;
}

/** Errors prometheus/procfs treats as "attribute not available on this device". */
const UNSUPPORTED = new Set(['ENOENT', 'EOPNOTSUPP', 'ENODEV', 'EINVAL']);

const IGNORED_SUPPLIES_FLAG = defineFlag({
  name: 'collector.powersupply.ignored-supplies',
  kind: 'regex',
  default: '^$',
  help: 'Regexp of power supplies to ignore for powersupplyclass collector.',
});

export const powerSupplyClassCollector: CollectorFactory = {
  name: 'powersupplyclass',
  defaultEnabled: true,
  flags: [
    IGNORED_SUPPLIES_FLAG,
  ],
  create: ({ host, host: { paths }, flags }) => {
    const ignored = flags.get(IGNORED_SUPPLIES_FLAG);
    return {
      async update(sink, signal) {
        const root = paths.sys('class', 'power_supply');
        const entries = await host.readdirOrNoData(root);
        // Read everything first: as in node_exporter, a broken supply means no output at all.
        const supplies = await Promise.all(
          entries
            .filter((name) => !ignored?.test(name))
            .sort()
            .map((name) => readSupply(host, path.join(root, name), name, signal)),
        );
        for (const s of supplies) {
          const name = s.info['power_supply'] as string;
          for (const [metric, value] of s.values) sink.add(valueDesc(metric), value, name);
          sink.addWithLabels(infoDesc, s.info, 1);
        }
      },
    };
  },
};

async function readSupply(host: HostFs, dir: string, name: string, signal: AbortSignal): Promise<PowerSupply> {
  // Regular files only: `device`, `subsystem` are links and `power` a directory.
  const files = (await host.listDirEntries(dir)).filter((f) => f.isFile()).map((f) => f.name);
  const attributes = new Map<string, string>();
  await Promise.all(
    files.map(async (file) => {
      try {
        attributes.set(file, (await host.readText(path.join(dir, file), signal)).trim());
      } catch (err) {
        if (UNSUPPORTED.has((err as NodeJS.ErrnoException).code ?? '')) return;
        throw new Error(`failed to read file ${JSON.stringify(path.join(dir, file))}: ${(err as Error).message}`, { cause: err });
      }
    }),
  );
  try {
    return parsePowerSupply(name, attributes);
  } catch (err) {
    throw new Error(`${dir}: ${(err as Error).message}`, { cause: err });
  }
}
