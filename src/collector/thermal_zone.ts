/**
 * node_exporter's thermal_zone collector: zone temperatures and cooling device states from
 * /sys/class/thermal. A zone or device whose attributes cannot be read right now is left out;
 * a value that is not a number fails the scrape.
 */
import path from 'node:path';
import { desc } from '../exposition/model.js';
import type { Logger } from '../lib/log.js';
import { coolingDeviceEntries, parseCoolingState, parseZoneTemp, thermalZoneEntries } from '../sysfs/thermal.js';
import type { CollectorFactory } from './collector.js';

const zoneTemp = desc('node_thermal_zone_temp', 'Zone temperature in Celsius', 'gauge', ['zone', 'type']);
const curState = desc('node_cooling_device_cur_state', 'Current throttle state of the cooling device', 'gauge', ['name', 'type']);
const maxState = desc('node_cooling_device_max_state', 'Maximum throttle state of the cooling device', 'gauge', ['name', 'type']);

/**
 * Read errors that mean "no reading available" rather than a broken host: prometheus/procfs
 * skips cooling devices on these, and node_exporter 1.5 skips zones on ENODATA (drivers of
 * powered-down devices, e.g. iwlwifi, also answer EIO or EAGAIN).
 */
const UNAVAILABLE = new Set(['ENOENT', 'ENOTDIR', 'EACCES', 'EPERM', 'EOPNOTSUPP', 'EINVAL', 'ENODATA', 'ENODEV', 'EAGAIN', 'EIO']);

export const thermalZoneCollector: CollectorFactory = {
  name: 'thermal_zone',
  defaultEnabled: true,
  create: ({ host, host: { paths }, log }) => ({
    async update(sink, signal) {
      const root = paths.sys('class', 'thermal');
      const entries = await host.readdirOrNoData(root);
      const read = (entry: string, file: string): Promise<string> => host.readText(path.join(root, entry, file), signal);

      const zones = await Promise.all(
        thermalZoneEntries(entries).map((entry) =>
          readOrSkip(log, entry, async () => {
            const [type, temp] = await Promise.all([read(entry, 'type'), read(entry, 'temp')]);
            return { zone: entry.slice('thermal_zone'.length), type: type.trim(), temp: parseZoneTemp(temp) };
          }),
        ),
      );
      for (const z of zones) if (z) sink.add(zoneTemp, z.temp, z.zone, z.type);

      const devices = await Promise.all(
        coolingDeviceEntries(entries).map((entry) =>
          readOrSkip(log, entry, async () => {
            const [type, max, cur] = await Promise.all([read(entry, 'type'), read(entry, 'max_state'), read(entry, 'cur_state')]);
            return {
              name: entry.slice('cooling_device'.length),
              type: type.trim(),
              max: parseCoolingState(max, 'max_state'),
              cur: parseCoolingState(cur, 'cur_state'),
            };
          }),
        ),
      );
      for (const d of devices) {
        if (!d) continue;
        sink.add(curState, d.cur, d.name, d.type);
        sink.add(maxState, d.max, d.name, d.type);
      }
    },
  }),
};

/** Runs `readEntry`; undefined when a read failed with an UNAVAILABLE error. Parse errors name the entry. */
async function readOrSkip<T>(log: Logger, entry: string, readEntry: () => Promise<T>): Promise<T | undefined> {
  try {
    return await readEntry();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== undefined && UNAVAILABLE.has(code)) {
      log.debug('thermal entry not readable, skipped', { entry, err });
      return undefined;
    }
    throw new Error(`${entry}: ${(err as Error).message}`, { cause: err });
  }
}
