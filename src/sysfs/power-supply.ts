/**
 * /sys/class/power_supply/<supply>/* attributes (Documentation/ABI/testing/sysfs-class-power)
 * and the metrics node_exporter's powersupplyclass collector makes of them.
 */
import { ParseError } from '../lib/parse-error.js';


export interface PowerSupplyMetric {
  /** The metric name after `node_power_supply_`. */
  readonly metric: string;
  /** Multiplier from the sysfs unit: µA, µV, µWh, µW → 1e-6; tenths of °C → 0.1. */
  readonly scale: 'raw' | 'micro' | 'deci';
}

const raw = (metric: string): PowerSupplyMetric => ({ metric, scale: 'raw' });
const micro = (metric: string): PowerSupplyMetric => ({ metric, scale: 'micro' });
const deci = (metric: string): PowerSupplyMetric => ({ metric, scale: 'deci' });

/** Numeric attributes by file name; those mapped to undefined are parsed (a bad value fails the scrape) but not exported. */
export const NUMERIC_ATTRIBUTES: Readonly<Record<string, PowerSupplyMetric | undefined>> = {
  authentic: raw('authentic'),
  calibrate: raw('calibrate'),
  capacity: raw('capacity'),
  capacity_alert_max: raw('capacity_alert_max'),
  capacity_alert_min: raw('capacity_alert_min'),
  cycle_count: raw('cyclecount'),
  online: raw('online'),
  present: raw('present'),
  time_to_empty_now: raw('time_to_empty_seconds'),
  time_to_full_now: raw('time_to_full_seconds'),
  current_boot: micro('current_boot'),
  current_max: micro('current_max'),
  current_now: micro('current_ampere'),
  energy_empty: micro('energy_empty'),
  energy_empty_design: micro('energy_empty_design'),
  energy_full: micro('energy_full'),
  energy_full_design: micro('energy_full_design'),
  energy_now: micro('energy_watthour'),
  voltage_boot: micro('voltage_boot'),
  voltage_max: micro('voltage_max'),
  voltage_max_design: micro('voltage_max_design'),
  voltage_min: micro('voltage_min'),
  voltage_min_design: micro('voltage_min_design'),
  voltage_now: micro('voltage_volt'),
  voltage_ocv: micro('voltage_ocv'),
  charge_control_limit: micro('charge_control_limit'),
  charge_control_limit_max: micro('charge_control_limit_max'),
  charge_counter: micro('charge_counter'),
  charge_empty: micro('charge_empty'),
  charge_empty_design: micro('charge_empty_design'),
  charge_full: micro('charge_full'),
  charge_full_design: micro('charge_full_design'),
  charge_now: micro('charge_ampere'),
  charge_term_current: micro('charge_term_current'),
  constant_charge_current: micro('constant_charge_current'),
  constant_charge_current_max: micro('constant_charge_current_max'),
  constant_charge_voltage: micro('constant_charge_voltage'),
  constant_charge_voltage_max: micro('constant_charge_voltage_max'),
  precharge_current: micro('precharge_current'),
  input_current_limit: micro('input_current_limit'),
  power_now: micro('power_watt'),
  temp: deci('temp_celsius'),
  temp_alert_max: deci('temp_alert_max_celsius'),
  temp_alert_min: deci('temp_alert_min_celsius'),
  temp_ambient: deci('temp_ambient_celsius'),
  temp_ambient_max: deci('temp_ambient_max_celsius'),
  temp_ambient_min: deci('temp_ambient_min_celsius'),
  temp_max: deci('temp_max_celsius'),
  temp_min: deci('temp_min_celsius'),
  charge_avg: undefined,
  current_avg: undefined,
  energy_avg: undefined,
  power_avg: undefined,
  time_to_empty_avg: undefined,
  time_to_full_avg: undefined,
  voltage_avg: undefined,
};

/** Text attributes that become labels of node_power_supply_info (when not empty). */
export const INFO_ATTRIBUTES: ReadonlySet<string> = new Set([
  'capacity_level', 'charge_type', 'health', 'manufacturer', 'model_name', 'serial_number', 'status', 'technology', 'type',
  'usb_type', 'scope',
]);

export interface PowerSupply {
  /** Metric name suffix → value in base units. */
  readonly values: Map<string, number>;
  /** node_power_supply_info's labels, `power_supply` included. */
  readonly info: Record<string, string>;
}

/**
 * Maps one supply's attribute files (name → whitespace-trimmed text) to its metrics.
 * Throws ParseError for a numeric attribute that is not an integer.
 */
export function parsePowerSupply(name: string, attributes: ReadonlyMap<string, string>): PowerSupply {
  const values = new Map<string, number>();
  const info: Record<string, string> = { power_supply: name };
  for (const [file, text] of attributes) {
    if (INFO_ATTRIBUTES.has(file)) {
      if (text !== '') info[file] = text;
      continue;
    }
    if (!Object.hasOwn(NUMERIC_ATTRIBUTES, file)) continue;
    const v = parseGoInt(text, file);
    const m = NUMERIC_ATTRIBUTES[file];
    if (m) values.set(m.metric, m.scale === 'micro' ? v / 1e6 : m.scale === 'deci' ? v / 10.0 : v);
  }
  return { values, info };
}

const GO_INT_LITERAL = /^[+-]?(?:0[xX](?:_?[0-9a-fA-F])+|0[bB](?:_?[01])+|0[oO](?:_?[0-7])+|0(?:_?[0-7])*|[1-9](?:_?[0-9])*)$/;

/**
 * Go's strconv.ParseInt(text, 0, 64), which prometheus/procfs uses here: decimal, or 0x / 0b /
 * 0o / leading-0 octal, with `_` between digits; out of int64 range is an error.
 */
export function parseGoInt(text: string, what: string): number {
  if (!GO_INT_LITERAL.test(text)) throw new ParseError(`${what}: expected an integer, got ${JSON.stringify(text)}`);
  const negative = text.startsWith('-');
  let digits = text.replace(/^[+-]/, '').replace(/_/g, '');
  if (/^0[0-7]/.test(digits)) digits = '0o' + digits.slice(1);
  const v = BigInt(digits) * (negative ? -1n : 1n);
  if (v > 9223372036854775807n || v < -9223372036854775808n) throw new ParseError(`${what}: ${text} is out of range`);
  return Number(v);
}
