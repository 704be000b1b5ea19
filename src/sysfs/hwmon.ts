/**
 * node_exporter's hwmon naming rules, as pure functions: which files of a hwmon directory are
 * sensor attributes, how a chip is named, and which metric (name, help, unit conversion) each
 * sensor attribute becomes. See Documentation/hwmon/sysfs-interface.rst for the attributes.
 */
import path from 'node:path';
import { parseGoFloat } from '../gocompat/go-float.js';


/** The sensor types node_exporter reads; other files (name, uevent, ...) are ignored. */
export const HWMON_SENSOR_TYPES: ReadonlySet<string> = new Set([
  'vrm', 'beep_enable', 'update_interval', 'in', 'cpu', 'fan', 'pwm', 'temp', 'curr', 'power', 'energy', 'humidity',
  'intrusion', 'freq',
]);

/** node_exporter's cleanMetricName: lower case, runs of anything else than [a-z0-9:_] as `_`, trimmed of `_`. */
export function cleanHwmonName(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9:_]/gu, '_')
    .replace(/^_+|_+$/g, '');
}

export interface SensorFile {
  /** E.g. `temp1` (the number without leading zeros, as node_exporter prints it). */
  readonly sensor: string;
  readonly type: string;
  /** The part after `<type><n>_`, e.g. `input`, `crit_alarm`; '' for files like `pwm1`. */
  readonly property: string;
}

const SENSOR_FILE = /^([^0-9]+)([0-9]*)(?:_(.+))?$/;

/** Splits an attribute file name `<type><n>_<property>`; undefined for names of no known sensor type. */
export function parseSensorFileName(file: string): SensorFile | undefined {
  const m = SENSOR_FILE.exec(file);
  if (!m) return undefined;
  const [, type = '', digits = '', property = ''] = m;
  if (!HWMON_SENSOR_TYPES.has(type)) return undefined;
  // Go's Atoi: no number means 0; one beyond int64 makes the name invalid.
  const num = digits === '' ? 0n : BigInt(digits);
  if (num > 9223372036854775807n) return undefined;
  return { sensor: type + num.toString(), type, property };
}

/**
 * The chip name from the resolved `device` link: `<parent dir>_<device dir>`, cleaned, e.g.
 * /sys/devices/platform/coretemp.0 → platform_coretemp_0; undefined when nothing usable is left.
 */
export function chipNameFromDevicePath(devicePath: string): string | undefined {
  const name = cleanHwmonName(path.basename(devicePath));
  const parent = cleanHwmonName(path.basename(path.dirname(devicePath)));
  if (name !== '' && parent !== '') return `${parent}_${name}`;
  return name !== '' ? name : undefined;
}

export interface ChipCandidate {
  /** The hwmonN directory. */
  readonly dir: string;
  /** Name from the device link, the name file, or the directory. */
  readonly baseName: string;
  /** The `name` file, whitespace-trimmed; '' when absent. */
  readonly nameFile: string;
}

/**
 * node_exporter 1.12's chip labels: several hwmon directories can hang off one device (so share
 * a base name); those get `_<name file>` appended, or `_<hwmonN>` when that is not unique either.
 */
export function uniqueChipNames(chips: readonly ChipCandidate[]): string[] {
  const count = (key: (c: ChipCandidate) => string, c: ChipCandidate): number => chips.filter((o) => key(o) === key(c)).length;
  return chips.map((c) => {
    if (count((o) => o.baseName, c) === 1) return c.baseName;
    let suffix = cleanHwmonName(c.nameFile);
    if (suffix === '' || count((o) => `${o.baseName}\0${o.nameFile}`, c) > 1) suffix = cleanHwmonName(path.basename(c.dir));
    return `${c.baseName}_${suffix}`;
  });
}

export interface HwmonSeries {
  readonly name: string;
  readonly help: string;
  readonly type: 'gauge' | 'counter';
  readonly value: number;
  /** The `sensor` label: the sensor, or for GPU clocks its cleaned label text. */
  readonly sensor: string;
}

/**
 * The series of one sensor from its attributes (property → file text, '' for the bare `<type><n>`
 * file), with node_exporter's names, help texts and unit conversions. Unparsable values are skipped.
 */
export function sensorSeries(sensor: string, props: ReadonlyMap<string, string>): HwmonSeries[] {
  const type = parseSensorFileName(sensor)?.type ?? '';
  const bare = props.get('');
  if (type === 'beep_enable') return [series('node_hwmon_beep_enabled', 'Hardware beep enabled', bare === '1' ? 1 : 0, sensor)];
  if (type === 'vrm' || type === 'update_interval') {
    const v = parseGoFloat(bare ?? '');
    if (v === undefined) return [];
    return type === 'vrm'
      ? [series('node_hwmon_voltage_regulator_version', 'Hardware voltage regulator', v, sensor)]
      : [series('node_hwmon_update_interval_seconds', 'Hardware monitor update interval', v * 0.001, sensor)];
  }

  const out: HwmonSeries[] = [];
  const prefix = `node_hwmon_${type}`;
  for (const [element, text] of props) {
    if (element === 'label') continue;
    let name = prefix;
    if (element === 'input') {
      // The input attribute is the value itself, unless a bare `<type><n>` file is that.
      if (bare !== undefined) name += '_input';
    } else if (element !== '') name += `_${cleanHwmonName(element)}`;
    const v = parseGoFloat(text);
    if (v === undefined) continue;
    const s = attributeSeries(type, element, name, v, sensor, props.get('label'));
    if (s) out.push(s);
  }
  return out;
}

function series(name: string, help: string, value: number, sensor: string, type: HwmonSeries['type'] = 'gauge'): HwmonSeries {
  return { name, help, type, value, sensor };
}

/** One attribute's series, in node_exporter's order of precedence. */
function attributeSeries(
  type: string,
  element: string,
  name: string,
  v: number,
  sensor: string,
  label: string | undefined,
): HwmonSeries | undefined {
  // Unitless status flags first.
  if (element === 'fault' || element === 'alarm') return series(name, `Hardware sensor ${element} status (${type})`, v, sensor);
  if (element === 'beep') return series(`${name}_enabled`, 'Hardware monitor sensor has beeping enabled', v, sensor);
  // Everything else gets a unit; the float factors are node_exporter's, for identical results.
  if (type === 'in' || type === 'cpu') return series(`${name}_volts`, `Hardware monitor for voltage (${element})`, v * 0.001, sensor);
  if (type === 'temp' && element !== 'type') {
    const what = element === '' ? 'input' : element;
    return series(`${name}_celsius`, `Hardware monitor for temperature (${what})`, v * 0.001, sensor);
  }
  if (type === 'curr') return series(`${name}_amps`, `Hardware monitor for current (${element})`, v * 0.001, sensor);
  if (type === 'energy') {
    return series(`${name}_joule_total`, `Hardware monitor for joules used so far (${element})`, v / 1000000.0, sensor, 'counter');
  }
  if (type === 'power' && element === 'accuracy') {
    return series(name, 'Hardware monitor power meter accuracy, as a ratio', v / 1000000.0, sensor);
  }
  if (type === 'power' && ['average_interval', 'average_interval_min', 'average_interval_max'].includes(element)) {
    return series(`${name}_seconds`, `Hardware monitor power usage update interval (${element})`, v * 0.001, sensor);
  }
  if (type === 'power') return series(`${name}_watt`, `Hardware monitor for power usage in watts (${element})`, v / 1000000.0, sensor);
  if (type === 'humidity') {
    const help = `Hardware monitor for humidity, as a ratio (multiply with 100.0 to get the humidity as a percentage) (${element})`;
    return series(name, help, v / 1000000.0, sensor);
  }
  if (type === 'fan' && ['input', 'min', 'max', 'target'].includes(element)) {
    return series(`${name}_rpm`, `Hardware monitor for fan revolutions per minute (${element})`, v, sensor);
  }
  if (type === 'freq' && element === 'input') {
    // node_exporter 1.12 (amdgpu clocks): named by the sensor's label, in MHz; nothing without a label.
    if (label === undefined) return undefined;
    return series(`${name}_freq_mhz`, 'Hardware monitor for GPU frequency in MHz', v / 1000000.0, cleanHwmonName(label));
  }
  return series(name, `Hardware monitor ${type} element ${element}`, v, sensor);
}
