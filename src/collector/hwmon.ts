/**
 * node_exporter's hwmon collector: every hwmonN under /sys/class/hwmon, sensors read from the
 * directory and from its `device` directory (where older drivers put them), named as in
 * src/sysfs/hwmon.ts. A chip that cannot be listed fails the scrape after the others are served.
 */
import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { desc, type MetricDesc } from '../exposition/model.js';
import type { Logger } from '../lib/log.js';
import { type ChipCandidate, type HwmonSeries, chipNameFromDevicePath, cleanHwmonName, parseSensorFileName, sensorSeries, uniqueChipNames } from '../sysfs/hwmon.js';
import type { CollectorFactory } from './collector.js';
import type { HostFs } from '../hostfs/host-fs.js';
import { type DeviceFilter, filterFlags, filterFromFlags } from './device-filter.js';
import type { MetricSink } from './sink.js';
import { NoDataError, isNotFound } from '../hostfs/errors.js';

const chipNamesDesc = desc('node_hwmon_chip_names', 'Annotation metric for human-readable chip names', 'gauge', ['chip', 'chip_name']);
const sensorLabelDesc = desc('node_hwmon_sensor_label', 'Label for given chip and sensor', 'gauge', ['chip', 'sensor', 'label']);

/** Sensor metric names are derived from file names, so their descs are made on first sight. */
const sensorDescs = new Map<string, MetricDesc>();
function sensorDesc(s: HwmonSeries): MetricDesc {
  const key = `${s.name}\0${s.help}\0${s.type}`;
  let d = sensorDescs.get(key);
  if (!d) sensorDescs.set(key, (d = desc(s.name, s.help, s.type, ['chip', 'sensor'])));
  return d;
}

const CHIP_FLAGS = filterFlags('collector.hwmon.chip', 'hwmon chip');
const SENSOR_FLAGS = filterFlags('collector.hwmon.sensor', 'hwmon sensor');
export const hwmonCollector: CollectorFactory = {
  name: 'hwmon',
  defaultEnabled: true,
  flags: [...CHIP_FLAGS, ...SENSOR_FLAGS],
  create: ({ host, host: { paths }, flags, log }) => {
    const chipFilter = filterFromFlags(flags, CHIP_FLAGS);
    // Sensors are matched as "<chip>;<sensor>", e.g. "platform_coretemp_0;temp3".
    const sensorFilter = filterFromFlags(flags, SENSOR_FLAGS);
    return {
      async update(sink, signal) {
        const root = paths.sys('class', 'hwmon');
        let entries: string[];
        try {
          entries = (await host.listDir(root)).sort();
        } catch (err) {
          if (isNotFound(err)) throw new NoDataError('hwmon collector metrics are not available for this system');
          throw err;
        }
        const chips = (await Promise.all(entries.map((e) => chipCandidate(host, path.join(root, e), log)))).filter(
          (c): c is ChipCandidate => c !== undefined,
        );
        const names = uniqueChipNames(chips);
        let lastError: unknown;
        await Promise.all(
          chips.map(async (c, i) => {
            const chip = names[i] as string;
            if (chipFilter.ignored(chip)) return log.debug('ignoring hwmon chip', { chip });
            try {
              await addChip(host, sink, c, chip, sensorFilter, signal);
            } catch (err) {
              lastError = err;
            }
          }),
        );
        if (lastError !== undefined) throw lastError;
      },
    };
  },
};

/** A hwmonN entry (usually a symlink) that is a directory, with the name node_exporter derives for it. */
async function chipCandidate(host: HostFs, dir: string, log: Logger): Promise<ChipCandidate | undefined> {
  if (!(await stat(dir).then((s) => s.isDirectory(), () => false))) return undefined;
  const nameFile = (await host.readText(path.join(dir, 'name')).catch(() => '')).trim();
  // Preference: the device the chip belongs to (stable), then the driver's name, then hwmonN.
  const device = await realpath(path.join(dir, 'device')).catch(() => undefined);
  let baseName = device === undefined ? undefined : chipNameFromDevicePath(device);
  if (!baseName && cleanHwmonName(nameFile) !== '') baseName = cleanHwmonName(nameFile);
  if (!baseName) {
    const own = await realpath(dir).catch(() => dir);
    baseName = cleanHwmonName(path.basename(own)) || undefined;
  }
  if (!baseName) {
    log.debug('failed to derive hwmon chip name', { dir });
    return undefined;
  }
  return { dir, baseName, nameFile };
}

async function addChip(host: HostFs, sink: MetricSink, c: ChipCandidate, chip: string, sensorFilter: DeviceFilter, signal: AbortSignal): Promise<void> {
  const data = new Map<string, Map<string, string>>();
  await readSensors(host, c.dir, data, signal);
  const device = path.join(c.dir, 'device');
  if (await stat(device).then(() => true, () => false)) await readSensors(host, device, data, signal);

  const chipName = cleanHwmonName(c.nameFile);
  if (chipName !== '') sink.add(chipNamesDesc, 1, chip, chipName);
  for (const [sensor, props] of data) {
    if (sensorFilter.ignored(`${chip};${sensor}`)) continue;
    const label = props.get('label');
    if (label !== undefined) sink.add(sensorLabelDesc, 1, chip, sensor, label);
    for (const s of sensorSeries(sensor, props)) sink.add(sensorDesc(s), s.value, chip, s.sensor);
  }
}

/** Adds the sensor attributes of `dir` to `data` (sensor → property → text); unreadable ones are left out. */
async function readSensors(host: HostFs, dir: string, data: Map<string, Map<string, string>>, signal: AbortSignal): Promise<void> {
  const files = (await host.listDir(dir)).sort();
  const values = await Promise.all(
    files.map(async (file) => {
      const parsed = parseSensorFileName(file);
      return parsed && { parsed, text: await readAttribute(host, path.join(dir, file), signal) };
    }),
  );
  signal.throwIfAborted();
  for (const v of values) {
    if (v?.text === undefined) continue;
    let props = data.get(v.parsed.sensor);
    if (!props) data.set(v.parsed.sensor, (props = new Map()));
    props.set(v.parsed.property, v.text);
  }
}

/**
 * At most 128 bytes, as node_exporter reads: io reads a sysfs attribute with one read (some
 * broken drivers never finish a read), through the thread pool and a held fd. Newlines are
 * trimmed; any error means "no value".
 */
async function readAttribute(host: HostFs, file: string, signal: AbortSignal): Promise<string | undefined> {
  try {
    return (await host.readBytes(file, signal)).toString('utf8', 0, 128).replace(/^\n+|\n+$/g, '');
  } catch {
    return undefined;
  }
}
